import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.ts';
import { RateLimitByKey, retryAfterSecondsFromMs } from './rate-limit-by-key.ts';
import type { RateLimitAlgorithm } from './rate-limit-by-key.ts';

function setup(calls: number, renewalPeriodSeconds: number, algorithm?: RateLimitAlgorithm) {
  const clock = new ManualClock(0);
  const options = algorithm === undefined ? { calls, renewalPeriodSeconds } : { calls, renewalPeriodSeconds, algorithm };
  return { clock, limiter: new RateLimitByKey(options, clock) };
}

describe('RateLimitByKey: sliding window (classic tiers, default)', () => {
  it('admits `calls` per period, then 429s with Retry-After to the moment a slot frees', () => {
    const { clock, limiter } = setup(3, 10);
    expect(limiter.algorithm).toBe('sliding-window');
    expect(limiter.tryIncrement('k')).toEqual({ allowed: true, limit: 3, remaining: 2 });
    clock.advance(2_000);
    expect(limiter.tryIncrement('k')).toEqual({ allowed: true, limit: 3, remaining: 1 });
    clock.advance(2_000);
    expect(limiter.tryIncrement('k')).toEqual({ allowed: true, limit: 3, remaining: 0 });
    expect(limiter.tryIncrement('k')).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 6 });
    clock.advance(5_500); // t = 9.5 s: 0.5 s left, rounded up to 1
    expect(limiter.tryIncrement('k')).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 1 });
    clock.advance(500); // t = 10 s: the t=0 call leaves the window
    expect(limiter.tryIncrement('k')).toEqual({ allowed: true, limit: 3, remaining: 0 });
    expect(limiter.tryIncrement('k')).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
  });

  it('slides rather than resetting at fixed boundaries', () => {
    const { clock, limiter } = setup(2, 10);
    clock.set(9_000);
    limiter.tryIncrement('k');
    limiter.tryIncrement('k');
    clock.set(11_000); // a fixed 10 s window would have reset at t=10 s
    expect(limiter.tryIncrement('k').allowed).toBe(false);
    clock.set(19_000);
    expect(limiter.tryIncrement('k').allowed).toBe(true);
  });

  it('does not count rejected calls', () => {
    const { clock, limiter } = setup(1, 10);
    limiter.tryIncrement('k');
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      expect(limiter.tryIncrement('k').allowed).toBe(false);
    }
    clock.set(10_000);
    expect(limiter.tryIncrement('k').allowed).toBe(true);
  });

  it('keeps one counter per key', () => {
    const { limiter } = setup(1, 60);
    expect(limiter.tryIncrement('a').allowed).toBe(true);
    expect(limiter.tryIncrement('a').allowed).toBe(false);
    expect(limiter.tryIncrement('b').allowed).toBe(true);
    expect(limiter.remaining('a')).toBe(0);
    expect(limiter.remaining('c')).toBe(1);
  });

  it('admits an increment-count only when all of it fits', () => {
    const { clock, limiter } = setup(10, 60);
    expect(limiter.tryIncrement('k', 4)).toEqual({ allowed: true, limit: 10, remaining: 6 });
    clock.advance(10_000);
    expect(limiter.tryIncrement('k', 4)).toEqual({ allowed: true, limit: 10, remaining: 2 });
    expect(limiter.tryIncrement('k', 4)).toEqual({ allowed: false, limit: 10, remaining: 0, retryAfterSeconds: 50 });
    expect(limiter.tryIncrement('k', 2)).toEqual({ allowed: true, limit: 10, remaining: 0 });
  });

  it('rejects an increment-count larger than calls with the full period', () => {
    const { limiter } = setup(5, 30);
    expect(limiter.tryIncrement('k', 6)).toEqual({ allowed: false, limit: 5, remaining: 0, retryAfterSeconds: 30 });
    expect(limiter.remaining('k')).toBe(5);
  });

  it('models end-of-outbound increments: the 429 arrives one call late', () => {
    const { clock, limiter } = setup(2, 10);
    const admitted: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const decision = limiter.check('k');
      admitted.push(decision.allowed);
      if (decision.allowed) limiter.increment('k', 1);
    }
    // tryIncrement would admit 2 and reject the 3rd; here the 3rd passes and the 4th is rejected.
    expect(admitted).toEqual([true, true, true, false]);
    expect(limiter.check('k')).toEqual({ allowed: false, limit: 2, remaining: 0, retryAfterSeconds: 10 });
    clock.advance(10_000); // all three leave together
    expect(limiter.check('k')).toEqual({ allowed: true, limit: 2, remaining: 2 });
  });

  it('check counts nothing, so a false increment-condition never limits', () => {
    const { limiter } = setup(1, 10);
    for (let i = 0; i < 10; i++) expect(limiter.check('k').allowed).toBe(true);
  });

  it('drops idle keys', () => {
    const { clock, limiter } = setup(5, 10);
    for (let i = 0; i < 2_000; i++) limiter.tryIncrement(`k${i}`);
    expect(limiter.trackedKeys()).toBe(2_000);
    clock.advance(10_000);
    for (let i = 0; i < 1_024; i++) limiter.increment('live');
    expect(limiter.trackedKeys()).toBe(1);
  });

  it('validates calls and renewal-period (max 300 s)', () => {
    const clock = new ManualClock(0);
    expect(() => new RateLimitByKey({ calls: 1, renewalPeriodSeconds: 301 }, clock)).toThrow(/renewal-period .* 1 to 300, got 301/);
    expect(() => new RateLimitByKey({ calls: 1, renewalPeriodSeconds: 0 }, clock)).toThrow(RangeError);
    expect(() => new RateLimitByKey({ calls: -1, renewalPeriodSeconds: 10 }, clock)).toThrow(/calls/);
    expect(() => new RateLimitByKey({ calls: 1, renewalPeriodSeconds: 300 }, clock)).not.toThrow();
    const { limiter } = setup(1, 10);
    expect(() => limiter.tryIncrement('k', 1.5)).toThrow(RangeError);
  });

  it('rejects everything when calls is 0', () => {
    const { limiter } = setup(0, 10);
    expect(limiter.tryIncrement('k')).toEqual({ allowed: false, limit: 0, remaining: 0, retryAfterSeconds: 10 });
  });
});

describe('RateLimitByKey: token bucket (v2 tiers)', () => {
  it('allows a burst of `calls`, then refills at calls per period', () => {
    const { clock, limiter } = setup(10, 10, 'token-bucket');
    for (let i = 0; i < 10; i++) expect(limiter.tryIncrement('k')).toEqual({ allowed: true, limit: 10, remaining: 9 - i });
    expect(limiter.tryIncrement('k')).toEqual({ allowed: false, limit: 10, remaining: 0, retryAfterSeconds: 1 });
    clock.advance(500);
    expect(limiter.tryIncrement('k')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(500); // one token back after 1 s; a sliding window would still be full
    expect(limiter.tryIncrement('k')).toEqual({ allowed: true, limit: 10, remaining: 0 });
    expect(limiter.tryIncrement('k').allowed).toBe(false);
    clock.advance(10_000);
    expect(limiter.remaining('k')).toBe(10);
  });

  it('computes Retry-After for a multi-call increment from the refill rate', () => {
    const { limiter } = setup(10, 10, 'token-bucket');
    limiter.tryIncrement('k', 10);
    expect(limiter.tryIncrement('k', 4)).toMatchObject({ allowed: false, retryAfterSeconds: 4 });
  });

  it('carries end-of-outbound overshoot as a debt that must refill first', () => {
    const { clock, limiter } = setup(2, 10, 'token-bucket');
    const admitted: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const decision = limiter.check('k');
      admitted.push(decision.allowed);
      if (decision.allowed) limiter.increment('k');
    }
    expect(admitted).toEqual([true, true, true, false]);
    expect(limiter.check('k')).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    clock.advance(5_000);
    expect(limiter.check('k')).toEqual({ allowed: true, limit: 2, remaining: 0 });
  });

  it('drops keys whose bucket is full again', () => {
    const { clock, limiter } = setup(5, 10, 'token-bucket');
    for (let i = 0; i < 1_500; i++) limiter.tryIncrement(`k${i}`);
    clock.advance(2_000); // each key used 1 of 5: refilled after 2 s
    for (let i = 0; i < 1_024; i++) limiter.increment('live');
    expect(limiter.trackedKeys()).toBe(1);
  });
});

describe('retryAfterSecondsFromMs', () => {
  it('rounds up and never says 0', () => {
    expect(retryAfterSecondsFromMs(0)).toBe(1);
    expect(retryAfterSecondsFromMs(1)).toBe(1);
    expect(retryAfterSecondsFromMs(1_000)).toBe(1);
    expect(retryAfterSecondsFromMs(1_001)).toBe(2);
  });
});
