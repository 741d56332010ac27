import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithBaseline } from './baseline/compare-runs.ts';
import { fixtureClientRecord, fixtureJournal, fixtureVerdict, writeFixtureRun } from './fixture-run-folder.ts';
import { renderMarkdownReport, renderMarkdownSummary } from './markdown.renderer.ts';
import { summarize as summaryOf, summarizeCapacity } from './report-summary.ts';
import { loadRunFolder } from './run-folder.ts';
import { capacityJournal } from './summary-fixtures.ts';

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function runFolder(overrides: Parameters<typeof fixtureJournal>[0] = {}, client = Array.from({ length: 120 }, (_, i) => fixtureClientRecord(t0 + i * 500, { durationMs: 100 + i }))) {
  const dir = mkdtempSync(join(tmpdir(), 'markdown-'));
  writeFixtureRun(dir, { journal: fixtureJournal(overrides), client });
  return loadRunFolder(dir);
}

describe('renderMarkdownReport', () => {
  it('shows the outcome, failed verdicts first with their explanation, the numbers, and links the HTML', () => {
    const md = renderMarkdownReport(runFolder({ exitCode: 1, verdicts: [fixtureVerdict('a.pass', 'pass'), fixtureVerdict('b.fail', 'fail', '4 | 5 <b>')] }), { htmlFile: 'report.html' });
    expect(md).toMatch(/^## Spillway run fixture: FAIL \(exit 1\)/);
    expect(md).toContain('[full report (HTML)](report.html)');
    expect(md).toContain('### Verdicts: 1 failed, 0 inconclusive, 1 passed');
    const rows = md.split('\n').filter((l) => l.startsWith('| **FAIL**') || l.startsWith('| PASS'));
    expect(rows[0]).toBe('| **FAIL** | b.fail | b.fail expected | 4 \\| 5 &lt;b&gt; |');
    expect(rows[1]).toMatch(/^\| PASS \| a\.pass/);
    // What needs attention stays open; the passed verdicts are folded, after it.
    expect(md.indexOf('| **FAIL** | b.fail')).toBeLessThan(md.indexOf('<details><summary>1 passed</summary>'));
    expect(md.indexOf('<details><summary>1 passed</summary>')).toBeLessThan(md.indexOf('| PASS | a.pass'));
    expect(md.indexOf('| PASS | a.pass')).toBeLessThan(md.indexOf('</details>'));
    expect(md).toContain("- **FAIL** `b.fail`: b.fail: what happened and where to look");
    expect(md).toContain('| Rate achieved / target | 2.0 / 2.0 req/s (100% of the target) |');
    expect(md).toContain('| Latency p50 / p95 / p99 | 159 / 213 / 218 ms |');
    expect(md).toContain('| Errors | 0.00% |');
  });

  it('says why a run did not complete before anything else, and has no link when there is no HTML', () => {
    const md = renderMarkdownReport(runFolder({ status: 'incomplete', exitCode: 2, problem: 'k6 did not complete the run: script exception', verdicts: [] }));
    const lines = md.split('\n');
    expect(lines[0]).toBe('## Spillway run fixture: DID NOT COMPLETE (exit 2)');
    expect(lines[2]).toBe('> **The run did not complete (incomplete):** k6 did not complete the run: script exception');
    expect(md).not.toContain('report.html');
  });

  it('shows a capacity run\'s knee, units recommended for the peak and the steps', () => {
    const md = renderMarkdownSummary(summarizeCapacity(capacityJournal(), 'cap-1', '/x/capacity-journal.json'));
    expect(md).toContain('| Knee | 40 req/s over 2 unit(s), confirmed by a longer hold |');
    expect(md).toContain('| Per unit | 20.0 req/s |');
    expect(md).toContain('| Recommended units for 50 req/s | 3 |');
    expect(md).toContain('| 60.0 | 59.5 | 400 | 20.0% | failed |');
  });

  it('shows a comparison with a baseline, marking a regression in words', () => {
    const current = runFolder();
    const baseline = runFolder({}, Array.from({ length: 120 }, (_, i) => fixtureClientRecord(t0 + i * 500, { durationMs: 50 })));
    const comparison = compareWithBaseline(summaryOf(current), summaryOf(baseline), 10);
    const md = renderMarkdownReport(current, { comparison });
    expect(md).toContain('### Compared with the baseline `fixture-run`, margin 10%');
    expect(md).toMatch(/\| latency p95 \| 50 ms \| 213 ms \| \+326\.0% \*\*REGRESSION\*\* \|/);
    expect(md).toContain('| throughput | 2.0 req/s | 2.0 req/s | +0.0% |');
  });
});
