/**
 * The JUnit XML document around a suite's test cases, shared by the run's renderer
 * (junit.renderer.ts) and the capacity and drill renderer (summary-junit.renderer.ts): one
 * `<testsuites>` holding one `<testsuite>`, whose counts CI systems show as the headline.
 */
export interface JUnitSuite {
  name: string;
  /** The `<testcase>` elements, already rendered. */
  cases: readonly string[];
  failures: number;
  errors: number;
  startedAt: string;
  seconds: number;
  properties: Readonly<Record<string, string | number>>;
}

export function renderJUnitDocument(suite: JUnitSuite): string {
  const properties = Object.entries(suite.properties)
    .map(([name, value]) => `<property name="${escapeXml(name)}" value="${escapeXml(String(value))}"/>`)
    .join('');
  const counts = `tests="${suite.cases.length}" failures="${suite.failures}" errors="${suite.errors}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="spillway" ${counts} time="${suite.seconds.toFixed(3)}">`,
    `  <testsuite name="${escapeXml(suite.name)}" ${counts} timestamp="${escapeXml(suite.startedAt)}" time="${suite.seconds.toFixed(3)}">`,
    `    <properties>${properties}</properties>`,
    ...suite.cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Text for an XML attribute or element: the five specials escaped, the control characters XML 1.0 forbids dropped. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
