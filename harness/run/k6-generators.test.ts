import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { combineExits, generatorFiles, startK6Generators, type GeneratorExit } from './k6-generators.ts';

/**
 * The generators run a stand-in for k6: a shell script that prints its arguments (into the
 * generator's log) and exits with the code its environment gives, or waits to be stopped.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function fakeK6(): { dir: string; k6: string } {
  const dir = mkdtempSync(join(tmpdir(), 'k6-generators-'));
  dirs.push(dir);
  const k6 = join(dir, 'fake-k6');
  writeFileSync(k6, '#!/bin/sh\necho "argv: $*"\nif [ "$FAKE_EXIT" = wait ]; then trap "exit 105" INT; while :; do sleep 0.05; done; fi\nexit "$FAKE_EXIT"\n');
  chmodSync(k6, 0o755);
  return { dir, k6 };
}

const exit = (index: number, exitCode: number | null, startedAt = 1000, endedAt = 2000): GeneratorExit => ({ index, segment: `${index}`, pid: 1, exitCode, signal: exitCode === null ? 'SIGKILL' : null, startedAt, endedAt });

describe('generatorFiles', () => {
  it("keeps today's names for one generator and gives each of several its own folder", () => {
    expect(generatorFiles('/r', 0, 1)).toEqual({ samples: '/r/k6-samples.json', summaryExport: '/r/k6-summary-export.json', summary: '/r/k6-summary.json', log: '/r/k6-output.log' });
    expect(generatorFiles('/r', 1, 2)).toEqual({ samples: '/r/generator-2/k6-samples.json', summaryExport: '/r/generator-2/k6-summary-export.json', summary: '/r/generator-2/k6-summary.json', log: '/r/generator-2/k6-output.log' });
  });
});

describe('combineExits', () => {
  it('takes the worst exit: a run failure over thresholds failed over success, killed worst of all; the earliest start, the latest end', () => {
    expect(combineExits([exit(0, 0, 1000, 5000), exit(1, 99, 900, 4000)])).toMatchObject({ exitCode: 99, startedAt: 900, endedAt: 5000 });
    expect(combineExits([exit(0, 99), exit(1, 107), exit(2, 0)]).exitCode).toBe(107);
    expect(combineExits([exit(0, 107), exit(1, null), exit(2, 99)])).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(combineExits([exit(0, 0), exit(1, 0)]).exitCode).toBe(0);
    expect(combineExits([exit(0, 104), exit(1, 107)]).exitCode).toBe(104);
    expect(combineExits([exit(0, 0), exit(1, 99)]).generators.map((g) => g.exitCode)).toEqual([0, 99]);
  });
});

describe('startK6Generators', () => {
  it("runs each generator on its segment, with its own outputs and environment, and keeps each one's exit", async () => {
    const { dir, k6 } = fakeK6();
    const lines: string[] = [];
    const run = startK6Generators({ k6, script: '/b/smoke.js', count: 2, dir, env: (files, index) => ({ FAKE_EXIT: index === 0 ? '0' : '99', SUMMARY: files.summary }), extraArgs: ['--tag', 'x=y'], onLine: (line, index) => lines.push(`${index}:${line}`) });
    expect(run.pids).toHaveLength(2);
    expect(run.pids.every((pid) => typeof pid === 'number')).toBe(true);
    const done = await run.done;
    expect(done.exitCode).toBe(99);
    expect(done.generators.map((g) => [g.index, g.segment, g.exitCode])).toEqual([
      [0, '0:1/2', 0],
      [1, '1/2:1', 99],
    ]);
    expect(run.startedAt).toBe(Math.min(...run.generators.map((g) => g.run.startedAt)));
    const log = readFileSync(join(dir, 'generator-2', 'k6-output.log'), 'utf8');
    expect(log).toContain(`argv: run --quiet --no-color --execution-segment 1/2:1 --execution-segment-sequence 0,1/2,1 --out json=${join(dir, 'generator-2', 'k6-samples.json')} --summary-export ${join(dir, 'generator-2', 'k6-summary-export.json')} --tag x=y /b/smoke.js`);
    expect(lines.sort()[0]).toMatch(/^0:argv: run .*--execution-segment 0:1\/2 /);
    expect(existsSync(join(dir, 'k6-output.log'))).toBe(false);
  });

  it('runs one generator exactly as one k6: no segment, the run folder itself', async () => {
    const { dir, k6 } = fakeK6();
    const run = startK6Generators({ k6, script: '/b/smoke.js', count: 1, dir, env: () => ({ FAKE_EXIT: '0' }) });
    expect((await run.done).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'k6-output.log'), 'utf8')).toContain(`argv: run --quiet --no-color --out json=${join(dir, 'k6-samples.json')} --summary-export ${join(dir, 'k6-summary-export.json')} /b/smoke.js`);
  });

  it('stops every generator', async () => {
    const { dir, k6 } = fakeK6();
    const run = startK6Generators({ k6, script: 's.js', count: 3, dir, env: () => ({ FAKE_EXIT: 'wait' }), killAfterMs: 5_000 });
    // Each has started its loop (printed its arguments) before it is stopped.
    for (let i = 1; i <= 3; i++) await until(() => existsSync(join(dir, `generator-${i}`, 'k6-output.log')) && readFileSync(join(dir, `generator-${i}`, 'k6-output.log'), 'utf8').includes('argv'));
    run.stop();
    const done = await run.done;
    expect(done.generators.map((g) => g.exitCode)).toEqual([105, 105, 105]);
  });

  it('refuses a count that is not a whole number of at least 1', () => {
    expect(() => startK6Generators({ k6: 'k6', script: 's.js', count: 0, dir: '/nowhere', env: () => ({}) })).toThrow(/at least 1, got 0/);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
