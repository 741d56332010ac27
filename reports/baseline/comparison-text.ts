import { format, signed, type BaselineComparison } from './compare-runs.ts';

/**
 * A baseline comparison as plain text for the terminal: the measures (throughput, latency, error
 * share) as a table, then each verdict whose status or measured numbers changed, then the
 * regressions beyond the margin. Words only (REGRESSION), never colour alone.
 */
export function renderComparisonText(c: BaselineComparison): string {
  const lines = [`compared with the baseline ${c.baseline.id} (${c.maxRegressionPercent !== null ? `margin ${c.maxRegressionPercent}%` : 'no --max-regression: shown, not gated'})`];
  const rows = c.metrics.map((m) => [m.name, format(m.baseline, m.unit), format(m.current, m.unit), m.changePercent !== null ? `${signed(m.changePercent)}%` : '–', m.regression ? 'REGRESSION' : '']);
  const header = ['MEASURE', 'BASELINE', 'THIS RUN', 'CHANGE', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) lines.push(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd()}`);
  const changed = c.verdicts.filter((v) => v.baseline?.status !== v.current?.status || v.numbers === null || v.numbers.length > 0);
  if (changed.length > 0) lines.push('  verdicts that changed:');
  for (const v of changed) {
    const status = `${v.baseline?.status.toUpperCase() ?? 'NOT JUDGED'} -> ${v.current?.status.toUpperCase() ?? 'NOT JUDGED'}`;
    const numbers = v.numbers === null ? (v.baseline && v.current ? `; measured was "${v.baseline.measured}", now "${v.current.measured}"` : '') : v.numbers.map((n) => `; ${n.context ? `${n.context} ` : ''}${n.baseline} -> ${n.current}${n.changePercent !== null ? ` (${signed(n.changePercent)}%)` : ''}`).join('');
    lines.push(`    ${v.check}: ${status}${numbers}${v.regression ? '  REGRESSION' : ''}`);
  }
  for (const note of c.notes) lines.push(`  note: ${note}`);
  if (c.maxRegressionPercent !== null) lines.push(c.regressions.length === 0 ? '  no regression beyond the margin' : `  ${c.regressions.length} regression(s) beyond the ${c.maxRegressionPercent}% margin:`);
  for (const r of c.regressions) lines.push(`    REGRESSION ${r}`);
  return `${lines.join('\n')}\n`;
}
