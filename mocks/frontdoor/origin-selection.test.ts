import { describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.ts';
import { createOriginHealth } from './origin-health.ts';
import { createOriginSelector } from './origin-selection.ts';
import type { SelectableOrigin } from './origin-selection.ts';

const origin = (name: string, priority = 1, weight = 50, enabled = true): SelectableOrigin => ({ name, priority, weight, enabled });
const allHealthy = (): boolean => true;

function picks(origins: readonly SelectableOrigin[], count: number, isHealthy: (name: string) => boolean = allHealthy, selector = createOriginSelector()): string[] {
  return Array.from({ length: count }, () => selector.select(origins, isHealthy)?.origin ?? 'none');
}

describe('origin selection order', () => {
  it('sends everything to priority 1 while any priority-1 origin is healthy', () => {
    const origins = [origin('p2', 2), origin('p1', 1)];
    expect(picks(origins, 4)).toEqual(['p1', 'p1', 'p1', 'p1']);
  });

  it('uses priority 2 only when every priority-1 origin is unhealthy', () => {
    const origins = [origin('a', 1), origin('b', 1), origin('c', 2)];
    expect(picks(origins, 4, (n) => n !== 'a')).toEqual(['b', 'b', 'b', 'b']);
    expect(picks(origins, 2, (n) => n === 'c')).toEqual(['c', 'c']);
  });

  it('skips disabled origins even when they are healthy and preferred', () => {
    const origins = [origin('a', 1, 50, false), origin('b', 2)];
    expect(picks(origins, 3)).toEqual(['b', 'b', 'b']);
  });

  it('reports the mode: healthy routing or the all-unhealthy fallback', () => {
    const selector = createOriginSelector();
    expect(selector.select([origin('a')], allHealthy)).toEqual({ origin: 'a', mode: 'healthy' });
    expect(selector.select([origin('a')], () => false)).toEqual({ origin: 'a', mode: 'all-unhealthy' });
  });

  it('returns undefined when no origin is enabled', () => {
    expect(createOriginSelector().select([origin('a', 1, 50, false)], allHealthy)).toBeUndefined();
    expect(createOriginSelector().select([], allHealthy)).toBeUndefined();
  });
});

describe('weighted round-robin (smooth, deterministic)', () => {
  it('splits equal weights alternately', () => {
    expect(picks([origin('a'), origin('b')], 6)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('gives weights 5/1/1 the exact smooth sequence', () => {
    const origins = [origin('a', 1, 5), origin('b', 1, 1), origin('c', 1, 1)];
    expect(picks(origins, 14)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a', 'a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('gives weights 2/1 the sequence a b a', () => {
    expect(picks([origin('a', 1, 2), origin('b', 1, 1)], 6)).toEqual(['a', 'b', 'a', 'a', 'b', 'a']);
  });

  it('honours weights exactly over a full cycle (1000/1)', () => {
    const counts = new Map<string, number>();
    for (const name of picks([origin('big', 1, 1000), origin('small', 1, 1)], 1001)) counts.set(name, (counts.get(name) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ big: 1000, small: 1 });
  });

  it('ignores the weights of lower-priority origins', () => {
    const origins = [origin('a', 1, 1), origin('b', 1, 1), origin('heavy', 2, 1000)];
    expect(picks(origins, 4)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('restarts the rotation when the candidate set changes', () => {
    const selector = createOriginSelector();
    const origins = [origin('a', 1, 2), origin('b', 1, 1)];
    const down = new Set<string>();
    const isHealthy = (name: string): boolean => !down.has(name);
    expect(picks(origins, 2, isHealthy, selector)).toEqual(['a', 'b']);
    down.add('b');
    expect(picks(origins, 2, isHealthy, selector)).toEqual(['a', 'a']);
    down.delete('b');
    expect(picks(origins, 3, isHealthy, selector)).toEqual(['a', 'b', 'a']);
  });
});

describe('all enabled origins unhealthy', () => {
  it('round-robins over every enabled origin, ignoring priority and weight', () => {
    const origins = [origin('a', 1, 1000), origin('b', 2, 1), origin('off', 1, 50, false), origin('c', 5, 1)];
    expect(picks(origins, 7, () => false)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('goes back to normal routing once one origin is healthy again', () => {
    const selector = createOriginSelector();
    const origins = [origin('a', 1), origin('b', 2)];
    let healthy = new Set<string>();
    const isHealthy = (name: string): boolean => healthy.has(name);
    expect(picks(origins, 2, isHealthy, selector)).toEqual(['a', 'b']);
    healthy = new Set(['b']);
    expect(picks(origins, 2, isHealthy, selector)).toEqual(['b', 'b']);
  });
});

describe('failover and return driven by probe results (3 of 4, 30 s interval)', () => {
  it('moves traffic to priority 2 after 2 failed probes and back after 3 good ones', () => {
    const start = Date.UTC(2026, 0, 1);
    const clock = new ManualClock(start);
    const health = createOriginHealth(['primary', 'secondary'], { sampleSize: 4, successfulSamplesRequired: 3 }, clock);
    const selector = createOriginSelector();
    const origins = [origin('primary', 1), origin('secondary', 2)];
    const route = (): string | undefined => selector.select(origins, (n) => health.isHealthy(n))?.origin;
    const changes: Array<[string, boolean, number]> = [];
    health.onChange((c) => changes.push([c.origin, c.healthy, (c.at - start) / 1000]));

    // One probe of each origin every 30 s; the primary fails from t=30 s to t=90 s.
    const primaryResults = [true, false, false, false, true, true, true, true];
    const routed: Array<[number, string | undefined]> = [];
    primaryResults.forEach((ok, i) => {
      clock.set(start + i * 30_000);
      health.record('primary', ok);
      health.record('secondary', true);
      routed.push([i * 30, route()]);
    });

    expect(routed).toEqual([
      [0, 'primary'],
      [30, 'primary'], // one failure: 3 of 4 still good
      [60, 'secondary'], // second consecutive failure: removed
      [90, 'secondary'],
      [120, 'secondary'], // 1 good
      [150, 'secondary'], // 2 good
      [180, 'primary'], // 3 good in a row: restored
      [210, 'primary'],
    ]);
    expect(changes).toEqual([
      ['primary', false, 60],
      ['primary', true, 180],
    ]);
  });
});
