import { createServer, type Server, type Socket, connect } from 'node:net';
import { startFleet, type FleetOptions, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import { parseTopology } from '../../mocks/aoai/topology.ts';

/**
 * For the tests of an attached fleet: a real fleet on loopback (port 0, no modelled latency, a
 * fixed seed), requests that each make one ledger record, and a TCP relay that can be taken down
 * and brought back on the same port, to make a control API unreachable for a while.
 */

/** Two regions, three backends; every backend hosts gpt-4o. */
export const testTopology = {
  seed: 4242,
  latencyScale: 0,
  resources: [
    { name: 'aoai-east-1', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] },
    { name: 'aoai-east-2', region: 'East US', kind: 'payg', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 10_000_000 }] },
    { name: 'aoai-west-1', region: 'West US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] },
  ],
};

export function startTestFleet(options: Omit<FleetOptions, 'topology'> = {}): Promise<RunningFleet> {
  return startFleet({ topology: parseTopology(JSON.stringify(testTopology), 'test topology'), ...options });
}

/** Sends `count` chat completions to a backend, one after another; each is one ledger record. */
export async function sendChats(fleet: RunningFleet, count: number, backend = 'aoai-east-1'): Promise<void> {
  const endpoint = fleet.describe().backends.find((b) => b.name === backend)!.endpoint;
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${endpoint}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'test-key', 'x-fleet-completion-tokens': '2' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`the fleet answered ${response.status}`);
  }
}

/** A TCP relay to `target` (an http origin) on a fixed loopback port, that can stop and resume listening. */
export interface TcpRelay {
  /** The relay's origin, to use in place of the target's. */
  readonly origin: string;
  /** Stops accepting and cuts every open connection: callers see connections refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpRelay(target: string): Promise<TcpRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: hostname, port: Number(port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (at: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const relayPort = await listen(0);
  const down = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    origin: `http://127.0.0.1:${relayPort}`,
    down,
    up: async () => {
      await listen(relayPort);
    },
    close: async () => {
      if (server.listening) await down();
    },
  };
}
