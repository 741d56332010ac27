import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultTolerances } from './expectations-from-config.ts';
import { loadExpectationsFile } from './expectations-file.ts';
import { sampleExpectations } from './test-evidence.ts';

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'expectations-')), 'expectations.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadExpectationsFile', () => {
  it('reads the Expectations shape back as it was written, lanes included', () => {
    const written = sampleExpectations();
    written.breakers['aoai-eastus-ptu1'] = {
      ...written.breakers['aoai-eastus-ptu1']!,
      entities: ['aoai-eastus-ptu1', 'aoai-eastus-ptu1-high'],
      entityRules: { 'aoai-eastus-ptu1': { count: 3, intervalMs: 10_000, tripDurationMs: 5_000, acceptRetryAfter: false } },
    };
    written.entityRoutes = { 'aoai-eastus-ptu1-high': { 'aoai-eastus-ptu1': 'aoai-eastus-ptu1-high' } };
    expect(loadExpectationsFile(file(written))).toEqual(written);
  });

  it('fills tolerances left out with the defaults', () => {
    const { tolerances: _t, ...rest } = sampleExpectations();
    expect(loadExpectationsFile(file({ ...rest, tolerances: { spilloverShare: 0.05 } })).tolerances).toEqual({ ...defaultTolerances, spilloverShare: 0.05 });
    expect(loadExpectationsFile(file(rest)).tolerances).toEqual(defaultTolerances);
  });

  it('names the file and every field that is wrong', () => {
    const bad = { ...sampleExpectations(), regions: [], frontDoor: { probeIntervalSeconds: 2, sampleSize: 2, successfulSamplesRequired: 3 } };
    bad.breakers['aoai-eastus-ptu1'] = { ...bad.breakers['aoai-eastus-ptu1']!, count: 0 };
    const path = file({ ...bad, typo: true });
    let message = '';
    try {
      loadExpectationsFile(path);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${path}: breakers.aoai-eastus-ptu1.count:`);
    expect(message).toContain(`${path}: regions:`);
    expect(message).toContain(`${path}: frontDoor: successfulSamplesRequired must not exceed sampleSize`);
    expect(message).toMatch(/\(top level\): Unrecognized key: "typo"/);
  });

  it("refuses a backend's capacity, which belongs to the fleet of each run, saying why", () => {
    const written = sampleExpectations();
    const withCapacity = { ...written, backends: written.backends.map((b) => ({ ...b, capacityTpm: 9_000 })) };
    const path = file(withCapacity);
    expect(() => loadExpectationsFile(path)).toThrow(`${path}: backends.0.capacityTpm: a backend's capacity is a fact of the fleet`);
  });

  it("reads a breaker's counting, and refuses an unknown one naming the field and the choices", () => {
    const written = sampleExpectations();
    const nginx = { count: 3, intervalMs: 10_000, tripDurationMs: 10_000, acceptRetryAfter: false, counting: 'nginx-passive' as const };
    written.breakers['aoai-eastus-ptu1'] = nginx;
    written.breakers['aoai-eastus-ptu2'] = { ...written.breakers['aoai-eastus-ptu2']!, counting: 'sliding-window' };
    expect(loadExpectationsFile(file(written))).toEqual(written);
    const path = file({ ...written, breakers: { ...written.breakers, 'aoai-eastus-ptu1': { ...nginx, counting: 'consecutive' } } });
    expect(() => loadExpectationsFile(path)).toThrow(
      `${path}: breakers.aoai-eastus-ptu1.counting: unknown counting "consecutive": use "sliding-window" or "nginx-passive" ("sliding-window", the default, is APIM's circuit breaker; "nginx-passive" is nginx's max_fails/fail_timeout)`,
    );
  });

  it('refuses an nginx-passive rule no nginx can have: two durations, a fraction of a second, Retry-After', () => {
    const written = sampleExpectations();
    written.breakers['aoai-eastus-ptu1'] = { count: 3, intervalMs: 5_000, tripDurationMs: 10_500, acceptRetryAfter: true, counting: 'nginx-passive' };
    const path = file(written);
    let message = '';
    try {
      loadExpectationsFile(path);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${path}: breakers.aoai-eastus-ptu1.intervalMs: with counting "nginx-passive", intervalMs and tripDurationMs are both nginx's fail_timeout and must be equal (got 5000 and 10500)`);
    expect(message).toContain(`${path}: breakers.aoai-eastus-ptu1.tripDurationMs: with counting "nginx-passive", tripDurationMs is nginx's fail_timeout, which counts whole seconds: give a multiple of 1000 (got 10500)`);
    expect(message).toContain(`${path}: breakers.aoai-eastus-ptu1.acceptRetryAfter: with counting "nginx-passive", acceptRetryAfter must be false: nginx never reads Retry-After`);
  });

  it('says when the file is missing or not JSON', () => {
    expect(() => loadExpectationsFile('/nonexistent/expectations.json')).toThrow(/^\/nonexistent\/expectations\.json: cannot read the expectations \(ENOENT\)$/);
    const path = file('{ "backends": [');
    expect(() => loadExpectationsFile(path)).toThrow(new RegExp(`^${path.replace(/[.]/g, '\\.')}: not valid JSON: `));
  });
});
