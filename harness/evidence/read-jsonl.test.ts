/**
 * The JSONL reader's own mechanics, under the contracts: a file of many megabytes, CRLF
 * endings, blank lines, a last line without its newline, lines skipped by the prefilter or by
 * `select` (still counted, so a later error names the right line), `keep`, and a missing file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EvidenceRowError, readJsonl } from './read-jsonl.ts';

const dir = mkdtempSync(join(tmpdir(), 'spillway-read-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rowSchema = z.strictObject({ n: z.int(), text: z.string() });

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function errorOf(promise: Promise<unknown>): Promise<EvidenceRowError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(EvidenceRowError);
  return error as EvidenceRowError;
}

describe('readJsonl', () => {
  it('reads every row of a file of several megabytes, in order', async () => {
    // About 3 MiB of rows of varied length: more than one read of the stream.
    const rows = Array.from({ length: 30_000 }, (_, n) => ({ n, text: 'x'.repeat(n % 173) }));
    const path = file('large.jsonl', rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
    expect(await readJsonl(path, rowSchema)).toEqual(rows);
  });

  it('names the right line far into the file', async () => {
    const lines = Array.from({ length: 30_000 }, (_, n) => JSON.stringify({ n, text: 'y'.repeat(n % 101) }));
    lines[27_123] = JSON.stringify({ n: 'twenty-seven thousand', text: '' });
    const path = file('late-error.jsonl', `${lines.join('\n')}\n`);
    const error = await errorOf(readJsonl(path, rowSchema));
    expect({ file: error.file, line: error.line, field: error.field }).toEqual({ file: path, line: 27_124, field: 'n' });
  });

  it('takes CRLF endings, blank lines and a last line without its newline', async () => {
    const path = file('crlf.jsonl', '{"n":1,"text":"a"}\r\n\r\n{"n":2,"text":"b"}\n\n{"n":3,"text":"c"}');
    expect(await readJsonl(path, rowSchema)).toEqual([{ n: 1, text: 'a' }, { n: 2, text: 'b' }, { n: 3, text: 'c' }]);
    const broken = file('crlf-broken.jsonl', '{"n":1,"text":"a"}\r\n\r\n{"n":2}');
    expect((await errorOf(readJsonl(broken, rowSchema))).message).toBe(`${broken}:3: text: Invalid input: expected string, received undefined`);
  });

  it('counts the lines it skips, by prefilter or by select, so errors still name the right line', async () => {
    const path = file('mixed.jsonl', ['{"kind":"other"}', '{"kind":"other","mine":false}', '{"kind":"mine","n":1,"text":"a"}', '{"kind":"mine","n":"x","text":"b"}'].join('\n'));
    const mine = z.object({ n: z.int(), text: z.string() });
    const select = (row: unknown): boolean => (row as { kind?: unknown }).kind === 'mine';
    const error = await errorOf(readJsonl(path, mine, { prefilter: '"mine"', select }));
    expect([error.line, error.field]).toEqual([4, 'n']);
    // Without `select`, the row the prefilter let through but that is not one of ours is refused too.
    expect((await errorOf(readJsonl(path, mine, { prefilter: '"mine"' }))).line).toBe(2);
  });

  it('says how many more problems a row has besides the one it names', async () => {
    const path = file('many.jsonl', '{"n":"x","text":1}\n');
    expect((await errorOf(readJsonl(path, rowSchema))).message).toMatch(/:1: n: .* \(and 1 more problem in this row\)$/);
  });

  it('hands each checked row to keep, and returns what keep makes of it', async () => {
    const path = file('keep.jsonl', '{"n":1,"text":"a"}\n{"n":2,"text":"b"}\n');
    expect(await readJsonl(path, rowSchema, { keep: (row) => row.n * 10 })).toEqual([10, 20]);
  });

  it('yields nothing for a missing file', async () => {
    expect(await readJsonl(join(dir, 'absent.jsonl'), rowSchema)).toEqual([]);
  });
});
