import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBreakerEvent, fixtureClientRecord, fixtureJournal, fixtureLedgerRequest, k6SampleLine, writeFixtureRun } from './fixture-run-folder.ts';
import { loadRunFolder, ReportInputError, withLoadedEvidence } from './run-folder.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spillway-run-folder-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function capacityJournal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const step = (offeredRps: number, held: boolean) => ({
    step: { offeredRps, throughputRps: offeredRps * 0.99, requests: offeredRps * 10, p95Ms: held ? 100 : 2000, latencyMs: { p50: 50, p90: 90, p95: held ? 100 : 2000, p99: 150 }, errorRate: held ? 0 : 0.2, generatorKeptUp: true, gatewayHeld: held, reasons: [] },
    backend: { saturated: false, reasons: [] },
    phase: 'ramp',
    window: { start: t0, end: t0 + 10_000 },
    cpu: { processCores: 0.5, machineBusy: 0.4, cores: 2 },
    utilisation: { metrics: [{ name: 'capacity', unit: 'percent', average: offeredRps / 4, max: offeredRps / 3, samples: 20 }], complete: true },
    folder: `steps/${offeredRps}`,
  });
  return {
    kind: 'capacity',
    schemaVersion: 1,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + 60_000).toISOString(),
    status: 'completed',
    settings: { profile: 'light', units: 1 },
    profile: { name: 'light' },
    target: { kind: 'embedded', entryUrl: 'http://127.0.0.1:1', apiBasePath: '/x', notes: [], utilisation: null },
    emulated: { units: 1, requestsPerSecondPerUnit: 100, queueLength: 10, queueTimeoutSeconds: 5 },
    steps: [step(50, true), step(100, true), step(150, false)],
    unconfirmedSteps: [],
    holds: [],
    knee: { kind: 'knee', rps: 100, firstFailingRps: 150 },
    kneeConfirmed: null,
    conclusion: { rpsPerUnit: 100, atLeastRpsPerUnit: null, recommendation: null, exitCode: 0, lines: ['100 req/s per unit'] },
    reference: null,
    ...overrides,
  };
}

function drillJournal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    drill: 'ptu-outage',
    title: 'A PTU deployment fails',
    playbookEvent: 'PTU outage',
    file: 'drills/ptu-outage.drill.json',
    drillRunId: 'd1',
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + 60_000).toISOString(),
    status: 'completed',
    exitCode: 0,
    run: { runId: 'fixture-run', folder: 'run/fixture-run', status: 'completed', exitCode: 0 },
    logAnalytics: null,
    hypothesis: { title: 'clients see no errors', before: [], after: [], method: [] },
    verdicts: [],
    detection: [{ name: 'breaker-alert', kind: 'detection', phase: 'method', status: 'held', expected: 'a row', measured: '1 row', query: 'X | take 1', result: [{ n: 1 }] }],
    rollbacks: [],
    deviations: [],
    ...overrides,
  };
}

describe('loadRunFolder', () => {
  it('loads a run folder, and reads its evidence only when asked, checked against the contracts', () => {
    const dir = join(root, 'run');
    const client = [fixtureClientRecord(t0 + 1000), fixtureClientRecord(t0 + 2000, { status: 429, errorOrigin: 'gateway', gatewayReason: 'token-limit', servedBy: '' })];
    writeFixtureRun(dir, {
      journal: fixtureJournal(),
      client,
      k6Noise: true,
      ledger: [fixtureLedgerRequest(1, t0 + 900), { type: 'fault', seq: 2, at: t0 + 1500, action: 'inject', rule: { kind: 'status', target: { backend: 'aoai-eastus-ptu1' }, status: 500, rate: 1, id: 'f1', createdAt: t0 + 1500, expiresAt: null } }],
      breakerEvents: [fixtureBreakerEvent('ptu1', true, t0 + 1600), fixtureBreakerEvent('ptu1', false, t0 + 11_600)],
    });
    const run = loadRunFolder(dir);
    expect(run.kind).toBe('run');
    if (run.kind !== 'run') return;
    expect(run.incomplete).toBeNull();
    expect(run.journal.runId).toBe('fixture-run');
    // Streamed, none kept: the same records, the k6 noise lines skipped, the fault record left out.
    const streamed: unknown[] = [];
    expect(run.evidence.eachClientRecord((r) => streamed.push(r))).toBe(2);
    expect(streamed).toEqual(client);
    const seqs: number[] = [];
    expect(run.evidence.eachLedgerRequest((r) => seqs.push(r.seq))).toBe(1);
    expect(seqs).toEqual([1]);
    // The k6 noise lines are skipped; the records are as written.
    expect(run.evidence.clientRecords()).toEqual(client);
    expect(run.evidence.clientRecords()).toBe(run.evidence.clientRecords());
    expect(run.evidence.ledgerRequests().map((r) => r.seq)).toEqual([1]);
    expect(run.evidence.breakerEvents()).toHaveLength(2);
    expect(run.evidence.status('gatewayLogs')).toMatchObject({ status: 'absent', note: 'not in the fixture', file: null });
    expect(run.evidence.gatewayLogs()).toEqual([]);
    expect(run.evidence.status('client')).toEqual({ status: 'collected', file: 'k6-samples.json' });
    expect(run.evidence.file('journal')).toBe('journal.json');
  });

  it('takes evidence already in memory instead of reading its file, and reads the rest from the folder', () => {
    const dir = join(root, 'run');
    writeFixtureRun(dir, { journal: fixtureJournal(), client: [fixtureClientRecord(t0 + 1000)], ledger: [fixtureLedgerRequest(1, t0 + 900)] });
    // The client file is broken: read from the folder it would be refused; given, it is not read.
    writeFileSync(join(dir, 'k6-samples.json'), '{"metric":"spillway_request","type":"Po\n');
    const loaded = loadRunFolder(dir);
    if (loaded.kind !== 'run') throw new Error('expected a run');
    const inMemory = [fixtureClientRecord(t0 + 5), fixtureClientRecord(t0 + 6)];
    const run = withLoadedEvidence(loaded, { client: inMemory });
    expect(run.evidence.clientRecords()).toBe(inMemory);
    const times: number[] = [];
    expect(run.evidence.eachClientRecord((r) => times.push(r.time))).toBe(2);
    expect(times).toEqual([t0 + 5, t0 + 6]);
    expect(run.evidence.ledgerRequests().map((r) => r.seq)).toEqual([1]);
    expect(() => loaded.evidence.clientRecords()).toThrow(/k6-samples\.json:1: not JSON/);
  });

  it('reads evidence lazily: a malformed row is refused only when that evidence is read, naming file, line and field', () => {
    const dir = join(root, 'run');
    writeFixtureRun(dir, { journal: fixtureJournal(), client: [fixtureClientRecord(t0 + 1000)] });
    const bad = JSON.parse(k6SampleLine(fixtureClientRecord(t0 + 2000))) as { data: { tags: Record<string, string> } };
    bad.data.tags.error_origin = 'the moon';
    writeFileSync(join(dir, 'k6-samples.json'), `${k6SampleLine(fixtureClientRecord(t0 + 1000))}\n${JSON.stringify(bad)}\n`);
    const run = loadRunFolder(dir);
    if (run.kind !== 'run') throw new Error('expected a run');
    expect(() => run.evidence.eachClientRecord(() => {})).toThrow(/k6-samples\.json:2: field data\.tags\.error_origin/);
    expect(() => run.evidence.clientRecords()).toThrow(ReportInputError);
    expect(() => run.evidence.clientRecords()).toThrow(/k6-samples\.json:2: field data\.tags\.error_origin/);
  });

  it('reads a file larger than its chunk, with multi-byte characters, line by line', () => {
    const dir = join(root, 'run');
    // About 12 MB of samples, three chunks' worth, with a consumer name in several scripts.
    const client = Array.from({ length: 30_000 }, (_, i) => fixtureClientRecord(t0 + i, { consumer: `ünïcødé-消費者-${'x'.repeat(i % 300)}` }));
    writeFixtureRun(dir, { journal: fixtureJournal(), client });
    const run = loadRunFolder(dir);
    if (run.kind !== 'run') throw new Error('expected a run');
    const read = run.evidence.clientRecords();
    expect(read).toHaveLength(client.length);
    expect(read.every((r, i) => r.consumer === client[i]!.consumer)).toBe(true);
  });

  it('loads a run that did not complete, with its reason', () => {
    const dir = join(root, 'run');
    writeFixtureRun(dir, { journal: fixtureJournal({ status: 'incomplete', exitCode: 2, problem: 'k6 exited with code 107: script exception' }) });
    const run = loadRunFolder(dir);
    expect(run.incomplete).toEqual({ status: 'incomplete', reason: 'k6 exited with code 107: script exception' });
    if (run.kind !== 'run') throw new Error('expected a run');
    // Evidence it never wrote reads as empty, said as not written.
    expect(run.evidence.clientRecords()).toEqual([]);
    expect(run.evidence.status('client')).toMatchObject({ status: 'incomplete', note: 'k6-samples.json was not written' });
  });

  it('loads a capacity run folder and a drill folder, with the drill method run beneath it', () => {
    const capacity = join(root, 'capacity');
    mkdirSync(capacity);
    writeFileSync(join(capacity, 'capacity-journal.json'), JSON.stringify(capacityJournal()));
    const loaded = loadRunFolder(capacity);
    expect(loaded.kind).toBe('capacity');
    if (loaded.kind === 'capacity') expect(loaded.journal.steps.map((s) => s.step.offeredRps)).toEqual([50, 100, 150]);

    const drill = join(root, 'drill');
    writeFixtureRun(join(drill, 'run', 'fixture-run'), { journal: fixtureJournal() });
    writeFileSync(join(drill, 'drill-journal.json'), JSON.stringify(drillJournal()));
    const loadedDrill = loadRunFolder(drill);
    if (loadedDrill.kind !== 'drill') throw new Error('expected a drill');
    expect(loadedDrill.incomplete).toBeNull();
    expect(loadedDrill.methodRunDir).toBe(join(drill, 'run', 'fixture-run'));
    expect(loadedDrill.methodRun()?.journal.runId).toBe('fixture-run');

    writeFileSync(join(drill, 'drill-journal.json'), JSON.stringify(drillJournal({ status: 'aborted', exitCode: 2, problem: 'a rollback failed', run: null })));
    const aborted = loadRunFolder(drill);
    expect(aborted.incomplete).toEqual({ status: 'aborted', reason: 'a rollback failed' });
    if (aborted.kind === 'drill') expect(aborted.methodRun()).toBeNull();
  });

  it('refuses a folder that is not a run, naming it and the files it looked for', () => {
    expect(() => loadRunFolder(join(root, 'nowhere'))).toThrow(/nowhere: no such folder/);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(() => loadRunFolder(empty)).toThrow(ReportInputError);
    expect(() => loadRunFolder(empty)).toThrow(/empty: not a run folder: it holds none of journal\.json, capacity-journal\.json, drill-journal\.json/);
    writeFileSync(join(empty, 'x'), '');
    expect(() => loadRunFolder(join(empty, 'x'))).toThrow(/not a folder/);
  });

  it('refuses a journal of an unsupported schema version, naming the version', () => {
    const dir = join(root, 'old');
    writeFixtureRun(dir, { journal: fixtureJournal() });
    writeFileSync(join(dir, 'journal.json'), JSON.stringify({ ...fixtureJournal(), schemaVersion: 1 }));
    expect(() => loadRunFolder(dir)).toThrow(/journal\.json: schemaVersion 1; this Spillway renders run journals of schema version 2 only/);
    const { schemaVersion: _dropped, ...unversioned } = fixtureJournal();
    writeFileSync(join(dir, 'journal.json'), JSON.stringify(unversioned));
    expect(() => loadRunFolder(dir)).toThrow(/no schemaVersion/);
    writeFileSync(join(dir, 'journal.json'), JSON.stringify(drillJournal({ schemaVersion: 7 })));
    rmSync(join(dir, 'journal.json'));
    writeFileSync(join(dir, 'drill-journal.json'), JSON.stringify(drillJournal({ schemaVersion: 7 })));
    expect(() => loadRunFolder(dir)).toThrow(/drill-journal\.json: schemaVersion 7; this Spillway renders drill journals of schema version 1 only/);
  });

  it('refuses a journal that is not JSON or misses a field, naming the file and the field', () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'journal.json'), '{"schemaVersion": 2, "runId": ');
    expect(() => loadRunFolder(dir)).toThrow(/journal\.json: not JSON/);
    const { verdicts: _dropped, ...noVerdicts } = fixtureJournal();
    writeFileSync(join(dir, 'journal.json'), JSON.stringify(noVerdicts));
    expect(() => loadRunFolder(dir)).toThrow(/journal\.json: field verdicts:/);
    rmSync(join(dir, 'journal.json'));
    writeFileSync(join(dir, 'capacity-journal.json'), JSON.stringify(capacityJournal({ steps: [{ step: {} }] })));
    expect(() => loadRunFolder(dir)).toThrow(/capacity-journal\.json: field steps\.0\.step\.offeredRps/);
  });
});
