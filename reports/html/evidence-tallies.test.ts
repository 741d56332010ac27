import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../harness/contracts/ledger-record.ts';
import { fixtureClientRecord, fixtureJournal, fixtureLedgerRequest, k6SampleLine, writeFixtureRun } from '../fixture-run-folder.ts';
import { loadRunFolder, ReportInputError, withLoadedEvidence, type RunRunFolder } from '../run-folder.ts';
import { clockAt } from './chart-tallies.ts';
import { tallyRunEvidence } from './evidence-tallies.ts';

/**
 * The ledger read in a worker thread (what rendering a long run from its folder does) against
 * the same folder read in this thread: the same tallies, the same errors. The fixture is small,
 * so the worker is asked for with workerFromBytes: 0, and each test checks it was used.
 */
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spillway-evidence-tallies-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const inWorker = { workerFromBytes: 0 };
const inThread = { workerFromBytes: Number.POSITIVE_INFINITY };

/** A run with refusals, failures, several backends, a fault record and preflight probes before k6 started. */
function writeBusyRun(dir: string): void {
  const client = Array.from({ length: 400 }, (_, i) => {
    const time = t0 + 150 * i + 40;
    if (i % 37 === 5) return fixtureClientRecord(time, { status: 0, servedBy: '' });
    if (i % 11 === 3) return fixtureClientRecord(time, { consumer: 'dev-test', status: 429, errorOrigin: 'gateway', gatewayReason: 'token-limit', servedBy: '', remainingTokens: '0' });
    return fixtureClientRecord(time, { durationMs: 50 + (i % 13) * 7, remainingTokens: String(30_000 - 10 * i) });
  });
  const ledger: LedgerRecord[] = [
    // The preflight's probes, before k6 started: not the run's traffic.
    fixtureLedgerRequest(1, t0 - 5_000, 'aoai-westus-ptu1'),
    fixtureLedgerRequest(2, t0 - 4_000, 'aoai-westus-ptu1'),
    { type: 'fault', seq: 3, at: t0 + 10_000, action: 'inject', rule: { id: 'rule-1', kind: 'status', status: 500, rate: 1, target: { backend: 'aoai-eastus-ptu1' }, label: 'ptu1-fails', createdAt: t0 + 10_000, expiresAt: t0 + 20_000 } } as LedgerRecord,
    ...Array.from({ length: 350 }, (_, i) => fixtureLedgerRequest(i + 4, t0 + 170 * i + 10, i % 3 === 0 ? 'aoai-eastus-payg' : i % 5 === 0 ? 'aoai-eastus-ptu2' : 'aoai-eastus-ptu1', i % 17 === 0 ? 429 : 200)),
  ];
  writeFixtureRun(dir, { journal: fixtureJournal({}, t0), client, ledger, k6Noise: true });
}

function loadRun(dir: string): RunRunFolder {
  const run = loadRunFolder(dir);
  if (run.kind !== 'run') throw new Error('expected a run folder');
  return run;
}

const clock = clockAt(t0, 61);

describe('tallyRunEvidence', () => {
  it('tallies the ledger in a worker exactly as in this thread', () => {
    const dir = join(root, 'run');
    writeBusyRun(dir);
    const here = tallyRunEvidence(loadRun(dir), clock, inThread);
    const there = tallyRunEvidence(loadRun(dir), clock, inWorker);
    expect(here.ledgerReadIn).toBe('this thread');
    expect(there.ledgerReadIn).toBe('a worker');
    expect(there.ledger).toEqual(here.ledger);
    expect(there.client).toEqual(here.client);
    // The probes before k6 started and the fault record are not counted.
    expect(there.ledger.count).toBe(350);
    expect([...there.ledger.perBackend.keys()].sort()).toEqual(['aoai-eastus-payg', 'aoai-eastus-ptu1', 'aoai-eastus-ptu2']);
    expect(there.client.count).toBe(400);
  });

  it('refuses a malformed ledger line read in the worker as in this thread, naming file, line and field', () => {
    const dir = join(root, 'run');
    writeBusyRun(dir);
    const ledgerFile = join(dir, 'fleet-ledger.jsonl');
    const wrongField = { ...fixtureLedgerRequest(999, t0 + 30_000), kind: 'spot' };
    appendFileSync(ledgerFile, `${JSON.stringify(wrongField)}\n`);
    const message = /fleet-ledger\.jsonl:354: field kind: /;
    expect(() => tallyRunEvidence(loadRun(dir), clock, inThread)).toThrow(message);
    expect(() => tallyRunEvidence(loadRun(dir), clock, inWorker)).toThrow(ReportInputError);
    expect(() => tallyRunEvidence(loadRun(dir), clock, inWorker)).toThrow(message);

    // A second bad line after it: the first is the one reported.
    appendFileSync(ledgerFile, '{"type":"request","seq":\n');
    expect(() => tallyRunEvidence(loadRun(dir), clock, inWorker)).toThrow(message);
  });

  it('reports a line that is not JSON with its number, and the client file\'s error first when both are bad', () => {
    const dir = join(root, 'run');
    writeBusyRun(dir);
    appendFileSync(join(dir, 'fleet-ledger.jsonl'), '{"type":"request","seq":\n');
    expect(() => tallyRunEvidence(loadRun(dir), clock, inWorker)).toThrow(/fleet-ledger\.jsonl:354: not JSON/);
    const bad = JSON.parse(k6SampleLine(fixtureClientRecord(t0 + 2_000))) as { data: { tags: Record<string, string> } };
    bad.data.tags.status = 'two hundred';
    appendFileSync(join(dir, 'k6-samples.json'), `${JSON.stringify(bad)}\n`);
    // 2 lines of k6's own metrics, 400 samples, then the bad one.
    expect(() => tallyRunEvidence(loadRun(dir), clock, inWorker)).toThrow(/k6-samples\.json:403: field data\.tags\.status/);
    expect(() => tallyRunEvidence(loadRun(dir), clock, inThread)).toThrow(/k6-samples\.json:403: field data\.tags\.status/);
  });

  it('reads evidence already in memory in this thread, not from its file', () => {
    const dir = join(root, 'run');
    writeBusyRun(dir);
    const fromFiles = tallyRunEvidence(loadRun(dir), clock, inThread);
    // Read by another load of the folder (as a run's analysis reads its evidence), so that this
    // one's reader has not read the ledger itself.
    const loaded = withLoadedEvidence(loadRun(dir), { ledger: [...loadRun(dir).evidence.ledgerRequests()] });
    // The ledger file is broken now: read again, it would be refused.
    writeFileSync(join(dir, 'fleet-ledger.jsonl'), '{"type":\n');
    const tallies = tallyRunEvidence(loaded, clock, inWorker);
    expect(tallies.ledgerReadIn).toBe('this thread');
    expect(tallies.ledger).toEqual(fromFiles.ledger);
    expect(tallies.client).toEqual(fromFiles.client);
  });
});
