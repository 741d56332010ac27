import { UserFacingError } from '../../harness/contracts/user-facing-error.ts';
import type { ReportSummary, SummaryStatus } from '../report-summary.ts';
import { compareMeasured, type NumberChange } from './measured-numbers.ts';

/**
 * A run compared with a baseline run (`spillway report <run> --baseline <run>`): the change of
 * each verdict (matched by check name: its status, and the numbers of its measured text when
 * both texts say the same thing with other numbers), of latency (p50, p95, p99), throughput and
 * the error share. Pure: two summaries in, the comparison out.
 *
 * With a margin (--max-regression <percent>), a regression is:
 * - latency: a percentile higher than the baseline's by more than the margin;
 * - throughput: the achieved rate (a capacity run's knee per unit) lower by more than the margin;
 * - error share: higher by more than the margin of the baseline's share and by at least 0.1
 *   percentage point (so a run with one error in ten thousand where the baseline had none is not
 *   a regression of "infinitely many percent");
 * - a verdict: one that passed in the baseline and failed, was inconclusive or was not judged
 *   at all in the run (a check that disappears must not read as green).
 * The numbers inside a verdict's measured text are shown, never gated: whether more is better
 * depends on the check, and the check's own status already says whether it held.
 * Without a margin the changes are shown and nothing is a regression.
 */
export interface MetricChange {
  name: string;
  unit: 'ms' | 'req/s' | 'req/s per unit' | '%';
  baseline: number | null;
  current: number | null;
  /** (current - baseline) / baseline, in percent; null when either is missing or the baseline is 0. */
  changePercent: number | null;
  worseWhen: 'higher' | 'lower';
  regression: boolean;
}

export interface VerdictChange {
  check: string;
  baseline: { status: SummaryStatus; measured: string } | null;
  current: { status: SummaryStatus; measured: string } | null;
  /** The measured text's numbers that changed, when both texts have the same shape; null when they differ in shape. */
  numbers: NumberChange[] | null;
  regression: boolean;
}

export interface BaselineComparison {
  baseline: { id: string; journalFile: string; startedAt: string };
  current: { id: string };
  maxRegressionPercent: number | null;
  metrics: MetricChange[];
  verdicts: VerdictChange[];
  /** Things a reader must know to read the numbers (units differ, durations differ). */
  notes: string[];
  /** Each regression beyond the margin, in a line; empty when none (or no margin). */
  regressions: string[];
}

/** A comparison that would say nothing: different kinds, scenarios, or a run that did not complete. */
export class BaselineMismatchError extends UserFacingError {}

/** The least rise of the error share that counts, whatever the margin (0.1 percentage point). */
export const minErrorShareRise = 0.001;

const rank: Record<SummaryStatus, number> = { pass: 0, inconclusive: 1, fail: 2 };

export function compareWithBaseline(current: ReportSummary, baseline: ReportSummary, maxRegressionPercent: number | null): BaselineComparison {
  refuseMismatch(current, baseline);
  const margin = maxRegressionPercent === null ? null : maxRegressionPercent / 100;
  const notes: string[] = [];
  const metrics: MetricChange[] = [];
  const metric = (name: string, unit: MetricChange['unit'], worseWhen: MetricChange['worseWhen'], base: number | null, now: number | null): void => {
    const changePercent = base === null || now === null || base === 0 ? null : ((now - base) / base) * 100;
    let regression = false;
    if (margin !== null && base !== null && now !== null) {
      if (unit === '%') regression = now - base > Math.max(base * margin, minErrorShareRise);
      else regression = worseWhen === 'higher' ? now > base * (1 + margin) : now < base * (1 - margin);
    }
    metrics.push({ name, unit, baseline: base, current: now, changePercent, worseWhen, regression });
  };
  const [b, c] = [baseline.traffic, current.traffic];
  if (current.kind === 'capacity') {
    metric('knee per unit', 'req/s per unit', 'lower', baseline.capacity?.rpsPerUnit ?? null, current.capacity?.rpsPerUnit ?? null);
    if (current.capacity?.rpsPerUnit === null && baseline.capacity?.rpsPerUnit !== null && margin !== null) {
      // A baseline with a knee and a run without one: the run did not show the capacity it had.
      metrics.at(-1)!.regression = true;
    }
    if (baseline.capacity && current.capacity && baseline.capacity.units !== current.capacity.units) notes.push(`the baseline ran at ${baseline.capacity.units} unit(s), this run at ${current.capacity.units}: the knee is compared per unit`);
    notes.push('latency is each run\'s at its own knee');
  } else {
    metric('throughput', 'req/s', 'lower', b?.achievedRps ?? null, c?.achievedRps ?? null);
    if (b?.targetRps != null && c?.targetRps != null && Math.abs(b.targetRps - c.targetRps) > 1e-9) notes.push(`the target rates differ (baseline ${b.targetRps.toFixed(1)} req/s, this run ${c.targetRps.toFixed(1)} req/s): throughput follows the target`);
  }
  metric('latency p50', 'ms', 'higher', b?.latencyMs?.p50 ?? null, c?.latencyMs?.p50 ?? null);
  metric('latency p95', 'ms', 'higher', b?.latencyMs?.p95 ?? null, c?.latencyMs?.p95 ?? null);
  metric('latency p99', 'ms', 'higher', b?.latencyMs?.p99 ?? null, c?.latencyMs?.p99 ?? null);
  metric('error share', '%', 'higher', b?.errorShare ?? null, c?.errorShare ?? null);
  for (const m of metrics) if (m.baseline === null || m.current === null) notes.push(`${m.name}: not measured in ${m.baseline === null ? 'the baseline' : 'this run'}, not compared`);

  const verdicts: VerdictChange[] = [];
  const baseByCheck = new Map(baseline.verdicts.map((v) => [v.check, v]));
  const seen = new Set<string>();
  for (const now of current.verdicts) {
    seen.add(now.check);
    const before = baseByCheck.get(now.check);
    verdicts.push({
      check: now.check,
      baseline: before ? { status: before.status, measured: before.measured } : null,
      current: { status: now.status, measured: now.measured },
      numbers: before ? compareMeasured(before.measured, now.measured) : null,
      regression: margin !== null && before !== undefined && rank[now.status] > rank[before.status],
    });
  }
  for (const before of baseline.verdicts) {
    if (seen.has(before.check)) continue;
    verdicts.push({ check: before.check, baseline: { status: before.status, measured: before.measured }, current: null, numbers: null, regression: margin !== null && before.status === 'pass' });
  }

  const regressions = [
    ...metrics.filter((m) => m.regression).map((m) => `${m.name}: ${format(m.baseline, m.unit)} → ${format(m.current, m.unit)}${m.changePercent !== null ? ` (${signed(m.changePercent)}%)` : ''}, beyond the ${maxRegressionPercent}% margin`),
    ...verdicts.filter((v) => v.regression).map((v) => `${v.check}: ${v.baseline!.status} in the baseline, ${v.current ? v.current.status : 'not judged'} in this run`),
  ];
  return {
    baseline: { id: baseline.id, journalFile: baseline.journalFile, startedAt: baseline.startedAt },
    current: { id: current.id },
    maxRegressionPercent,
    metrics,
    verdicts,
    notes,
    regressions,
  };
}

/**
 * Comparing different kinds, scenarios or profiles, or a run that did not complete, would say
 * nothing: refused, saying which. It reads only what the journals say (kind, name, status,
 * problem), so a command can refuse before reading any evidence (report-summary.ts,
 * summarizeJournal).
 */
export function refuseMismatch(current: ReportSummary, baseline: ReportSummary): void {
  const what = (s: ReportSummary): string => `${s.kind === 'run' ? `a run of scenario ${s.name}` : s.kind === 'capacity' ? `a capacity run of profile ${s.name}` : `drill ${s.name}`} (${s.journalFile})`;
  if (current.kind !== baseline.kind) throw new BaselineMismatchError(`--baseline: cannot compare ${what(current)} with ${what(baseline)}: a baseline must be the same kind of run`);
  if (current.name !== baseline.name) {
    throw new BaselineMismatchError(`--baseline: cannot compare ${what(current)} with ${what(baseline)}: different ${current.kind === 'run' ? 'scenarios' : current.kind === 'capacity' ? 'profiles' : 'drills'} drive different load, so their numbers say nothing of each other`);
  }
  const unfinished = (s: ReportSummary): boolean => s.problem !== null && !(s.status === 'completed' || s.status === 'deviated' || s.status === 'inconclusive');
  for (const [role, s] of [['the baseline', baseline], ['the run', current]] as const) {
    if (unfinished(s)) throw new BaselineMismatchError(`--baseline: ${role}, ${what(s)}, did not complete (${s.status}: ${s.problem}); there is nothing to compare (render it without --baseline)`);
  }
}

export function format(value: number | null, unit: MetricChange['unit']): string {
  if (value === null) return '–';
  if (unit === '%') return `${(value * 100).toFixed(2)}%`;
  if (unit === 'ms') return `${value.toFixed(0)} ms`;
  return `${value.toFixed(1)} ${unit}`;
}

export function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}
