import type { BreakerEvent } from '../../harness/contracts/breaker-events.ts';
import type { RunRunFolder } from '../run-folder.ts';
import type { BandSpec, ChartSpec } from './chart-spec.ts';
import { clockAt, statusClasses, type ClientTally, type Clock, type LedgerTally } from './chart-tallies.ts';
import { tallyRunEvidence } from './evidence-tallies.ts';
import { styledSeries } from './series-style.ts';

/**
 * The charts of a `spillway run` folder, computed from its journal and evidence. Everything is
 * bucketed per second of the run (from k6's start), so a 10-minute run at 1,000 req/s is 600
 * points per series whatever the request count; every time chart carries the applied fault
 * windows as shaded bands.
 */

/** The run's time axis: whole seconds from k6's start (the journal's start when k6 never started). */
function clockOf(run: RunRunFolder): Clock {
  const { journal } = run;
  const origin = Date.parse(journal.k6.startedAt ?? journal.startedAt);
  const end = Math.max(Date.parse(journal.k6.endedAt ?? journal.endedAt), origin + journal.plan.durationSeconds * 1000);
  return clockAt(origin, Math.max(1, Math.ceil((end - origin) / 1000)));
}

/** The applied fault timeline as bands: from its application to its clearing (or the run's end). */
export function faultBands(run: RunRunFolder, clock: Clock = clockOf(run)): BandSpec[] {
  return run.journal.timeline
    .filter((f) => f.appliedAt !== null)
    .map((f) => ({
      from: (f.appliedAt! - clock.origin) / 1000,
      to: ((f.clearedAt ?? clock.origin + clock.seconds * 1000) - clock.origin) / 1000,
      label: `${f.id}: ${f.action}${f.target ? ` → ${f.target}` : ''}`,
    }));
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

function emptyUnless(points: number, reason: string): { emptyReason?: string } {
  return points > 0 ? {} : { emptyReason: reason };
}

function evidenceNote(run: RunRunFolder, kind: Parameters<RunRunFolder['evidence']['status']>[0]): string {
  const status = run.evidence.status(kind);
  if (status.status === 'absent') return `no ${kind} evidence: ${status.note ?? 'the target does not bring it'}`;
  if (status.status === 'incomplete' && status.file === null) return `no ${kind} evidence: ${status.note ?? 'its file was not written'}`;
  return `the ${kind} evidence holds no records for this chart`;
}

/** The rate the plan asked for at each second: each traffic class's rate × units while it sends. */
function plannedRate(run: RunRunFolder, clock: Clock): number[] {
  const { plan } = run.journal;
  return clock.x.map((s) => plan.traffic.reduce((sum, c) => (s >= c.startSeconds && s < (c.endSeconds ?? plan.durationSeconds) ? sum + c.ratePerUnit * plan.units : sum), 0));
}

function requestRateChart(run: RunRunFolder, clock: Clock, seen: ClientTally, bands: BandSpec[]): ChartSpec {
  const { sent, succeeded } = seen;
  return {
    name: 'request-rate',
    title: 'Offered and achieved request rate',
    caption: 'Requests per second: the rate the plan offered (its traffic classes × units), the rate k6 sent (by each request\'s start), and the rate answered successfully (2xx/3xx, by each response\'s end). A gap between offered and sent means the load generator could not keep up; between sent and succeeded, refusals and failures (see the status chart).',
    xKind: 'seconds',
    xLabel: 'seconds from the start of the load',
    yLabel: 'requests per second',
    x: clock.x,
    series: [styledSeries(0, 'offered (plan)', plannedRate(run, clock), { stepped: true }), styledSeries(1, 'sent (k6)', sent), styledSeries(2, 'succeeded', succeeded)],
    bands,
    markers: [],
    points: seen.count,
    ...emptyUnless(seen.count, evidenceNote(run, 'client')),
  };
}

function latencyChart(run: RunRunFolder, clock: Clock, seen: ClientTally, bands: BandSpec[]): ChartSpec {
  const values = seen.latency;
  return {
    name: 'latency',
    title: 'Latency percentiles over time',
    caption: 'Request duration as k6 measured it, per second of the run (by each response\'s end): the median (p50), p95 and p99, nearest rank, over every answer including refusals. A rise inside a shaded fault window is the fault\'s cost; one that stays after it cleared is not.',
    xKind: 'seconds',
    xLabel: 'seconds from the start of the load',
    yLabel: 'milliseconds',
    x: clock.x,
    series: [styledSeries(0, 'p50', values[0]!), styledSeries(1, 'p95', values[1]!), styledSeries(2, 'p99', values[2]!)],
    bands,
    markers: [],
    points: seen.count,
    ...emptyUnless(seen.count, evidenceNote(run, 'client')),
  };
}

function statusChart(run: RunRunFolder, clock: Clock, seen: ClientTally, bands: BandSpec[]): ChartSpec {
  const counts = seen.statusCounts;
  // A class that never occurred is left out, so the legend lists only what happened.
  const shown = statusClasses.map((label, i) => ({ label, values: counts[i]! })).filter((s, i) => i === 0 || s.values.some((v) => v > 0));
  return {
    name: 'status-origin',
    title: 'Answers over time, by who gave them',
    caption: 'Answers per second by origin, as the client classified each one (scenarios/lib/classify.ts): successes; the gateway\'s own limits (its 429/403 for a token limit, token quota, rate limit or call quota); other refusals by the gateway itself (a 503 when every backend\'s breaker is open, among others); errors passed through from a backend; the front door\'s; and requests that got no response at all (refused, reset or timed out: network).',
    xKind: 'seconds',
    xLabel: 'seconds from the start of the load',
    yLabel: 'answers per second',
    x: clock.x,
    series: shown.map((s, i) => styledSeries(i, s.label, s.values, { stepped: true })),
    bands,
    markers: [],
    points: seen.count,
    ...emptyUnless(seen.count, evidenceNote(run, 'client')),
  };
}

function backendShareChart(run: RunRunFolder, clock: Clock, seen: LedgerTally, bands: BandSpec[]): ChartSpec {
  const backends = [...seen.perBackend.keys()].sort();
  const counts = backends.map((b) => seen.perBackend.get(b)!);
  const { totals } = seen;
  return {
    name: 'backend-share',
    title: "Each backend's share of traffic",
    caption: "The share of the requests reaching the fleet that each backend received, per second (from the fleet's ledger, the backends' own account, by arrival). The shaded, hatched windows are the faults the plan applied; a backend's share should fall inside a window that takes it out and come back after.",
    xKind: 'seconds',
    xLabel: 'seconds from the start of the load',
    yLabel: 'share of backend requests, %',
    x: clock.x,
    series: backends.map((name, i) => styledSeries(i, name, counts[i]!.map((n, s) => (totals[s]! > 0 ? (100 * n) / totals[s]! : null)))),
    bands,
    markers: [],
    yRange: [0, 100],
    points: seen.count,
    ...emptyUnless(seen.count, evidenceNote(run, 'ledger')),
  };
}

function breakerChart(run: RunRunFolder, clock: Clock, events: readonly BreakerEvent[], bands: BandSpec[]): ChartSpec {
  const laneOf = (e: BreakerEvent): string => `${e.region || 'gateway'} · ${e.data.backendName}`;
  const lanes = [...new Set(events.map(laneOf))].sort();
  const open = lanes.map(() => new Array<number | null>(clock.seconds).fill(null));
  lanes.forEach((lane, i) => {
    const ofLane = events.filter((e) => laneOf(e) === lane).sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
    let openedAt: number | null = null;
    const fill = (from: number, to: number): void => {
      for (let s = clock.bucket(from); s <= clock.bucket(to); s++) open[i]![s] = i + 1;
    };
    for (const e of ofLane) {
      const at = Date.parse(e.eventTime);
      if (e.eventType.endsWith('.Opened')) openedAt ??= at;
      else if (openedAt !== null) {
        fill(openedAt, at);
        openedAt = null;
      }
    }
    // Still open when the evidence ends: open to the end of the run.
    if (openedAt !== null) fill(openedAt, clock.origin + clock.seconds * 1000);
  });
  return {
    name: 'breakers',
    title: 'Circuit breaker open periods, per gateway instance',
    caption: "Each row is one backend's breaker in one gateway instance (each regional instance keeps its own breaker state); a bar is a period the breaker was open, from its Opened event to its Closed event (the gateway's circuit breaker events). No bar: that breaker stayed closed.",
    xKind: 'seconds',
    xLabel: 'seconds from the start of the load',
    yLabel: 'breaker',
    x: clock.x,
    series: lanes.map((lane, i) => styledSeries(i, `${lane} open`, open[i]!, { width: 10, marker: 'none', dash: [] })),
    bands,
    markers: [],
    lanes,
    yRange: [0, lanes.length + 1],
    points: events.length,
    ...emptyUnless(events.length, evidenceNote(run, 'breakerEvents')),
  };
}

function tokenChart(run: RunRunFolder, clock: Clock, seen: ClientTally, bands: BandSpec[]): ChartSpec {
  const consumers = [...seen.tokens.keys()].sort();
  const perSecond = consumers.map((c) => seen.tokens.get(c)!.used);
  const remaining = consumers.map((c) => seen.tokens.get(c)!.remaining);
  const points = seen.answered;
  const series = consumers.flatMap((consumer, i) => {
    // Tokens used over the trailing minute: what a per-minute token limit counts.
    const used = zeros(clock.seconds);
    let window = 0;
    perSecond[i]!.forEach((n, s) => {
      window += n - (s >= 60 ? perSecond[i]![s - 60]! : 0);
      used[s] = window;
    });
    const limit = remaining[i]!.map((left, s) => (left === null ? null : used[s]! + left));
    // Three styles per consumer, none forced, so every series keeps its own dash and marker.
    const out = [styledSeries(3 * i, `${consumer}: tokens used, trailing minute`, used)];
    if (limit.some((v) => v !== null)) out.push(styledSeries(3 * i + 1, `${consumer}: limit (used + remaining, as the gateway said)`, limit));
    const budget = run.journal.tokenBudgets?.[consumer]?.tokensPerMinute;
    if (budget !== undefined) out.push(styledSeries(3 * i + 2, `${consumer}: budget (tokens per minute, per gateway)`, used.map(() => budget)));
    return out;
  });
  return {
    name: 'tokens',
    title: 'Token use against the limit, per subscription',
    caption: "Tokens (prompt + completion) of the successful answers of each consumer (one subscription each), summed over the trailing minute, as a per-minute token limit counts them; and, where the gateway sent its remaining-tokens header, the limit it implies (used + remaining, the lowest remaining it reported in that second); and the budget the verifiers held each consumer to. The gateway counts a budget per gateway instance, so a consumer served by two regions may use more than one budget in all; and the implied limit dips below the budget for a minute when the gateway kept prompt charges for requests that failed after it admitted them (they are not in the use). Use that reaches the limit line should meet the gateway's token-limit 429s in the status chart.",
    xKind: 'seconds',
    xLabel: 'seconds from the start of the load',
    yLabel: 'tokens per minute',
    x: clock.x,
    series,
    bands,
    markers: [],
    points,
    ...emptyUnless(points, seen.count === 0 ? evidenceNote(run, 'client') : 'no request was answered successfully, so no tokens were used'),
  };
}

/** Every chart of a run, in the report's order. */
export function runCharts(run: RunRunFolder, prefix = ''): ChartSpec[] {
  const clock = clockOf(run);
  const bands = faultBands(run, clock);
  const { client, ledger } = tallyRunEvidence(run, clock);
  const charts = [
    requestRateChart(run, clock, client, bands),
    latencyChart(run, clock, client, bands),
    statusChart(run, clock, client, bands),
    backendShareChart(run, clock, ledger, bands),
    breakerChart(run, clock, run.evidence.breakerEvents(), bands),
    tokenChart(run, clock, client, bands),
  ];
  return prefix === '' ? charts : charts.map((c) => ({ ...c, name: `${prefix}${c.name}` }));
}
