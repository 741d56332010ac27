import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runtime = fileURLToPath(new URL('./node-runtime.js', import.meta.url));

/** Runs `code` as the child of runWithNode (the launcher an old Node goes through) and reports how the launcher ended. */
function launch(code: string): { status: number | null; signal: NodeJS.Signals | null } {
  const script = `import { runWithNode } from ${JSON.stringify(runtime)}; runWithNode(['-e', ${JSON.stringify(code)}]);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 30_000 });
  return { status: result.status, signal: result.signal };
}

describe('runWithNode (the launcher)', () => {
  it('exits with the child\'s exit code', () => {
    expect(launch('process.exit(3)')).toEqual({ status: 3, signal: null });
  });

  it('dies of the signal that killed the child, instead of exiting 0', () => {
    expect(launch('process.kill(process.pid, "SIGTERM")')).toEqual({ status: null, signal: 'SIGTERM' });
    expect(launch('process.kill(process.pid, "SIGINT")')).toEqual({ status: null, signal: 'SIGINT' });
  });
});

describe('runWithNode with the link to its child (bin/spillway.js, bin/run-ts.js)', () => {
  it('gives the child a SIGTERM when the launcher is killed outright', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'launcher-link-'));
    const report = join(dir, 'child.txt');
    // The child says it is ready, then waits; its SIGTERM handler records the signal and exits.
    const code = `require('fs').writeFileSync(${JSON.stringify(report)}, 'ready ' + process.pid); process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(report)}, 'SIGTERM'); process.exit(0); }); setInterval(() => {}, 1000);`;
    const script = `import { runWithNode } from ${JSON.stringify(runtime)}; runWithNode(['-e', ${JSON.stringify(code)}], { link: true });`;
    const launcher = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    await until(() => existsSync(report) && readFileSync(report, 'utf8').startsWith('ready'));
    const child = Number(readFileSync(report, 'utf8').split(' ')[1]);
    launcher.kill('SIGKILL');
    await until(() => !readFileSync(report, 'utf8').startsWith('ready')).catch(() => process.kill(child, 'SIGKILL'));
    expect(readFileSync(report, 'utf8')).toBe('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('still exits with the child\'s code, and the child ends by itself once its work is done', () => {
    const script = `import { runWithNode } from ${JSON.stringify(runtime)}; runWithNode(['-e', 'setTimeout(() => { process.exitCode = 4; }, 50)'], { link: true });`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 30_000 });
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 4, signal: null });
  });
});

async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
