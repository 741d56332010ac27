/**
 * Small node:http origins for the front door's real-HTTP tests: a health endpoint whose status
 * can be switched, a listener that can be stopped (connections refused) and resumed on the
 * same port, a record of every request, and a replaceable handler for everything else.
 * Test-only; loopback only.
 */
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { APIM_HEALTH_PATH } from './front-door-config.ts';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Which request this was on its TCP connection: 1 for the first. */
  requestOnConnection: number;
  /** A number per TCP connection, in accept order. */
  connection: number;
}

export type OriginHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestOrigin {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** Status the health path answers with; 200 at start. */
  healthStatus: number;
  /** Serves every non-health request; default echoes the request as JSON. */
  handler: OriginHandler;
  /** Stops listening and drops open connections: new connections are refused. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

export const echoHandler =
  (name: string): OriginHandler =>
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify({ origin: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  };

export async function startTestOrigin(name: string, healthPath = APIM_HEALTH_PATH): Promise<TestOrigin> {
  const sockets = new Set<Socket>();
  const requests: SeenRequest[] = [];
  let connections = 0;
  const perSocket = new WeakMap<Socket, { id: number; count: number }>();

  const origin: TestOrigin = {
    name,
    url: '',
    port: 0,
    requests,
    healthStatus: 200,
    handler: echoHandler(name),
    stop,
    resume,
    close: stop,
  };

  const server = createServer((req, res) => {
    const socketInfo = perSocket.get(req.socket) ?? { id: 0, count: 0 };
    socketInfo.count += 1;
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      requestOnConnection: socketInfo.count,
      connection: socketInfo.id,
    });
    if ((req.url ?? '').split('?')[0] === healthPath) {
      const body = origin.healthStatus === 200 ? 'OK' : 'unhealthy';
      req.resume();
      res.writeHead(origin.healthStatus, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    origin.handler(req, res);
  });
  server.on('connection', (socket) => {
    connections += 1;
    perSocket.set(socket, { id: connections, count: 0 });
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let listening = false;
  async function listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    listening = true;
    return (server.address() as AddressInfo).port;
  }
  async function stop(): Promise<void> {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  }
  async function resume(): Promise<void> {
    if (listening) return;
    await listen(origin.port);
  }

  const port = await listen(0);
  Object.assign(origin, { port, url: `http://127.0.0.1:${port}` });
  return origin;
}

/** A loopback port with nothing listening on it (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `check` returns a value other than undefined or false; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface SimpleResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request without keep-alive, so no pooled connection outlives the test. */
export function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<SimpleResponse> {
  return new Promise<SimpleResponse>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
