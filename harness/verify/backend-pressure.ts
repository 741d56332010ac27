/**
 * When was a backend "saturated or tripped"? Spillover and priority routing allow PAYG only
 * while the region's PTU deployments are, and excuse a client 429 only while PAYG is. The
 * answer comes from evidence a real APIM run also has:
 *
 * 1. the backend refused: any answer its breaker would count (429 of any reason: PTU
 *    utilization, PAYG tpm/rpm/capacity, an injected one; 5xx; no response), from that answer's
 *    start until `lookbackMs` after its end (a request in that window follows saturation);
 * 2. its breaker must have been open: the reference breaker (breaker-model.ts) replayed over the
 *    ledger trips at the end of the failure that completes the count, and stays open for the
 *    trip length: tripDuration, the Retry-After of an injected fault, or, for a real 429 whose
 *    Retry-After the ledger does not keep, the longer of tripDuration and `lookbackMs`;
 * 3. the breaker events say it was open (Opened to Closed, any gateway instance).
 *
 * Each window is widened by `slackMs` at its end. Deliberately lenient: a request inside any
 * of them is excused, so a failure verdict means the backend showed no sign of pressure at all.
 */
import type { FaultRule } from '../contracts/fault-rule.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { RunEvidence } from '../evidence/evidence-types.ts';
import { expectedTripMs, isBreakerFailure, nextTrip } from './breaker-model.ts';
import type { EvidenceIndex } from './evidence-index.ts';
import type { Expectations } from './expectations.ts';
import { fleetFaultSteps } from './fault-steps.ts';
import { union, type Interval } from './intervals.ts';

export interface PressureOptions {
  /** How long after a refusal a backend still counts as saturated. Default 10 s. */
  lookbackMs?: number;
  /** Added to the end of every window. Default: tolerances.tripDurationMs. */
  slackMs?: number;
}

export interface BackendPressure {
  /** Merged windows during which the backend was saturated or tripped. */
  windows: Interval[];
  /** The refusals behind them (ledger records), for examples. */
  refusals: RequestRecord[];
}

const cache = new WeakMap<RunEvidence, Map<string, BackendPressure>>();

export function backendPressure(evidence: RunEvidence, index: EvidenceIndex, expectations: Expectations, backend: string, options: PressureOptions = {}): BackendPressure {
  const lookback = options.lookbackMs ?? 10_000;
  const slack = options.slackMs ?? expectations.tolerances.tripDurationMs;
  const key = `${backend}|${lookback}|${slack}`;
  let perEvidence = cache.get(evidence);
  if (!perEvidence) cache.set(evidence, (perEvidence = new Map()));
  const cached = perEvidence.get(key);
  if (cached) return cached;

  const breaker = expectations.breakers[backend];
  const records = index.byBackend.get(backend) ?? [];
  const refusals = records.filter((r) => isBreakerFailure(r, breaker));
  const windows: Interval[] = refusals.map((r) => ({ from: r.start, to: r.end + lookback + slack }));

  if (breaker) {
    const faults = fleetFaultSteps(evidence).filter((s) => s.rule && s.appliedAt !== null && (s.rule.target.backend === undefined || s.rule.target.backend === backend));
    const faultAt = (t: number): FaultRule | null => faults.find((s) => (s.appliedAt as number) <= t && (s.clearedAt ?? Number.POSITIVE_INFINITY) >= t)?.rule ?? null;
    let from = Number.NEGATIVE_INFINITY;
    for (let guard = 0; guard < 100_000; guard++) {
      const trip = nextTrip(records, breaker, from);
      if (!trip) break;
      const expected = expectedTripMs(breaker, trip.completing, faultAt(trip.completing.start), 'max');
      const hold = expected.ms ?? Math.max(breaker.tripDurationMs, lookback);
      windows.push({ from: trip.at, to: trip.at + hold + slack });
      from = trip.at + Math.max(1, Math.min(hold, expected.ms ?? hold));
    }
  }

  const events = evidence.breakerEvents
    .filter((e) => e.data.backendName === backend || e.subject.includes(`/backends/${backend}/`))
    .map((e) => ({ at: Date.parse(e.eventTime), opened: e.eventType.endsWith('Opened'), region: e.region }))
    .filter((e) => Number.isFinite(e.at))
    .sort((a, b) => a.at - b.at);
  for (const opened of events.filter((e) => e.opened)) {
    const closed = events.find((e) => !e.opened && e.region === opened.region && e.at >= opened.at);
    windows.push({ from: opened.at, to: (closed?.at ?? opened.at + (breaker?.tripDurationMs ?? lookback)) + slack });
  }

  const result: BackendPressure = { windows: union(windows), refusals };
  perEvidence.set(key, result);
  return result;
}
