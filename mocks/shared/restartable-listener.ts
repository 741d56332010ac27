import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP server's listener that can go down and come back on the same port: a fleet backend
 * refusing connections (a `refuse` fault), a regional gateway going down in a failover drill.
 * The fleet's listeners (msw-node-server.ts) and the gateway's (gateway-instance.ts) both use it,
 * so "down" means the same thing everywhere:
 *
 * - new connections are refused (ECONNREFUSED): the port is closed, not answering errors;
 * - every open connection is dropped at once, idle keep-alive ones and those with a request in
 *   flight alike. A client's pooled keep-alive socket would otherwise carry its next request to
 *   a listener that is meant to be down, and server.close() alone would wait for every request
 *   in flight (a hung one never ends), so going down would never finish;
 * - coming back listens on the port the listener first got (port 0 picks one once). If something
 *   took the port meanwhile, resume() fails with the listen error and the listener stays down,
 *   to be resumed again later;
 * - stop, resume and close run one at a time in the order they were asked for, so a quick
 *   stop/resume pair cannot interleave; close is final (a resume after it does nothing).
 *
 * The caller builds the server (its request handler, its keep-alive timeout); the listener only
 * binds it, tracks its connections and formats its origin, IPv6 addresses in brackets.
 */
export interface RestartableListenerOptions {
  /** Address to bind; default 127.0.0.1. An IPv6 address is given bare ("::1"), as node:net takes it. */
  host?: string;
  /** Port to bind; 0 (the default) lets the system pick one, kept from then on. */
  port?: number;
}

export class RestartableListener {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, as a URL needs it (`http://[::1]:8080`). */
  readonly origin: string;
  readonly #sockets: Set<Socket>;
  #state: 'listening' | 'down' | 'closed' = 'listening';
  /** The last operation asked for; the next one starts after it settles. */
  #queue: Promise<void> = Promise.resolve();

  /** Binds `server` and starts tracking its connections; rejects with the listen error (EADDRINUSE, ...). */
  static async listen(server: Server, options: RestartableListenerOptions = {}): Promise<RestartableListener> {
    const host = options.host ?? '127.0.0.1';
    // Tracked from before the first connection can arrive.
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await bind(server, options.port ?? 0, host);
    return new RestartableListener(server, host, (server.address() as AddressInfo).port, sockets);
  }

  private constructor(server: Server, host: string, port: number, sockets: Set<Socket>) {
    this.server = server;
    this.host = host;
    this.port = port;
    this.origin = httpOrigin(host, port);
    this.#sockets = sockets;
  }

  get listening(): boolean {
    return this.#state === 'listening';
  }

  /** Stops accepting connections and drops the open ones: a listener that is down. */
  stop(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state !== 'listening') return;
      this.#state = 'down';
      await this.#unbind();
    });
  }

  /** Listens again on the same port; nothing to do when listening, or once closed. */
  resume(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state !== 'down') return;
      await bind(this.server, this.port, this.host);
      this.#state = 'listening';
    });
  }

  /** Stops for good (dropping open connections, as stop does); closing twice is harmless. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      const wasListening = this.#state === 'listening';
      this.#state = 'closed';
      if (wasListening) await this.#unbind();
    });
  }

  async #unbind(): Promise<void> {
    // close() stops accepting at once, and calls back when the last connection has gone, which
    // the destroy below makes immediate.
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await closed;
  }

  #enqueue(operation: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(operation);
    // A failed resume must not stop later operations from running.
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * `http://host:port` for a host as node:net takes it: an IPv6 address goes in brackets
 * (`http://[::1]:8080`); a host name or an IPv4 address as it is. One already in brackets is
 * left alone.
 */
export function httpOrigin(host: string, port: number): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${bracketed}:${port}`;
}

function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Both handlers are removed whichever comes: a failed attempt must not leave a 'listening'
    // handler behind to fire on the next one.
    const failed = (error: Error): void => {
      server.off('listening', listening);
      reject(error);
    };
    const listening = (): void => {
      server.off('error', failed);
      resolve();
    };
    server.once('error', failed);
    server.once('listening', listening);
    server.listen(port, host);
  });
}
