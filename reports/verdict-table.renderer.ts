import type { Verdict } from '../harness/contracts/verdict.ts';

/**
 * The verdict table printed at the end of a run: one row per check, then the explanations of
 * what did not pass, each with the evidence kinds it was decided from (when the verdict lists them).
 */
export function renderVerdictTable(verdicts: readonly Verdict[], options: { color?: boolean } = {}): string {
  const paint = (status: Verdict['status'], text: string): string => {
    if (!options.color) return text;
    const code = status === 'pass' ? 32 : status === 'fail' ? 31 : 33;
    return `\u001b[${code}m${text}\u001b[0m`;
  };
  const rows = verdicts.map((v) => [v.status.toUpperCase(), v.check, v.expected, v.measured]);
  const headers = ['STATUS', 'CHECK', 'EXPECTED', 'MEASURED'];
  const width = (i: number, cap: number): number => Math.min(cap, Math.max(headers[i]!.length, ...rows.map((r) => r[i]!.length)));
  const widths = [width(0, 12), width(1, 40), width(2, 48), width(3, 48)];
  const cut = (text: string, w: number): string => (text.length > w ? `${text.slice(0, w - 1)}…` : text.padEnd(w));
  // A check's name tells rows apart at its end (`… (dev-test-ci)`, `…{…,priority:high}`), so a long
  // one loses its middle rather than its end.
  const cutMiddle = (text: string, w: number): string => {
    if (text.length <= w) return text.padEnd(w);
    const tail = Math.floor((w - 1) / 2);
    return `${text.slice(0, w - 1 - tail)}…${text.slice(text.length - tail)}`;
  };
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 1 ? cutMiddle : cut)(cell, widths[i]!)).join('  ');
  const out = [line(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  verdicts.forEach((v, i) => {
    const text = line(rows[i]!);
    out.push(paint(v.status, text.slice(0, widths[0]!)) + text.slice(widths[0]!));
  });
  const notPassed = verdicts.filter((v) => v.status !== 'pass');
  if (notPassed.length > 0) {
    out.push('');
    for (const v of notPassed) out.push(`${paint(v.status, v.status.toUpperCase())} ${v.check}: ${v.explanation}${v.sources ? ` [decided from: ${v.sources.length > 0 ? v.sources.join(', ') : 'nothing'}]` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
