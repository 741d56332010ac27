/**
 * The counter behind `rate-limit-by-key` [DOC RLK]: at most `calls` calls per
 * `renewal-period` seconds (max 300) for each counter key; over the limit the gateway answers
 * 429 with Retry-After in seconds.
 *
 * Algorithms [DOC THR]: classic tiers use a sliding window ('sliding-window', the default);
 * v2 tiers use a token bucket ('token-bucket'): capacity `calls`, refilled continuously at
 * `calls` per renewal period. One object models one gateway instance, since counters are per
 * gateway and not aggregated [INC-GW].
 *
 * Two ways to use it:
 * - `tryIncrement(key, count)`: the normal case, check and count in one step.
 * - `check(key)` in inbound, then `increment(key, n)` at the end of outbound: when
 *   increment-condition or increment-count is an expression, APIM increments at the end of
 *   outbound and the "limit exceeded condition ... will be evaluated on next incoming call",
 *   so the 429 arrives "1 call later than usual" [DOC RLK]. `check` therefore rejects only
 *   once the counter is already over `calls`: with calls=2, three calls pass and the fourth
 *   gets the 429 (tryIncrement would reject the third).
 *
 * Choices where the docs are silent:
 * - With increment-count n, a call is admitted only if all n fit (used + n <= calls). A count
 *   larger than `calls` can never fit; it is rejected with Retry-After of the full period.
 * - Retry-After is the time until enough of the window frees up for this call, rounded up to
 *   whole seconds and at least 1 (the header is in seconds; 0 would invite an instant retry).
 */
import type { Clock } from '../../shared/clock.ts';
import { SlidingWindowCounter } from './sliding-window-counter.ts';

export type RateLimitAlgorithm = 'sliding-window' | 'token-bucket';

export interface RateLimitByKeyOptions {
  calls: number;
  renewalPeriodSeconds: number;
  algorithm?: RateLimitAlgorithm;
}

export type RateLimitDecision =
  | { allowed: true; limit: number; remaining: number }
  | { allowed: false; limit: number; remaining: 0; retryAfterSeconds: number };

/** renewal-period "maximum allowed value: 300 seconds" [DOC RLK]. */
export const MAX_RENEWAL_PERIOD_SECONDS = 300;

export function retryAfterSecondsFromMs(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** One algorithm's state for all keys. */
interface Limiter {
  /** Calls counted now (sliding window) or capacity used now (token bucket), possibly fractional. */
  used(key: string): number;
  /** Milliseconds until `used(key) <= target`. */
  msUntilUsedAtMost(key: string, target: number): number;
  add(key: string, count: number): void;
}

class SlidingWindowLimiter implements Limiter {
  readonly #counter: SlidingWindowCounter;
  constructor(periodMs: number, clock: Clock) {
    this.#counter = new SlidingWindowCounter({ windowMs: periodMs }, clock);
  }
  used(key: string): number {
    return this.#counter.total(key);
  }
  msUntilUsedAtMost(key: string, target: number): number {
    return this.#counter.msUntilTotalAtMost(key, target);
  }
  add(key: string, count: number): void {
    this.#counter.add(key, count);
  }
  trackedKeys(): number {
    return this.#counter.trackedKeys();
  }
}

/**
 * Token bucket kept in exact integers: levels are "call-milliseconds" (calls x periodMs), and
 * a millisecond of elapsed time refills `calls` of them, so there is no floating-point drift.
 * The stored level is what has been used (capacity minus tokens), which can exceed capacity
 * after end-of-outbound increments (a debt that must refill first).
 */
class TokenBucketLimiter implements Limiter {
  readonly #calls: number;
  readonly #periodMs: number;
  readonly #clock: Clock;
  readonly #used = new Map<string, { level: number; at: number }>();
  #opsSinceSweep = 0;

  constructor(calls: number, periodMs: number, clock: Clock) {
    this.#calls = calls;
    this.#periodMs = periodMs;
    this.#clock = clock;
  }
  #level(key: string): number {
    const state = this.#used.get(key);
    if (!state) return 0;
    const now = this.#clock.now();
    const level = Math.max(0, state.level - (now - state.at) * this.#calls);
    if (level === 0) this.#used.delete(key);
    else {
      state.level = level;
      state.at = now;
    }
    return level;
  }
  used(key: string): number {
    return this.#level(key) / this.#periodMs;
  }
  msUntilUsedAtMost(key: string, target: number): number {
    if (target < 0) return Infinity;
    const excess = this.#level(key) - target * this.#periodMs;
    if (excess <= 0) return 0;
    if (this.#calls === 0) return Infinity;
    return Math.ceil(excess / this.#calls);
  }
  add(key: string, count: number): void {
    const level = this.#level(key) + count * this.#periodMs;
    this.#used.set(key, { level, at: this.#clock.now() });
    if (++this.#opsSinceSweep >= 1024) {
      this.#opsSinceSweep = 0;
      for (const k of [...this.#used.keys()]) this.#level(k);
    }
  }
  trackedKeys(): number {
    return this.#used.size;
  }
}

export class RateLimitByKey {
  readonly calls: number;
  readonly renewalPeriodSeconds: number;
  readonly algorithm: RateLimitAlgorithm;
  readonly #limiter: SlidingWindowLimiter | TokenBucketLimiter;

  constructor(options: RateLimitByKeyOptions, clock: Clock) {
    const { calls, renewalPeriodSeconds } = options;
    if (!Number.isInteger(calls) || calls < 0) throw new RangeError(`rate-limit-by-key: calls must be a non-negative integer, got ${calls}`);
    if (!Number.isInteger(renewalPeriodSeconds) || renewalPeriodSeconds < 1 || renewalPeriodSeconds > MAX_RENEWAL_PERIOD_SECONDS) {
      throw new RangeError(
        `rate-limit-by-key: renewal-period must be a whole number of seconds from 1 to ${MAX_RENEWAL_PERIOD_SECONDS}, got ${renewalPeriodSeconds}`,
      );
    }
    this.calls = calls;
    this.renewalPeriodSeconds = renewalPeriodSeconds;
    this.algorithm = options.algorithm ?? 'sliding-window';
    const periodMs = renewalPeriodSeconds * 1000;
    this.#limiter =
      this.algorithm === 'token-bucket' ? new TokenBucketLimiter(calls, periodMs, clock) : new SlidingWindowLimiter(periodMs, clock);
  }

  /** Admits and counts `count` calls if they all fit, else rejects without counting. */
  tryIncrement(key: string, count = 1): RateLimitDecision {
    assertCount(count);
    const decision = this.#decide(key, count);
    if (decision.allowed) {
      this.#limiter.add(key, count);
      return { allowed: true, limit: this.calls, remaining: this.#remaining(key) };
    }
    return decision;
  }

  /**
   * Inbound half of the end-of-outbound mode. Counts nothing. Rejects only when earlier
   * increments have already pushed the counter over `calls` (the exceeded condition is
   * evaluated "on next incoming call" [DOC RLK]); Retry-After is the time until it is back
   * at `calls`. `remaining` is what is left before this call is counted.
   */
  check(key: string): RateLimitDecision {
    const used = this.#limiter.used(key);
    if (used <= this.calls) return { allowed: true, limit: this.calls, remaining: this.#remaining(key) };
    return { allowed: false, limit: this.calls, remaining: 0, retryAfterSeconds: this.#retryAfter(this.#limiter.msUntilUsedAtMost(key, this.calls)) };
  }

  /** Outbound half of the end-of-outbound mode: counts `count` calls unconditionally. */
  increment(key: string, count = 1): void {
    assertCount(count);
    if (count > 0) this.#limiter.add(key, count);
  }

  /** Calls left before the limit (what remaining-calls-header-name reports). */
  remaining(key: string): number {
    return this.#remaining(key);
  }

  /** Keys held in memory (idle keys are dropped). */
  trackedKeys(): number {
    return this.#limiter.trackedKeys();
  }

  #remaining(key: string): number {
    return Math.max(0, Math.floor(this.calls - this.#limiter.used(key)));
  }

  #decide(key: string, count: number): RateLimitDecision {
    const used = this.#limiter.used(key);
    if (count <= this.calls && used + count <= this.calls) {
      return { allowed: true, limit: this.calls, remaining: this.#remaining(key) };
    }
    const waitMs = count > this.calls ? Infinity : this.#limiter.msUntilUsedAtMost(key, this.calls - count);
    return { allowed: false, limit: this.calls, remaining: 0, retryAfterSeconds: this.#retryAfter(waitMs) };
  }

  /** A wait that no refill or expiry can end (count > calls, or a calls=0 token bucket) is reported as the full period. */
  #retryAfter(waitMs: number): number {
    return Number.isFinite(waitMs) ? retryAfterSecondsFromMs(waitMs) : this.renewalPeriodSeconds;
  }
}

function assertCount(count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`increment count must be a non-negative integer, got ${count}`);
}
