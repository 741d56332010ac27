import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Journal } from '../contracts/journal.ts';
import { writeK6ConfigWith } from '../run/test-k6-config.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { runCliInProcess } from './cli-test-support.ts';

/**
 * `spillway report` over a real run folder: one short run on loopback (8 s at 4 req/s against
 * the embedded default), which must itself leave the four reports and append its Markdown to
 * $GITHUB_STEP_SUMMARY; then the folder rendered again into --out, and compared with baselines
 * made from a copy of it: one whose client latencies were edited to a quarter (the run must
 * fail the gate, exit 1, naming the latency), and an unedited copy (within any margin, exit 0).
 * Skipped, saying why, without k6.
 */
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : null;
if (skip) process.stdout.write(`report-command.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-report-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the run folder whose k6 samples of each request took `factor` times as long. */
function baselineScaled(runDir: string, name: string, factor: number): string {
  const copy = join(dir, name);
  cpSync(runDir, copy, { recursive: true });
  const samples = join(copy, 'k6-samples.json');
  const lines = readFileSync(samples, 'utf8').split('\n').map((line) => {
    if (!line.includes('"spillway_request"')) return line;
    const point = JSON.parse(line) as { metric: string; type: string; data: { value: number } };
    if (point.type !== 'Point' || point.metric !== 'spillway_request') return line;
    point.data.value *= factor;
    return JSON.stringify(point);
  });
  writeFileSync(samples, lines.join('\n'));
  return copy;
}

describe.skipIf(skip !== null)('spillway report over a real run', () => {
  it('finds the run\'s own reports, renders it again, and gates on a regression against a baseline', { timeout: 300_000 }, async () => {
    const configFile = writeK6ConfigWith(dir, {
      'report-e2e': {
        description: 'a short calm run for the report command',
        script: 'smoke',
        durationSeconds: 8,
        traffic: [{ consumer: 'user-facing', ratePerUnit: 4, maxTokens: { kind: 'fixed', value: 20 } }],
        thresholds: { http_req_failed: ['rate<0.05'] },
        fleet: { latencyScale: 0.1 },
      },
    });
    const results = join(dir, 'results');
    // As in a GitHub Actions step: the run appends its Markdown to the step summary.
    const stepSummary = join(dir, 'step-summary.md');
    process.env['GITHUB_STEP_SUMMARY'] = stepSummary;
    const run = await runCliInProcess(['run', 'report-e2e', '--k6-config', configFile, '--results', results, '--seed', '17']).finally(() => delete process.env['GITHUB_STEP_SUMMARY']);
    expect(readFileSync(stepSummary, 'utf8')).toMatch(/^## Spillway run report-e2e: PASS \(exit 0\)\n/);
    const runDir = join(results, readdirSync(results)[0]!);
    const journal = JSON.parse(readFileSync(join(runDir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status, `${runDir}: ${journal.problem ?? run.stderr}`).toBe('completed');
    expect(run.code).toBe(0);
    // The run wrote its reports itself.
    expect(readdirSync(runDir)).toEqual(expect.arrayContaining(['journal.json', 'junit.xml', 'report.html', 'report.md', 'report.json']));
    const own = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as { outcome: string; numbers: { requests: number; achievedRps: number; targetRps: number; latencyMs: { p95: number } } };
    expect(own.outcome).toBe('pass');
    expect(own.numbers.targetRps).toBe(4);
    expect(own.numbers.requests).toBeGreaterThan(20);
    expect(own.numbers.latencyMs.p95).toBeGreaterThan(0);

    // Rendered again into --out: the same verdicts and numbers.
    const out = join(dir, 'out');
    const again = await runCliInProcess(['report', runDir, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).numbers).toEqual(own.numbers);
    // The run rendered its page from the evidence its analysis held in memory; read again from
    // the folder, the page is the same (the charts, the verdicts, the numbers).
    const reportData = (file: string): unknown => JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(file, 'utf8'))?.[1] ?? 'null');
    expect(reportData(join(out, 'report.html'))).not.toBeNull();
    expect(reportData(join(out, 'report.html'))).toEqual(reportData(join(runDir, 'report.html')));
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(markdown).toMatch(/^## Spillway run report-e2e: PASS \(exit 0\)/);
    expect(markdown).toContain('| PASS | k6 threshold http_req_failed |');

    // A baseline four times as fast: latency regressed far beyond 10%.
    const faster = baselineScaled(runDir, 'baseline-faster', 0.25);
    const regressed = await runCliInProcess(['report', runDir, '--format', 'md', '--out', join(dir, 'out-regressed'), '--baseline', faster, '--max-regression', '10']);
    expect(regressed.code, regressed.stderr).toBe(1);
    expect(regressed.stdout).toMatch(/REGRESSION latency p50: \d+ ms → \d+ ms \(\+\d+\.\d%\), beyond the 10% margin/);
    expect(readFileSync(join(dir, 'out-regressed', 'report.md'), 'utf8')).toMatch(/\| latency p95 \| \d+ ms \| \d+ ms \| \+\d+\.\d% \*\*REGRESSION\*\* \|/);

    // The same run as its own baseline (a copy): within any margin.
    const same = baselineScaled(runDir, 'baseline-same', 1);
    const within = await runCliInProcess(['report', runDir, '--format', 'json', '--out', join(dir, 'out-same'), '--baseline', same, '--max-regression', '0']);
    expect(within.code, within.stdout).toBe(0);
    expect(within.stdout).toContain('no regression beyond the margin');
  });
});
