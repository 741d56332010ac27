import type { ClientRecord } from '../../harness/contracts/client-record.ts';
import type { RequestRecord } from '../../harness/contracts/ledger-record.ts';

/**
 * What the run charts need of the two large evidence files (k6's samples, the fleet's ledger),
 * gathered in one pass that keeps no record: a long run's records are read, counted into
 * per-second buckets and dropped. The tallies are plain data (arrays, a Map), a few hundred
 * numbers per second of the run, so that one can be gathered in a worker thread and sent back
 * (reports/html/evidence-tallies.ts) for about nothing, where 600,000 records would cost as
 * much to send as to parse.
 */

/** The run's time axis: whole seconds from k6's start. */
export interface Clock {
  origin: number;
  seconds: number;
  x: number[];
  /** The second a time falls in, clamped into the run. */
  bucket(epochMs: number): number;
}

/** The clock of a run starting at `origin` (epoch ms) and lasting `seconds` whole seconds. */
export function clockAt(origin: number, seconds: number): Clock {
  return {
    origin,
    seconds,
    x: Array.from({ length: seconds }, (_, i) => i),
    bucket: (t) => Math.min(seconds - 1, Math.max(0, Math.floor((t - origin) / 1000))),
  };
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** Who answered a request, in the words of the status chart. */
export const statusClasses = ['ok (2xx/3xx)', 'gateway limit (429/403: token, rate, quota)', 'gateway, other', 'backend', 'front door', 'network (no response)'] as const;

function statusClassOf(r: ClientRecord): number {
  if (r.status === 0) return 5;
  if (r.status < 400) return 0;
  if (r.errorOrigin === 'backend') return 3;
  if (r.errorOrigin === 'frontdoor') return 4;
  if (r.gatewayReason === 'token-limit' || r.gatewayReason === 'token-quota' || r.gatewayReason === 'rate-limit' || r.gatewayReason === 'quota') return 1;
  return 2;
}

/** The latency chart's percentiles, in its series' order. */
export const latencyPercentiles = [0.5, 0.95, 0.99] as const;

/** What the client charts need of k6's records. */
export interface ClientTally {
  count: number;
  /** Answered successfully (2xx/3xx): the requests whose tokens count. */
  answered: number;
  sent: number[];
  succeeded: number[];
  statusCounts: number[][];
  /** Each second's latency percentiles (latencyPercentiles, nearest rank, ms); null for a second without answers. */
  latency: (number | null)[][];
  /** Per consumer: tokens of successful answers per second, and the lowest remaining-tokens header per second. */
  tokens: Map<string, { used: number[]; remaining: (number | null)[] }>;
}

/** Nearest-rank percentile of an ascending array; null when empty. */
function nearestRank(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** The client tally of the records `each` visits (eachClientRecord, or streamClientRecords in a worker). */
export function tallyClient(clock: Clock, each: (visit: (record: ClientRecord) => void) => number): ClientTally {
  let answered = 0;
  const sent = zeros(clock.seconds);
  const succeeded = zeros(clock.seconds);
  const statusCounts = statusClasses.map(() => zeros(clock.seconds));
  const durations: number[][] = Array.from({ length: clock.seconds }, () => []);
  const tokens: ClientTally['tokens'] = new Map();
  const count = each((r) => {
    const b = clock.bucket(r.time);
    sent[clock.bucket(r.time - r.durationMs)]!++;
    statusCounts[statusClassOf(r)]![b]!++;
    durations[b]!.push(r.durationMs);
    let ofConsumer = tokens.get(r.consumer);
    if (!ofConsumer) tokens.set(r.consumer, (ofConsumer = { used: zeros(clock.seconds), remaining: new Array<number | null>(clock.seconds).fill(null) }));
    if (r.status >= 200 && r.status < 400) {
      succeeded[b]!++;
      answered++;
      ofConsumer.used[b]! += r.promptTokens + r.completionTokens;
    }
    const left = r.remainingTokens === '' ? Number.NaN : Number(r.remainingTokens);
    if (Number.isFinite(left)) ofConsumer.remaining[b] = Math.min(ofConsumer.remaining[b] ?? left, left);
  });
  const latency = latencyPercentiles.map(() => new Array<number | null>(clock.seconds).fill(null));
  durations.forEach((ofSecond, i) => {
    const sorted = Float64Array.from(ofSecond).sort();
    latencyPercentiles.forEach((p, k) => (latency[k]![i] = nearestRank(sorted, p)));
  });
  return { count, answered, sent, succeeded, statusCounts, latency, tokens };
}

/** The ledger's requests per backend and second. */
export interface LedgerTally {
  count: number;
  perBackend: Map<string, number[]>;
  totals: number[];
}

/** The ledger tally of the requests `each` visits (eachLedgerRequest, or streamLedgerRequests in a worker). */
export function tallyLedger(clock: Clock, each: (visit: (record: RequestRecord) => void) => number): LedgerTally {
  const perBackend: LedgerTally['perBackend'] = new Map();
  const totals = zeros(clock.seconds);
  const count = each((r) => {
    const b = clock.bucket(r.start);
    let counts = perBackend.get(r.backend);
    if (!counts) perBackend.set(r.backend, (counts = zeros(clock.seconds)));
    counts[b]!++;
    totals[b]!++;
  });
  return { count, perBackend, totals };
}
