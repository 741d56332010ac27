import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getResponse, type RequestHandler } from 'msw';

/**
 * Serves msw request handlers over a real node:http listener: a small adapter around msw's
 * getResponse, so the same handler values that tests compose in memory answer real TCP
 * clients (k6, the openai SDK, a gateway). No express: the adapter is all we need.
 *
 * Mappings worth knowing:
 * - a handler returning `Response.error()` resets the connection (TCP RST);
 * - a response body stream that errors mid-way destroys the socket (a truncated stream);
 * - the Request's `signal` aborts when the client goes away, so handlers can stop waiting.
 */
export interface MswNodeServerOptions {
  handlers: () => readonly RequestHandler[];
  host?: string;
  port?: number;
  /** Bodies larger than this are answered by `onBodyTooLarge` without reading further. */
  maxBodyBytes?: number;
  onBodyTooLarge?: (request: Request) => Response;
  /** Answer for requests no handler matched. */
  onUnhandled?: (request: Request) => Response;
  /** Runs first on every request; a returned response is sent instead of calling handlers. */
  gate?: (req: IncomingMessage) => Response | undefined;
}

export interface MswNodeServer {
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  /** Stops accepting connections and drops the open ones: a listener that is down. */
  stopListening(): Promise<void>;
  /** Listens again on the same port. */
  resumeListening(): Promise<void>;
  readonly listening: boolean;
  close(): Promise<void>;
}

export async function startMswNodeServer(options: MswNodeServerOptions): Promise<MswNodeServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const sockets = new Set<Socket>();
  let origin = '';

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void serve(req, res).catch((error: unknown) => {
      // A handler bug must not take the fleet down; answer 500 if nothing was sent yet.
      process.stderr.write(`msw-node-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"InternalServerError","message":"mock handler failed"}}');
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const refused = options.gate?.(req);
    if (refused) {
      await writeResponse(refused, res);
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';

    let body: Buffer | undefined;
    if (hasBody) {
      const declared = Number(req.headers['content-length'] ?? Number.NaN);
      const read = Number.isFinite(declared) && declared > maxBodyBytes ? null : await readBody(req, maxBodyBytes);
      if (read === null) {
        const request = new Request(url, { method: req.method ?? 'POST', headers, signal: abort.signal });
        const tooLarge = options.onBodyTooLarge?.(request) ?? new Response(null, { status: 413 });
        // The rest of the body is not read: close the connection after answering.
        res.setHeader('connection', 'close');
        await writeResponse(tooLarge, res);
        return;
      }
      body = read;
    }
    const request = new Request(url, {
      method: req.method ?? 'GET',
      headers,
      signal: abort.signal,
      // Node's Buffers are backed by plain ArrayBuffers; the cast only satisfies the DOM typings.
      ...(body !== undefined ? { body: body as Uint8Array<ArrayBuffer> } : {}),
    });
    const response = (await getResponse([...options.handlers()], request, { baseUrl: origin, quiet: true })) ?? options.onUnhandled?.(request) ?? new Response(null, { status: 404 });
    if (response.type === 'error') {
      req.socket.resetAndDestroy();
      return;
    }
    await writeResponse(response, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let listening = true;

  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  return {
    host,
    port,
    origin,
    get listening() {
      return listening;
    },
    async stopListening() {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropConnections();
      await closed;
    },
    async resumeListening() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
    async close() {
      if (listening) {
        listening = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        dropConnections();
        await closed;
      }
    },
  };
}

/** Reads the whole body, or returns null as soon as it passes the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const streaming = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (!response.body) {
    res.writeHead(response.status, response.statusText || undefined, headers).end();
    return;
  }
  if (!streaming) {
    // Buffered bodies go out in one write with a content-length, as a real service sends them.
    const bytes = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(bytes.length);
    res.writeHead(response.status, response.statusText || undefined, headers).end(bytes);
    return;
  }
  res.writeHead(response.status, response.statusText || undefined, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  res.on('close', () => {
    if (!res.writableFinished) void reader.cancel().catch(() => undefined);
  });
  // Settles once the latest write has been handed to the socket.
  let flushed: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      flushed = new Promise<void>((resolve) => res.write(value, () => resolve()));
    }
    res.end();
  } catch (error) {
    // The body stream failed mid-way (a truncate-stream fault, or a handler error): the
    // client must see a broken connection, not a clean end.
    const mode = error instanceof StreamCutError ? error.mode : 'reset';
    if (mode === 'close') {
      res.end();
      return;
    }
    // The response's writes are corked until the next tick and a reset discards whatever
    // is still buffered: without waiting, the client would see no headers and none of the
    // frames sent before the cut.
    if (!res.destroyed) await Promise.race([flushed, new Promise<void>((resolve) => res.once('close', () => resolve()))]);
    res.socket?.resetAndDestroy();
  }
}

/** Raised inside a response body stream to cut the connection off on purpose. */
export class StreamCutError extends Error {
  readonly mode: 'reset' | 'close';
  constructor(mode: 'reset' | 'close') {
    super(`stream cut (${mode})`);
    this.mode = mode;
  }
}
