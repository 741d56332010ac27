import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayLogSink } from './gateway-log-sink.ts';
import type { LlmLogRow } from './gateway-log-schema.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const llmRow = (n: number): LlmLogRow => ({ CorrelationId: `c${n}`, PromptTokens: n }) as unknown as LlmLogRow;

describe('gateway log sink', () => {
  it('keeps rows in memory when it has no directory, and only then by default', async () => {
    const memory = createGatewayLogSink(null);
    memory.llm(llmRow(1));
    expect(memory.recent.llm).toHaveLength(1);

    const dir = mkdtempSync(join(tmpdir(), 'spillway-sink-'));
    dirs.push(dir);
    const files = createGatewayLogSink(dir);
    files.llm(llmRow(1));
    files.llm(llmRow(2));
    // The files are the evidence; rows held in memory too would live until 10,000 newer ones came.
    expect(files.recent.llm).toHaveLength(0);
    await files.close();
    expect(readFileSync(join(dir, 'ApiManagementGatewayLlmLog.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LlmLogRow)).toEqual([llmRow(1), llmRow(2)]);
  });

  it('keeps rows in memory as well as in files when asked to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-sink-'));
    dirs.push(dir);
    const sink = createGatewayLogSink(dir, { keepRecent: true });
    sink.llm(llmRow(7));
    expect(sink.recent.llm).toEqual([llmRow(7)]);
    await sink.close();
  });

  it('refuses to start when its files cannot be written, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-sink-'));
    dirs.push(dir);
    const notADirectory = join(dir, 'a-file');
    writeFileSync(notADirectory, '');
    const quiet = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(() => createGatewayLogSink(join(notADirectory, 'logs'))).toThrow(/cannot write .*a-file.*ApiManagementGatewayLogs\.jsonl: ENOTDIR/);
    } finally {
      process.stderr.write = quiet;
    }
  });
});
