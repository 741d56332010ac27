import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allProcesses, stillRunning, type ProcessEntry } from '../cli/process-census.ts';
import { startK6 } from './k6-runner.ts';
import { probeParentDeathSignal } from './parent-death-signal.ts';

/**
 * k6 dies with the harness however the harness ends. A harness killed outright (SIGKILL)
 * cannot stop k6 itself; here the harness is a Node process that starts "k6" (`sleep`, with
 * an argument no other process has) through startK6, and is then killed.
 */
const runner = fileURLToPath(new URL('./k6-runner.ts', import.meta.url));
const setprivFound = !probeParentDeathSignal('setpriv').missingReason;
if (!setprivFound) process.stdout.write('k6-runner.test.ts: the SIGKILL case is skipped: setpriv (util-linux) cannot set a parent-death signal here\n');

describe('startK6', () => {
  it.skipIf(!setprivFound)('k6 dies when the harness is killed with SIGKILL', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k6-runner-'));
    const seconds = `${600 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const code = `import { startK6 } from ${JSON.stringify(runner)};
startK6({ k6: 'sleep', argv: [${JSON.stringify(seconds)}], env: {}, logFile: ${JSON.stringify(join(dir, 'k6-output.log'))} });`;
    const harness = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
    let k6: ProcessEntry | undefined;
    await until(() => {
      k6 = allProcesses().find((p) => p.ppid === harness.pid && p.command === `sleep ${seconds}`);
      return k6 !== undefined;
    });
    harness.kill('SIGKILL');
    await until(() => !stillRunning(k6!), 10_000).catch(() => undefined);
    const left = stillRunning(k6!);
    if (left) process.kill(k6!.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    expect(left, 'k6 outlived the harness').toBe(false);
  });

  it('says why children will not die with the harness where setpriv is missing, and starts them unchanged', () => {
    const missing = probeParentDeathSignal(join(tmpdir(), 'no-such-dir', 'setpriv'));
    expect(missing.missingReason).toMatch(/setpriv \(util-linux\) cannot set a parent-death signal \(not found\): k6 will not be stopped if the harness is killed outright/);
    expect(missing.wrap('/opt/k6', ['run', 'x.js'])).toEqual({ command: '/opt/k6', args: ['run', 'x.js'] });
  });

  it('withholds the secrets it is told to from k6\'s environment, and passes the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k6-runner-'));
    process.env.SPILLWAY_TEST_SECRET = 'canary-secret-value';
    process.env.SPILLWAY_TEST_PLAIN = 'plain-value';
    try {
      const log = join(dir, 'k6-output.log');
      const run = startK6({ k6: 'sh', argv: ['-c', 'echo "secret=[$SPILLWAY_TEST_SECRET] plain=[$SPILLWAY_TEST_PLAIN] plan=[$SPILLWAY_PLAN]"'], env: { SPILLWAY_PLAN: 'p' }, withhold: ['SPILLWAY_TEST_SECRET'], logFile: log });
      await run.done;
      const { readFileSync } = await import('node:fs');
      // The log is closed as k6 exits; its last write may land a moment after.
      await until(() => readFileSync(log, 'utf8').includes('secret='), 5_000).catch(() => undefined);
      expect(readFileSync(log, 'utf8')).toContain('secret=[] plain=[plain-value] plan=[p]');
    } finally {
      delete process.env.SPILLWAY_TEST_SECRET;
      delete process.env.SPILLWAY_TEST_PLAIN;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes k6\'s exit status and the signal that ended it through unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k6-runner-'));
    const run = (script: string) => startK6({ k6: 'sh', argv: ['-c', script], env: {}, logFile: join(dir, 'k6-output.log') }).done;
    expect(await run('exit 99')).toMatchObject({ exitCode: 99, signal: null });
    expect(await run('kill -TERM $$')).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    rmSync(dir, { recursive: true, force: true });
  });
});

async function until(ready: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
