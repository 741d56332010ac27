import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFalseAlarm, median, readRun, summarise, type SmokeRun } from './measure-smoke-false-alarms.ts';

const run = (over: Partial<SmokeRun>): SmokeRun => ({ run: 1, wallSeconds: 80, exitCode: 0, notPassed: [], problem: null, runDir: '/r', ...over });

describe('the smoke false-alarm measurement', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/no values/);
  });

  it('counts a run as a false alarm when it exits non-zero, judges anything but pass, or left no journal', () => {
    expect(isFalseAlarm(run({}))).toBe(false);
    expect(isFalseAlarm(run({ exitCode: 3 }))).toBe(true);
    expect(isFalseAlarm(run({ notPassed: ['spillover.ptu-share (East US): inconclusive'] }))).toBe(true);
    expect(isFalseAlarm(run({ problem: 'no journal' }))).toBe(true);
  });

  it('totals wall time and counts each non-pass verdict once per run', () => {
    const summary = summarise([
      run({ wallSeconds: 70 }),
      run({ wallSeconds: 90, exitCode: 3, notPassed: ['a: inconclusive', 'a: inconclusive', 'b: fail'] }),
      run({ wallSeconds: 80, exitCode: 1, notPassed: ['b: fail'] }),
    ]);
    expect(summary).toEqual({ runs: 3, medianWallSeconds: 80, maxWallSeconds: 90, falseAlarms: 2, nonPassCounts: { 'a: inconclusive': 1, 'b: fail': 2 } });
  });

  it('reads the verdicts that did not pass from the one run folder under a run\'s results', () => {
    const results = mkdtempSync(join(tmpdir(), 'smoke-false-alarms-'));
    mkdirSync(join(results, '2026-12-07T00-00-00Z-smoke'));
    const verdicts = [
      { check: 'failover.error-window (step primary-region-down, East US)', status: 'pass' },
      { check: 'circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high, gateway East US)', status: 'inconclusive' },
    ];
    writeFileSync(join(results, '2026-12-07T00-00-00Z-smoke', 'journal.json'), JSON.stringify({ verdicts }));
    expect(readRun(results)).toEqual({
      notPassed: ['circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high, gateway East US): inconclusive'],
      problem: null,
      runDir: join(results, '2026-12-07T00-00-00Z-smoke'),
    });
  });

  it('says so when a run left no journal to read', () => {
    const results = mkdtempSync(join(tmpdir(), 'smoke-false-alarms-'));
    expect(readRun(results).problem).toMatch(/expected one run folder with a journal.json in .*, found 0/);
  });
});
