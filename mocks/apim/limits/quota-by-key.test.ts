import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.ts';
import { DEFAULT_FIRST_PERIOD_START_MS, QuotaByKey } from './quota-by-key.ts';

const at = (iso: string): number => Date.parse(iso);

describe('QuotaByKey: calls', () => {
  it('admits `calls` per fixed window, then 403s with Retry-After to the window end', () => {
    const clock = new ManualClock(at('2026-01-01T00:02:00Z'));
    const quota = new QuotaByKey({ calls: 3, renewalPeriodSeconds: 300 }, clock);
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingCalls: 2 });
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingCalls: 1 });
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingCalls: 0 });
    expect(quota.tryIncrement('k')).toEqual({ allowed: false, reason: 'calls', retryAfterSeconds: 180 });
    clock.set(at('2026-01-01T00:04:59.500Z'));
    expect(quota.tryIncrement('k')).toEqual({ allowed: false, reason: 'calls', retryAfterSeconds: 1 });
    clock.set(at('2026-01-01T00:05:00Z')); // fixed window: everything resets at once
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingCalls: 2 });
  });

  it('keeps one counter per key and does not count rejected calls', () => {
    const quota = new QuotaByKey({ calls: 1, renewalPeriodSeconds: 300 }, new ManualClock(0));
    quota.tryIncrement('a');
    quota.tryIncrement('a');
    expect(quota.usage('a')).toEqual({ calls: 1, bytes: 0 });
    expect(quota.tryIncrement('b').allowed).toBe(true);
  });

  it('admits an increment-count only when all of it fits', () => {
    const quota = new QuotaByKey({ calls: 10, renewalPeriodSeconds: 300 }, new ManualClock(0));
    expect(quota.tryIncrement('k', 8)).toEqual({ allowed: true, remainingCalls: 2 });
    expect(quota.tryIncrement('k', 3)).toMatchObject({ allowed: false, reason: 'calls' });
    expect(quota.tryIncrement('k', 2)).toEqual({ allowed: true, remainingCalls: 0 });
  });

  it('supports check then increment after the response', () => {
    const quota = new QuotaByKey({ calls: 2, renewalPeriodSeconds: 300 }, new ManualClock(0));
    const admitted: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = quota.check('k');
      admitted.push(decision.allowed);
      if (decision.allowed) quota.increment('k');
    }
    expect(admitted).toEqual([true, true, false]);
  });
});

describe('QuotaByKey: window alignment', () => {
  it('aligns windows to 0001-01-01T00:00:00Z by default, not to the epoch or to creation time', () => {
    expect(DEFAULT_FIRST_PERIOD_START_MS).toBe(-62_135_596_800_000);
    // 1000 s does not divide the time since 1970, so the epoch and year 1 give different windows:
    // (2026-01-01 - 0001-01-01) = 63,902,822,400 s = 63,902,822 windows + 400 s.
    const clock = new ManualClock(at('2026-01-01T00:00:00Z'));
    const quota = new QuotaByKey({ calls: 1, renewalPeriodSeconds: 1000 }, clock);
    expect(quota.currentWindow()).toEqual({ start: at('2025-12-31T23:53:20Z'), end: at('2026-01-01T00:10:00Z') });
    quota.tryIncrement('k');
    expect(quota.tryIncrement('k')).toEqual({ allowed: false, reason: 'calls', retryAfterSeconds: 600 });
  });

  it('makes weekly windows start on Mondays (0001-01-01 was a Monday)', () => {
    const clock = new ManualClock(at('2026-01-08T12:00:00Z')); // a Thursday
    const quota = new QuotaByKey({ calls: 1, renewalPeriodSeconds: 7 * 86_400 }, clock);
    expect(quota.currentWindow().start).toBe(at('2026-01-05T00:00:00Z'));
    expect(new Date(quota.currentWindow().start).getUTCDay()).toBe(1);
  });

  it('honours first-period-start', () => {
    const clock = new ManualClock(at('2026-01-01T00:05:05Z'));
    const quota = new QuotaByKey({ calls: 1, renewalPeriodSeconds: 300, firstPeriodStart: '2026-01-01T00:00:10Z' }, clock);
    expect(quota.currentWindow()).toEqual({ start: at('2026-01-01T00:00:10Z'), end: at('2026-01-01T00:05:10Z') });
    quota.tryIncrement('k');
    expect(quota.tryIncrement('k')).toMatchObject({ retryAfterSeconds: 5 });
    clock.advance(5_000);
    expect(quota.tryIncrement('k').allowed).toBe(true);
  });

  it('counts windows backwards before first-period-start', () => {
    const clock = new ManualClock(at('2026-01-01T00:00:00Z'));
    const quota = new QuotaByKey({ calls: 1, renewalPeriodSeconds: 300, firstPeriodStart: at('2026-01-01T00:01:00Z') }, clock);
    expect(quota.currentWindow()).toEqual({ start: at('2025-12-31T23:56:00Z'), end: at('2026-01-01T00:01:00Z') });
  });

  it('never resets with renewal-period 0 and gives no Retry-After', () => {
    const clock = new ManualClock(0);
    const quota = new QuotaByKey({ calls: 1, renewalPeriodSeconds: 0 }, clock);
    quota.tryIncrement('k');
    clock.advance(10 * 365 * 86_400_000);
    expect(quota.tryIncrement('k')).toEqual({ allowed: false, reason: 'calls', retryAfterSeconds: undefined });
  });
});

describe('QuotaByKey: bandwidth', () => {
  it('rejects once the window has carried the quota in kilobytes (1 KB = 1024 bytes)', () => {
    const clock = new ManualClock(at('2026-01-01T00:00:00Z'));
    const quota = new QuotaByKey({ bandwidthKilobytes: 2, renewalPeriodSeconds: 300 }, clock);
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingKilobytes: 2 });
    quota.addBandwidth('k', 1_500);
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingKilobytes: 0 });
    quota.addBandwidth('k', 547); // 2047 bytes: one short of 2 KB
    expect(quota.check('k').allowed).toBe(true);
    quota.addBandwidth('k', 1);
    expect(quota.tryIncrement('k')).toEqual({ allowed: false, reason: 'bandwidth', retryAfterSeconds: 300 });
  });

  it('reports calls first when both are exhausted', () => {
    const quota = new QuotaByKey({ calls: 1, bandwidthKilobytes: 1, renewalPeriodSeconds: 300 }, new ManualClock(0));
    expect(quota.tryIncrement('k')).toEqual({ allowed: true, remainingCalls: 0, remainingKilobytes: 1 });
    quota.addBandwidth('k', 4_096);
    expect(quota.tryIncrement('k')).toMatchObject({ allowed: false, reason: 'calls' });
  });
});

describe('QuotaByKey: memory and validation', () => {
  it('drops keys from past windows', () => {
    const clock = new ManualClock(0);
    const quota = new QuotaByKey({ calls: 5, renewalPeriodSeconds: 300 }, clock);
    for (let i = 0; i < 2_000; i++) quota.tryIncrement(`k${i}`);
    expect(quota.trackedKeys()).toBe(2_000);
    clock.advance(300_000);
    for (let i = 0; i < 1_024; i++) quota.increment('live');
    expect(quota.trackedKeys()).toBe(1);
  });

  it('rejects invalid options with clear messages', () => {
    const clock = new ManualClock(0);
    expect(() => new QuotaByKey({ renewalPeriodSeconds: 300 }, clock)).toThrow(/calls or bandwidth/);
    expect(() => new QuotaByKey({ calls: 1, renewalPeriodSeconds: 299 }, clock)).toThrow(/at least 300, got 299/);
    expect(() => new QuotaByKey({ calls: 1, renewalPeriodSeconds: 300, firstPeriodStart: 'yesterday' }, clock)).toThrow(/"yesterday"/);
    expect(() => new QuotaByKey({ calls: 1.5, renewalPeriodSeconds: 300 }, clock)).toThrow(/calls/);
    expect(() => new QuotaByKey({ calls: 1, renewalPeriodSeconds: 300 }, clock).addBandwidth('k', -1)).toThrow(RangeError);
  });
});
