import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureClientRecord, fixtureJournal, fixtureVerdict, writeFixtureRun } from '../../reports/fixture-run-folder.ts';
import { runCliInProcess } from './cli-test-support.ts';
import { reportCommand } from './report-command-run.ts';

/**
 * `spillway report` over run folders written as the run writes them (reports/fixture-run-folder.ts):
 * the formats and where they go, bad input refused with nothing written, a run that did not
 * complete rendered with its reason first, and --baseline. The same over a real run is
 * report-command.e2e.test.ts.
 */
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function runFolder(options: { latencyMs?: number; verdicts?: ReturnType<typeof fixtureVerdict>[]; scenario?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'report-command-'));
  const journal = fixtureJournal({ ...(options.verdicts ? { verdicts: options.verdicts } : {}), ...(options.scenario ? { scenario: options.scenario } : {}) });
  writeFixtureRun(dir, { journal, client: Array.from({ length: 120 }, (_, i) => fixtureClientRecord(t0 + i * 500, { durationMs: options.latencyMs ?? 100 })) });
  return dir;
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('spillway report', () => {
  it('writes the formats asked for into --out, each whole (no temporary file left), and says which', async () => {
    const run = runFolder();
    const out = join(mkdtempSync(join(tmpdir(), 'report-out-')), 'reports');
    const { code, stdout, stderr } = await runCliInProcess(['report', run, '--format', 'md,json', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['report.json', 'report.md']);
    expect(stdout).toContain('run fixture (fixture-run): completed, exit code 0; verdicts: 0 failed, 0 inconclusive, 1 passed');
    expect(stdout).toMatch(/reports: .*report\.md, .*report\.json/);
    // No HTML asked for: the Markdown links none.
    expect(readFileSync(join(out, 'report.md'), 'utf8')).not.toContain('report.html');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toMatchObject({ kind: 'run', reports: { md: 'report.md', json: 'report.json' } });
  });

  it('writes all four into the run folder by default, the Markdown linking the HTML', async () => {
    const run = runFolder();
    const { code, stderr } = await runCliInProcess(['report', run]);
    expect(code, stderr).toBe(0);
    for (const file of ['report.html', 'report.md', 'junit.xml', 'report.json']) expect(existsSync(join(run, file)), file).toBe(true);
    expect(readFileSync(join(run, 'report.md'), 'utf8')).toContain('[full report (HTML)](report.html)');
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('renders a run that did not complete, saying why first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-command-'));
    writeFixtureRun(dir, { journal: fixtureJournal({ status: 'interrupted', exitCode: 2, problem: 'interrupted by SIGINT', verdicts: [] }), client: [fixtureClientRecord(t0)] });
    const { code, stdout } = await runCliInProcess(['report', dir, '--format', 'md']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('the run did not complete (interrupted): interrupted by SIGINT');
    expect(readFileSync(join(dir, 'report.md'), 'utf8').split('\n')[2]).toBe('> **The run did not complete (interrupted):** interrupted by SIGINT');
  });

  it('refuses evidence it cannot read, naming the file and line, and writes nothing', async () => {
    const run = runFolder();
    appendFileSync(join(run, 'k6-samples.json'), '{"type":"Point","metric":"spillway_request", broken\n');
    const before = readdirSync(run).sort();
    // JUnit (from the journal alone) renders; the JSON (which reads the samples) does not: neither is written.
    const { code, stdout, stderr } = await runCliInProcess(['report', run, '--format', 'junit,json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${join(run, 'k6-samples.json')}:121: not JSON`));
    expect(stdout).toBe('');
    expect(readdirSync(run).sort()).toEqual(before);
  });

  it('with --baseline: exit 1 on a regression beyond --max-regression, 0 within it; the comparison printed and in the Markdown', async () => {
    const baseline = runFolder({ latencyMs: 100 });
    const slower = runFolder({ latencyMs: 125 });
    const beyond = await runCliInProcess(['report', slower, '--format', 'md,json', '--baseline', baseline, '--max-regression', '20']);
    expect(beyond.code, beyond.stderr).toBe(1);
    expect(beyond.stdout).toMatch(/latency p50 +100 ms +125 ms +\+25\.0% +REGRESSION/);
    expect(beyond.stdout).toContain('REGRESSION latency p50: 100 ms → 125 ms (+25.0%), beyond the 20% margin');
    expect(readFileSync(join(slower, 'report.md'), 'utf8')).toContain('**3 regression(s) beyond the margin:**');
    expect(JSON.parse(readFileSync(join(slower, 'report.json'), 'utf8')).baseline.regressions).toHaveLength(3);

    const within = await runCliInProcess(['report', slower, '--format', 'md', '--baseline', baseline, '--max-regression', '30']);
    expect(within.code, within.stderr).toBe(0);
    expect(within.stdout).toContain('no regression beyond the margin');
    // Without a margin, shown and never failed.
    expect((await runCliInProcess(['report', slower, '--format', 'md', '--baseline', baseline])).code).toBe(0);
  });

  it('counts a verdict that passed in the baseline and fails now as a regression', async () => {
    const baseline = runFolder({ verdicts: [fixtureVerdict('spillover.x', 'pass', '0 of 10 requests')] });
    const run = runFolder({ verdicts: [fixtureVerdict('spillover.x', 'fail', '4 of 10 requests')] });
    const { code, stdout } = await runCliInProcess(['report', run, '--format', 'json', '--baseline', baseline, '--max-regression', '50']);
    expect(code).toBe(1);
    expect(stdout).toContain('spillover.x: PASS -> FAIL; 0 -> 4  REGRESSION');
  });

  it('refuses a baseline of another scenario, saying which, and writes nothing', async () => {
    const baseline = runFolder({ scenario: 'spillover' });
    const run = runFolder();
    const before = readdirSync(run).sort();
    const { code, stderr } = await runCliInProcess(['report', run, '--baseline', baseline, '--max-regression', '10']);
    expect(code).toBe(2);
    expect(stderr).toContain(`--baseline: cannot compare a run of scenario fixture (${join(run, 'journal.json')}) with a run of scenario spillover (${join(baseline, 'journal.json')}): different scenarios`);
    expect(readdirSync(run).sort()).toEqual(before);
  });

  it('appends the Markdown to $GITHUB_STEP_SUMMARY when it is set', () => {
    const run = runFolder();
    const summary = join(mkdtempSync(join(tmpdir(), 'step-summary-')), 'summary.md');
    writeFileSync(summary, 'earlier step\n');
    const lines: string[] = [];
    expect(reportCommand({ runFolder: run, formats: ['md'], env: { GITHUB_STEP_SUMMARY: summary }, say: (l) => lines.push(l) })).toBe(0);
    expect(readFileSync(summary, 'utf8')).toMatch(/^earlier step\n## Spillway run fixture: PASS \(exit 0\)/);
    expect(lines.at(-1)).toBe('step summary: report.md appended to $GITHUB_STEP_SUMMARY');
    // Not set: nothing appended anywhere.
    const copy = mkdtempSync(join(tmpdir(), 'report-command-'));
    cpSync(run, copy, { recursive: true });
    reportCommand({ runFolder: copy, formats: ['md'], env: {}, say: (l) => lines.push(l) });
    expect(readFileSync(summary, 'utf8').match(/## Spillway/g)).toHaveLength(1);
  });
});
