import { basename } from 'node:path';
import type { ClientRecord } from '../harness/contracts/client-record.ts';
import type { Journal } from '../harness/contracts/journal.ts';
import { clientTrafficOf, type ClientTraffic } from './client-traffic.ts';
import type { CapacityJournal, DrillJournal, RunFolder } from './run-folder.ts';

/**
 * The few numbers and verdicts that matter of a run, a capacity run or a drill, in one shape
 * for the Markdown and JSON reports and the baseline comparison. Pure: journals and the
 * client's records (or their traffic, client-traffic.ts) in, the summary out; nothing here reads
 * a file but through the run folder's own lazy accessors (reports/run-folder.ts).
 */
export type ReportKind = 'run' | 'capacity' | 'drill';
export type SummaryStatus = 'pass' | 'fail' | 'inconclusive';

/** One verdict (a run's), one probe or detection query (a drill's), or the capacity conclusion. */
export interface SummaryVerdict {
  check: string;
  status: SummaryStatus;
  expected: string;
  measured: string;
  explanation: string;
}

/** What the client saw over the load: from the k6 samples of every request. */
export interface TrafficNumbers {
  requests: number;
  /** The plan's mean request rate over its duration, at the run's --units. */
  targetRps: number | null;
  /** Requests over the plan's duration (k6's own start to end when the plan has no duration). */
  achievedRps: number | null;
  latencyMs: { p50: number; p95: number; p99: number } | null;
  /** Share of requests that ended in an error status or got no answer (status 0 or >= 400). */
  errorShare: number | null;
  /** Errors by who refused: gateway, backend, frontdoor, or network (no answer at all). */
  errorsByOrigin: Record<string, number>;
}

export interface CapacityNumbers {
  profile: string;
  units: number;
  /** The knee, req/s in total and per unit; null without one. */
  kneeRps: number | null;
  rpsPerUnit: number | null;
  /** A lower bound per unit when the gateway held at every rate tried. */
  atLeastRpsPerUnit: number | null;
  kneeConfirmed: boolean | null;
  recommendedUnits: number | null;
  peakRps: number | null;
  /** The conclusion as the command printed it. */
  lines: string[];
  steps: { offeredRps: number; servedRps: number; p95Ms: number | null; errorShare: number; phase: string; verdict: string }[];
}

export interface DrillNumbers {
  drill: string;
  title: string;
  playbookEvent: string;
  status: string;
  deviations: string[];
  rollbacksFailed: string[];
  methodRun: string | null;
}

export interface ReportSummary {
  kind: ReportKind;
  /** The run id, the capacity folder's name, or the drill run id. */
  id: string;
  /** The scenario, the capacity profile, or the drill. */
  name: string;
  /** The journal's own status (completed, incomplete, deviated, ...). */
  status: string;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  /** Why the run did not complete, first thing a reader sees when set. */
  problem: string | null;
  journalFile: string;
  journalSchemaVersion: number;
  verdicts: SummaryVerdict[];
  traffic: TrafficNumbers | null;
  capacity: CapacityNumbers | null;
  drill: DrillNumbers | null;
}

/** Failed first, then inconclusive, then passed; the journal's order within each. */
export function verdictsFailedFirst(verdicts: readonly SummaryVerdict[]): SummaryVerdict[] {
  const rank = { fail: 0, inconclusive: 1, pass: 2 } as const;
  return verdicts.map((v, i) => ({ v, i })).sort((a, b) => rank[a.v.status] - rank[b.v.status] || a.i - b.i).map(({ v }) => v);
}

/** Nearest-rank percentile of sorted values. */
function nearestRank(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * The client's numbers over a run: the rate achieved against the plan's, latency percentiles of
 * every request (errors included: a slow refusal is slow too), and the error share by origin.
 * From the records, or from their traffic counted as they were read (client-traffic.ts).
 */
export function trafficNumbers(journal: Journal, records: readonly ClientRecord[] | ClientTraffic): TrafficNumbers {
  const traffic = isClientTraffic(records) ? records : clientTrafficOf(records);
  const plan = journal.plan;
  const duration = plan.durationSeconds;
  const planned = plan.traffic.reduce((sum, c) => sum + c.ratePerUnit * plan.units * Math.max(0, Math.min(c.endSeconds ?? duration, duration) - c.startSeconds), 0);
  const k6Seconds = journal.k6.startedAt && journal.k6.endedAt ? (Date.parse(journal.k6.endedAt) - Date.parse(journal.k6.startedAt)) / 1000 : null;
  const seconds = duration > 0 ? duration : k6Seconds;
  const { requests, sortedDurationsMs: durations, errors, errorsByOrigin } = traffic;
  return {
    requests,
    targetRps: duration > 0 ? planned / duration : null,
    achievedRps: seconds && seconds > 0 && journal.k6.startedAt ? requests / seconds : null,
    latencyMs: durations.length > 0 ? { p50: nearestRank(durations, 0.5), p95: nearestRank(durations, 0.95), p99: nearestRank(durations, 0.99) } : null,
    errorShare: requests > 0 ? errors / requests : null,
    errorsByOrigin: { ...errorsByOrigin },
  };
}

function isClientTraffic(records: readonly ClientRecord[] | ClientTraffic): records is ClientTraffic {
  return !Array.isArray(records);
}

/** A run's summary; `records` (or their traffic) null when the run has no client samples (refused before any load). */
export function summarizeRun(journal: Journal, journalFile: string, records: readonly ClientRecord[] | ClientTraffic | null): ReportSummary {
  return {
    kind: 'run',
    id: journal.runId,
    name: journal.scenario,
    status: journal.status,
    exitCode: journal.exitCode,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt,
    problem: journal.problem ?? (journal.status === 'completed' && journal.verdicts.length === 0 ? 'the run completed but nothing was judged: the plan names no verifier and no threshold' : null),
    journalFile,
    journalSchemaVersion: journal.schemaVersion,
    verdicts: journal.verdicts.map((v) => ({ check: v.check, status: v.status, expected: v.expected, measured: v.measured, explanation: v.explanation })),
    traffic: records ? trafficNumbers(journal, records) : null,
    capacity: null,
    drill: null,
  };
}

export function summarizeCapacity(journal: CapacityJournal, id: string, journalFile: string): ReportSummary {
  const { settings } = journal;
  // Fields the loader keeps without checking (its schema is loose): read with care.
  const conclusion = journal.conclusion as CapacityJournal['conclusion'] & { recommendation?: { units?: unknown } | null };
  const peakRps = typeof settings['peakRps'] === 'number' ? settings['peakRps'] : null;
  const recommendedUnits = typeof conclusion.recommendation?.units === 'number' ? conclusion.recommendation.units : null;
  const kneeRps = journal.knee?.kind === 'knee' ? journal.knee.rps : null;
  const status: SummaryStatus = conclusion.exitCode === 0 ? 'pass' : conclusion.exitCode === 1 ? 'fail' : 'inconclusive';
  const measured = conclusion.rpsPerUnit !== null ? `${conclusion.rpsPerUnit.toFixed(1)} req/s per unit (knee ${kneeRps} req/s over ${settings.units} unit(s))` : conclusion.atLeastRpsPerUnit !== null ? `at least ${conclusion.atLeastRpsPerUnit.toFixed(1)} req/s per unit (no knee)` : 'not known from this run';
  const stepRows = [...journal.steps, ...journal.holds].map((s) => ({
    offeredRps: s.step.offeredRps,
    servedRps: s.step.throughputRps,
    p95Ms: s.step.p95Ms,
    errorShare: s.step.errorRate,
    phase: s.phase,
    verdict: !s.step.generatorKeptUp ? 'generator behind' : s.backend.saturated ? 'fleet saturated' : s.step.gatewayHeld ? 'held' : 'failed',
  }));
  // The knee step's own latency is the capacity run's latency figure (for the baseline); the
  // longest confirming hold at the knee when there was one, else the step itself.
  const atKnee = kneeRps === null ? null : ([...journal.holds].reverse().find((s) => s.step.offeredRps === kneeRps) ?? journal.steps.find((s) => s.step.offeredRps === kneeRps) ?? null);
  const latency = atKnee?.step.latencyMs;
  return {
    kind: 'capacity',
    id,
    name: settings.profile,
    status: journal.status,
    exitCode: conclusion.exitCode,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt,
    problem: journal.problem ?? null,
    journalFile,
    journalSchemaVersion: journal.schemaVersion,
    verdicts: [{ check: 'capacity.knee', status, expected: 'a knee (the highest rate the gateway holds within the SLO)', measured, explanation: conclusion.lines.join('; ') }],
    traffic: atKnee
      ? {
          requests: 0,
          targetRps: atKnee.step.offeredRps,
          achievedRps: atKnee.step.throughputRps,
          latencyMs: latency && latency.p50 !== null && latency.p95 !== null && latency.p99 !== null ? { p50: latency.p50, p95: latency.p95, p99: latency.p99 } : null,
          errorShare: atKnee.step.errorRate,
          errorsByOrigin: {},
        }
      : null,
    capacity: {
      profile: settings.profile,
      units: settings.units,
      kneeRps,
      rpsPerUnit: conclusion.rpsPerUnit,
      atLeastRpsPerUnit: conclusion.atLeastRpsPerUnit,
      kneeConfirmed: journal.kneeConfirmed,
      recommendedUnits,
      peakRps,
      lines: conclusion.lines,
      steps: stepRows,
    },
    drill: null,
  };
}

/**
 * A drill's summary: each probe and detection query as a verdict (held is a pass, deviated a
 * failure), the method run's verdicts after them, and the method run's traffic numbers.
 */
export function summarizeDrill(journal: DrillJournal, journalFile: string, method: ReportSummary | null): ReportSummary {
  const asStatus = (status: string): SummaryStatus => (status === 'held' || status === 'pass' ? 'pass' : status === 'deviated' || status === 'fail' ? 'fail' : 'inconclusive');
  const checks = [...journal.hypothesis.before, ...journal.hypothesis.after, ...journal.hypothesis.method, ...journal.detection].map((c) => ({
    check: c.kind === 'detection' ? `detection: ${c.name}` : `probe (${c.kind}, ${c.phase}): ${c.name}`,
    status: asStatus(c.status),
    expected: c.expected,
    measured: c.measured,
    explanation: c.query ? `query: ${c.query}` : '',
  }));
  const methodVerdicts = method?.verdicts ?? journal.verdicts.map((v) => ({ ...v, status: asStatus(v.status), explanation: '' }));
  return {
    kind: 'drill',
    id: journal.drillRunId,
    name: journal.drill,
    status: journal.status,
    exitCode: journal.exitCode,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt,
    problem: journal.problem ?? null,
    journalFile,
    journalSchemaVersion: journal.schemaVersion,
    verdicts: [...checks, ...methodVerdicts],
    traffic: method?.traffic ?? null,
    capacity: null,
    drill: {
      drill: journal.drill,
      title: journal.title,
      playbookEvent: journal.playbookEvent,
      status: journal.status,
      deviations: journal.deviations,
      rollbacksFailed: journal.rollbacks.filter((r) => r.status === 'failed').map((r) => `${r.what}: ${r.detail}`),
      methodRun: journal.run?.folder ?? null,
    },
  };
}

/**
 * What the journal alone says of a run folder: its summary without the client's numbers (a run's,
 * a drill's method run's), reading no evidence; enough to refuse a baseline that cannot be
 * compared (compare-runs.ts, refuseMismatch) before any evidence is read.
 */
export function summarizeJournal(folder: RunFolder): ReportSummary {
  switch (folder.kind) {
    case 'run':
      return summarizeRun(folder.journal, folder.journalFile, null);
    case 'capacity':
      return summarizeCapacity(folder.journal, basename(folder.dir), folder.journalFile);
    case 'drill':
      return summarizeDrill(folder.journal, folder.journalFile, null);
  }
}

/** The summary of any run folder: a run, a capacity run, or a drill (with its method run's numbers). */
export function summarize(folder: RunFolder): ReportSummary {
  switch (folder.kind) {
    case 'run': {
      // A run refused before any load has no samples; its numbers are absent, not zero. The
      // traffic is counted in the pass that read the records first (the HTML charts', when
      // rendered before): k6's samples file is not read again for it.
      const traffic = folder.journal.k6.startedAt === null || folder.evidence.status('client').file === null ? null : folder.evidence.clientTraffic();
      return summarizeRun(folder.journal, folder.journalFile, traffic);
    }
    case 'capacity':
      return summarizeCapacity(folder.journal, basename(folder.dir), folder.journalFile);
    case 'drill': {
      const method = folder.methodRun();
      return summarizeDrill(folder.journal, folder.journalFile, method ? summarize(method) : null);
    }
  }
}
