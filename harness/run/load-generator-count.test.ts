import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { vuSizing } from '../../scenarios/lib/executors.ts';
import { checkInvocation, defaultK6ConfigFile } from './run-input.ts';
import { checkClassesCoverGenerators, checkLoadGeneratorCount, classWithFewestVUs } from './load-generator-count.ts';

describe('checkLoadGeneratorCount', () => {
  it('accepts up to the cores, and more only when oversubscribing is asked for', () => {
    expect(() => checkLoadGeneratorCount(2, { cores: 2 })).not.toThrow();
    expect(() => checkLoadGeneratorCount(3, { cores: 2 })).toThrow("--load-generators 3: more load generators than this machine's 2 cores (os.availableParallelism())");
    expect(() => checkLoadGeneratorCount(3, { cores: 2 })).toThrow(/--load-generators 2 or fewer, or add --oversubscribe-generators/);
    expect(() => checkLoadGeneratorCount(3, { cores: 2, oversubscribe: true })).not.toThrow();
  });

  it('refuses a count that is not a whole number of at least 1, oversubscribed or not', () => {
    for (const count of [0, -1, 1.5, Number.NaN]) expect(() => checkLoadGeneratorCount(count, { oversubscribe: true })).toThrow(/--load-generators must be a whole number of at least 1/);
  });

  it('names the flag it is given', () => {
    expect(() => checkLoadGeneratorCount(9, { cores: 4, flag: '--generators', oversubscribeFlag: '--oversubscribe' })).toThrow(/^--generators 9: .* add --oversubscribe to/);
  });
});

describe('checkClassesCoverGenerators', () => {
  const traffic = [
    { consumer: 'user-facing', ratePerUnit: 3 },
    { consumer: 'batch', ratePerUnit: 0.15 },
  ];

  it('finds the class with the fewest VUs at these units', () => {
    expect(classWithFewestVUs(traffic, 1)).toEqual({ consumer: 'batch', rate: 0.15, maxVUs: vuSizing(0.15).maxVUs });
    expect(classWithFewestVUs([], 1)).toBeNull();
  });

  it('refuses more generators than the smallest class has VUs, naming it', () => {
    const { maxVUs } = vuSizing(0.15);
    expect(() => checkClassesCoverGenerators(traffic, 1, maxVUs)).not.toThrow();
    expect(() => checkClassesCoverGenerators(traffic, 1, maxVUs + 1)).toThrow(`--load-generators ${maxVUs + 1}: more load generators than the ${maxVUs} VUs of the batch class (0.15 requests/s at --units 1)`);
  });
});

describe('checkInvocation with --load-generators', () => {
  const withThresholds = (thresholds: Record<string, string[]>): string => {
    const config = JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { scenarios: Record<string, { thresholds?: Record<string, string[]> }> };
    config.scenarios.spillover!.thresholds = thresholds;
    const dir = mkdtempSync(join(tmpdir(), 'load-generators-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'k6.config.json'), JSON.stringify(config));
    return join(dir, 'k6.config.json');
  };
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const results = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'load-generators-results-'));
    dirs.push(dir);
    return dir;
  };

  it("refuses more generators than the machine's cores unless oversubscribed", () => {
    const count = availableParallelism() + 1;
    expect(() => checkInvocation({ scenario: 'spillover', units: 1, loadGenerators: count, resultsDir: results() })).toThrow(`--load-generators ${count}: more load generators than this machine's`);
    expect(() => checkInvocation({ scenario: 'spillover', units: 1, loadGenerators: count, oversubscribeGenerators: true, resultsDir: results() })).not.toThrow();
  });

  it("refuses more generators than the smallest class's VUs (smoke's batch class)", () => {
    const { maxVUs } = vuSizing(0.15);
    expect(() => checkInvocation({ scenario: 'smoke', units: 1, loadGenerators: maxVUs + 1, oversubscribeGenerators: true, resultsDir: results() })).toThrow(/the batch class/);
  });

  it('refuses, with several generators only, a threshold that merged samples cannot judge', () => {
    const k6ConfigFile = withThresholds({ http_reqs: ['rate>1'] });
    expect(() => checkInvocation({ scenario: 'spillover', units: 1, k6ConfigFile, loadGenerators: 2, oversubscribeGenerators: true, resultsDir: results() })).toThrow(
      /--load-generators 2: scenario "spillover": k6 threshold http_reqs "rate>1": a counter's rate .*; run it with one generator/,
    );
    expect(() => checkInvocation({ scenario: 'spillover', units: 1, k6ConfigFile, loadGenerators: 1, resultsDir: results() })).not.toThrow();
  });
});
