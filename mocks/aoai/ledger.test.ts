import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry } from './ledger.ts';

function entry(i: number): LedgerEntry {
  return {
    type: 'request', start: i, firstByte: i, end: i, backend: 'b', region: 'r', kind: 'ptu', deployment: 'd', operation: 'chat', stream: false,
    status: 200, reason: 'ok', promptTokens: i, completionTokens: 0, admissionCost: 0, priority: null, subscription: null,
    subscriptionKeyFingerprint: null, auth: 'api-key', correlationId: null, requestId: `r${i}`, apiVersion: null,
  };
}

describe('Ledger', () => {
  it('numbers records and pages through them with after/limit', () => {
    const ledger = new Ledger({ windowSize: 100 });
    for (let i = 1; i <= 10; i++) ledger.append(entry(i));
    const first = ledger.read(0, 4);
    expect(first.records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(first.next).toBe(4);
    expect(ledger.read(first.next, 100).records.map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(ledger.read(10, 100)).toEqual({ records: [], next: 10, truncated: false, last: 10 });
  });

  it('says where it ends on every page (last), and with limit 0 reads no record', () => {
    const ledger = new Ledger({ windowSize: 5 });
    expect(ledger.read(0, 0)).toEqual({ records: [], next: 0, truncated: false, last: 0 });
    for (let i = 1; i <= 12; i++) ledger.append(entry(i));
    expect(ledger.read(0, 2)).toMatchObject({ next: 9, truncated: true, last: 12 });
    expect(ledger.read(0, 0)).toEqual({ records: [], next: 0, truncated: true, last: 12 });
    expect(ledger.read(12, 0)).toEqual({ records: [], next: 12, truncated: false, last: 12 });
  });

  it('keeps only the newest window in memory and says when older records were dropped', () => {
    const ledger = new Ledger({ windowSize: 5 });
    for (let i = 1; i <= 12; i++) ledger.append(entry(i));
    const page = ledger.read(0, 100);
    expect(page.records.map((r) => r.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(page.truncated).toBe(true);
    expect(ledger.read(7, 100).truncated).toBe(false);
  });

  it('streams every record to the JSONL file, including those that left the window', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ledger-')), 'nested', 'ledger.jsonl');
    const ledger = new Ledger({ path, windowSize: 3 });
    for (let i = 1; i <= 20; i++) ledger.append(entry(i));
    await ledger.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { seq: number; promptTokens: number });
    expect(lines.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(lines[19]!.promptTokens).toBe(20);
  });

  it('opened() resolves once the file is open, and rejects naming the file when it cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-open-'));
    const good = new Ledger({ path: join(dir, 'ledger.jsonl') });
    await expect(good.opened()).resolves.toBeUndefined();
    await good.close();
    // A folder where the file should be: the open fails (EISDIR) after the constructor returned.
    const bad = new Ledger({ path: dir });
    await expect(bad.opened()).rejects.toThrow(`cannot open the ledger ${dir}: EISDIR`);
  });

  it('refuses a folder it cannot create at once, naming it, instead of hanging', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledger-notdir-')), 'plain-file');
    writeFileSync(file, '');
    expect(() => new Ledger({ path: join(file, 'sub', 'ledger.jsonl') })).toThrow(`cannot create the ledger's folder ${join(file, 'sub')}: ENOTDIR`);
  });

  it.skipIf(!existsSync('/proc/self'))('refuses a folder under /proc (where a recursive mkdir never returns) at once', () => {
    // In a child process: the way this used to fail is a synchronous call that never returns,
    // which no timeout inside this process could interrupt. The bound only turns a hang into a failure.
    const script = `import { Ledger } from ${JSON.stringify(new URL('./ledger.ts', import.meta.url).href)};
      try { new Ledger({ path: '/proc/spillway-nope/ledger.jsonl' }); console.log('constructed'); } catch (error) { console.log(error.message); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.signal, 'the child hung and was killed').toBeNull();
    expect(child.stdout.trim()).toBe("cannot create the ledger's folder /proc/spillway-nope: ENOENT");
  });

  it('writes batches from the ring: after flushMs without close(), and before a record could leave the window', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ledger-')), 'ledger.jsonl');
    const seqs = (): number[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { seq: number }).seq);
    const ledger = new Ledger({ path, windowSize: 8, flushMs: 20 });
    ledger.append(entry(1));
    ledger.append({ type: 'fault', at: 5, action: 'inject', rule: { id: 'f1', kind: 'status', status: 503, rate: 1 } as never });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seqs()).toEqual([1, 2]);
    // 30 records at once through a window of 8: none may be overwritten before it is written.
    for (let i = 3; i <= 32; i++) ledger.append(entry(i));
    await ledger.close();
    expect(seqs()).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  it('says once when records wait in memory for a disk that is not keeping up, and again only after it drained', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ledger-backlog-')), 'ledger.jsonl');
    const messages: string[] = [];
    // A tiny threshold stands in for a slow disk: a batch waits in the stream until written.
    // A batch every 25 records, so each round of 100 ends on a batch and leaves no timer behind.
    const ledger = new Ledger({ path, windowSize: 50, backlogWarningBytes: 1_000, onBacklog: (message) => messages.push(message) });
    for (let i = 0; i < 100; i++) ledger.append(entry(i));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`ledger: the disk is not keeping up with ${path}: `);
    expect(messages[0]).toMatch(/: \d+\.\d MB of records wait in memory to be written$/);
    for (let i = 0; i < 100; i++) ledger.append(entry(i));
    expect(messages).toHaveLength(1);
    // Once the file caught up, a new backlog is reported again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 100; i++) ledger.append(entry(i));
    expect(messages).toHaveLength(2);
    await ledger.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(300);
  });

  it('tells subscribers about each record as it is appended', () => {
    const ledger = new Ledger();
    const seen: number[] = [];
    const unsubscribe = ledger.subscribe((record) => seen.push(record.seq));
    ledger.append(entry(1));
    unsubscribe();
    ledger.append(entry(2));
    expect(seen).toEqual([1]);
  });
});
