import * as fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixtureClientRecord, fixtureJournal, fixtureLedgerRequest, fixtureVerdict, writeFixtureRun } from '../../reports/fixture-run-folder.ts';
import { reportCommand } from './report-command-run.ts';

/**
 * `spillway report` reads each evidence file once, whatever the formats: k6's samples of a long
 * run are hundreds of megabytes, and a second read of them (for the summary the Markdown, the
 * JSON, the comparison and the command's own lines show) cost seconds beyond the HTML's
 * charts. node:fs is wrapped here to count the opens of each file (nothing else changes).
 */
vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs')>();
  return { ...original, openSync: vi.fn(original.openSync) };
});

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function runFolder(latencyMs: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'report-reads-'));
  const client = Array.from({ length: 120 }, (_, i) => fixtureClientRecord(t0 + i * 500, { durationMs: latencyMs }));
  const ledger = client.map((r, i) => fixtureLedgerRequest(i + 1, r.time - r.durationMs));
  writeFixtureRun(dir, { journal: fixtureJournal({ verdicts: [fixtureVerdict('a.check', 'pass')] }), client, ledger, k6Noise: true });
  return dir;
}

/** How many times each of `files` was opened since the spy was last cleared. */
function opensOf(...files: string[]): number[] {
  const calls = vi.mocked(fs.openSync).mock.calls.map(([path]) => String(path));
  return files.map((file) => calls.filter((path) => path === file).length);
}

afterEach(() => vi.mocked(fs.openSync).mockClear());

describe('spillway report reads each evidence file once', () => {
  it('for every format, with a baseline: the run\'s samples and ledger once, the baseline\'s samples once', () => {
    const baseline = runFolder(100);
    const run = runFolder(110);
    vi.mocked(fs.openSync).mockClear();
    const lines: string[] = [];
    const code = reportCommand({ runFolder: run, formats: ['html', 'md', 'junit', 'json'], baseline, maxRegressionPercent: 50, env: {}, say: (line) => lines.push(line) });
    expect(code, lines.join('\n')).toBe(0);
    // The comparison saw the run's numbers (counted in the HTML charts' read).
    expect(lines.join('\n')).toMatch(/latency p50 +100 ms +110 ms/);
    expect(opensOf(join(run, 'k6-samples.json'), join(run, 'fleet-ledger.jsonl'), join(baseline, 'k6-samples.json'))).toEqual([1, 1, 1]);
  });

  it('for the HTML alone: the samples once (the command\'s own summary line counts nothing again)', () => {
    const run = runFolder(100);
    vi.mocked(fs.openSync).mockClear();
    const lines: string[] = [];
    expect(reportCommand({ runFolder: run, formats: ['html'], env: {}, say: (line) => lines.push(line) })).toBe(0);
    expect(lines[0]).toBe('run fixture (fixture-run): completed, exit code 0; verdicts: 0 failed, 0 inconclusive, 1 passed');
    expect(opensOf(join(run, 'k6-samples.json'), join(run, 'fleet-ledger.jsonl'))).toEqual([1, 1]);
  });
});
