import { describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.ts';
import { createOriginHealth, validateHealthRule } from './origin-health.ts';
import type { HealthChange } from './origin-health.ts';

const rule = { sampleSize: 4, successfulSamplesRequired: 3 };
const start = Date.UTC(2026, 0, 1);

describe('origin health, 3 of the last 4 probes', () => {
  it('starts healthy and needs 2 consecutive failures to turn unhealthy', () => {
    const clock = new ManualClock(start);
    const health = createOriginHealth(['east'], rule, clock);
    expect(health.isHealthy('east')).toBe(true);
    expect(health.record('east', false)).toBeUndefined();
    expect(health.isHealthy('east')).toBe(true);
    clock.advance(30_000);
    const change = health.record('east', false);
    expect(change).toEqual({ origin: 'east', healthy: false, at: start + 30_000, successes: 2, sampleSize: 4 });
    expect(health.isHealthy('east')).toBe(false);
  });

  it('returns after 3 consecutive successes following a long outage', () => {
    const clock = new ManualClock(start);
    const health = createOriginHealth(['east'], rule, clock);
    for (let i = 0; i < 6; i++) health.record('east', false);
    expect(health.isHealthy('east')).toBe(false);
    clock.advance(1_000);
    expect(health.record('east', true)).toBeUndefined();
    clock.advance(1_000);
    expect(health.record('east', true)).toBeUndefined();
    clock.advance(1_000);
    expect(health.record('east', true)).toEqual({ origin: 'east', healthy: true, at: start + 3_000, successes: 3, sampleSize: 4 });
  });

  it('stays healthy through isolated failures (one failure in any 4)', () => {
    const health = createOriginHealth(['east'], rule, new ManualClock(start));
    const pattern = [false, true, true, true, false, true, true, true, false];
    const changes = pattern.map((ok) => health.record('east', ok)).filter((c) => c !== undefined);
    expect(changes).toEqual([]);
    expect(health.isHealthy('east')).toBe(true);
  });

  it('a failure, a success, then a failure makes 2 of 4 and turns unhealthy', () => {
    const health = createOriginHealth(['east'], rule, new ManualClock(start));
    expect(health.record('east', false)).toBeUndefined();
    expect(health.record('east', true)).toBeUndefined();
    expect(health.record('east', false)?.healthy).toBe(false);
  });

  it('can start unhealthy: 3 successes are needed before traffic is sent', () => {
    const health = createOriginHealth(['east'], { ...rule, initialState: 'unhealthy' }, new ManualClock(start));
    expect(health.isHealthy('east')).toBe(false);
    health.record('east', true);
    health.record('east', true);
    expect(health.isHealthy('east')).toBe(false);
    expect(health.record('east', true)?.healthy).toBe(true);
  });

  it('tells listeners about every change, in order, with clock timestamps', () => {
    const clock = new ManualClock(start);
    const health = createOriginHealth(['east', 'west'], rule, clock);
    const heard: HealthChange[] = [];
    const unsubscribe = health.onChange((change) => heard.push(change));
    const results: Array<[string, boolean]> = [
      ['east', false],
      ['west', true],
      ['east', false], // east down
      ['east', true],
      ['east', true],
      ['east', true], // east back
    ];
    for (const [origin, ok] of results) {
      clock.advance(10_000);
      health.record(origin, ok);
    }
    expect(heard.map((c) => [c.origin, c.healthy, c.at - start])).toEqual([
      ['east', false, 30_000],
      ['east', true, 60_000],
    ]);
    unsubscribe();
    health.record('east', false);
    health.record('east', false);
    expect(heard).toHaveLength(2);
    expect(health.state('east')).toMatchObject({ healthy: false, successes: 2, probes: 7, changedAt: clock.now() });
    expect(health.state('west')).toEqual({ origin: 'west', healthy: true, successes: 4, sampleSize: 4, probes: 1 });
  });

  it('keeps origins independent', () => {
    const health = createOriginHealth(['east', 'west'], rule, new ManualClock(start));
    health.record('east', false);
    health.record('east', false);
    expect(health.isHealthy('east')).toBe(false);
    expect(health.isHealthy('west')).toBe(true);
    expect(health.states().map((s) => [s.origin, s.healthy])).toEqual([
      ['east', false],
      ['west', true],
    ]);
  });

  it('rejects unknown origins, duplicates and impossible rules', () => {
    const health = createOriginHealth(['east'], rule, new ManualClock(start));
    expect(() => health.record('north', true)).toThrow(/unknown origin/);
    expect(() => createOriginHealth(['a', 'a'], rule)).toThrow(/twice/);
    expect(() => validateHealthRule({ sampleSize: 0, successfulSamplesRequired: 0 })).toThrow(RangeError);
    expect(() => validateHealthRule({ sampleSize: 4, successfulSamplesRequired: 5 })).toThrow(RangeError);
    expect(() => validateHealthRule({ sampleSize: 4.5, successfulSamplesRequired: 3 })).toThrow(RangeError);
    expect(() => validateHealthRule({ sampleSize: 1, successfulSamplesRequired: 1 })).not.toThrow();
  });

  it('with 1 of 1, a single probe decides', () => {
    const health = createOriginHealth(['east'], { sampleSize: 1, successfulSamplesRequired: 1 }, new ManualClock(start));
    expect(health.record('east', false)?.healthy).toBe(false);
    expect(health.record('east', true)?.healthy).toBe(true);
  });
});
