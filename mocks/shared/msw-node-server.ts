import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getResponse, RequestHandler } from 'msw';
import { boundedMemo } from './bounded-memo.ts';
import { PreparedResponse } from './prepared-response.ts';
import { RestartableListener } from './restartable-listener.ts';
import { servedRequest, type ServedRequest } from './served-request.ts';

export { bufferedResponse } from './prepared-response.ts';

/**
 * Serves msw request handlers over a real node:http listener: a small adapter around msw's
 * getResponse, so the same handler values that tests compose in memory answer real TCP
 * clients (k6, the openai SDK, a gateway). No express: the adapter is all we need.
 *
 * Mappings worth knowing:
 * - a handler returning `Response.error()` resets the connection (TCP RST);
 * - a response body stream that errors mid-way destroys the socket (a truncated stream);
 * - the Request's `signal` aborts when the client goes away, so handlers can stop waiting.
 *
 * What keeps a request cheap: the Request handed to getResponse is a ServedRequest
 * (served-request.ts: url, method, headers, signal and body reads without an undici Request
 * behind them), and an answer built with bufferedResponse (prepared-response.ts) goes out as
 * prepared bytes without an undici Response ever being built.
 */
export interface MswNodeServerOptions {
  /**
   * The handlers, asked for on every request. `base` is the server's origin as a URL
   * normalises it (`new URL(origin).origin`): a handler whose path is `${base}/a/:b` matches
   * exactly the requests `/a/:b` matches, and spares msw resolving the relative path against
   * the origin again on every request it is tried for (HttpHandler.parse → matchRequestUrl →
   * normalizePath builds a URL from it each time; an absolute path is used as it is).
   */
  handlers: (base: string) => readonly RequestHandler[];
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
  /** `http://host:port`, an IPv6 host in brackets. */
  readonly origin: string;
  /** Stops accepting connections and drops the open ones: a listener that is down (restartable-listener.ts). */
  stopListening(): Promise<void>;
  /** Listens again on the same port. */
  resumeListening(): Promise<void>;
  readonly listening: boolean;
  close(): Promise<void>;
}

export async function startMswNodeServer(options: MswNodeServerOptions): Promise<MswNodeServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  let origin = '';
  let base = '';
  // Targets repeat (a load test sends the same few); the URL each makes depends on it alone.
  const urlOf = boundedMemo((target) => requestUrl(target, origin));

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void serve(req, res).catch((error: unknown) => {
      // A handler bug must not take the fleet down; answer 500 if nothing was sent yet.
      process.stderr.write(`msw-node-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"InternalServerError","message":"mock handler failed"}}');
      else res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let request: ServedRequest | undefined;
    let clientGone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      request?.clientGone();
    });
    const refused = options.gate?.(req);
    if (refused) {
      await writeResponse(refused, res);
      return;
    }
    const method = req.method ?? 'GET';
    const url = urlOf(req.url ?? '/');
    const rawHeaders = req.rawHeaders;
    const hasBody = method !== 'GET' && method !== 'HEAD';

    let body: Buffer | undefined;
    if (hasBody) {
      const declared = Number(firstContentLength(rawHeaders) ?? Number.NaN);
      const read = Number.isFinite(declared) && declared > maxBodyBytes ? null : await readBody(req, maxBodyBytes);
      if (read === null) {
        request = servedRequest({ url, method, rawHeaders, body: undefined });
        if (clientGone) request.clientGone();
        const tooLarge = options.onBodyTooLarge?.(request) ?? new Response(null, { status: 413 });
        // The rest of the body is not read: close the connection after answering.
        res.setHeader('connection', 'close');
        await writeResponse(tooLarge, res);
        return;
      }
      body = read.bytes;
    }
    request = servedRequest({ url, method, rawHeaders, body });
    if (clientGone) request.clientGone();
    skipRequestClone(request);
    const response = (await getResponse([...options.handlers(base)], request, { baseUrl: origin, quiet: true })) ?? options.onUnhandled?.(request) ?? new Response(null, { status: 404 });
    if (response.type === 'error') {
      req.socket.resetAndDestroy();
      return;
    }
    const writing = writeResponse(response, res);
    if (writing) await writing;
  }

  const listener = await RestartableListener.listen(server, { host, port: options.port ?? 0 });
  origin = listener.origin;
  base = new URL(origin).origin;

  return {
    host,
    port: listener.port,
    origin,
    get listening() {
      return listener.listening;
    },
    stopListening: () => listener.stop(),
    resumeListening: () => listener.resume(),
    close: () => listener.close(),
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
 * The URL a Request built from this target would report: a path target is joined to the
 * origin and parsed once; targets whose relative resolution differs from plain concatenation
 * ('//host', '/\\host', absolute forms) are resolved against the origin. Either way the
 * result is the parsed URL's serialisation, dot segments resolved and odd characters
 * percent-encoded, as undici's Request serialises it.
 */
function requestUrl(target: string, origin: string): string {
  return target.startsWith('/') && target[1] !== '/' && target[1] !== '\\' ? new URL(origin + target).href : new URL(target, origin).href;
}

/** The first content-length value, as `req.headers['content-length']` reads it (Node drops repeats). */
function firstContentLength(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return rawHeaders[i + 1];
  }
  return undefined;
}

/**
 * Reads the whole body, or gives null as soon as it passes the limit. The bytes come wrapped
 * in a plain object: resolving a promise with a Buffer looks its prototype chain up for a
 * `then`, generically and measurably slower than for an object literal.
 */
function readBody(req: IncomingMessage, limit: number): Promise<{ bytes: Buffer } | null> {
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
      if (!over) resolve({ bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
    });
    req.on('error', reject);
  });
}

/**
 * Writes a prepared answer at once, and returns nothing to wait for: the common case costs no
 * turn of the microtask queue. Anything else goes through the generic path, to be awaited.
 */
function writeResponse(response: Response, res: ServerResponse): Promise<void> | undefined {
  const prepared = response instanceof PreparedResponse ? response.wire : undefined;
  if (prepared === undefined) return writeGenericResponse(response, res);
  res.writeHead(prepared.status, undefined, prepared.headers).end(prepared.body);
  return undefined;
}

async function writeGenericResponse(response: Response, res: ServerResponse): Promise<void> {
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
