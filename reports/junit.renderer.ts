import type { Journal } from '../harness/contracts/journal.ts';
import { escapeXml as escape, renderJUnitDocument } from './junit-document.ts';

/**
 * A run journal as JUnit XML, for CI systems that show test results: one test suite per run,
 * one test case per verdict. A failed verdict is a <failure>; an inconclusive one is an
 * <error> (missing evidence is not a pass, and not a skip either); a run that did not
 * complete, or judged nothing, adds an error case saying why. Each case carries the evidence
 * kinds its verdict was decided from as the property `sources` (e.g. "ledger,client"), when the
 * verdict lists them. Pure: the journal in, the XML out.
 */
export function renderJUnit(journal: Journal): string {
  const cases = journal.verdicts.map((verdict) => {
    const children: string[] = [];
    // The evidence kinds the verdict was decided from, as a property of its case (JUnit's
    // testcase properties; CI systems that do not show them ignore them).
    if (verdict.sources) children.push(`<properties><property name="sources" value="${escape(verdict.sources.join(','))}"/></properties>`);
    if (verdict.status === 'fail') {
      children.push(`<failure message="${escape(verdict.measured)}" type="deviation">${escape(`expected: ${verdict.expected}\nmeasured: ${verdict.measured}\ntolerance: ${verdict.tolerance}\n${verdict.explanation}`)}</failure>`);
    } else if (verdict.status === 'inconclusive') {
      children.push(`<error message="inconclusive" type="inconclusive">${escape(verdict.explanation)}</error>`);
    }
    const inner = children.length > 0 ? `\n      ${children.join('\n      ')}\n    ` : '';
    return `    <testcase classname="spillway.${escape(journal.scenario)}" name="${escape(verdict.check)}">${inner}</testcase>`;
  });
  // A run that did not complete, or that completed with nothing judged (exit 3), must not
  // read as green in a CI system: either adds one error case saying why.
  const runError =
    journal.status !== 'completed'
      ? { message: journal.status, text: journal.problem ?? 'the run did not complete' }
      : journal.verdicts.length === 0
        ? { message: 'inconclusive', text: 'the run completed but nothing was judged: the plan names no verifier and no threshold, so there is no verdict to pass' }
        : null;
  if (runError) {
    cases.push(`    <testcase classname="spillway.${escape(journal.scenario)}" name="run"><error message="${escape(runError.message)}" type="harness">${escape(runError.text)}</error></testcase>`);
  }
  const failures = journal.verdicts.filter((v) => v.status === 'fail').length;
  const errors = journal.verdicts.filter((v) => v.status === 'inconclusive').length + (runError ? 1 : 0);
  const seconds = (Date.parse(journal.endedAt) - Date.parse(journal.startedAt)) / 1000;
  return renderJUnitDocument({ name: journal.scenario, cases, failures, errors, startedAt: journal.startedAt, seconds, properties: { runId: journal.runId, exitCode: journal.exitCode, units: journal.plan.units } });
}
