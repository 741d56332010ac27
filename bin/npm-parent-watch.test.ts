import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * The watch against a stand-in for npm that does what npm 11 does (@npmcli/run-script): run
 * the script through `sh -c`, with npm_lifecycle_script in the environment, and forward
 * SIGINT and SIGTERM to that shell alone. The watching process prints each signal the watch
 * reports. (run-endings.e2e.test.ts does the same through the real npx.)
 */
const watchModule = fileURLToPath(new URL('./npm-parent-watch.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'npm-parent-watch-'));
const watcherFile = join(dir, 'watcher.mjs');
writeFileSync(
  watcherFile,
  `import { watchNpmParent, npmChain } from ${JSON.stringify(watchModule)};
console.log('ready ' + process.pid + ' ' + process.ppid + ' ' + JSON.stringify(npmChain()));
watchNpmParent((signal) => { console.log(signal); if (signal === 'SIGTERM') process.exit(0); });
setInterval(() => undefined, 1000);
`,
);
const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(watcherFile)}`;
const npmFile = join(dir, 'npm.mjs');
writeFileSync(
  npmFile,
  `import { spawn } from 'node:child_process';
process.title = 'npm exec fake';
const viaShell = process.argv[2] === 'shell';
const env = { ...process.env, npm_lifecycle_script: ${JSON.stringify(script)} };
const child = viaShell ? spawn('sh', ['-c', ${JSON.stringify(script)}], { stdio: 'inherit', env }) : spawn(${JSON.stringify(process.execPath)}, [${JSON.stringify(watcherFile)}], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', () => process.exit(0));
`,
);

interface Started {
  npm: ChildProcess;
  lines: string[];
  watcher: number;
  shell: number;
  chain: unknown;
}

const started: Started[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const { npm, watcher, shell } of started.splice(0)) {
    for (const pid of [watcher, shell, npm.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

async function start(mode: 'shell' | 'direct', env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const npm = spawn(process.execPath, [npmFile, mode], { stdio: ['ignore', 'pipe', 'inherit'], env });
  const lines: string[] = [];
  let buffer = '';
  npm.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  await until(() => lines.some((line) => line.startsWith('ready ')));
  const [, watcher, shell, chain] = /^ready (\d+) (\d+) (.*)$/.exec(lines.find((line) => line.startsWith('ready '))!)!;
  const entry = { npm, lines, watcher: Number(watcher), shell: Number(shell), chain: JSON.parse(chain!) as unknown };
  started.push(entry);
  return entry;
}

async function until(ready: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const reported = (s: Started) => s.lines.filter((line) => !line.startsWith('ready '));
const alive = (pid: number): boolean => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('watchNpmParent', () => {
  it('recognises npm → sh -c → this process', async () => {
    const s = await start('shell');
    expect(s.chain).toEqual({ parent: s.shell, shell: s.shell, npm: s.npm.pid });
  });

  it('reports SIGINT when npm forwarded one that its shell kept for itself', async () => {
    const s = await start('shell');
    process.kill(s.npm.pid!, 'SIGINT');
    await until(() => reported(s).length > 0);
    expect(reported(s)).toEqual(['SIGINT']);
    // The premise: the shell caught it and still waits, so nothing but the watch could tell.
    expect(alive(s.shell)).toBe(true);
  });

  it('reports SIGTERM when npm forwarded a SIGTERM, which killed its shell', async () => {
    const s = await start('shell');
    process.kill(s.npm.pid!, 'SIGTERM');
    await until(() => reported(s).length > 0);
    expect(reported(s)).toEqual(['SIGTERM']);
  });

  it('reports SIGTERM when npm was killed outright and its shell still waits', async () => {
    const s = await start('shell');
    process.kill(s.npm.pid!, 'SIGKILL');
    await until(() => reported(s).length > 0);
    expect(reported(s)).toEqual(['SIGTERM']);
  });

  it('does not take this process being stopped and continued (Ctrl-Z, fg) for a SIGINT, and still sees one after', async () => {
    const s = await start('shell');
    // Stopping and continuing the watcher sends its shell two SIGCHLDs, which wake it as a SIGINT does.
    process.kill(s.watcher, 'SIGSTOP');
    await sleep(300);
    process.kill(s.watcher, 'SIGCONT');
    await sleep(2500); // past the settling time after a continue
    process.kill(s.npm.pid!, 'SIGINT');
    await until(() => reported(s).length > 0);
    await sleep(300);
    expect(reported(s)).toEqual(['SIGINT']);
  });

  it('watches npm itself when it is the parent (a shell that execs the command)', async () => {
    const s = await start('direct');
    expect(s.chain).toEqual({ parent: s.npm.pid, shell: null, npm: s.npm.pid });
    process.kill(s.npm.pid!, 'SIGKILL');
    await until(() => reported(s).length > 0);
    expect(reported(s)).toEqual(['SIGTERM']);
  });

  it('watches nothing when npm did not start the process, even with npm variables inherited', async () => {
    const code = `import { npmChain } from ${JSON.stringify(watchModule)}; console.log(JSON.stringify(npmChain()));`;
    const chainOf = async (command: string, args: string[], env: NodeJS.ProcessEnv): Promise<unknown> => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise((resolve) => child.on('close', resolve));
      return JSON.parse(out) as unknown;
    };
    const node = [process.execPath, '--input-type=module', '-e', code];
    // A test runner `npm test` started spawns Spillway: its parent is the runner, not npm's shell.
    expect(await chainOf(node[0]!, node.slice(1), { ...process.env, npm_lifecycle_script: 'node bin/vitest.js run' })).toBeNull();
    // A shell that runs something other than npm's script.
    expect(await chainOf('sh', ['-c', `${node.map((a) => `'${a}'`).join(' ')}; true`], { ...process.env, npm_lifecycle_script: 'spillway run smoke' })).toBeNull();
    // No npm at all.
    const env = { ...process.env };
    delete env.npm_lifecycle_script;
    expect(await chainOf(node[0]!, node.slice(1), env)).toBeNull();
  });
});
