import { mkdtempSync, readFileSync } from 'node:fs';
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
});
