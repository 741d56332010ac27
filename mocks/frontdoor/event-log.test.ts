import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventLog } from './event-log.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('event log', () => {
  it('delivers events in order to the callback, the JSONL file and memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'frontdoor-log-'));
    dirs.push(dir);
    const path = join(dir, 'events.jsonl');
    const heard: number[] = [];
    const log = createEventLog<{ n: number }>({ log: (e) => heard.push(e.n), eventsPath: path });
    for (let n = 1; n <= 5; n++) log.emit({ n });
    await log.close();
    expect(heard).toEqual([1, 2, 3, 4, 5]);
    expect(log.events().map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps only the latest events in memory', () => {
    const log = createEventLog<number>({ retain: 3 });
    for (let n = 1; n <= 5; n++) log.emit(n);
    expect(log.events()).toEqual([3, 4, 5]);
  });

  it('survives a throwing callback', () => {
    const log = createEventLog<number>({ log: () => {
      throw new Error('callback bug');
    } });
    const write = process.stderr.write;
    let written = '';
    process.stderr.write = ((chunk: string) => {
      written += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      log.emit(1);
    } finally {
      process.stderr.write = write;
    }
    expect(log.events()).toEqual([1]);
    expect(written).toContain('callback bug');
  });

  it('reports a file that cannot be written when closed', async () => {
    const log = createEventLog<number>({ eventsPath: join(tmpdir(), 'no-such-dir-frontdoor', 'x', 'events.jsonl') });
    log.emit(1);
    await expect(log.close()).rejects.toThrow(/ENOENT/);
  });
});
