/**
 * The reference circuit breaker, replayed over the ledger: which backend answers count as
 * failures, and when a breaker must have opened: APIM's rule of `count` failures within
 * `interval` (counting 'sliding-window'), or nginx's passive ejection (counting 'nginx-passive',
 * expectations.ts says how it differs). The verifiers decide from the ledger (the oracle) so
 * that the same checks hold against a real APIM, whose breaker state cannot be read
 * [research §1], and against a gateway nobody here wrote.
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
  /**
   * The failures that made it trip, oldest first: for a sliding window the `count` within the
   * interval; for nginx those since its count was last reset (or since `from`, once a server
   * ejected before is ejected again by one more failure).
   */
  counted: RequestRecord[];
  /**
   * nginx-passive only: when the server can be picked again, the end of the ejection in whole
   * seconds (the second of the last failure + fail_timeout + 1 s), later when a failure already
   * in flight at `at` ended during the ejection and restarted it.
   */
  openUntil?: number;
}

/**
 * The first moment at or after `from` when the breaker must open. Sliding window: when `count`
 * failures (by the time their answer ended, at or after `from`) fall within `interval`.
 * Failures that ended before `from` do not count: the breaker was open (their answers are
 * ignored) or had just closed ("the circuit resets"). nginx-passive: the first failure ending
 * at or after `from` that leaves nginx's count at max_fails or more, the count having been kept
 * from the start of `records` (nginx forgets no failure on a timer). `records` are one
 * instance's requests to one backend.
 */
export function nextTrip(records: readonly RequestRecord[], breaker: BreakerExpectation, from: number): ModelTrip | null {
  if (breaker.counting === 'nginx-passive') return nextEjection(records, breaker, from);
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

/**
 * nginx's passive ejection replayed over one instance's requests to one server, as
 * ngx_http_upstream_get_peer and ngx_http_upstream_free_round_robin_peer
 * (src/http/ngx_http_upstream_round_robin.c, release-1.22.1) keep it, per server:
 * - picked at second S (the request's start): if S − checked > fail_timeout, checked = S;
 * - failed at second S (its answer's end): fails + 1, accessed = checked = S;
 * - succeeded: if accessed < checked (a pick came more than fail_timeout after the last
 *   failure), fails = 0;
 * - skipped while fails ≥ max_fails and now − checked ≤ fail_timeout (whole seconds).
 * Every failure that leaves fails ≥ max_fails (re)starts an ejection: a trip. The ledger's
 * clock stands in for nginx's (the same wall clock, read a few ms earlier for a pick and later
 * for a failure), so an event within a few ms of a second's boundary may fall in the other
 * second; the verifiers' tolerance absorbs that. Two nginx rules the ledger cannot see are left
 * out: a failure on a request's last try is handed to the client and recorded as a success,
 * and a client that gave up (`client-closed`) ends the attempt as a success; both are taken
 * as neither (with a backup server, a PTU attempt is never the last try).
 */
interface Ejections {
  /** The failures, by the end of their answer. */
  failures: readonly RequestRecord[];
  /** nginx's count after each failure. */
  countAfter: ReadonlyMap<RequestRecord, number>;
  /** Each failure that left the count at max_fails or more: its index, the index of the first failure counted since the last reset, and when the ejection ended. */
  trips: readonly { failure: number; sinceReset: number; openUntil: number }[];
}

const ejectionsByList = new WeakMap<readonly RequestRecord[], { length: number; byRule: Map<BreakerExpectation, Ejections> }>();

function ejections(records: readonly RequestRecord[], breaker: BreakerExpectation): Ejections {
  let cached = ejectionsByList.get(records);
  if (!cached || cached.length !== records.length) {
    cached = { length: records.length, byRule: new Map() };
    ejectionsByList.set(records, cached);
  }
  let found = cached.byRule.get(breaker);
  if (!found) {
    found = replayEjections(records, breaker);
    cached.byRule.set(breaker, found);
  }
  return found;
}

function replayEjections(records: readonly RequestRecord[], breaker: BreakerExpectation): Ejections {
  const failTimeout = Math.floor(breaker.tripDurationMs / 1000);
  const second = (t: number): number => Math.floor(t / 1000);
  // Picks before answers at the same moment: a request is picked before it is answered.
  const events: { at: number; record: RequestRecord; pick: boolean }[] = [];
  for (const record of records) events.push({ at: record.start, record, pick: true }, { at: record.end, record, pick: false });
  events.sort((a, b) => a.at - b.at || Number(b.pick) - Number(a.pick) || a.record.seq - b.record.seq);
  const failures: RequestRecord[] = [];
  const countAfter = new Map<RequestRecord, number>();
  const trips: { failure: number; sinceReset: number; openUntil: number }[] = [];
  let fails = 0;
  let accessed = Number.NEGATIVE_INFINITY;
  let checked = Number.NEGATIVE_INFINITY;
  let sinceReset = 0;
  for (const event of events) {
    const now = second(event.at);
    if (event.pick) {
      if (now - checked > failTimeout) checked = now;
    } else if (isBreakerFailure(event.record, breaker)) {
      fails++;
      accessed = checked = now;
      countAfter.set(event.record, fails);
      failures.push(event.record);
      if (fails >= breaker.count) trips.push({ failure: failures.length - 1, sinceReset, openUntil: 0 });
    } else if (event.record.reason !== 'client-closed' && accessed < checked) {
      fails = 0;
      sinceReset = failures.length;
    }
  }
  // Each ejection lasts until fail_timeout + 1 whole seconds after the second of its failure,
  // restarted by a failure of a request already sent when it began.
  for (const trip of trips) {
    const at = (failures[trip.failure] as RequestRecord).end;
    let until = (second(at) + failTimeout + 1) * 1000;
    for (let i = trip.failure + 1; i < failures.length && (failures[i] as RequestRecord).end < until; i++) {
      const failure = failures[i] as RequestRecord;
      if (failure.start <= at) until = Math.max(until, (second(failure.end) + failTimeout + 1) * 1000);
    }
    trip.openUntil = until;
  }
  return { failures, countAfter, trips };
}

function nextEjection(records: readonly RequestRecord[], breaker: BreakerExpectation, from: number): ModelTrip | null {
  const { failures, trips } = ejections(records, breaker);
  let low = 0;
  let high = trips.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((failures[(trips[middle] as Ejections['trips'][number]).failure] as RequestRecord).end < from) low = middle + 1;
    else high = middle;
  }
  const trip = trips[low];
  if (!trip) return null;
  const completing = failures[trip.failure] as RequestRecord;
  const first = Math.min(trip.failure, Math.max(trip.sinceReset, firstEndingAtOrAfter(failures, from)));
  return { at: completing.end, completing, counted: failures.slice(first, trip.failure + 1), openUntil: trip.openUntil };
}

/**
 * nginx-passive: nginx's failure count right after `failure` (one of `records`), replayed from
 * the start of `records`; 0 for a record that is not a failure.
 */
export function nginxCountAfter(records: readonly RequestRecord[], breaker: BreakerExpectation, failure: RequestRecord): number {
  return ejections(records, breaker).countAfter.get(failure) ?? 0;
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
  if (breaker.counting === 'nginx-passive') {
    // nginx never reads Retry-After; its clock counts whole seconds from the failure's second.
    const failTimeout = Math.floor(breaker.tripDurationMs / 1000);
    return { ms: (Math.floor(completing.end / 1000) + failTimeout + 1) * 1000 - completing.end, source: nginxTripSource(breaker) };
  }
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

/**
 * How long a modelled trip should last: for nginx the ejection the replay computed (restarted
 * by failures already in flight), otherwise expectedTripMs for the answer that tripped it.
 */
export function modelTripMs(breaker: BreakerExpectation, trip: ModelTrip, fault: FaultRule | null, mode: RetryAfterMode = 'replace'): { ms: number | null; source: string } {
  if (trip.openUntil !== undefined) return { ms: trip.openUntil - trip.at, source: nginxTripSource(breaker) };
  return expectedTripMs(breaker, trip.completing, fault, mode);
}

function nginxTripSource(breaker: BreakerExpectation): string {
  return `fail_timeout ${Math.floor(breaker.tripDurationMs / 1000)} s in whole seconds, from the last failure's second`;
}
