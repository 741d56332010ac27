/**
 * The counter behind `quota-by-key` [DOC QBK]: a call volume and/or bandwidth quota per
 * counter key over a fixed window. Over quota the gateway answers 403 with Retry-After in
 * seconds.
 *
 * Documented behaviour this follows [DOC QBK]:
 * - `calls` and/or `bandwidth` (kilobytes); at least one is required.
 * - `renewal-period` in seconds is a fixed window, minimum 300; 0 means the quota never resets.
 * - Windows are aligned to `first-period-start` (default 0001-01-01T00:00:00Z): window n
 *   covers [start + n*period, start + (n+1)*period), not periods from when the policy was saved.
 * - Quotas are a single counter per instance [DOC THR]; one object models that counter.
 *
 * Usage: `tryIncrement(key)` at inbound counts the call. Bandwidth is only known after the
 * response, so `addBandwidth(key, bytes)` charges it afterwards, and the next call is checked
 * against it. For expression-based increment-condition the engine uses `check(key)` in
 * inbound and `increment(key, calls)` after the response, as for rate-limit-by-key.
 *
 * Choices where the docs are silent:
 * - A kilobyte is 1024 bytes.
 * - Bandwidth cannot be known before the response, so a call is rejected for bandwidth only
 *   once the window's bytes have reached the quota; the call that crosses it completes.
 * - With increment-count n, a call is admitted only if all n fit (used + n <= calls).
 * - `check(key)` (the end-of-increment mode) rejects once the calls counter has reached
 *   `calls`; unlike rate-limit-by-key the docs describe no one-call lag for quotas.
 * - With renewal-period 0 a rejected call gets no Retry-After (`retryAfterSeconds` undefined):
 *   the quota never replenishes.
 * - Counts that land in a window after the one the call was admitted in (a response finishing
 *   after the boundary) count in the new window.
 */
import type { Clock } from '../../shared/clock.ts';

export interface QuotaByKeyOptions {
  calls?: number;
  /** Kilobytes (1024 bytes) of request plus response per window. */
  bandwidthKilobytes?: number;
  /** Seconds; at least 300, or 0 for a quota that never resets. */
  renewalPeriodSeconds: number;
  /** ISO-8601 date-time or epoch ms; default 0001-01-01T00:00:00Z. */
  firstPeriodStart?: string | number;
}

export type QuotaDecision =
  | { allowed: true; remainingCalls?: number; remainingKilobytes?: number }
  | { allowed: false; reason: 'calls' | 'bandwidth'; retryAfterSeconds: number | undefined };

/** renewal-period minimum [DOC QBK]. */
export const MIN_QUOTA_RENEWAL_PERIOD_SECONDS = 300;

/** 0001-01-01T00:00:00Z, the documented default first-period-start. Date.UTC(1, ...) would mean 1901. */
export const DEFAULT_FIRST_PERIOD_START_MS = Date.parse('0001-01-01T00:00:00Z');

const BYTES_PER_KILOBYTE = 1024;

interface WindowState {
  windowStart: number;
  calls: number;
  bytes: number;
}

export class QuotaByKey {
  readonly calls: number | undefined;
  readonly bandwidthKilobytes: number | undefined;
  readonly renewalPeriodSeconds: number;
  readonly firstPeriodStartMs: number;
  readonly #clock: Clock;
  readonly #periodMs: number;
  readonly #windows = new Map<string, WindowState>();
  #opsSinceSweep = 0;

  constructor(options: QuotaByKeyOptions, clock: Clock) {
    const { calls, bandwidthKilobytes, renewalPeriodSeconds } = options;
    if (calls === undefined && bandwidthKilobytes === undefined) {
      throw new RangeError('quota-by-key: calls or bandwidth (or both) must be set');
    }
    if (calls !== undefined && (!Number.isInteger(calls) || calls < 0)) {
      throw new RangeError(`quota-by-key: calls must be a non-negative integer, got ${calls}`);
    }
    if (bandwidthKilobytes !== undefined && (!Number.isInteger(bandwidthKilobytes) || bandwidthKilobytes < 0)) {
      throw new RangeError(`quota-by-key: bandwidth must be a non-negative integer of kilobytes, got ${bandwidthKilobytes}`);
    }
    if (
      !Number.isInteger(renewalPeriodSeconds) ||
      (renewalPeriodSeconds !== 0 && renewalPeriodSeconds < MIN_QUOTA_RENEWAL_PERIOD_SECONDS)
    ) {
      throw new RangeError(
        `quota-by-key: renewal-period must be 0 (never resets) or a whole number of seconds of at least ${MIN_QUOTA_RENEWAL_PERIOD_SECONDS}, got ${renewalPeriodSeconds}`,
      );
    }
    const firstPeriodStartMs =
      options.firstPeriodStart === undefined
        ? DEFAULT_FIRST_PERIOD_START_MS
        : typeof options.firstPeriodStart === 'number'
          ? options.firstPeriodStart
          : Date.parse(options.firstPeriodStart);
    if (!Number.isFinite(firstPeriodStartMs)) {
      throw new RangeError(`quota-by-key: first-period-start "${String(options.firstPeriodStart)}" is not a valid date-time`);
    }
    this.calls = calls;
    this.bandwidthKilobytes = bandwidthKilobytes;
    this.renewalPeriodSeconds = renewalPeriodSeconds;
    this.firstPeriodStartMs = firstPeriodStartMs;
    this.#clock = clock;
    this.#periodMs = renewalPeriodSeconds * 1000;
  }

  /** The current window as [start, end) epoch ms; end is Infinity for renewal-period 0. */
  currentWindow(): { start: number; end: number } {
    const now = this.#clock.now();
    if (this.#periodMs === 0) return { start: this.firstPeriodStartMs, end: Infinity };
    // Floor division also covers times before first-period-start (negative n).
    const n = Math.floor((now - this.firstPeriodStartMs) / this.#periodMs);
    const start = this.firstPeriodStartMs + n * this.#periodMs;
    return { start, end: start + this.#periodMs };
  }

  /** Admits and counts `count` calls if the quota allows, else rejects without counting. */
  tryIncrement(key: string, count = 1): QuotaDecision {
    assertCount(count);
    const decision = this.#decide(key, count);
    if (!decision.allowed) return decision;
    this.increment(key, count);
    return this.#allowed(key);
  }

  /** Would a call be admitted now? Counts nothing. */
  check(key: string): QuotaDecision {
    return this.#decide(key, 1);
  }

  /** Counts `count` calls unconditionally (end-of-outbound increment). */
  increment(key: string, count = 1): void {
    assertCount(count);
    this.#state(key).calls += count;
    this.#maybeSweep();
  }

  /** Charges request plus response bytes after the response. */
  addBandwidth(key: string, bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bytes must be a finite non-negative number, got ${bytes}`);
    this.#state(key).bytes += bytes;
    this.#maybeSweep();
  }

  /** Calls and bytes counted in the current window. */
  usage(key: string): { calls: number; bytes: number } {
    const state = this.#current(key);
    return { calls: state?.calls ?? 0, bytes: state?.bytes ?? 0 };
  }

  /** Keys held in memory (keys from past windows are dropped). */
  trackedKeys(): number {
    return this.#windows.size;
  }

  #decide(key: string, count: number): QuotaDecision {
    const { calls, bytes } = this.usage(key);
    if (this.calls !== undefined && calls + count > this.calls) return this.#rejected('calls');
    if (this.bandwidthKilobytes !== undefined && bytes >= this.bandwidthKilobytes * BYTES_PER_KILOBYTE) return this.#rejected('bandwidth');
    return this.#allowed(key);
  }

  #allowed(key: string): QuotaDecision {
    const { calls, bytes } = this.usage(key);
    const decision: { allowed: true; remainingCalls?: number; remainingKilobytes?: number } = { allowed: true };
    if (this.calls !== undefined) decision.remainingCalls = Math.max(0, this.calls - calls);
    if (this.bandwidthKilobytes !== undefined) {
      decision.remainingKilobytes = Math.max(0, Math.floor((this.bandwidthKilobytes * BYTES_PER_KILOBYTE - bytes) / BYTES_PER_KILOBYTE));
    }
    return decision;
  }

  #rejected(reason: 'calls' | 'bandwidth'): QuotaDecision {
    const { end } = this.currentWindow();
    // Retry-After runs to the end of the fixed window, when the quota replenishes [DOC QBK].
    const retryAfterSeconds = Number.isFinite(end) ? Math.max(1, Math.ceil((end - this.#clock.now()) / 1000)) : undefined;
    return { allowed: false, reason, retryAfterSeconds };
  }

  /** The key's counters for the current window, or undefined; a state from an earlier window is dropped. */
  #current(key: string): WindowState | undefined {
    const { start } = this.currentWindow();
    const state = this.#windows.get(key);
    if (state && state.windowStart === start) return state;
    if (state) this.#windows.delete(key);
    return undefined;
  }

  /** The key's counters for the current window, created empty when missing. */
  #state(key: string): WindowState {
    const existing = this.#current(key);
    if (existing) return existing;
    const fresh = { windowStart: this.currentWindow().start, calls: 0, bytes: 0 };
    this.#windows.set(key, fresh);
    return fresh;
  }

  #maybeSweep(): void {
    if (++this.#opsSinceSweep < 1024) return;
    this.#opsSinceSweep = 0;
    const { start } = this.currentWindow();
    for (const [key, state] of this.#windows) if (state.windowStart !== start) this.#windows.delete(key);
  }
}

function assertCount(count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`increment count must be a non-negative integer, got ${count}`);
}
