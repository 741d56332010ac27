import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { WaitStrategy } from 'testcontainers';
import type { K6Exit, K6Run } from '../run/k6-runner.ts';
import { removeInstance, removeOrphanedContainers, spillwayLabels } from './container-cleanup.ts';
import { containerUlimits } from './container-engine.ts';
import { containerRuntimeClient, loadTestcontainers } from './testcontainers-module.ts';

/**
 * k6 in its container (grafana/k6:<pinned>, built by local-images.ts), as a drop-in for the
 * process runner (harness/run/k6-runner.ts startK6): the same arguments, the same K6Run, the
 * same files. Host networking, so `127.0.0.1` in the plan is the host's loopback, as for the
 * process; the folders k6 reads and writes (the bundle's, the run folder) are bind-mounted at
 * their own paths, so every path in the argv and the plan means the same inside; k6 runs as
 * this user so its files in the run folder are this user's. Its environment is only what the
 * caller passes (nothing of this process's is inherited: the secrets the process runner has
 * to withhold never reach the container).
 *
 * stop() sends SIGINT (k6's graceful abort, as Ctrl-C), then SIGKILL after killAfterMs; the
 * container is removed once k6 has exited and its log is on disk, whichever way it ended.
 */

export interface StartK6ContainerArgs {
  /** The image (local-images.ts imageNameFor(k6Spec)). */
  image: string;
  argv: string[];
  env: Record<string, string>;
  /** Host folders mounted read-write at the same path: every folder a path in argv or env points into. */
  mounts: string[];
  logFile: string;
  onLine?: (line: string) => void;
  killAfterMs?: number;
  /** Extra labels (a test's marker); Spillway's owner and role labels are always set. */
  labels?: Record<string, string>;
}

/** Starts right away: k6 is a one-shot program, whose readiness is its own output. */
const noWait: WaitStrategy = {
  waitUntilReady: async () => {},
  withStartupTimeout() {
    return this;
  },
  isStartupTimeoutSet: () => false,
  getStartupTimeout: () => 0,
};

export function startK6InContainer(args: StartK6ContainerArgs): K6Run & { readonly containerId: Promise<string | undefined> } {
  const log = createWriteStream(args.logFile, { flags: 'a' });
  const startedAt = Date.now();
  let stopRequested = false;
  let killTimer: NodeJS.Timeout | undefined;
  let id: string | undefined;
  let resolveId: (value: string | undefined) => void = () => {};
  const containerId = new Promise<string | undefined>((resolve) => (resolveId = resolve));

  const signal = async (name: 'SIGINT' | 'SIGKILL'): Promise<void> => {
    if (!id) return;
    const client = await containerRuntimeClient();
    // Already exited: nothing to signal.
    await client.container.dockerode
      .getContainer(id)
      .kill({ signal: name })
      .catch(() => {});
  };

  const instance = randomUUID();
  const done = (async (): Promise<K6Exit> => {
    let exitCode: number | null = null;
    let killedBy: NodeJS.Signals | null = null;
    let logEnded: Promise<void> = Promise.resolve();
    try {
      await removeOrphanedContainers();
      const uid = process.getuid?.();
      const gid = process.getgid?.();
      const { GenericContainer } = await loadTestcontainers();
      let container = new GenericContainer(args.image)
        .withNetworkMode('host')
        .withCommand(args.argv)
        .withEnvironment({ K6_NO_USAGE_REPORT: 'true', ...args.env })
        .withBindMounts([...new Set(args.mounts)].map((path) => ({ source: path, target: path, mode: 'rw' as const })))
        .withLabels(spillwayLabels('k6', instance, args.labels))
        .withUlimits(await containerUlimits())
        .withWaitStrategy(noWait)
        .withLogConsumer((stream: Readable) => {
          logEnded = new Promise((resolve) => stream.once('end', resolve).once('close', resolve));
          stream.pipe(log, { end: false });
          createInterface({ input: stream }).on('line', (line) => args.onLine?.(line));
        });
      if (uid !== undefined && gid !== undefined) container = container.withUser(`${uid}:${gid}`);
      const started = await container.start();
      id = started.getId();
      resolveId(id);
      log.write(`spillway: k6 runs in container ${id.slice(0, 12)} (${args.image}, host network)\n`);
      if (stopRequested) await signal('SIGINT');
      const client = await containerRuntimeClient();
      const waited = (await client.container.dockerode.getContainer(id).wait()) as { StatusCode?: number };
      exitCode = waited.StatusCode ?? null;
      // 137 = 128 + SIGKILL: the engine's way of saying what the process runner reports as a signal.
      if (stopRequested && exitCode === 137) {
        exitCode = null;
        killedBy = 'SIGKILL';
      }
      // The log stream ends with the container; bounded, should an engine never end it.
      await Promise.race([logEnded, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    } catch (error) {
      resolveId(undefined);
      log.write(`spillway: could not run k6 in its container (${args.image}): ${error instanceof Error ? error.message : String(error)}\n`);
      // Created but not started: there is no id yet, only the instance label.
      if (!id) await removeInstance(instance).catch(() => {});
    } finally {
      if (killTimer) clearTimeout(killTimer);
      if (id) {
        const client = await containerRuntimeClient();
        await client.container.dockerode
          .getContainer(id)
          .remove({ force: true })
          .catch((error: unknown) => log.write(`spillway: could not remove k6's container ${id}: ${error instanceof Error ? error.message : String(error)}\n`));
      }
    }
    const endedAt = Date.now();
    // Resolved once the log is on disk: a caller reads k6-output.log as soon as k6 is done.
    await new Promise<void>((resolve) => log.end(resolve));
    return { exitCode, signal: killedBy, startedAt, endedAt };
  })();

  return {
    startedAt,
    // No host process: k6 runs in the engine's process tree.
    pid: undefined,
    done,
    containerId,
    stop() {
      if (stopRequested) return;
      stopRequested = true;
      void signal('SIGINT');
      killTimer = setTimeout(() => void signal('SIGKILL'), args.killAfterMs ?? 10_000);
    },
  };
}
