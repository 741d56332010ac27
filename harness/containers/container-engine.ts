import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { findOnPath } from '../tools/find-executable.ts';
import { spillwayCacheDir } from '../tools/resolve-tool.ts';

/**
 * Finds a container engine that speaks the Docker Engine API, which is what testcontainers
 * talks to: Docker's socket, or Podman's Docker-compatible service (`podman system service`).
 * Nothing here starts a container; the caller refuses the container runtime, naming its flag,
 * when no engine answers, before anything else starts.
 *
 * testcontainers' Ryuk (the reaper container that removes a session's containers when the
 * client dies) is always disabled: its image comes from Docker Hub, which is not reachable
 * where Spillway must run offline, and testcontainers' own docs require it off under Podman.
 * Spillway removes its containers itself instead (container-cleanup.ts).
 */

export interface ContainerEngine {
  /** The value testcontainers reads from DOCKER_HOST: `unix:///path` or `tcp://host:port`. */
  readonly dockerHost: string;
  /** `Docker 28.2.2` or `Podman Engine 4.3.1`, from the engine's /version. */
  readonly description: string;
  readonly isPodman: boolean;
}

export type EngineSearch = { readonly engine: ContainerEngine; readonly tried: readonly string[] } | { readonly engine: null; readonly tried: readonly string[] };

/** How long one candidate gets to answer /_ping and /version. */
const probeTimeoutMs = 3_000;

/** Where `startPodmanService` puts its socket and configuration: the per-user cache. */
export function spillwayPodmanDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(spillwayCacheDir(env), 'podman');
}

/** The sockets tried when DOCKER_HOST is not set, in order. */
export function candidateDockerHosts(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.DOCKER_HOST) return [env.DOCKER_HOST];
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const runtimeDir = env.XDG_RUNTIME_DIR ?? (uid !== undefined ? `/run/user/${uid}` : undefined);
  return [
    'unix:///var/run/docker.sock',
    ...(runtimeDir ? [`unix://${runtimeDir}/docker.sock`] : []),
    'unix:///run/podman/podman.sock',
    ...(runtimeDir ? [`unix://${runtimeDir}/podman/podman.sock`] : []),
    `unix://${join(spillwayPodmanDir(env), 'podman.sock')}`,
  ];
}

interface Answer {
  status: number;
  body: string;
}

/** One GET against the Engine API at `dockerHost`; rejects on anything but an answer. */
function engineGet(dockerHost: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let target: { socketPath: string } | { host: string; port: number };
    if (dockerHost.startsWith('unix://')) target = { socketPath: dockerHost.slice('unix://'.length) };
    else if (dockerHost.startsWith('tcp://')) {
      const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
      target = { host: url.hostname, port: Number(url.port || 2375) };
    } else return reject(new Error(`unsupported scheme (only unix:// and tcp:// are)`));
    const req = request({ ...target, path, method: 'GET', timeout: probeTimeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${probeTimeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The engine at `dockerHost`, or why it is not one. */
export async function probeEngine(dockerHost: string): Promise<ContainerEngine | string> {
  if (dockerHost.startsWith('unix://') && !existsSync(dockerHost.slice('unix://'.length))) return 'no such socket';
  try {
    const ping = await engineGet(dockerHost, '/_ping');
    if (ping.status !== 200) return `/_ping answered ${ping.status}`;
    const version = await engineGet(dockerHost, '/version');
    const parsed = JSON.parse(version.body) as { Version?: string; Components?: { Name?: string; Version?: string }[] };
    const component = parsed.Components?.[0];
    const name = component?.Name ?? 'Docker Engine';
    return { dockerHost, description: `${name} ${component?.Version ?? parsed.Version ?? '?'}`, isPodman: /podman/i.test(name) };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The first candidate that answers as an Engine API; `tried` says why each other one did not. */
export async function findContainerEngine(env: NodeJS.ProcessEnv = process.env): Promise<EngineSearch> {
  const tried: string[] = [];
  for (const dockerHost of candidateDockerHosts(env)) {
    const found = await probeEngine(dockerHost);
    if (typeof found !== 'string') return { engine: found, tried };
    tried.push(`${dockerHost}${env.DOCKER_HOST === dockerHost ? ' (DOCKER_HOST)' : ''}: ${found}`);
  }
  return { engine: null, tried };
}

/**
 * The engine for `--runtime container`, or a UserFacingError naming the flag and every socket
 * tried, with the ways to get one. Called before anything starts.
 */
export async function requireContainerEngine(flag: string, env: NodeJS.ProcessEnv = process.env): Promise<ContainerEngine> {
  const search = await findContainerEngine(env);
  if (search.engine) return search.engine;
  throw new UserFacingError(
    [
      `${flag} needs a container engine with the Docker Engine API, and none answered:`,
      ...search.tried.map((line) => `  ${line}`),
      'Start Docker, or Podman\'s Docker-compatible service (`podman system service --time=0 unix:///run/podman/podman.sock &`), and set DOCKER_HOST when its socket is elsewhere; or run without the flag (`--runtime process`, the default). docs/containers.md has the details.',
    ].join('\n'),
  );
}

/**
 * Points testcontainers at `engine`. testcontainers reads its environment once, on first use,
 * so this must run before the first container or image call of the process.
 */
export function useContainerEngine(engine: ContainerEngine): void {
  process.env.DOCKER_HOST = engine.dockerHost;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
}

/**
 * The containers.conf Spillway's Podman service runs with: the runc runtime (crun 1.8, Debian
 * 12's, refuses hosts with hybrid cgroups, as this machine has) and default limits no higher
 * than this process's own (a root without CAP_SYS_RESOURCE cannot raise them to Podman's
 * defaults, and the container then fails to start with "setrlimit ... not permitted").
 */
export function podmanServiceConfig(limits: { openFiles?: number; processes?: number }, runtime: 'runc' | null = 'runc'): string {
  const ulimits = [
    ...(limits.openFiles ? [`"nofile=${limits.openFiles}:${limits.openFiles}"`] : []),
    ...(limits.processes ? [`"nproc=${Math.min(limits.processes, 4096)}:${Math.min(limits.processes, 4096)}"`] : []),
  ];
  return ['[containers]', `default_ulimits = [${ulimits.join(', ')}]`, '', '[engine]', ...(runtime ? [`runtime = "${runtime}"`] : []), ''].join('\n');
}

/** This process's soft limits on open files and processes, from /proc (Linux). */
export async function ownLimits(): Promise<{ openFiles?: number; processes?: number }> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const soft = (name: string): number | undefined => {
    const value = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(text)?.[1];
    return value ? Number(value) : undefined;
  };
  return { openFiles: soft('Max open files'), processes: soft('Max processes') };
}

/**
 * The limits a container is created with (HostConfig.Ulimits): this process's own, for the
 * reason podmanServiceConfig gives. Set on every container, so an engine with higher defaults
 * (any Podman service, not only Spillway's) still starts it here. Docker and Podman both
 * replace their default list with this one, so both limits are always given.
 */
export async function containerUlimits(): Promise<Record<string, { soft: number; hard: number }>> {
  const limits = await ownLimits();
  const nproc = limits.processes ? Math.min(limits.processes, 4096) : undefined;
  return {
    ...(limits.openFiles ? { nofile: { soft: limits.openFiles, hard: limits.openFiles } } : {}),
    ...(nproc ? { nproc: { soft: nproc, hard: nproc } } : {}),
  };
}

/**
 * Starts Podman's Docker-compatible service on a socket in Spillway's cache (detached: it
 * outlives this process, as a system service would, and answers later runs too) and waits for
 * it to answer. Returns the engine, or why it could not. Used by the tests and .ci/run where
 * only Podman is installed; a user with Docker or a Podman service of their own never needs it.
 */
export async function startPodmanService(env: NodeJS.ProcessEnv = process.env, waitMs = 20_000): Promise<ContainerEngine | string> {
  const dir = spillwayPodmanDir(env);
  const socket = join(dir, 'podman.sock');
  const already = await probeEngine(`unix://${socket}`);
  if (typeof already !== 'string') return already;
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'containers.conf');
  // runc when installed (see podmanServiceConfig); else Podman's own choice.
  const runc = await findOnPath('runc', { PATH: `${env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin` });
  await writeFile(config, podmanServiceConfig(await ownLimits(), runc ? 'runc' : null));
  const started = await new Promise<string | null>((resolve) => {
    const child = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
      env: { ...env, CONTAINERS_CONF: config },
      detached: true,
      stdio: 'ignore',
    });
    child.once('error', (error) => resolve(`podman could not be started: ${error.message}`));
    child.once('spawn', () => {
      child.unref();
      resolve(null);
    });
  });
  if (started) return started;
  const deadline = Date.now() + waitMs;
  let last = '';
  while (Date.now() < deadline) {
    const found = await probeEngine(`unix://${socket}`);
    if (typeof found !== 'string') return found;
    last = found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return `podman system service did not answer on ${socket} within ${waitMs} ms (${last})`;
}
