import { summarize, type ReportSummary } from './report-summary.ts';
import { renderJUnit } from './junit.renderer.ts';
import { escapeXml as escape, renderJUnitDocument } from './junit-document.ts';
import type { RunFolder } from './run-folder.ts';

/**
 * JUnit XML of any run folder. A run's is reports/junit.renderer.ts's, unchanged (its journal
 * has everything JUnit shows); a capacity run's and a drill's are built the same way from their
 * summaries: one test case per verdict (the capacity conclusion; each probe, detection query and
 * method verdict of a drill), a failure for a failed one, an error for an inconclusive one, and an
 * error case `run` when it did not complete. Pure.
 */
export function renderJUnitReport(folder: RunFolder): string {
  return folder.kind === 'run' ? renderJUnit(folder.journal) : renderSummaryJUnit(summarize(folder));
}

export function renderSummaryJUnit(summary: ReportSummary): string {
  const suite = `${summary.kind}.${summary.name}`;
  const cases = summary.verdicts.map((v) => {
    const child =
      v.status === 'fail'
        ? `<failure message="${escape(v.measured)}" type="deviation">${escape(`expected: ${v.expected}\nmeasured: ${v.measured}\n${v.explanation}`)}</failure>`
        : v.status === 'inconclusive'
          ? `<error message="inconclusive" type="inconclusive">${escape(v.explanation || v.measured)}</error>`
          : '';
    return `    <testcase classname="spillway.${escape(suite)}" name="${escape(v.check)}">${child}</testcase>`;
  });
  const unfinished = summary.exitCode === 2 && summary.problem !== null;
  if (unfinished) cases.push(`    <testcase classname="spillway.${escape(suite)}" name="run"><error message="${escape(summary.status)}" type="harness">${escape(summary.problem!)}</error></testcase>`);
  const failures = summary.verdicts.filter((v) => v.status === 'fail').length;
  const errors = summary.verdicts.filter((v) => v.status === 'inconclusive').length + (unfinished ? 1 : 0);
  const seconds = Math.max(0, (Date.parse(summary.endedAt) - Date.parse(summary.startedAt)) / 1000) || 0;
  return renderJUnitDocument({ name: suite, cases, failures, errors, startedAt: summary.startedAt, seconds, properties: { id: summary.id, exitCode: summary.exitCode, status: summary.status } });
}
