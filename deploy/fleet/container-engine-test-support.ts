import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * For container-image.test.ts: finds a container engine that can build and run images here,
 * and builds a stand-in for the official Node image from what this machine has (no image
 * registry is reachable here): this Node, the npm on PATH, the shared libraries they load, a
 * shell, and a `node` user with uid 1000, as node:<version>-bookworm-slim provides them.
 */

export interface Engine {
  /** `docker` or `podman`. */
  command: string;
  /** Flags `build` and `run` need on this host (a runtime, resource limits); empty where the defaults work. */
  hostFlags: string[];
}

/** What was tried, for a skip message when nothing works. */
export type EngineSearch = { engine: Engine; tried: string[] } | { engine: null; tried: string[] };


/** Runs a command to its end (at most `timeoutMs`); ok when it exited 0. */
export function runCommand(command: string, args: string[], timeoutMs = 120_000): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'buffer', timeout: timeoutMs });
  const output = `${result.stdout?.toString() ?? ''}${result.stderr?.toString() ?? ''}`.trim();
  if (result.error) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output };
}

/** The first line of a command's complaint, for a skip message. */
const firstLine = (text: string): string => text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '(no output)';
/** The last line of a build's output, where engines put the step that failed. */
const lastLine = (text: string): string => firstLine(text.split('\n').reverse().join('\n'));

/**
 * Limits equal to this process's own: some hosts (this one) refuse to let a container runtime
 * raise them to the engine's defaults, and a container needs no more than its host gives.
 */
function limitFlags(): string[] {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = (name: string): string | undefined => new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(limits)?.[1];
  const files = soft('Max open files');
  const processes = soft('Max processes');
  return [...(files ? ['--ulimit', `nofile=${files}:${files}`] : []), ...(processes ? ['--ulimit', `nproc=${Math.min(Number(processes), 4096)}:${Math.min(Number(processes), 4096)}`] : [])];
}

/**
 * An engine that can build and run containers here, with the stand-in Node image built as
 * `baseTag`: docker when its daemon answers, else podman; for podman, with the runc runtime and
 * this host's limits when its defaults fail (crun refuses hybrid cgroups; a root without
 * CAP_SYS_RESOURCE cannot raise limits). `tried` says why each one was passed over.
 */
export function prepareEngine(baseTag: string): EngineSearch {
  const tried: string[] = [];
  for (const command of ['docker', 'podman']) {
    const info = runCommand(command, ['info']);
    if (!info.ok) {
      tried.push(`${command}: ${/ENOENT/.test(info.output) ? 'not installed' : lastLine(info.output)}`);
      continue;
    }
    const problem = buildLocalNodeImage(command, baseTag);
    if (problem !== null) {
      tried.push(`${command}: ${problem}`);
      continue;
    }
    const candidates: string[][] = command === 'podman' ? [[], limitFlags(), ['--runtime', 'runc', ...limitFlags()]] : [[]];
    for (const hostFlags of candidates) {
      const probe = runCommand(command, ['run', '--rm', ...hostFlags, baseTag, 'node', '-e', '0']);
      if (probe.ok) return { engine: { command, hostFlags }, tried };
      tried.push(`${command} run ${hostFlags.join(' ')}: ${lastLine(probe.output)}`);
    }
  }
  return { engine: null, tried };
}

/** The shared libraries an executable loads, as `ldd` lists them (absolute paths). */
function librariesOf(executable: string): string[] {
  return execFileSync('ldd', [executable], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** Where the npm on PATH lives (its package folder), or null. */
function npmPackage(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (found === '') return null;
  const cli = realpathSync(found); // .../node_modules/npm/bin/npm-cli.js
  const root = dirname(dirname(cli));
  return existsSync(join(root, 'package.json')) ? root : null;
}

/**
 * Builds `tag`: a minimal image with this Node at /usr/local/bin/node and npm beside it (as the
 * official image lays them out), built FROM scratch with the engine itself, so no registry is
 * needed. Returns null, with the reason, when this machine lacks a piece.
 */
function buildLocalNodeImage(command: string, tag: string): string | null {
  const npm = npmPackage();
  if (npm === null) return 'no npm on PATH to put in the stand-in Node image';
  if (!existsSync('/usr/bin/ldd') && spawnSync('sh', ['-c', 'command -v ldd']).status !== 0) return 'no ldd to find the shared libraries Node needs';
  const context = mkdtempSync(join(tmpdir(), 'spillway-node-image-'));
  try {
    const rootfs = join(context, 'rootfs');
    const place = (source: string, target: string): void => {
      mkdirSync(dirname(join(rootfs, target)), { recursive: true });
      copyFileSync(source, join(rootfs, target));
    };
    place(process.execPath, 'usr/local/bin/node');
    chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
    for (const executable of ['/bin/sh', '/usr/bin/env']) {
      place(realpathSync(executable), executable.slice(1));
      chmodSync(join(rootfs, executable.slice(1)), 0o755);
    }
    for (const library of new Set([...librariesOf(process.execPath), ...librariesOf('/bin/sh'), ...librariesOf('/usr/bin/env')])) place(realpathSync(library), library.slice(1));
    cpSync(npm, join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true, dereference: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    // Writable by everyone, as in any Debian image: the fleet's scratch files go there.
    mkdirSync(join(rootfs, 'tmp'));
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    mkdirSync(join(context, 'home'));
    // This machine may reach the npm registry through a TLS proxy its own CA bundle trusts.
    const caBundle = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : null;
    if (caBundle) place(caBundle, 'etc/ssl/certs/ca-certificates.crt');
    writeFileSync(
      join(context, 'Containerfile'),
      [
        'FROM scratch',
        'COPY rootfs/ /',
        'COPY --chown=1000:1000 home/ /home/node/',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        ...(caBundle ? ['ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []),
        'CMD ["node"]',
      ].join('\n'),
    );
    const built = runCommand(command, ['build', '-t', tag, '-f', join(context, 'Containerfile'), context]);
    if (!built.ok) return `could not build the stand-in Node image: ${lastLine(built.output)}`;
    return null;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

export { freePort } from '../../harness/net/free-port.ts';
