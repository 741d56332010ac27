import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlWriter } from './jsonl-writer.ts';

const lines = (path: string): unknown[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('JsonlWriter', () => {
  it('writes every row, in order, by close(), serialized as it was when written', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'sub', 'rows.jsonl');
    const writer = new JsonlWriter(path, { flushMs: 60_000 });
    const row = { n: 1 };
    writer.write(row);
    row.n = 99; // a later change must not reach the file
    writer.write({ n: 2 });
    expect(writer.count).toBe(2);
    await writer.close();
    expect(lines(path)).toEqual([{ n: 1 }, { n: 2 }]);
    writer.write({ n: 3 }); // after close: dropped, not thrown
    expect(lines(path)).toHaveLength(2);
  });

  it('hands rows to the file after flushMs, or at once past maxPendingChars', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'rows.jsonl');
    const timed = new JsonlWriter(path, { flushMs: 20 });
    timed.write({ n: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines(path)).toEqual([{ n: 1 }]);
    await timed.close();

    const sizedPath = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'rows.jsonl');
    const sized = new JsonlWriter(sizedPath, { flushMs: 60_000, maxPendingChars: 10 });
    sized.write({ text: 'more than ten characters' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines(sizedPath)).toEqual([{ text: 'more than ten characters' }]);
    await sized.close();
  });

  it('holds at most one batch in memory while a write is under way: a full batch is written at once, and every row lands in order', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'rows.jsonl');
    const maxPendingChars = 4096;
    const writer = new JsonlWriter(path, { flushMs: 60_000, maxPendingChars });
    const row = (n: number) => ({ n, text: 'x'.repeat(100) });
    const rowChars = JSON.stringify(row(0)).length + 1;
    // All in one synchronous stretch: the first full batch's write cannot finish before the
    // loop ends (its completion needs the event loop), exactly as when the disk falls behind.
    let mostPending = 0;
    for (let n = 0; n < 2000; n++) {
      writer.write(row(n));
      mostPending = Math.max(mostPending, writer.pendingChars);
    }
    expect(mostPending).toBeLessThan(maxPendingChars + rowChars);
    expect(writer.synchronousWrites).toBeGreaterThan(0);
    await writer.close();
    expect(lines(path)).toEqual(Array.from({ length: 2000 }, (_, n) => row(n)));
  });

  it('appends after what the file already holds', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'rows.jsonl');
    writeFileSync(path, '{"n":0}\n');
    const writer = new JsonlWriter(path, { flushMs: 60_000, maxPendingChars: 16 });
    for (let n = 1; n <= 50; n++) writer.write({ n });
    await writer.close();
    expect(lines(path)).toEqual(Array.from({ length: 51 }, (_, n) => ({ n })));
  });

  it('says once when the file cannot be written, drops the rows after that, and rejects on close', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'missing', 'rows.jsonl');
    const errors: Error[] = [];
    const writer = new JsonlWriter(path, { createDirectory: false, onError: (error) => errors.push(error) });
    writer.write({ n: 1 });
    writer.write({ n: 2 });
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOENT']);
    expect(writer.count).toBe(0);
    await expect(writer.close()).rejects.toThrow(/ENOENT/);
  });

  // /dev/full accepts the open and refuses every write with ENOSPC: a disk that filled up mid-run.
  const devFull = existsSync('/dev/full');
  it.skipIf(!devFull)('reports a write that fails once, and rejects on close (skipped without /dev/full, which only Linux has)', async () => {
    const errors: Error[] = [];
    const writer = new JsonlWriter('/dev/full', { createDirectory: false, flushMs: 1, onError: (error) => errors.push(error) });
    writer.write({ n: 1 });
    await expect(writer.close()).rejects.toThrow(/ENOSPC/);
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
  });
});
