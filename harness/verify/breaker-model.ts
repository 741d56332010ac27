/**
 * The reference circuit breaker, replayed over the ledger: which backend answers count as
 * failures, and when a rule of `count` failures within `interval` must have opened. The
 * verifiers decide from the ledger (the oracle) so that the same checks hold against a real
 * APIM, whose breaker state cannot be read [research §1].
 */
import type { FaultRule } from '../contracts/fault-rule.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { BreakerExpectation } from './expectations.ts';

export const DEFAULT_FAILURE_RANGES: readonly { min: number; max: number }[] = [
  { min: 429, max: 429 },
  { min: 500, max: 599 },
];

/**
 * Whether a backend answer counts toward a breaker: a status in the rule's ranges, or no
 * response at all (status 0: reset, refused), which the emulator's breaker counts. A client
 * that gave up (499, client-closed) is not the backend failing.
 */
export function isBreakerFailure(record: Pick<RequestRecord, 'status' | 'reason'>, breaker?: BreakerExpectation): boolean {
  if (record.reason === 'client-closed') return false;
  if (record.status === 0) return true;
  const ranges = breaker?.failureStatusRanges ?? DEFAULT_FAILURE_RANGES;
  return ranges.some((r) => record.status >= r.min && record.status <= r.max);
}

export interface ModelTrip {
  /** When the breaker must open: the end of the failure that completed the count. */
  at: number;
  completing: RequestRecord;
  /** The `count` failures within the interval that made it trip, oldest first. */
  counted: RequestRecord[];
}

/**
 * The first moment at or after `from` when `count` failures (by the time their answer
 * ended, at or after `from`) fall within `interval`: the breaker must open then. Failures
 * that ended before `from` do not count: the breaker was open (their answers are ignored) or
 * had just closed ("the circuit resets"). `records` are one instance's requests to one backend.
 */
export function nextTrip(records: readonly RequestRecord[], breaker: BreakerExpectation, from: number): ModelTrip | null {
  const failures = sortedFailures(records, breaker);
  const first = firstEndingAtOrAfter(failures, from);
  // failures[oldest..i] is the window: the failures that ended within `interval` of failure i.
  let oldest = first;
  for (let i = first; i < failures.length; i++) {
    const failure = failures[i] as RequestRecord;
    while ((failures[oldest] as RequestRecord).end <= failure.end - breaker.intervalMs) oldest++;
    if (i - oldest + 1 >= breaker.count) return { at: failure.end, completing: failure, counted: failures.slice(i - breaker.count + 1, i + 1) };
  }
  return null;
}

/**
 * A record list's breaker failures sorted by the end of their answer, kept per list and rule:
 * a replay calls nextTrip once per trip, and a saturated PTU trips its breaker thousands of
 * times in a long run, so filtering and sorting every time made the replay quadratic (54 s of
 * the analysis of a 10-minute run at 1,000 requests per second, bench:analysis). A list whose
 * length changed since is sorted again.
 */
const failuresByList = new WeakMap<readonly RequestRecord[], { length: number; byRule: Map<BreakerExpectation, readonly RequestRecord[]> }>();

function sortedFailures(records: readonly RequestRecord[], breaker: BreakerExpectation): readonly RequestRecord[] {
  let cached = failuresByList.get(records);
  if (!cached || cached.length !== records.length) {
    cached = { length: records.length, byRule: new Map() };
    failuresByList.set(records, cached);
  }
  let failures = cached.byRule.get(breaker);
  if (!failures) {
    failures = records.filter((r) => isBreakerFailure(r, breaker)).sort((a, b) => a.end - b.end || a.seq - b.seq);
    cached.byRule.set(breaker, failures);
  }
  return failures;
}

/** The index of the first failure whose answer ended at or after `from` (binary search). */
function firstEndingAtOrAfter(failures: readonly RequestRecord[], from: number): number {
  let low = 0;
  let high = failures.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((failures[middle] as RequestRecord).end < from) low = middle + 1;
    else high = middle;
  }
  return low;
}

export type RetryAfterMode = 'replace' | 'max';

/**
 * How long a trip should last: the rule's tripDuration, or with acceptRetryAfter the
 * Retry-After of the answer that tripped it. The ledger does not keep response headers, so
 * the Retry-After is known only for injected status faults: the rule's retryAfterSeconds, and
 * for an injected 429 without one the fleet's default of 1 s. A real 429 (PTU utilization,
 * PAYG quota) carries a Retry-After the ledger did not record: null (unknown). `mode` is how a
 * Retry-After shorter than tripDuration is taken: 'replace' (the emulator's choice) or 'max'.
 */
export function expectedTripMs(breaker: BreakerExpectation, completing: RequestRecord, fault: FaultRule | null, mode: RetryAfterMode = 'replace'): { ms: number | null; source: string } {
  const tripDuration = { ms: breaker.tripDurationMs, source: `tripDuration ${breaker.tripDurationMs / 1000} s` };
  if (!breaker.acceptRetryAfter) return tripDuration;
  let retryAfterSeconds: number | undefined;
  if (completing.reason === 'fault:status' && fault && fault.kind === 'status') {
    retryAfterSeconds = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
  } else if (completing.status === 429) {
    return { ms: null, source: `the backend's Retry-After (acceptRetryAfter), which the ledger does not record` };
  }
  if (retryAfterSeconds === undefined || retryAfterSeconds <= 0) return tripDuration;
  const retryMs = retryAfterSeconds * 1000;
  if (mode === 'max' && breaker.tripDurationMs > retryMs) return tripDuration;
  return { ms: retryMs, source: `Retry-After ${retryAfterSeconds} s (acceptRetryAfter)` };
}
