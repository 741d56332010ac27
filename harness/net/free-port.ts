import { createServer } from 'node:net';

/**
 * A port the kernel says is free now, on `host` (loopback by default), for a program that must be
 * told its port rather than asked for port 0 (toxiproxy-server's API, a process restarted on the
 * same port, nginx, a container on the host network). Another program may take it before that one
 * binds it: callers that can tell retry once (onAFreePort).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error(`could not read the port of a probe listener on ${host}`))));
    });
  });
}

/** What a start throws when its port was taken between freePort and the bind: worth one more try. */
export class PortTakenError extends Error {}

/** Starts something on a free port, once more on another if the first was taken meanwhile. */
export async function onAFreePort<T>(start: (port: number) => Promise<T>, host = '127.0.0.1'): Promise<T> {
  try {
    return await start(await freePort(host));
  } catch (error) {
    if (!(error instanceof PortTakenError)) throw error;
    return start(await freePort(host));
  }
}
