import type { EvidenceKind } from '../../harness/contracts/evidence.ts';
import type { Verdict } from '../../harness/contracts/verdict.ts';
import { anchorOf, esc, hrefOf } from './html-text.ts';

/**
 * The verdicts, first on the page: failed ones first, then inconclusive, then passed, each
 * with its status in words, its measured value, what was expected, the explanation, and links
 * to its evidence: the files (in the run folder) and the charts drawn from the same kinds.
 */

const order: Record<Verdict['status'], number> = { fail: 0, inconclusive: 1, pass: 2 };
const words: Record<Verdict['status'], string> = { fail: 'FAIL', inconclusive: 'INCONCLUSIVE', pass: 'PASS' };

/** Which chart shows which kind of evidence. */
const chartsOfKind: Partial<Record<EvidenceKind, { chart: string; title: string }[]>> = {
  client: [
    { chart: 'status-origin', title: 'answers by origin' },
    { chart: 'latency', title: 'latency' },
  ],
  ledger: [{ chart: 'backend-share', title: "backends' share" }],
  breakerEvents: [{ chart: 'breakers', title: 'breaker open periods' }],
  llmLogs: [{ chart: 'tokens', title: 'token use' }],
  gatewayLogs: [{ chart: 'status-origin', title: 'answers by origin' }],
};

export function sortedVerdicts(verdicts: readonly Verdict[]): Verdict[] {
  return verdicts.map((v, i) => ({ v, i })).sort((a, b) => order[a.v.status] - order[b.v.status] || a.i - b.i).map(({ v }) => v);
}

export function verdictSummary(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return 'Nothing was judged: the plan names no verifier and no threshold, so there is no verdict to pass (exit 3, inconclusive).';
  const count = (s: Verdict['status']): number => verdicts.filter((v) => v.status === s).length;
  return `${verdicts.length} verdict${verdicts.length === 1 ? '' : 's'}: ${count('fail')} failed, ${count('inconclusive')} inconclusive, ${count('pass')} passed.`;
}

/** `folderHref`: the run folder as seen from the report ('' when the report sits in it). */
export function verdictSection(verdicts: readonly Verdict[], folderHref: string, chartsShown: ReadonlySet<string>): string {
  const link = (file: string): string => `${folderHref}${hrefOf(file)}`;
  const items = sortedVerdicts(verdicts).map((v, i) => {
    const evidence = v.evidence.map(
      (e) =>
        `<li><a href="${esc(link(e.file))}"><code>${esc(e.file)}</code></a>: ${esc(e.description)}${e.examples && e.examples.length > 0 ? ` (e.g. ${e.examples.map((x) => esc(x)).join(', ')})` : ''}${
          e.timeRange ? ` <span class="time-range">[${esc(new Date(e.timeRange[0]).toISOString())} – ${esc(new Date(e.timeRange[1]).toISOString())}]</span>` : ''
        }</li>`,
    );
    const charts = [...new Map((v.sources ?? []).flatMap((k) => chartsOfKind[k] ?? []).filter((c) => chartsShown.has(c.chart)).map((c) => [c.chart, c])).values()];
    const chartLinks = charts.length > 0 ? `<p class="see-charts">See the charts: ${charts.map((c) => `<a href="#${esc(anchorOf('chart', c.chart))}">${esc(c.title)}</a>`).join(', ')}.</p>` : '';
    return `<article class="verdict verdict-${v.status}" id="${esc(anchorOf('verdict', `${i + 1}-${v.check}`))}" data-status="${v.status}">
<h3><span class="status">${words[v.status]}</span> <span class="check">${esc(v.check)}</span></h3>
<dl><dt>measured</dt><dd>${esc(v.measured)}</dd><dt>expected</dt><dd>${esc(v.expected)}</dd><dt>tolerance</dt><dd>${esc(v.tolerance)}</dd>${v.sources ? `<dt>decided from</dt><dd>${esc(v.sources.join(', ') || 'no evidence kind')}</dd>` : ''}</dl>
<p>${esc(v.explanation)}</p>
${evidence.length > 0 ? `<p>Evidence:</p><ul class="evidence">${evidence.join('')}</ul>` : '<p>Evidence: none listed.</p>'}
${chartLinks}
</article>`;
  });
  // One line per verdict first, so that a run of 26 verdicts reads at a glance; then the failed
  // and inconclusive ones in full, and the passed ones folded away (opened for printing).
  const sorted = sortedVerdicts(verdicts);
  const rows = sorted.map(
    (v, i) =>
      `<tr class="verdict-row-${v.status}"><td class="status">${words[v.status]}</td><td><a href="#${esc(anchorOf('verdict', `${i + 1}-${v.check}`))}"><code>${esc(v.check)}</code></a></td><td>${esc(v.measured)}</td></tr>`,
  );
  const table = rows.length > 0 ? `<table class="verdict-table"><thead><tr><th>status</th><th>check</th><th>measured</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '';
  const firstPassed = sorted.findIndex((v) => v.status === 'pass');
  const shown = firstPassed === -1 ? items : items.slice(0, firstPassed);
  const passed = firstPassed === -1 ? [] : items.slice(firstPassed);
  const folded = passed.length > 0 ? `<details class="passed-verdicts"><summary>The ${passed.length} passed verdict${passed.length === 1 ? '' : 's'} in full</summary>${passed.join('\n')}</details>` : '';
  return `<section id="verdicts" aria-labelledby="verdicts-title">
<h2 id="verdicts-title">Verdicts</h2>
<p class="summary-line">${esc(verdictSummary(verdicts))}</p>
${table}
<div class="verdicts">${shown.join('\n')}${folded}</div>
</section>`;
}
