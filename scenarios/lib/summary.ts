import { metricNames } from './metric-names.ts';
import type { SpillwayPlan } from './plan.ts';

/**
 * handleSummary: the machine-readable summary the harness reads (written to plan.summaryPath)
 * and a compact text summary for stdout. k6's own textSummary lives in a remote jslib
 * (jslib.k6.io), which a run must not depend on, hence the small renderer here.
 *
 * k6 passes `data` = { root_group: { checks: [...] }, options, state: { testRunDurationMs },
 * metrics: { name: { type, contains, values: {...}, thresholds?: { expr: { ok } } } } }.
 */
export interface SummaryData {
  root_group?: { checks?: { name: string; passes: number; fails: number }[] };
  state?: { testRunDurationMs?: number };
  metrics: Record<string, { type: string; contains?: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

export interface MachineSummary {
  scenario: string;
  units: number;
  testRunDurationMs: number | null;
  /** Selected metrics (see selectedMetric), each with k6's values for it. */
  metrics: Record<string, Record<string, number>>;
  /** The plan's thresholds and whether each held. */
  thresholds: Record<string, Record<string, { ok: boolean }>>;
  rootChecks: { name: string; passes: number; fails: number }[];
}

/** k6's built-in metrics worth keeping; every spillway_* metric and sub-metric is kept too. */
const builtIns = ['http_reqs', 'http_req_failed', 'http_req_duration', 'http_req_waiting', 'iterations', 'dropped_iterations', 'vus_max', 'checks'];

function selectedMetric(name: string, plan: SpillwayPlan): boolean {
  return builtIns.includes(name) || name.startsWith('spillway_') || name in plan.thresholds;
}

export function machineSummary(plan: SpillwayPlan, data: SummaryData): MachineSummary {
  const metrics: MachineSummary['metrics'] = {};
  const thresholds: MachineSummary['thresholds'] = {};
  for (const name of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[name];
    if (!metric) continue;
    if (selectedMetric(name, plan)) metrics[name] = { ...metric.values };
    // Only the plan's thresholds: the always-true breakdown ones (options.ts) are not verdicts.
    if (name in plan.thresholds && metric.thresholds) {
      thresholds[name] = {};
      for (const [expression, result] of Object.entries(metric.thresholds)) thresholds[name][expression] = { ok: result.ok };
    }
  }
  return {
    scenario: plan.name,
    units: plan.units,
    testRunDurationMs: data.state?.testRunDurationMs ?? null,
    metrics,
    thresholds,
    rootChecks: (data.root_group?.checks ?? []).map((c) => ({ name: c.name, passes: c.passes, fails: c.fails })),
  };
}

function num(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${(value * 100).toFixed(1)}%`;
}

function trendLine(label: string, values: Record<string, number> | undefined): string | undefined {
  if (!values || Object.keys(values).length === 0) return undefined;
  const stats = Object.entries(values)
    .filter(([stat]) => stat !== 'count')
    .map(([stat, value]) => `${stat}=${num(value, 1)}`)
    .join(' ');
  return `  ${label.padEnd(22)} ${stats} ms`;
}

/** A few lines a person reads after a run; the JSON file has everything. */
export function renderText(summary: MachineSummary): string {
  const m = summary.metrics;
  const lines: string[] = [];
  const seconds = summary.testRunDurationMs === null ? '-' : (summary.testRunDurationMs / 1000).toFixed(1);
  lines.push(`spillway scenario ${summary.scenario}: ${summary.units} unit(s), ${seconds} s`);
  const reqs = m.http_reqs;
  lines.push(`  ${'requests'.padEnd(22)} ${num(reqs?.count)} (${num(reqs?.rate, 2)}/s), failed ${percent(m.http_req_failed?.rate)}, dropped iterations ${num(m.dropped_iterations?.count ?? 0)}`);
  for (const line of [trendLine('http_req_duration', m.http_req_duration), trendLine('http_req_waiting (TTFB)', m.http_req_waiting)]) if (line) lines.push(line);
  lines.push(`  ${'tokens'.padEnd(22)} ${num(m[metricNames.tokens]?.count ?? 0)}`);
  const gateway429 = m[`${metricNames.tooManyRequests}{origin:gateway}`]?.count ?? 0;
  const backend429 = m[`${metricNames.tooManyRequests}{origin:backend}`]?.count ?? 0;
  lines.push(`  ${'429s'.padEnd(22)} ${num(m[metricNames.tooManyRequests]?.count ?? 0)} (gateway ${num(gateway429)}, backend ${num(backend429)})`);
  const spill = m[metricNames.spillover];
  if (spill) lines.push(`  ${'spillover to PAYG'.padEnd(22)} ${percent(spill.rate)} of ${num((spill.passes ?? 0) + (spill.fails ?? 0))} medium answers`);
  const thresholdEntries = Object.entries(summary.thresholds).flatMap(([metric, expressions]) => Object.entries(expressions).map(([expression, r]) => ({ metric, expression, ok: r.ok })));
  if (thresholdEntries.length > 0) {
    lines.push('thresholds');
    for (const t of thresholdEntries) lines.push(`  ${t.ok ? 'ok    ' : 'FAILED'} ${t.metric}: ${t.expression}`);
  }
  if (summary.rootChecks.length > 0) {
    lines.push('checks');
    for (const c of summary.rootChecks) lines.push(`  ${c.fails === 0 ? 'ok    ' : 'FAILED'} ${c.name}: ${c.passes}/${c.passes + c.fails}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The handleSummary export: the JSON file for the harness, the text for the console. */
export function summaryOutputs(plan: SpillwayPlan, data: SummaryData): Record<string, string> {
  const summary = machineSummary(plan, data);
  return { [plan.summaryPath]: `${JSON.stringify(summary, null, 2)}\n`, stdout: renderText(summary) };
}
