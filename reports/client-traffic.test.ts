import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../harness/contracts/client-record.ts';
import { clientTrafficOf } from './client-traffic.ts';
import { fixtureClientRecord, fixtureJournal, fixtureVerdict, writeFixtureRun } from './fixture-run-folder.ts';
import { renderHtmlReport } from './html/html.renderer.ts';
import { summarize } from './report-summary.ts';
import { loadRunFolder, withLoadedEvidence, type RunRunFolder } from './run-folder.ts';

/**
 * The summary's client numbers are counted in the pass that first reads k6's samples (the HTML
 * charts', when the HTML is rendered first, as `spillway report` does), so that rendering every
 * format reads the file once. These tests show that a summary after the charts reads nothing
 * again, and that the numbers are those of the records, however they were counted.
 */
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function records(): ClientRecord[] {
  const list = Array.from({ length: 120 }, (_, i) => fixtureClientRecord(t0 + i * 500, { durationMs: (i * 37) % 101 }));
  list[5] = { ...list[5]!, status: 503, errorOrigin: 'backend' };
  list[7] = { ...list[7]!, status: 0 };
  list[9] = { ...list[9]!, status: 429, errorOrigin: 'gateway', gatewayReason: 'token-limit' };
  list[11] = { ...list[11]!, status: 500, errorOrigin: '' };
  return list;
}

function runFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'client-traffic-'));
  writeFixtureRun(dir, { journal: fixtureJournal({ verdicts: [fixtureVerdict('a.check', 'pass')] }), client: records(), k6Noise: true });
  return dir;
}

/** A malformed sample at the end of k6's file: any later read of the file is refused. */
function breakSamples(dir: string): void {
  appendFileSync(join(dir, 'k6-samples.json'), '{"type":"Point","metric":"spillway_request", broken\n');
}

describe('the summary\'s client traffic', () => {
  it('is counted while the HTML charts read the samples: the summary after them reads the file no more', () => {
    const dir = runFolder();
    const expected = summarize(loadRunFolder(dir));
    const folder = loadRunFolder(dir);
    renderHtmlReport(folder);
    breakSamples(dir);
    // A folder reading the file now is refused: the summary below would be, had it read it.
    expect(() => summarize(loadRunFolder(dir))).toThrow(/k6-samples\.json:\d+: not JSON/);
    expect(summarize(folder)).toEqual(expected);
  });

  it('is counted in a pass of its own, keeping no record, when nothing read the samples before', () => {
    const dir = runFolder();
    const folder = loadRunFolder(dir) as RunRunFolder;
    const traffic = folder.evidence.clientTraffic();
    breakSamples(dir);
    expect(folder.evidence.clientTraffic()).toBe(traffic);
    // The charts after it read the file (they need every record), and meet the broken line.
    expect(() => renderHtmlReport(folder)).toThrow(/k6-samples\.json:\d+: not JSON/);
  });

  it('gives the numbers of the records, whether counted from the file, the list read, or records in memory', () => {
    const dir = runFolder();
    const fromRecords = clientTrafficOf(records());
    const streamed = loadRunFolder(dir) as RunRunFolder;
    const listed = loadRunFolder(dir) as RunRunFolder;
    listed.evidence.clientRecords();
    const inMemory = withLoadedEvidence(loadRunFolder(dir) as RunRunFolder, { client: records() });
    for (const folder of [streamed, listed, inMemory]) expect(folder.evidence.clientTraffic()).toEqual(fromRecords);
    expect(fromRecords.requests).toBe(120);
    expect(fromRecords.errors).toBe(4);
    // In the order first met, as the summary lists them.
    expect(Object.entries(fromRecords.errorsByOrigin)).toEqual([['backend', 1], ['network', 1], ['gateway', 1], ['unattributed', 1]]);
    expect([...fromRecords.sortedDurationsMs]).toEqual(records().map((r) => r.durationMs).sort((a, b) => a - b));
  });
});
