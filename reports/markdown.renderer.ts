import { format, signed, type BaselineComparison } from './baseline/compare-runs.ts';
import { summarize, verdictsFailedFirst, type ReportSummary, type SummaryVerdict } from './report-summary.ts';
import type { RunFolder } from './run-folder.ts';

/**
 * A run, capacity run or drill as Markdown, for a pull request comment or GitHub's step summary
 * ($GITHUB_STEP_SUMMARY): why it did not complete when it did not (first), the verdicts (failed
 * first), the few numbers that matter, a comparison with a baseline when given, and a link to
 * the HTML report. Statuses are words (FAIL, PASS), never colour alone. Pure: the run folder in,
 * the text out.
 */
export interface MarkdownOptions {
  /** The HTML report, relative to where the Markdown is read from; null: no link. */
  htmlFile?: string | null;
  comparison?: BaselineComparison | null;
}

export function renderMarkdownReport(folder: RunFolder, options: MarkdownOptions = {}): string {
  return renderMarkdownSummary(summarize(folder), options);
}

const outcomeWords: Record<number, string> = { 0: 'PASS', 1: 'FAIL', 2: 'DID NOT COMPLETE', 3: 'INCONCLUSIVE' };
const statusWords: Record<SummaryVerdict['status'], string> = { pass: 'PASS', fail: '**FAIL**', inconclusive: '**INCONCLUSIVE**' };

export function renderMarkdownSummary(summary: ReportSummary, options: MarkdownOptions = {}): string {
  const lines: string[] = [];
  const what = summary.kind === 'run' ? `run ${summary.name}` : summary.kind === 'capacity' ? `capacity (${summary.name})` : `drill ${summary.name}`;
  lines.push(`## Spillway ${what}: ${outcomeWords[summary.exitCode] ?? `exit ${summary.exitCode}`} (exit ${summary.exitCode})`, '');
  if (summary.problem !== null) lines.push(`> **${summary.status === 'completed' ? 'Note' : `The ${summary.kind} did not complete (${summary.status})`}:** ${inline(summary.problem)}`, '');
  const seconds = (Date.parse(summary.endedAt) - Date.parse(summary.startedAt)) / 1000;
  const link = options.htmlFile ? ` · [full report (HTML)](${encodeURI(options.htmlFile)})` : '';
  lines.push(`\`${summary.id}\` · started ${summary.startedAt} · ${Number.isFinite(seconds) ? `${seconds.toFixed(1)} s` : 'duration unknown'} · status ${summary.status}${link}`, '');

  if (summary.drill) lines.push(...drillSection(summary));
  lines.push(...verdictSection(summary.verdicts));
  if (summary.capacity) lines.push(...capacitySection(summary));
  else lines.push(...numbersSection(summary));
  if (options.comparison) lines.push(...comparisonSection(options.comparison));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function verdictSection(verdicts: readonly SummaryVerdict[]): string[] {
  if (verdicts.length === 0) return ['### Verdicts', '', 'No verdict: nothing was judged.', ''];
  const count = (status: SummaryVerdict['status']): number => verdicts.filter((v) => v.status === status).length;
  const ordered = verdictsFailedFirst(verdicts);
  const header = ['| Status | Check | Expected | Measured |', '| --- | --- | --- | --- |'];
  const row = (v: SummaryVerdict): string => `| ${statusWords[v.status]} | ${cell(v.check)} | ${cell(v.expected)} | ${cell(v.measured)} |`;
  const lines = [`### Verdicts: ${count('fail')} failed, ${count('inconclusive')} inconclusive, ${count('pass')} passed`, ''];
  // What needs a reader's attention stays open; the passed verdicts (26 in a smoke run) are
  // folded, so a pull request comment stays short. GitHub renders a table inside <details>
  // when blank lines surround it.
  const open = ordered.filter((v) => v.status !== 'pass');
  const passed = ordered.filter((v) => v.status === 'pass');
  if (open.length > 0) lines.push(...header, ...open.map(row));
  if (passed.length > 0) {
    if (open.length > 0) lines.push('');
    lines.push(`<details><summary>${passed.length} passed</summary>`, '', ...header, ...passed.map(row), '', '</details>');
  }
  const explained = ordered.filter((v) => v.status !== 'pass' && v.explanation !== '');
  if (explained.length > 0) {
    lines.push('');
    for (const v of explained) lines.push(`- ${v.status === 'fail' ? '**FAIL**' : '**INCONCLUSIVE**'} \`${v.check}\`: ${inline(v.explanation)}`);
  }
  lines.push('');
  return lines;
}

function numbersSection(summary: ReportSummary): string[] {
  const t = summary.traffic;
  if (!t) return summary.kind === 'drill' ? [] : ['### Numbers', '', 'No traffic was measured (no client samples: the run sent no load).', ''];
  const rows: [string, string][] = [['Requests', String(t.requests)]];
  if (t.achievedRps !== null || t.targetRps !== null) {
    const share = t.achievedRps !== null && t.targetRps ? ` (${((t.achievedRps / t.targetRps) * 100).toFixed(0)}% of the target)` : '';
    rows.push(['Rate achieved / target', `${t.achievedRps?.toFixed(1) ?? '–'} / ${t.targetRps?.toFixed(1) ?? '–'} req/s${share}`]);
  }
  rows.push(['Latency p50 / p95 / p99', t.latencyMs ? `${t.latencyMs.p50.toFixed(0)} / ${t.latencyMs.p95.toFixed(0)} / ${t.latencyMs.p99.toFixed(0)} ms` : '–']);
  const origins = Object.entries(t.errorsByOrigin).map(([origin, n]) => `${origin} ${n}`).join(', ');
  rows.push(['Errors', t.errorShare !== null ? `${(t.errorShare * 100).toFixed(2)}%${origins ? ` (${origins})` : ''}` : '–']);
  return [`### Numbers${summary.kind === 'drill' ? ' (the method run)' : ''}`, '', '| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`), ''];
}

function capacitySection(summary: ReportSummary): string[] {
  const c = summary.capacity!;
  const rows: [string, string][] = [
    ['Knee', c.kneeRps !== null ? `${c.kneeRps} req/s over ${c.units} unit(s)${c.kneeConfirmed === true ? ', confirmed by a longer hold' : c.kneeConfirmed === false ? ', not sustained when held' : ''}` : 'none'],
    ['Per unit', c.rpsPerUnit !== null ? `${c.rpsPerUnit.toFixed(1)} req/s` : c.atLeastRpsPerUnit !== null ? `at least ${c.atLeastRpsPerUnit.toFixed(1)} req/s (no knee)` : 'not known from this run'],
  ];
  // From a lower bound (no knee), the units are an upper bound (capacity-report.ts).
  const units = c.recommendedUnits === null ? 'none (no figure to size from)' : c.rpsPerUnit === null ? `at most ${c.recommendedUnits} (from the lower bound)` : String(c.recommendedUnits);
  if (c.peakRps !== null) rows.push([`Recommended units for ${c.peakRps} req/s`, units]);
  const t = summary.traffic;
  if (t?.latencyMs) rows.push(['Latency at the knee p50 / p95 / p99', `${t.latencyMs.p50.toFixed(0)} / ${t.latencyMs.p95.toFixed(0)} / ${t.latencyMs.p99.toFixed(0)} ms`]);
  // The conclusion's own lines are the capacity verdict's explanation, above.
  const lines = ['### Capacity', '', '| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`), ''];
  if (c.steps.length > 0) {
    lines.push('', '| Offered req/s | Served req/s | p95 ms | Errors | Step |', '| ---: | ---: | ---: | ---: | --- |');
    for (const s of c.steps) lines.push(`| ${s.offeredRps.toFixed(1)} | ${s.servedRps.toFixed(1)} | ${s.p95Ms?.toFixed(0) ?? '–'} | ${(s.errorShare * 100).toFixed(1)}% | ${s.verdict}${s.phase === 'hold' ? ' (confirming hold)' : ''} |`);
  }
  lines.push('');
  return lines;
}

function drillSection(summary: ReportSummary): string[] {
  const d = summary.drill!;
  const lines = [`**${inline(d.title)}** (playbook event: ${inline(d.playbookEvent)}): **${d.status.toUpperCase()}**`, ''];
  for (const deviation of d.deviations) lines.push(`- deviated: ${inline(deviation)}`);
  for (const rollback of d.rollbacksFailed) lines.push(`- **rollback failed**: ${inline(rollback)}`);
  if (d.methodRun) lines.push(`- the method's run: \`${d.methodRun}\``);
  lines.push('');
  return lines;
}

function comparisonSection(c: BaselineComparison): string[] {
  const margin = c.maxRegressionPercent !== null ? `, margin ${c.maxRegressionPercent}%` : ', no margin given: nothing gated';
  const lines = [`### Compared with the baseline \`${c.baseline.id}\`${margin}`, ''];
  if (c.maxRegressionPercent !== null) lines.push(c.regressions.length === 0 ? 'No regression beyond the margin.' : `**${c.regressions.length} regression(s) beyond the margin:**`, '');
  for (const r of c.regressions) lines.push(`- **REGRESSION** ${inline(r)}`);
  if (c.regressions.length > 0) lines.push('');
  lines.push('| Measure | Baseline | This run | Change |', '| --- | ---: | ---: | ---: |');
  for (const m of c.metrics) lines.push(`| ${m.name} | ${format(m.baseline, m.unit)} | ${format(m.current, m.unit)} | ${m.changePercent !== null ? `${signed(m.changePercent)}%` : '–'}${m.regression ? ' **REGRESSION**' : ''} |`);
  const changed = c.verdicts.filter((v) => v.baseline?.status !== v.current?.status || (v.numbers !== null && v.numbers.length > 0) || v.numbers === null);
  if (changed.length > 0) {
    lines.push('', '| Check | Baseline | This run | Change of the measured value |', '| --- | --- | --- | --- |');
    for (const v of changed) {
      const numbers = v.numbers === null ? (v.baseline && v.current ? `was: ${v.baseline.measured}` : '') : v.numbers.map((n) => `${n.context ? `${n.context} ` : ''}${n.baseline} → ${n.current}${n.changePercent !== null ? ` (${signed(n.changePercent)}%)` : ''}`).join('; ');
      lines.push(`| ${cell(v.check)} | ${v.baseline?.status.toUpperCase() ?? 'not judged'} | ${v.current?.status.toUpperCase() ?? 'not judged'}${v.regression ? ' **REGRESSION**' : ''} | ${cell(numbers || 'unchanged')} |`);
    }
  }
  const unchanged = c.verdicts.length - changed.length;
  if (unchanged > 0) lines.push('', `${unchanged} other check(s) unchanged (same status, same measured numbers).`);
  for (const note of c.notes) lines.push(`- note: ${inline(note)}`);
  lines.push('');
  return lines;
}

/** A table cell: one line, pipes escaped, long texts cut (the HTML report has them whole). */
function cell(text: string): string {
  const one = inline(text).replace(/\|/g, '\\|');
  return one.length > 300 ? `${one.slice(0, 299)}…` : one;
}

/** Text on one line, with Markdown's HTML-like and link-like characters made inert. */
function inline(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
