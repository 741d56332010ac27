import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { drillFiles, loadDrills } from './drill-catalog.ts';
import { DrillFileError, loadDrill } from './drill-file.ts';

const shipped = join(import.meta.dirname, '..', '..', 'drills', 'backend-pool-member-ejected.drill.json');
const good = (): any => JSON.parse(readFileSync(shipped, 'utf8'));

/** Writes a drill file (a broken copy of a shipped one) and returns the error loading it gives, or null. */
function problemOf(edit: (drill: any) => void, name = 'broken-drill'): string | null {
  const drill = good();
  edit(drill);
  const file = join(mkdtempSync(join(tmpdir(), 'drill-file-')), `${name}.drill.json`);
  writeFileSync(file, JSON.stringify(drill));
  try {
    loadDrill(file, defaultK6ConfigFile);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(DrillFileError);
    const message = (error as Error).message;
    // Every problem names the file.
    expect(message).toContain(file);
    return message;
  }
}

describe('drill files', () => {
  it('every shipped drill loads, with its method as a plan named after it and the drill\'s verifiers', () => {
    const drills = loadDrills(drillFiles(), defaultK6ConfigFile);
    expect(drills.map((d) => d.name)).toEqual(['auth-failure-spike', 'backend-latency-spike', 'backend-pool-member-ejected', 'ptu-saturation-spillover', 'regional-outage-failover', 'self-hosted-gateway-disconnected', 'subscription-429-spike', 'token-budget-exhausted']);
    expect(drills.filter((d) => d.configOverlayDir !== null).map((d) => d.name)).toEqual(['auth-failure-spike', 'token-budget-exhausted']);
    expect(drills.find((d) => d.name === 'token-budget-exhausted')!.configOverlayDir).toBe(join(import.meta.dirname, '..', '..', 'drills', 'token-budget-exhausted.overlay'));
    const breaker = drills.find((d) => d.name === 'backend-pool-member-ejected')!;
    expect(breaker.plan).toMatchObject({ name: 'backend-pool-member-ejected', verifiers: ['circuit-breaker'], durationSeconds: 36 });
  });

  it('a configOverlay that is not a folder is refused, naming the field and where it was looked for', () => {
    expect(problemOf((d) => (d.configOverlay = 'no-such.overlay'))).toMatch(/: configOverlay: "no-such\.overlay" is not a folder \(resolved against the drill file's folder: .*no-such\.overlay\)/);
    expect(problemOf((d) => (d.configOverlay = ''))).toMatch(/: configOverlay: /);
  });

  it('a method may name a scenario of k6.config.json instead of holding its plan', () => {
    expect(problemOf((d) => (d.method = { scenario: 'circuit-breaker' }))).toMatch(/steadyStateHypothesis.after.fromSeconds: 27 s is before the method's last fault is undone \(70 s\)/);
    expect(problemOf((d) => {
      d.method = { scenario: 'circuit-breaker' };
      d.steadyStateHypothesis.after = { fromSeconds: 72, toSeconds: 90 };
    })).toBeNull();
    expect(problemOf((d) => (d.method = { scenario: 'no-such-scenario' }))).toMatch(/method.scenario: "no-such-scenario" is not a scenario of .*k6.config.json \(it has smoke, /);
  });

  it('refuses an unknown probe kind, step kind or rollback kind, naming the field', () => {
    expect(problemOf((d) => (d.steadyStateHypothesis.probes[0].kind = 'tcp'))).toMatch(/steadyStateHypothesis.probes.0.kind: .*(http|unknown probe kind)/);
    expect(problemOf((d) => (d.method.plan.timeline[0].kind = 'earthquake'))).toMatch(/method.plan.timeline.0.kind: .*(fleet-fault|unknown step kind)/);
    expect(problemOf((d) => (d.rollbacks[0].kind = 'reboot'))).toMatch(/rollbacks.0.kind: .*(clear-fleet-faults|unknown rollback kind)/);
  });

  it('refuses a tolerance no value can meet', () => {
    expect(problemOf((d) => (d.steadyStateHypothesis.probes[1].tolerance = { min: 5, max: 1 }))).toMatch(/steadyStateHypothesis.probes.1.tolerance: min is above max/);
    expect(problemOf((d) => (d.detection[0].tolerance = {}))).toMatch(/detection.0.tolerance: give min, max or both/);
    expect(problemOf((d) => (d.steadyStateHypothesis.probes[0].minShare = 1.5))).toMatch(/probes.0.minShare: a share above 1 cannot be met/);
    expect(problemOf((d) => (d.steadyStateHypothesis.probes[0].status = { min: 299, max: 200 }))).toMatch(/probes.0.status: min is above max/);
    expect(problemOf((d) => (d.detection[0].expect = { aggregate: 'sum' }))).toMatch(/detection.0.expect.column: sum needs the column to read/);
  });

  it('refuses steady windows that are not steady or not in the load', () => {
    expect(problemOf((d) => (d.steadyStateHypothesis.before = { fromSeconds: 2, toSeconds: 12 }))).toMatch(/steadyStateHypothesis.before.toSeconds: 12 s is after the method's first fault \(10 s\)/);
    expect(problemOf((d) => (d.steadyStateHypothesis.after = { fromSeconds: 30, toSeconds: 40 }))).toMatch(/steadyStateHypothesis.after.toSeconds: 40 s is after the method's load ends \(36 s\)/);
    expect(problemOf((d) => (d.steadyStateHypothesis.before = { fromSeconds: 8, toSeconds: 8 }))).toMatch(/before: fromSeconds must be before toSeconds/);
    expect(problemOf((d) => delete d.method.plan.timeline[0].for)).toMatch(/after.fromSeconds: 27 s is before the method's last fault is undone \(a step without "for" lasts until the end\)/);
  });

  it('refuses probes of things the drill does not run', () => {
    expect(problemOf((d) => (d.steadyStateHypothesis.probes[2].check = 'failover'))).toMatch(/probes.2.check: "failover" is not a check of the drill's verifiers \(circuit-breaker\)/);
    expect(problemOf((d) => (d.steadyStateHypothesis.probes[0].consumer = 'batch'))).toMatch(/probes.0.consumer: "batch" sends nothing in this drill's method/);
    expect(problemOf((d) => (d.method.plan.traffic[0].consumer = 'nobody'))).toMatch(/method.plan.traffic.0.consumer: "nobody" is not a consumer class/);
    expect(problemOf((d) => (d.playbookEvent = 'the coffee machine broke'))).toMatch(/playbookEvent: /);
    expect(problemOf((d) => (d.surprise = true))).toMatch(/Unrecognized key/);
  });

  it('takes an http probe that sends its own requests, and refuses one that cannot be sent or judged, naming the field', () => {
    const ownProbe = { name: 'batch answered 2xx, by its own requests', kind: 'http', status: { min: 200, max: 299 }, request: { consumer: 'batch', count: 5 } };
    expect(problemOf((d) => d.steadyStateHypothesis.probes.push(ownProbe))).toBeNull();
    const withOwn = (request: Record<string, unknown>, extra: Record<string, unknown> = {}) => (d: any) => d.steadyStateHypothesis.probes.push({ ...ownProbe, ...extra, request: { ...ownProbe.request, ...request } });
    expect(problemOf(withOwn({ path: '/openai/models?api-version=2024-10-21', method: 'GET' }))).toBeNull();
    expect(problemOf(withOwn({ consumer: 'nobody' }))).toMatch(/steadyStateHypothesis.probes.3.request.consumer: "nobody" is not a consumer class/);
    expect(problemOf(withOwn({ count: 3 }))).toMatch(/steadyStateHypothesis.probes.3.request.count: 3 request\(s\) are fewer than minRequests \(5\): the probe could never be judged/);
    expect(problemOf(withOwn({ count: 0 }))).toMatch(/steadyStateHypothesis.probes.3.request.count: /);
    expect(problemOf(withOwn({}, { consumer: 'user-facing' }))).toMatch(/steadyStateHypothesis.probes.3.consumer: a probe with its own requests judges only those: give the consumer as request.consumer/);
    expect(problemOf(withOwn({ method: 'GET', body: { a: 1 } }))).toMatch(/steadyStateHypothesis.probes.3.request.body: a GET sends no body/);
    expect(problemOf(withOwn({ path: 'openai/models' }))).toMatch(/steadyStateHypothesis.probes.3.request.path: a path starting with "\/"/);
    expect(problemOf(withOwn({ method: 'DELETE' }))).toMatch(/steadyStateHypothesis.probes.3.request.method: /);
    expect(problemOf(withOwn({ key: 'secret' }))).toMatch(/steadyStateHypothesis.probes.3.request: Unrecognized key/);
  });

  it('names a drill after its file, and refuses a name that is not one', () => {
    expect(problemOf(() => undefined, '429-spike')).toMatch(/the drill's name "429-spike" must be lowercase letters/);
  });
});
