import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getResponse, RequestHandler } from 'msw';

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
    // The Request parses its URL (and validates its headers) itself: a path target is handed
    // over as origin + path and the headers as name/value pairs, rather than as a URL and a
    // Headers object that the Request would serialise, re-parse and re-validate. Targets whose
    // relative resolution differs from plain concatenation ('//host', '/\\host', absolute
    // forms) are resolved as before.
    const target = req.url ?? '/';
    const url = target.startsWith('/') && target[1] !== '/' && target[1] !== '\\' ? origin + target : new URL(target, origin).href;
    const headers: [string, string][] = [];
    let contentLength: string | undefined;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      headers.push([name, value]);
      // As req.headers['content-length'] reads it: the first one (Node drops duplicates).
      if (contentLength === undefined && name.length === 14 && name.toLowerCase() === 'content-length') contentLength = value;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';

    let body: Buffer | undefined;
    if (hasBody) {
      const declared = Number(contentLength ?? Number.NaN);
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
    if (body !== undefined) receivedBodies.set(request, body);
    skipRequestClone(request);
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

/**
 * msw clones every request before running a handler (RequestHandler.run), only to report the
 * clone in its execution result, which getResponse drops: the resolver gets the original.
 * The clone (it tees the body stream and follows the abort signal again) took about a tenth
 * of the CPU a small request cost, so the adapter registers each request as its own clone in
 * msw's public clone cache (`RequestHandler.cache`, which msw consults before cloning).
 * Handlers see exactly the same Request either way. If a later msw drops the cache, requests
 * are cloned as before.
 */
function skipRequestClone(request: Request): void {
  const cache: unknown = (RequestHandler as { cache?: unknown }).cache;
  if (cache instanceof WeakMap) cache.set(request, request);
}

/**
 * The bytes each served Request was built from, so that `requestText` can hand them to a
 * handler without reading them back out of the Request's body stream (a reader, a chunk
 * per microtask, a copy; through a teed stream if msw did clone the request). msw passes
 * the very Request it was given to the resolver, so the lookup by identity finds it.
 */
const receivedBodies = new WeakMap<Request, Buffer>();
const utf8 = new TextDecoder();

/**
 * `request.text()` for handlers served by this adapter, without the stream read; any other
 * Request (one a test built, a clone) is read the ordinary way. Read the body once: a body
 * served from the side channel leaves the Request's own stream unread.
 */
export function requestText(request: Request): Promise<string> {
  const bytes = request.bodyUsed ? undefined : receivedBodies.get(request);
  if (bytes === undefined) return request.text();
  receivedBodies.delete(request);
  // TextDecoder's defaults (BOM stripped, invalid bytes replaced) are the Fetch spec's UTF-8 decode, as text() does.
  return Promise.resolve(utf8.decode(bytes));
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

/**
 * A buffered answer whose bytes and wire headers were worked out when it was built. Reading a
 * Response body back through its web stream and walking its Headers cost more than building
 * the answer; msw's getResponse hands back the very Response object the resolver returned
 * (it wraps one only for resolvers that use `finalize`), so the adapter finds it by identity.
 * Anything else, including a wrapped or already read response, takes the generic path.
 */
interface PreparedAnswer {
  status: number;
  /** As the generic path would build them: sorted lowercase names, then content-length. */
  headers: Record<string, string>;
  bytes: Buffer;
}
const preparedAnswers = new WeakMap<Response, PreparedAnswer>();
const httpWhitespaceAtEdge = /^[\t\n\r ]|[\t\n\r ]$/;

/**
 * `new Response(body, { status, headers })` for a whole-body answer, remembered so that this
 * adapter writes the same bytes and headers without reading the Response back. Headers the
 * Response would normalise (upper case names, padded values), set-cookie and content-length
 * are not prepared: such answers take the generic path and stay exactly as they were.
 */
export function bufferedResponse(body: string, init: { status: number; headers: Record<string, string> }): Response {
  const names = Object.keys(init.headers);
  let preparable = names.includes('content-type');
  for (const name of names) {
    const value = init.headers[name]!;
    if (name !== name.toLowerCase() || name === 'set-cookie' || name === 'content-length' || httpWhitespaceAtEdge.test(value)) preparable = false;
  }
  if (!preparable) return new Response(body, init);
  // The Response gets the encoded bytes rather than the string: the same body (a string
  // body only adds a default content-type, and this one has its own), encoded once.
  const bytes = Buffer.from(body);
  const response = new Response(bytes as Uint8Array<ArrayBuffer>, init);
  const headers: Record<string, string> = {};
  for (const name of names.sort()) headers[name] = init.headers[name]!;
  headers['content-length'] = String(bytes.length);
  preparedAnswers.set(response, { status: init.status, headers, bytes });
  return response;
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const prepared = preparedAnswers.get(response);
  if (prepared !== undefined && !response.bodyUsed && !response.body?.locked) {
    res.writeHead(prepared.status, undefined, prepared.headers).end(prepared.bytes);
    return;
  }
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
