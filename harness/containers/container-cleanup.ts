import { hostname } from 'node:os';
import { containerRuntimeClient } from './testcontainers-module.ts';

/**
 * Every container Spillway starts carries labels saying it is Spillway's and which process on
 * which host owns it. The runners remove their containers when they stop (an abort, Ctrl-C
 * through the CLI's stop signals, or the end of the work); a harness killed outright (SIGKILL,
 * a crash of the machine) cannot, so every start first removes the containers whose owner
 * process is gone (`removeOrphanedContainers`). testcontainers' Ryuk would do this job, but its
 * image comes from a registry (container-engine.ts says why it is off).
 */

export const ownerLabel = 'io.spillway.owner';
export const roleLabel = 'io.spillway.role';
/** One per start: a container that was created but failed to start has no id to remove it by. */
export const instanceLabel = 'io.spillway.instance';

/** `<host>:<pid>` of this process. */
export function ownerId(): string {
  return `${hostname()}:${process.pid}`;
}

/** The labels of a container owned by this process, plus the caller's (a test's marker). */
export function spillwayLabels(role: 'k6' | 'toxiproxy', instance: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [ownerLabel]: ownerId(), [roleLabel]: role, [instanceLabel]: instance };
}

/** Removes (force) whatever container carries this instance label: the cleanup of a failed start. */
export async function removeInstance(instance: string): Promise<void> {
  const client = await containerRuntimeClient();
  for (const container of await listSpillwayContainers({ name: instanceLabel, value: instance })) {
    await client.container.dockerode
      .getContainer(container.id)
      .remove({ force: true })
      .catch(() => {});
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the owner named by a label value is a process of this host that no longer runs. */
export function ownerIsGone(owner: string, thisHost: string = hostname(), alive: (pid: number) => boolean = processAlive): boolean {
  const separator = owner.lastIndexOf(':');
  if (separator < 0) return false;
  const host = owner.slice(0, separator);
  const pid = Number(owner.slice(separator + 1));
  return host === thisHost && Number.isInteger(pid) && pid > 0 && !alive(pid);
}

/** Ids of Spillway's containers matching `label=value` (all of Spillway's when no label). */
export async function listSpillwayContainers(label?: { name: string; value: string }): Promise<{ id: string; owner: string; state: string }[]> {
  const client = await containerRuntimeClient();
  const filters = { label: [ownerLabel, ...(label ? [`${label.name}=${label.value}`] : [])] };
  const found = await client.container.dockerode.listContainers({ all: true, filters });
  return found.map((info) => ({ id: info.Id, owner: info.Labels[ownerLabel] ?? '', state: info.State }));
}

/** Removes (force) Spillway's containers left by processes of this host that are gone. */
export async function removeOrphanedContainers(): Promise<string[]> {
  const client = await containerRuntimeClient();
  const removed: string[] = [];
  for (const container of await listSpillwayContainers()) {
    if (!ownerIsGone(container.owner)) continue;
    await client.container.dockerode
      .getContainer(container.id)
      .remove({ force: true })
      .then(() => removed.push(container.id))
      // Already gone (removed by its own runner, or a concurrent sweep): nothing to do.
      .catch(() => {});
  }
  return removed;
}

/** Stops (SIGTERM, then SIGKILL after `timeoutSeconds`) and removes one container; tolerates it being gone. */
export async function stopAndRemove(id: string, timeoutSeconds: number): Promise<void> {
  const client = await containerRuntimeClient();
  const container = client.container.dockerode.getContainer(id);
  await container.stop({ t: timeoutSeconds }).catch(() => {});
  await container.remove({ force: true }).catch((error: unknown) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw error;
  });
}
