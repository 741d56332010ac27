import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import { ledgerRecordSchema, type LedgerRecord } from '../contracts/ledger-record.ts';
import { FleetControlClient } from './fleet-control-client.ts';
import { LedgerCollectionError, startLedgerCollector, type LedgerCollector } from './ledger-collector.ts';
import { sendChats, startTcpRelay, startTestFleet, type TcpRelay } from './test-fleet-support.ts';

/**
 * The collector against a real fleet on loopback, over HTTP, as a run attached to a fleet it did
 * not start uses it. No assertion depends on timing: where the collector must have read
 * something before the next step, the test waits for it to have done so.
 */

const running: RunningFleet[] = [];
const relays: TcpRelay[] = [];
const collectors: LedgerCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((collector) => collector.stop().catch(() => undefined)));
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
});

async function fleet(options: Parameters<typeof startTestFleet>[0] = {}): Promise<RunningFleet> {
  const started = await startTestFleet(options);
  running.push(started);
  return started;
}

function collect(options: Parameters<typeof startLedgerCollector>[0]): LedgerCollector {
  const collector = startLedgerCollector(options);
  collectors.push(collector);
  return collector;
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-collector-'));
let files = 0;
const nextFile = (): string => join(folder, `run-${++files}`, 'fleet-ledger.jsonl');

function linesOf(file: string): LedgerRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => ledgerRecordSchema.parse(JSON.parse(line)));
}

describe('startLedgerCollector', () => {
  it('writes every record after fromSeq, page by page, exactly as the fleet holds them', async () => {
    const started = await fleet();
    await sendChats(started, 4); // before the run: not collected
    const client = FleetControlClient.for(started.describe(), {});
    const file = nextFile();
    const notices: string[] = [];
    const collector = collect({ client, file, fromSeq: await client.latestSeq(), intervalMs: 10, pageSize: 7, onNotice: (m) => notices.push(m) });
    await sendChats(started, 10, 'aoai-east-1');
    started.faults.inject({ kind: 'latency', latencyMs: 1, target: { region: 'West US' } });
    await sendChats(started, 15, 'aoai-west-1');
    const collection = await collector.stop();
    expect(collection).toEqual({ records: 26, lastSeq: 30, gaps: [] });
    const expected = started.ledger.read(4, 100).records;
    expect(expected.map((r) => r.seq)).toEqual(Array.from({ length: 26 }, (_, i) => i + 5));
    expect(linesOf(file)).toEqual(expected);
    expect(notices).toEqual([]);
    expect(await collector.stop()).toEqual(collection);
  });

  it('records a gap, never a silent skip, when the fleet dropped records before they were read', async () => {
    const started = await fleet({ ledgerWindow: 5 });
    await sendChats(started, 3);
    const client = FleetControlClient.for(started.describe(), {});
    const file = nextFile();
    const notices: string[] = [];
    // Polls once at the start, then not for a minute: stop() is the only other read.
    const collector = collect({ client, file, fromSeq: 0, intervalMs: 60_000, onNotice: (m) => notices.push(m) });
    await expect.poll(() => collector.lastSeq).toBe(3);
    await sendChats(started, 20); // seq 4..23; the window keeps 19..23
    const collection = await collector.stop();
    expect(collection).toEqual({ records: 8, lastSeq: 23, gaps: [{ afterSeq: 3, lostUntilSeq: 18 }] });
    expect(linesOf(file).map((r) => r.seq)).toEqual([1, 2, 3, 19, 20, 21, 22, 23]);
    expect(notices).toEqual([
      `ledger: 15 records (seq 4 to 18) left the in-memory window of the fleet at ${started.describe().control} before they were read: the collected ledger is incomplete (poll more often, or start the fleet with a larger window)`,
    ]);
  });

  it('collects from a fleet that requires the control token, which never shows in what it reports', async () => {
    const token = 'tok-collector-7777';
    const started = await fleet({ controlToken: token });
    const notices: string[] = [];
    const file = nextFile();
    const collector = collect({ client: FleetControlClient.for(started.describe(), { SPILLWAY_CONTROL_TOKEN: token }), file, fromSeq: 0, intervalMs: 10, onNotice: (m) => notices.push(m) });
    await sendChats(started, 6);
    expect(await collector.stop()).toEqual({ records: 6, lastSeq: 6, gaps: [] });
    expect(linesOf(file)).toEqual(started.ledger.read(0, 100).records);

    // Without the token: the 401 will not change by retrying, so collection fails at once.
    const refused = collect({ client: FleetControlClient.for(started.describe(), {}), file: nextFile(), fromSeq: 0, intervalMs: 10, onNotice: (m) => notices.push(m) });
    const error = await refused.stop().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LedgerCollectionError);
    expect((error as LedgerCollectionError).message).toContain('needs a token (401) on GET /ledger');
    expect((error as LedgerCollectionError).collection).toEqual({ records: 0, lastSeq: 0, gaps: [] });
    for (const text of [...notices, (error as Error).message]) expect(text).not.toContain(token);
  });

  it('rides out a control API that is briefly unreachable, and says so', async () => {
    const started = await fleet();
    const relay = await startTcpRelay(started.describe().control);
    relays.push(relay);
    const notices: string[] = [];
    const file = nextFile();
    const collector = collect({ client: new FleetControlClient({ control: relay.origin, timeoutMs: 1_000 }), file, fromSeq: 0, intervalMs: 10, maxOutageMs: 60_000, onNotice: (m) => notices.push(m) });
    await sendChats(started, 3);
    await expect.poll(() => collector.lastSeq).toBe(3);
    // Cut mid-poll or between polls: the first failure is a reset or a refusal, as it comes.
    await relay.down();
    await sendChats(started, 4);
    await expect.poll(() => notices.length).toBeGreaterThan(0);
    await relay.up();
    await sendChats(started, 2);
    expect(await collector.stop()).toEqual({ records: 9, lastSeq: 9, gaps: [] });
    expect(linesOf(file)).toEqual(started.ledger.read(0, 100).records);
    expect(notices[0]).toMatch(/^ledger: the fleet's control API at http:\/\/127\.0\.0\.1:\d+ did not answer GET \/ledger\?after=3&limit=5000 \((ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\): .*; retrying for up to 60 s$/);
    expect(notices[1]).toMatch(/^ledger: the fleet at http:\/\/127\.0\.0\.1:\d+ answers again after \d+\.\d s$/);
  });

  it('fails, from stop(), when the control API stays down past the bound, keeping what it collected', async () => {
    const started = await fleet();
    const relay = await startTcpRelay(started.describe().control);
    relays.push(relay);
    const file = nextFile();
    const collector = collect({ client: new FleetControlClient({ control: relay.origin, timeoutMs: 1_000 }), file, fromSeq: 0, intervalMs: 10, maxOutageMs: 200, onNotice: () => undefined });
    await sendChats(started, 2);
    await expect.poll(() => collector.lastSeq).toBe(2);
    await relay.down();
    await sendChats(started, 3);
    await expect.poll(() => collector.error).not.toBeNull();
    const error = await collector.stop().then(
      () => null,
      (e: unknown) => e as LedgerCollectionError,
    );
    expect(error).toBe(collector.error);
    expect(error!.message).toMatch(/^ledger collection from the fleet at http:\/\/127\.0\.0\.1:\d+ failed: its control API did not answer for \d+\.\d s \(last: .*ECONNREFUSED.*\); 2 records after seq 0 were collected, up to seq 2$/);
    expect(error!.collection).toEqual({ records: 2, lastSeq: 2, gaps: [] });
    expect(linesOf(file).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('refuses a fleet whose ledger ends before fromSeq (restarted, or another fleet)', async () => {
    const started = await fleet();
    await sendChats(started, 2);
    const collector = collect({ client: FleetControlClient.for(started.describe(), {}), file: nextFile(), fromSeq: 40, intervalMs: 10, onNotice: () => undefined });
    await expect(collector.stop()).rejects.toThrow(/its ledger now ends at seq 2, before seq 40 already collected: the fleet was restarted \(or is another fleet\)/);
  });

  it('refuses a file it cannot write before polling anything', () => {
    const plainFile = join(folder, 'plain-file');
    writeFileSync(plainFile, '');
    let reads = 0;
    const client = { control: 'http://127.0.0.1:9', readLedger: () => Promise.reject(new Error(`read ${++reads}`)) };
    const file = join(plainFile, 'fleet-ledger.jsonl');
    expect(() => startLedgerCollector({ client, file, fromSeq: 0 })).toThrow(LedgerCollectionError);
    expect(() => startLedgerCollector({ client, file, fromSeq: 0 })).toThrow(new RegExp(`^cannot write the collected ledger to ${file}: E(EXIST|NOTDIR)$`));
    expect(reads).toBe(0);
  });
});
