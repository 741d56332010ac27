import { randomUUID } from 'node:crypto';
import type { StartedTestContainer } from 'testcontainers';
import type { ToxiproxyServer } from '../network/toxiproxy-server.ts';
import { toxiproxyAnswers } from '../network/toxiproxy-client.ts';
import { onAFreePort, PortTakenError } from '../net/free-port.ts';
import { removeInstance, removeOrphanedContainers, spillwayLabels, stopAndRemove } from './container-cleanup.ts';
import { containerUlimits } from './container-engine.ts';
import { containerRuntimeClient, loadTestcontainers } from './testcontainers-module.ts';

/**
 * Toxiproxy (ghcr.io/shopify/toxiproxy:<pinned>, built by local-images.ts) in its container,
 * as a drop-in for the process (harness/network/toxiproxy-server.ts): the same
 * ToxiproxyServer, an API URL on the host's loopback that harness/network/toxiproxy-client.ts
 * drives. Host networking (Linux): the proxies it creates listen on the host's ports and reach
 * upstreams on the host's loopback (the fleet's backends, the gateways), exactly as the
 * process does; with a bridge network it could reach neither.
 *
 * @testcontainers/toxiproxy's ToxiProxyContainer publishes 33 ports and waits on the mapped
 * API port, neither of which exists under host networking, so the host-network subclass
 * drops the published ports, tells Toxiproxy which loopback port to serve its API on, and
 * waits for the API's start line, then for the API itself.
 */

async function defineHostNetworkToxiproxyContainer() {
  // Loaded here, not at the top: testcontainers costs every command half a second at start-up
  // (testcontainers-module.ts), and the class needs its base class to be defined.
  const [{ ToxiProxyContainer }, { GenericContainer, Wait }] = await Promise.all([import('@testcontainers/toxiproxy'), loadTestcontainers()]);
  return class HostNetworkToxiproxyContainer extends ToxiProxyContainer {
    constructor(image: string, apiPort: number) {
      super(image);
      this.exposedPorts = [];
      this.createOpts.ExposedPorts = {};
      this.hostConfig.PortBindings = {};
      this.withNetworkMode('host')
        .withCommand(['-host', '127.0.0.1', '-port', String(apiPort)])
        .withWaitStrategy(Wait.forLogMessage('Starting Toxiproxy HTTP server'))
        .withStartupTimeout(30_000);
    }

    /** GenericContainer's start: ToxiProxyContainer's would look up the mapped API port, and there is none. */
    startOnHostNetwork(): Promise<StartedTestContainer> {
      return GenericContainer.prototype.start.call(this);
    }
  };
}

let hostNetworkToxiproxyContainer: ReturnType<typeof defineHostNetworkToxiproxyContainer> | undefined;

export interface StartToxiproxyContainerOptions {
  /** The image (local-images.ts imageNameFor(toxiproxySpec)). */
  image: string;
  /** Extra labels (a test's marker); Spillway's owner and role labels are always set. */
  labels?: Record<string, string>;
  /** How long the API gets to answer after the container started; default 10 s. */
  readyTimeoutMs?: number;
}

export type ToxiproxyContainerServer = ToxiproxyServer & { readonly containerId: string };

export async function startToxiproxyContainer(options: StartToxiproxyContainerOptions): Promise<ToxiproxyContainerServer> {
  await removeOrphanedContainers();
  // The port is free when asked for and could be taken before Toxiproxy binds it: one retry.
  return onAFreePort((port) => startOnce(options, port));
}

async function startOnce(options: StartToxiproxyContainerOptions, port: number): Promise<ToxiproxyContainerServer> {
  const apiUrl = `http://127.0.0.1:${port}`;
  const instance = randomUUID();
  const HostNetworkToxiproxyContainer = await (hostNetworkToxiproxyContainer ??= defineHostNetworkToxiproxyContainer());
  const container = new HostNetworkToxiproxyContainer(options.image, port)
    .withEnvironment({ LOG_LEVEL: 'info' })
    .withLabels(spillwayLabels('toxiproxy', instance, options.labels))
    .withUlimits(await containerUlimits());
  const started = await container.startOnHostNetwork().catch(async (error: unknown) => {
    // Created but not started: there is no id yet, only the instance label.
    await removeInstance(instance).catch(() => {});
    throw error;
  });
  const id = started.getId();
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopping ??= stopAndRemove(id, 5));
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (await toxiproxyAnswers(apiUrl)) break;
      const client = await containerRuntimeClient();
      const running = await client.container.dockerode
        .getContainer(id)
        .inspect()
        .then((info) => info.State.Running, () => false);
      if (!running || Date.now() > deadline) {
        const logs = await readLogs(started);
        if (/address already in use/i.test(logs)) throw new PortTakenError(`port ${port} was taken`);
        throw new Error(`Toxiproxy in its container (${options.image}) did not answer on ${apiUrl}/version${logs ? `; its last output:\n${logs}` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { apiUrl, pid: undefined, containerId: id, stop };
}

async function readLogs(container: StartedTestContainer): Promise<string> {
  const stream = await container.logs({ tail: 20 });
  let text = '';
  stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
  await Promise.race([new Promise((resolve) => stream.once('end', resolve)), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  stream.destroy();
  return text.trim();
}
