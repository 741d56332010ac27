import { relative } from 'node:path';
import type { Verdict } from '../../harness/contracts/verdict.ts';
import type { CapacityRunFolder, DrillCheck, DrillRunFolder, RunFolder, RunRunFolder } from '../run-folder.ts';
import { reportClientAssets } from './build-client.ts';
import { capacityCharts } from './capacity-charts.ts';
import type { ChartSpec, ReportData } from './chart-spec.ts';
import { anchorOf, esc, hrefOf, scriptJson, table } from './html-text.ts';
import { runCharts } from './run-charts.ts';
import { verdictSection } from './verdict-section.ts';

/**
 * A run folder as one self-contained HTML page: the verdicts first (failed ones first; for a
 * run that did not complete, its reason before everything), then the charts, then the
 * timeline and the evidence files. The chart library (uPlot) and the page code are inlined
 * (build-client.ts), the data sits in the page as JSON: the file opens offline, from a CI
 * artifact or a mail, and prints (docs/reports.md says how to read each chart).
 *
 * Pure apart from reading: the run folder in (its evidence read through RunFolder), the page out.
 */

export interface HtmlReportOptions {
  /**
   * The run folder as a link from where the report is written, for the links to evidence
   * files: '' (the default) when the report is written into the run folder itself.
   */
  runFolderHref?: string;
}

/** The name a run's report has in its folder; a drill links to its method run's by it. */
export const htmlReportFileName = 'report.html';

export function renderHtmlReport(run: RunFolder, options: HtmlReportOptions = {}): string {
  const folderHref = options.runFolderHref === undefined || options.runFolderHref === '' ? '' : options.runFolderHref.endsWith('/') ? options.runFolderHref : `${options.runFolderHref}/`;
  const page = run.kind === 'run' ? runPage(run, folderHref) : run.kind === 'capacity' ? capacityPage(run) : drillPage(run, folderHref);
  const { js, css } = reportClientAssets();
  const data: ReportData = { charts: page.charts };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Spillway">
<title>${esc(page.title)}</title>
<style>${css.replace(/<\/style/gi, '<\\/style')}</style>
</head>
<body data-report-kind="${run.kind}">
<header>
<h1>${esc(page.title)}</h1>
${page.meta}
</header>
${incompleteSection(run)}
${page.body}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

interface Page {
  title: string;
  meta: string;
  body: string;
  charts: ChartSpec[];
}

function metaList(pairs: [string, string | number | null | undefined][]): string {
  return `<dl class="meta">${pairs
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('')}</dl>`;
}

function incompleteSection(run: RunFolder): string {
  if (!run.incomplete) return '';
  const what = run.kind === 'drill' ? 'drill' : run.kind === 'capacity' ? 'capacity run' : 'run';
  return `<section class="incomplete" id="incomplete" role="alert">
<p><strong>This ${what} did not complete (${esc(run.incomplete.status)}).</strong> ${esc(run.incomplete.reason)}</p>
<p>What follows is what was recorded before it stopped: verdicts and charts may be partial or absent.</p>
</section>`;
}

function figure(spec: ChartSpec): string {
  const body = spec.points > 0 ? `<div class="chart" role="img" aria-label="${esc(spec.title)}"></div>` : `<div class="chart empty">No data to draw: ${esc(spec.emptyReason ?? 'nothing was recorded')}.</div>`;
  const bands = spec.bands.length > 0 ? ` Hatched: ${spec.bands.map((b) => esc(b.label)).join('; ')}.` : '';
  const markers = spec.markers.length > 0 ? ` Dashed vertical lines: ${spec.markers.map((m) => esc(m.label)).join('; ')}.` : '';
  return `<figure id="${esc(anchorOf('chart', spec.name))}" data-chart="${esc(spec.name)}" data-points="${spec.points}">
<h3>${esc(spec.title)}</h3>
${body}
<figcaption>${esc(spec.caption)}${bands}${markers}</figcaption>
</figure>`;
}

function chartsSection(charts: ChartSpec[], heading = 'Charts'): string {
  const toc = `<nav class="toc" aria-label="charts"><ol>${charts.map((c) => `<li><a href="#${esc(anchorOf('chart', c.name))}">${esc(c.title)}</a>${c.points === 0 ? ' (no data)' : ''}</li>`).join('')}</ol></nav>`;
  return `<section id="charts"><h2>${esc(heading)}</h2>${toc}${charts.map(figure).join('\n')}</section>`;
}

// --- spillway run ----------------------------------------------------------------------------

function runMeta(run: RunRunFolder): string {
  const j = run.journal;
  return metaList([
    ['run', j.runId],
    ['scenario', j.scenario],
    ['status', j.status],
    ['exit code', `${j.exitCode} (${['pass', 'the gateway deviated', 'harness failure', 'inconclusive'][j.exitCode]})`],
    ['target', `${j.target.kind} ${j.target.entryUrl}`],
    ['units', j.plan.units],
    ['started', j.startedAt],
    ['ended', j.endedAt],
    ['k6', j.k6.meaning],
    ['expectations', j.expectations?.description],
  ]);
}

function timelineSection(run: RunRunFolder): string {
  const j = run.journal;
  const origin = Date.parse(j.k6.startedAt ?? j.startedAt);
  const at = (t: number | null): string | number => (t === null ? 'not applied' : Number(((t - origin) / 1000).toFixed(1)));
  const rows = j.timeline.map((f) => [f.id, f.step.kind, f.action, f.target, f.atSeconds, at(f.appliedAt), f.clearedAt === null ? 'not cleared' : at(f.clearedAt), [f.scope, f.error && `error: ${f.error}`, f.rollbackError && `rollback error: ${f.rollbackError}`].filter(Boolean).join('; ')]);
  return `<section id="timeline"><h2>Fault timeline</h2>${
    rows.length === 0 ? '<p>The plan applied no fault.</p>' : table(['step', 'kind', 'action', 'target', 'planned at, s', 'applied at, s', 'cleared at, s', 'notes'], rows)
  }</section>`;
}

function evidenceSection(run: RunRunFolder, folderHref: string): string {
  const kinds = ['client', 'ledger', 'gatewayLogs', 'llmLogs', 'breakerEvents', 'frontDoorEvents'] as const;
  const rows = kinds.map((kind) => {
    const s = run.evidence.status(kind);
    const file = s.file === null ? '—' : `<a href="${esc(folderHref + hrefOf(s.file))}"><code>${esc(s.file)}</code></a>`;
    return `<tr id="${esc(anchorOf('evidence', kind))}"><td>${esc(kind)}</td><td>${esc(s.status)}</td><td>${file}</td><td>${esc(s.note ?? '')}</td></tr>`;
  });
  const others = Object.entries(run.journal.evidence)
    .filter(([name]) => !(kinds as readonly string[]).includes(name))
    .map(([name, file]) => `<li>${esc(name)}: <a href="${esc(folderHref + hrefOf(file))}"><code>${esc(file)}</code></a></li>`);
  return `<section id="evidence"><h2>Evidence</h2>
<table><thead><tr><th scope="col">kind</th><th scope="col">status</th><th scope="col">file</th><th scope="col">note</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${others.length > 0 ? `<p>Other files of the run:</p><ul>${others.join('')}</ul>` : ''}
<p>Phases (wall time): ${esc(Object.entries(run.journal.phases).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join(', ') || 'none recorded')}.</p>
</section>`;
}

function runPage(run: RunRunFolder, folderHref: string): Page {
  const charts = runCharts(run);
  const shown = new Set(charts.filter((c) => c.points > 0).map((c) => c.name));
  return {
    title: `Spillway run ${run.journal.runId} (${run.journal.scenario})`,
    meta: runMeta(run),
    body: [verdictSection(run.journal.verdicts, folderHref, shown), chartsSection(charts), timelineSection(run), evidenceSection(run, folderHref)].join('\n'),
    charts,
  };
}

// --- spillway capacity -----------------------------------------------------------------------

function capacityPage(run: CapacityRunFolder): Page {
  const j = run.journal;
  const charts = capacityCharts(run);
  const knee = j.knee === null ? 'none (no step was judged)' : j.knee.kind === 'knee' ? `${j.knee.rps} req/s (first failing ${j.knee.firstFailingRps} req/s)` : `no knee: ${j.knee.cause} at ${j.knee.atRps} req/s`;
  const stepRow = (s: CapacityRunFolder['journal']['steps'][number]): (string | number | null)[] => [
    s.phase,
    s.step.offeredRps,
    Number(s.step.throughputRps.toFixed(1)),
    s.step.latencyMs.p95,
    Number((100 * s.step.errorRate).toFixed(2)),
    s.step.gatewayHeld ? 'held' : 'did not hold',
    s.step.generatorKeptUp ? 'yes' : 'no',
    s.backend.saturated ? 'saturated' : 'had room',
    [...s.step.reasons, ...s.backend.reasons].join('; '),
  ];
  const head = ['phase', 'offered, req/s', 'answered, req/s', 'p95, ms', 'failed, %', 'gateway', 'generator kept up', 'fleet', 'reasons'];
  const conclusion = `<section id="conclusion"><h2>Conclusion</h2>
<p class="summary-line">Knee: ${esc(knee)}${j.kneeConfirmed === true ? ', confirmed by a hold' : j.kneeConfirmed === false ? ', not sustained when held' : ''}.</p>
<ul>${j.conclusion.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
${j.emulated ? `<p>On the embedded default the figure is the emulator's configured capacity model (${esc(j.emulated.units)} unit(s) × ${esc(j.emulated.requestsPerSecondPerUnit)} req/s), not a measurement of API Management.</p>` : ''}
</section>`;
  const steps = `<section id="steps"><h2>Steps</h2>${table(head, j.steps.map(stepRow))}${
    j.holds.length > 0 ? `<h3>Confirming holds</h3>${table(head, j.holds.map(stepRow))}` : ''
  }${j.unconfirmedSteps.length > 0 ? `<h3>Failures held again (the repeat counts)</h3>${table(head, j.unconfirmedSteps.map(stepRow))}` : ''}</section>`;
  return {
    title: `Spillway capacity (${j.settings.profile} profile)`,
    meta: metaList([
      ['status', j.status],
      ['profile', j.settings.profile],
      ['units', j.settings.units],
      ['target', `${j.target.kind} ${j.target.entryUrl}`],
      ['started', j.startedAt],
      ['ended', j.endedAt],
    ]),
    body: [conclusion, chartsSection(charts, 'Against offered load'), steps].join('\n'),
    charts,
  };
}

// --- spillway drill --------------------------------------------------------------------------

const checkWords: Record<DrillCheck['status'], string> = { deviated: 'DEVIATED', inconclusive: 'INCONCLUSIVE', held: 'HELD' };

function checksTable(checks: readonly DrillCheck[]): string {
  if (checks.length === 0) return '<p>None.</p>';
  return table(
    ['status', 'check', 'kind', 'expected', 'measured'],
    [...checks].sort((a, b) => (a.status === 'deviated' ? -1 : 0) - (b.status === 'deviated' ? -1 : 0)).map((c) => [checkWords[c.status], c.name, c.kind, c.expected, c.measured]),
  );
}

function detectionSection(checks: readonly DrillCheck[]): string {
  if (checks.length === 0) return '<section id="detection"><h2>Detection queries</h2><p>The drill declares no detection query.</p></section>';
  const items = checks.map((c) => {
    const rows = c.result ?? [];
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const result = rows.length === 0 ? '<p>The query returned no row.</p>' : table(columns, rows.map((r) => columns.map((k) => (typeof r[k] === 'number' ? (r[k] as number) : r[k] === undefined || r[k] === null ? '' : typeof r[k] === 'string' ? (r[k] as string) : JSON.stringify(r[k])))));
    return `<article class="verdict verdict-${c.status === 'deviated' ? 'fail' : c.status === 'held' ? 'pass' : 'inconclusive'}" id="${esc(anchorOf('detection', c.name))}">
<h3><span class="status">${checkWords[c.status]}</span> <span class="check">${esc(c.name)}</span></h3>
<dl><dt>expected</dt><dd>${esc(c.expected)}</dd><dt>measured</dt><dd>${esc(c.measured)}</dd>${c.window ? `<dt>window</dt><dd>${esc(c.window.start)} – ${esc(c.window.end)}</dd>` : ''}</dl>
${c.query ? `<pre><code>${esc(c.query)}</code></pre>` : ''}
${result}
</article>`;
  });
  return `<section id="detection"><h2>Detection queries</h2><div class="verdicts">${items.join('\n')}</div></section>`;
}

function drillPage(run: DrillRunFolder, folderHref: string): Page {
  const j = run.journal;
  const method = run.methodRun();
  const methodCharts = method ? runCharts(method, 'method-').filter((c) => ['method-request-rate', 'method-status-origin', 'method-backend-share', 'method-breakers'].includes(c.name)) : [];
  const methodFolder = run.methodRunDir === null ? null : relative(run.dir, run.methodRunDir).split('\\').join('/');
  const runLink = methodFolder === null ? '<p>The drill did not get as far as running its method.</p>' : `<p>The method's run: <a href="${esc(folderHref + hrefOf(`${methodFolder}/${htmlReportFileName}`))}">its report</a> (folder <a href="${esc(folderHref + hrefOf(methodFolder))}"><code>${esc(methodFolder)}</code></a>${j.run ? `, ${esc(j.run.status)}, exit ${esc(j.run.exitCode)}${j.run.problem ? `: ${esc(j.run.problem)}` : ''}` : ''}).</p>`;
  const verdicts: Verdict[] = j.verdicts.map((v) => ({ check: v.check, status: v.status === 'fail' || v.status === 'deviated' ? 'fail' : v.status === 'inconclusive' ? 'inconclusive' : 'pass', expected: v.expected, measured: v.measured, tolerance: '', explanation: 'a verdict of the method\'s run (see its report)', evidence: [] }));
  const deviations = j.deviations.length > 0 ? `<section id="deviations"><h2>Deviations</h2><ul>${j.deviations.map((d) => `<li>${esc(d)}</li>`).join('')}</ul></section>` : '';
  const timeline = method
    ? (() => {
        const origin = Date.parse(method.journal.k6.startedAt ?? method.journal.startedAt);
        const at = (t: number | null): string | number => (t === null ? '—' : Number(((t - origin) / 1000).toFixed(1)));
        return method.journal.timeline.length === 0 ? '<p>The method applied no step.</p>' : table(['step', 'kind', 'action', 'target', 'applied at, s', 'cleared at, s', 'notes'], method.journal.timeline.map((f) => [f.id, f.step.kind, f.action, f.target, at(f.appliedAt), at(f.clearedAt), [f.scope, f.error, f.rollbackError].filter(Boolean).join('; ')]));
      })()
    : '<p>No method run to show.</p>';
  const body = [
    `<section id="summary"><h2>Outcome</h2><p class="summary-line">${esc(j.status.toUpperCase())}: ${esc(j.deviations.length > 0 ? `${j.deviations.length} deviation(s)` : j.status === 'completed' ? 'every probe, verdict and detection held' : j.problem ?? j.status)}.</p>${runLink}</section>`,
    deviations,
    `<section id="hypothesis"><h2>Steady-state hypothesis: ${esc(j.hypothesis.title)}</h2><h3>Before the faults</h3>${
      j.beforeGate
        ? `<p class="summary-line">Before-gate at ${esc(j.beforeGate.atSeconds)} s: the before probes ${esc(j.beforeGate.status)}; the method ${j.beforeGate.method === 'ran' ? 'ran' : `was NOT run (${esc(j.beforeGate.faultsApplied)} fault(s) applied)`}.</p>`
        : ''
    }${checksTable(j.hypothesis.before)}<h3>After the faults</h3>${checksTable(j.hypothesis.after)}${
      j.hypothesis.method.length > 0 ? `<h3>During the method</h3>${checksTable(j.hypothesis.method)}` : ''
    }</section>`,
    `<section id="method"><h2>The method's timeline</h2>${timeline}</section>`,
    methodCharts.length > 0 ? chartsSection(methodCharts, "The method's run") : '',
    j.verdicts.length > 0 ? verdictSection(verdicts, folderHref, new Set()).replace('<h2 id="verdicts-title">Verdicts</h2>', '<h2 id="verdicts-title">Verdicts of the method\'s run</h2>') : '',
    detectionSection(j.detection),
    `<section id="rollbacks"><h2>Rollbacks</h2>${j.rollbacks.length === 0 ? '<p>None needed.</p>' : table(['status', 'kind', 'what', 'detail'], j.rollbacks.map((r) => [r.status, r.kind, r.what, r.detail]))}</section>`,
  ].join('\n');
  return {
    title: `Spillway drill ${j.drill}: ${j.title}`,
    meta: metaList([
      ['drill', j.drill],
      ['playbook event', j.playbookEvent],
      ['status', j.status],
      ['exit code', j.exitCode],
      ['file', j.file],
      ['started', j.startedAt],
      ['ended', j.endedAt],
    ]),
    body,
    charts: methodCharts,
  };
}
