/**
 * The backend circuit breaker (`properties.circuitBreaker.rules[]` on a backend [SPEC-BE]).
 *
 * Documented behaviour this follows [DOC BK]:
 * - It trips on "three or more" failures (status codes in the configured ranges) within the
 *   interval; while tripped the gateway sends nothing to the backend and answers 503.
 * - "After the configured trip duration, the circuit resets and traffic resumes."
 * - With `acceptRetryAfter`, a `Retry-After` on the response sets how long to wait.
 * - Only one rule per backend is supported.
 * - State is per gateway instance (one CircuitBreaker object models one instance's view).
 *
 * Choices where the docs are silent (each is repeated at the code that makes it):
 * - No half-open / probe phase: none is documented, so the breaker simply closes at trip end.
 * - Connection failures (no HTTP response) count as failures. APIM's `errorReasons` are free
 *   text with no documented effect; we treat any transport failure as a failure instead.
 * - A `Retry-After` shorter than `tripDuration` replaces it by default (`retryAfterMode:
 *   'replace'`); `'max'` keeps the longer of the two.
 * - Only the response that trips the breaker can set the trip length from `Retry-After`.
 * - Responses that arrive while the breaker is open (requests already in flight) are ignored.
 * - The `Closed` event is emitted lazily, on the first query at or after the trip end (or on
 *   `poll()`), and carries the trip end as its time.
 */
import type { BreakerEvent } from '../../../harness/contracts/breaker-events.ts';
import type { Clock } from '../../shared/clock.ts';
import { formatHms, parseIsoDuration } from '../../shared/iso-duration.ts';

export interface StatusCodeRange {
  min: number;
  max: number;
}

export interface FailureCondition {
  /** Trips when this many failures (or more) fall within the interval. */
  count?: number;
  /** Trips when this percentage of requests (or more) within the interval failed. */
  percentage?: number;
  /** Sliding interval in milliseconds over which failures are counted. */
  interval: number;
  statusCodeRanges: readonly StatusCodeRange[];
  /** Kept for fidelity with the resource shape; free text in APIM with no documented effect. */
  errorReasons?: readonly string[];
}

export interface CircuitBreakerRule {
  name: string;
  failureCondition: FailureCondition;
  tripDurationMs: number;
  acceptRetryAfter: boolean;
}

export type RetryAfterMode = 'replace' | 'max';

export type CircuitBreakerEventType = 'CircuitBreaker.Opened' | 'CircuitBreaker.Closed';

export interface CircuitBreakerEvent {
  type: CircuitBreakerEventType;
  backendName: string;
  ruleName: string;
  /** Epoch ms: the trip time for Opened, the trip end for Closed. */
  at: number;
  /** Length of the trip in "hh:mm:ss" (TimeSpan) form, as the Event Grid events carry it. */
  tripDuration: string;
}

export type CircuitBreakerEventListener = (event: CircuitBreakerEvent) => void;

export interface CircuitBreakerOptions {
  /** Backend name for events; defaults to "backend". */
  backendName?: string;
  onEvent?: CircuitBreakerEventListener;
  /** How a Retry-After shorter than tripDuration is treated (docs silent). Default 'replace'. */
  retryAfterMode?: RetryAfterMode;
  /**
   * For a `percentage` rule: the fewest requests within the interval before the percentage is
   * judged (docs silent; without a floor one failed request out of one would be 100%). Default 10.
   */
  minimumRequestVolume?: number;
}

export const DEFAULT_MINIMUM_REQUEST_VOLUME = 10;

/** Requests and failures seen in one slice of the interval (percentage rules only). */
interface VolumeBucket {
  start: number;
  requests: number;
  failures: number;
}

// A percentage rule needs every request in the interval, not only failures. To keep memory
// bounded whatever the traffic, requests are counted in at most this many slices of the
// interval; a slice leaves the window when its start does, so the window edge is accurate to
// one slice (interval/1000), well inside APIM's own "approximate" tripping [DOC BK].
const MAX_VOLUME_BUCKETS = 1000;

/** Lists what is wrong with a rule (empty when it is usable). */
export function validateCircuitBreakerRule(rule: CircuitBreakerRule): string[] {
  const errors: string[] = [];
  const where = `circuit breaker rule "${rule.name}"`;
  if (!rule.name) errors.push('circuit breaker rule: name is required');
  const fc = rule.failureCondition;
  if (fc.count === undefined && fc.percentage === undefined) {
    errors.push(`${where}: failureCondition needs count or percentage`);
  }
  if (fc.count !== undefined && (!Number.isInteger(fc.count) || fc.count < 1)) {
    errors.push(`${where}: failureCondition.count must be an integer of at least 1, got ${fc.count}`);
  }
  if (fc.percentage !== undefined && (!Number.isFinite(fc.percentage) || fc.percentage <= 0 || fc.percentage > 100)) {
    errors.push(`${where}: failureCondition.percentage must be in (0, 100], got ${fc.percentage}`);
  }
  if (!Number.isFinite(fc.interval) || fc.interval <= 0) {
    errors.push(`${where}: failureCondition.interval must be a positive duration, got ${fc.interval} ms`);
  }
  for (const range of fc.statusCodeRanges) {
    if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min > range.max || range.min < 100 || range.max > 599) {
      errors.push(`${where}: status code range ${range.min}-${range.max} must be integers with 100 <= min <= max <= 599`);
    }
  }
  if (!Number.isFinite(rule.tripDurationMs) || rule.tripDurationMs <= 0) {
    errors.push(`${where}: tripDuration must be a positive duration, got ${rule.tripDurationMs} ms`);
  }
  return errors;
}

/**
 * Parses a Retry-After header value (delta-seconds or an HTTP-date, RFC 9110 §10.2.3) into
 * milliseconds from `nowMs`. Returns undefined for anything else (including fractional
 * seconds, which the RFC does not allow). A date in the past gives 0.
 */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP-date always has letters (day and month names); this keeps Date.parse from
  // accepting bare numbers or other odd forms.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const date = Date.parse(value);
  if (!Number.isFinite(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export class CircuitBreaker {
  readonly rule: CircuitBreakerRule;
  readonly backendName: string;
  readonly #clock: Clock;
  readonly #onEvent: CircuitBreakerEventListener | undefined;
  readonly #retryAfterMode: RetryAfterMode;
  readonly #minimumRequestVolume: number;
  readonly #bucketMs: number;
  /** Times of the most recent failures, oldest first; never more than `count` of them. */
  #failureTimes: number[] = [];
  /** Only used by percentage rules. */
  #buckets: VolumeBucket[] = [];
  #openUntil: number | undefined;
  #tripMs = 0;

  constructor(rule: CircuitBreakerRule, clock: Clock, options: CircuitBreakerOptions = {}) {
    const errors = validateCircuitBreakerRule(rule);
    if (errors.length > 0) throw new RangeError(errors.join('; '));
    const minimumRequestVolume = options.minimumRequestVolume ?? DEFAULT_MINIMUM_REQUEST_VOLUME;
    if (!Number.isInteger(minimumRequestVolume) || minimumRequestVolume < 1) {
      throw new RangeError(`minimumRequestVolume must be an integer of at least 1, got ${minimumRequestVolume}`);
    }
    this.rule = rule;
    this.backendName = options.backendName ?? 'backend';
    this.#clock = clock;
    this.#onEvent = options.onEvent;
    this.#retryAfterMode = options.retryAfterMode ?? 'replace';
    this.#minimumRequestVolume = minimumRequestVolume;
    this.#bucketMs = Math.max(1, Math.ceil(rule.failureCondition.interval / MAX_VOLUME_BUCKETS));
  }

  /** True while tripped: the gateway must not send to this backend [DOC BK]. */
  isOpen(): boolean {
    this.#closeIfExpired();
    return this.#openUntil !== undefined;
  }

  /** Epoch ms at which the current trip ends, or undefined when closed. */
  openUntil(): number | undefined {
    this.#closeIfExpired();
    return this.#openUntil;
  }

  /**
   * Emits a pending Closed event if the trip has ended. Queries do this too; poll() exists so
   * a scheduler can surface Closed events without waiting for traffic.
   */
  poll(): void {
    this.#closeIfExpired();
  }

  /** Records a backend response. `retryAfterHeader` is the raw Retry-After value, if any. */
  recordResponse(status: number, retryAfterHeader?: string): void {
    const failed = this.rule.failureCondition.statusCodeRanges.some((r) => status >= r.min && status <= r.max);
    this.#observe(failed, retryAfterHeader);
  }

  /**
   * Records a request that got no HTTP response (connection refused, reset, timeout).
   * Counted as a failure: APIM's `errorReasons` are free text with no documented effect
   * [SPEC-BE], and a backend that cannot be reached is the case a breaker exists for.
   */
  recordConnectionFailure(): void {
    this.#observe(true, undefined);
  }

  /**
   * Failures and requests currently inside the interval. Requests are only tracked for
   * percentage rules; for count rules `failures` is capped at `count` (older ones are dropped).
   */
  windowCounts(): { failures: number; requests: number } {
    this.#closeIfExpired();
    const now = this.#clock.now();
    this.#prune(now);
    if (this.rule.failureCondition.percentage !== undefined) {
      let requests = 0;
      let failures = 0;
      for (const b of this.#buckets) {
        requests += b.requests;
        failures += b.failures;
      }
      return { failures, requests };
    }
    return { failures: this.#failureTimes.length, requests: 0 };
  }

  /** How many entries are held in memory (for tests that memory stays bounded). */
  retainedEntries(): number {
    return this.#failureTimes.length + this.#buckets.length;
  }

  #observe(failed: boolean, retryAfterHeader: string | undefined): void {
    this.#closeIfExpired();
    // Responses to requests that were already in flight when the breaker tripped arrive while
    // it is open. The docs are silent; we ignore them so they neither extend the trip nor
    // pre-load the next window.
    if (this.#openUntil !== undefined) return;
    const now = this.#clock.now();
    this.#prune(now);
    const fc = this.rule.failureCondition;

    if (failed && fc.count !== undefined) {
      this.#failureTimes.push(now);
      // Only the latest `count` failures can decide a trip, so older ones are dropped:
      // memory stays at most `count` entries.
      if (this.#failureTimes.length > fc.count) this.#failureTimes.shift();
    }
    if (fc.percentage !== undefined) {
      const start = now - (now % this.#bucketMs);
      let last = this.#buckets[this.#buckets.length - 1];
      if (!last || last.start !== start) {
        last = { start, requests: 0, failures: 0 };
        this.#buckets.push(last);
      }
      last.requests += 1;
      if (failed) last.failures += 1;
    }

    // Evaluated when a failure arrives, so a trip is always caused by (and may take its
    // Retry-After from) a failing response.
    if (failed && this.#thresholdReached()) this.#trip(now, retryAfterHeader);
  }

  #thresholdReached(): boolean {
    const fc = this.rule.failureCondition;
    // "trips when there are three or more" [DOC BK]: >=, not >.
    if (fc.count !== undefined && this.#failureTimes.length >= fc.count) return true;
    if (fc.percentage !== undefined) {
      let requests = 0;
      let failures = 0;
      for (const b of this.#buckets) {
        requests += b.requests;
        failures += b.failures;
      }
      // How percentage combines with count and what minimum volume APIM uses are not
      // documented; we trip if either threshold is met, and judge the percentage only once
      // `minimumRequestVolume` requests are in the interval.
      if (requests >= this.#minimumRequestVolume && failures * 100 >= fc.percentage * requests) return true;
    }
    return false;
  }

  #trip(now: number, retryAfterHeader: string | undefined): void {
    let tripMs = this.rule.tripDurationMs;
    if (this.rule.acceptRetryAfter) {
      const retryAfterMs = parseRetryAfterMs(retryAfterHeader, now);
      // [DOC BK] "the circuit breaker accepts the value and waits for the specified time".
      // Whether a shorter value shortens the trip is not stated: 'replace' (default) uses it
      // as is, 'max' never goes below tripDuration. A zero value would make the trip a no-op,
      // so it is ignored and tripDuration applies.
      if (retryAfterMs !== undefined && retryAfterMs > 0) {
        tripMs = this.#retryAfterMode === 'replace' ? retryAfterMs : Math.max(tripMs, retryAfterMs);
      }
    }
    this.#openUntil = now + tripMs;
    this.#tripMs = tripMs;
    this.#emit('CircuitBreaker.Opened', now);
  }

  #closeIfExpired(): void {
    if (this.#openUntil === undefined || this.#clock.now() < this.#openUntil) return;
    const endedAt = this.#openUntil;
    this.#openUntil = undefined;
    // "the circuit resets": failures counted before the trip do not carry over.
    this.#failureTimes = [];
    this.#buckets = [];
    this.#emit('CircuitBreaker.Closed', endedAt);
  }

  /** Drops failures and slices that have left the sliding interval (now - interval, now]. */
  #prune(now: number): void {
    const interval = this.rule.failureCondition.interval;
    while (this.#failureTimes.length > 0 && (this.#failureTimes[0] as number) <= now - interval) this.#failureTimes.shift();
    while (this.#buckets.length > 0 && (this.#buckets[0] as VolumeBucket).start <= now - interval) this.#buckets.shift();
  }

  #emit(type: CircuitBreakerEventType, at: number): void {
    this.#onEvent?.({ type, backendName: this.backendName, ruleName: this.rule.name, at, tripDuration: formatHms(this.#tripMs) });
  }
}

/**
 * An Event Grid (EventGridSchema) event as APIM publishes it for breaker state changes [DOC EG]:
 * the contract harness/contracts/breaker-events.ts, less the `region` the gateway log sink adds.
 */
export type CircuitBreakerEventGridEvent = Omit<BreakerEvent, 'region'>;

/**
 * Shapes a breaker event like APIM's Event Grid event: subject
 * `/backends/{backend}/circuit-breaker/rules/{rule}`, data `{ backendName, circuitBreaker:
 * { rules: { [rule]: { tripDuration } } } }` [DOC EG]. Without an `id` the id is derived from
 * the event (no randomness, so runs are repeatable); dataVersion is not documented, we use "1".
 */
export function toEventGridEvent(event: CircuitBreakerEvent, options: { id?: string; topic?: string } = {}): CircuitBreakerEventGridEvent {
  const subject = `/backends/${event.backendName}/circuit-breaker/rules/${event.ruleName}`;
  const eventType = `Microsoft.ApiManagement.${event.type}` as const;
  const result: CircuitBreakerEventGridEvent = {
    id: options.id ?? `${eventType}:${event.backendName}:${event.ruleName}:${event.at}`,
    subject,
    eventType,
    eventTime: new Date(event.at).toISOString(),
    data: {
      backendName: event.backendName,
      circuitBreaker: { rules: { [event.ruleName]: { tripDuration: event.tripDuration } } },
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
  if (options.topic !== undefined) result.topic = options.topic;
  return result;
}

/** The circuit breaker rule as it appears in a backend resource (ISO-8601 durations) [SPEC-BE]. */
export interface ArmCircuitBreakerRule {
  name: string;
  tripDuration: string;
  acceptRetryAfter?: boolean;
  failureCondition: {
    count?: number;
    percentage?: number;
    interval: string;
    statusCodeRanges?: readonly StatusCodeRange[];
    errorReasons?: readonly string[];
  };
}

/**
 * Converts `properties.circuitBreaker.rules` to a rule. Undefined when there is none; an
 * error for more than one, because "only one rule per backend is currently supported" [DOC BK].
 * `acceptRetryAfter` defaults to false when absent.
 */
export function circuitBreakerRuleFromArm(rules: readonly ArmCircuitBreakerRule[] | undefined): CircuitBreakerRule | undefined {
  if (!rules || rules.length === 0) return undefined;
  if (rules.length > 1) {
    throw new RangeError(`a backend may have only one circuit breaker rule, got ${rules.length} (${rules.map((r) => r.name).join(', ')})`);
  }
  const arm = rules[0] as ArmCircuitBreakerRule;
  const failureCondition: FailureCondition = {
    interval: parseIsoDuration(arm.failureCondition.interval),
    statusCodeRanges: arm.failureCondition.statusCodeRanges ?? [],
  };
  if (arm.failureCondition.count !== undefined) failureCondition.count = arm.failureCondition.count;
  if (arm.failureCondition.percentage !== undefined) failureCondition.percentage = arm.failureCondition.percentage;
  if (arm.failureCondition.errorReasons !== undefined) failureCondition.errorReasons = arm.failureCondition.errorReasons;
  const rule: CircuitBreakerRule = {
    name: arm.name,
    failureCondition,
    tripDurationMs: parseIsoDuration(arm.tripDuration),
    acceptRetryAfter: arm.acceptRetryAfter ?? false,
  };
  const errors = validateCircuitBreakerRule(rule);
  if (errors.length > 0) throw new RangeError(errors.join('; '));
  return rule;
}
