/**
 * A per-key sliding-window sum: how much was added under a key during the last `windowMs`.
 * The classic-tier rate limiter is a sliding window [DOC THR]; rate-limit-by-key and the
 * tokens-per-minute side of llm-token-limit both count with this.
 *
 * Amounts are grouped into buckets of `bucketMs` (default 1 ms, i.e. exact). A bucket starting
 * at `s` counts while `now < s + windowMs`, so with 1 s buckets an amount added at 0.9 s leaves
 * the window at 60 s rather than 60.9 s: up to one bucket early. That keeps memory at most
 * windowMs / bucketMs entries per key; the docs call the limiters approximate anyway
 * ("rate limiting is never completely accurate" [INC-GW]).
 */
import type { Clock } from '../../shared/clock.ts';

export interface SlidingWindowCounterOptions {
  windowMs: number;
  /** Bucket width in ms; 1 (the default) keeps exact timestamps. */
  bucketMs?: number;
}

interface Entry {
  start: number;
  amount: number;
}

interface KeyState {
  entries: Entry[];
  sum: number;
}

// Keys whose amounts have all expired are dropped on access, and every this many additions
// all keys are swept, so a stream of one-off keys cannot grow memory without bound.
const SWEEP_EVERY = 1024;

export class SlidingWindowCounter {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly #clock: Clock;
  readonly #keys = new Map<string, KeyState>();
  #addsSinceSweep = 0;

  constructor(options: SlidingWindowCounterOptions, clock: Clock) {
    const bucketMs = options.bucketMs ?? 1;
    if (!Number.isInteger(options.windowMs) || options.windowMs <= 0) {
      throw new RangeError(`windowMs must be a positive integer, got ${options.windowMs}`);
    }
    if (!Number.isInteger(bucketMs) || bucketMs <= 0 || bucketMs > options.windowMs) {
      throw new RangeError(`bucketMs must be a positive integer no larger than windowMs, got ${bucketMs}`);
    }
    this.windowMs = options.windowMs;
    this.bucketMs = bucketMs;
    this.#clock = clock;
  }

  /** The sum added under `key` within the window ending now. */
  total(key: string): number {
    return this.#current(key)?.sum ?? 0;
  }

  /** Adds a non-negative amount under `key` now. */
  add(key: string, amount: number): void {
    if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`amount must be a finite non-negative number, got ${amount}`);
    if (amount === 0) return;
    const now = this.#clock.now();
    const start = now - (now % this.bucketMs);
    let state = this.#current(key);
    if (!state) {
      state = { entries: [], sum: 0 };
      this.#keys.set(key, state);
    }
    const last = state.entries[state.entries.length - 1];
    if (last && last.start === start) last.amount += amount;
    else state.entries.push({ start, amount });
    state.sum += amount;
    if (++this.#addsSinceSweep >= SWEEP_EVERY) this.sweep();
  }

  /**
   * Milliseconds until the total under `key` is at most `target` (0 if it already is), as
   * the oldest amounts leave the window. Infinity for a negative target, which no expiry
   * can reach.
   */
  msUntilTotalAtMost(key: string, target: number): number {
    const state = this.#current(key);
    const sum = state?.sum ?? 0;
    if (sum <= target) return 0;
    if (target < 0 || !state) return Infinity;
    const now = this.#clock.now();
    let remaining = sum;
    for (const entry of state.entries) {
      remaining -= entry.amount;
      if (remaining <= target) return entry.start + this.windowMs - now;
    }
    return Infinity; // unreachable: remaining reaches 0 <= target
  }

  /** Drops every key whose amounts have all left the window. */
  sweep(): void {
    this.#addsSinceSweep = 0;
    for (const key of [...this.#keys.keys()]) this.#current(key);
  }

  /** Number of keys held in memory. */
  trackedKeys(): number {
    return this.#keys.size;
  }

  /** Number of buckets held for `key` (for tests that memory stays bounded). */
  retainedEntries(key: string): number {
    return this.#keys.get(key)?.entries.length ?? 0;
  }

  /** The key's state with expired buckets removed; undefined (and forgotten) when empty. */
  #current(key: string): KeyState | undefined {
    const state = this.#keys.get(key);
    if (!state) return undefined;
    const cutoff = this.#clock.now() - this.windowMs;
    let drop = 0;
    while (drop < state.entries.length && (state.entries[drop] as Entry).start <= cutoff) {
      state.sum -= (state.entries[drop] as Entry).amount;
      drop++;
    }
    if (drop > 0) state.entries.splice(0, drop);
    if (state.entries.length === 0) {
      this.#keys.delete(key);
      return undefined;
    }
    return state;
  }
}
