import { request as httpRequest } from 'node:http';
import { http, type RequestHandler } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bufferedResponse, startMswNodeServer, type MswNodeServer } from './msw-node-server.ts';

/**
 * The adapter's shortcuts (prepared answers, request bodies handed over without a stream
 * read, no per-request clone) must not change what a client sees or what a handler gets:
 * each is checked against the generic path it replaces.
 */

const running: MswNodeServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** A promise and the function that settles it: for "wait until the handler got this far". */
function moment(): [Promise<void>, () => void] {
  let settle: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return [reached, settle];
}

async function serverOf(handlers: RequestHandler[], onUnhandled?: (request: Request) => Response): Promise<MswNodeServer> {
  const server = await startMswNodeServer({ handlers: () => handlers, ...(onUnhandled ? { onUnhandled } : {}) });
  running.push(server);
  return server;
}

interface RawAnswer {
  status: number;
  /** Name/value pairs in wire order, without the ones node:http adds (date, connection, keep-alive). */
  headers: [string, string][];
  body: Buffer;
}

function send(origin: string, path: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}${path}`, { method: options.method ?? 'POST', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!.toLowerCase();
          if (name !== 'date' && name !== 'connection' && name !== 'keep-alive') headers.push([name, res.rawHeaders[i + 1]!]);
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('msw node server: prepared answers', () => {
  const body = JSON.stringify({ hello: 'wörld', n: 1 });
  const headers = (): Record<string, string> => ({ 'x-zeta': 'last', 'content-type': 'application/json', 'apim-request-id': 'a-1', 'x-alpha': 'first' });

  it('writes a prepared answer exactly as the generic path writes the same Response', async () => {
    const server = await serverOf([
      http.post('/prepared', () => bufferedResponse(body, { status: 201, headers: headers() })),
      http.post('/generic', () => new Response(body, { status: 201, headers: headers() })),
    ]);
    const prepared = await send(server.origin, '/prepared');
    const generic = await send(server.origin, '/generic');
    expect(prepared).toEqual(generic);
    expect(prepared.headers.map(([name]) => name)).toEqual(['apim-request-id', 'content-type', 'x-alpha', 'x-zeta', 'content-length']);
    expect(prepared.body.toString('utf8')).toBe(body);
  });

  it('leaves answers it cannot prepare to the generic path, unchanged', async () => {
    const cases: Record<string, () => Record<string, string>> = {
      'no-content-type': () => ({ 'x-alpha': 'first' }),
      'upper-case-name': () => ({ 'Content-Type': 'application/json', 'X-Alpha': 'first' }),
      'padded-value': () => ({ 'content-type': 'application/json', 'x-alpha': ' first ' }),
      'set-cookie': () => ({ 'content-type': 'application/json', 'set-cookie': 'a=1' }),
      'content-length': () => ({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
    };
    const handlers = Object.entries(cases).flatMap(([name, make]) => [
      http.post(`/prepared/${name}`, () => bufferedResponse(body, { status: 200, headers: make() })),
      http.post(`/generic/${name}`, () => new Response(body, { status: 200, headers: make() })),
    ]);
    const server = await serverOf(handlers);
    for (const name of Object.keys(cases)) {
      expect(await send(server.origin, `/prepared/${name}`), name).toEqual(await send(server.origin, `/generic/${name}`));
    }
    expect((await send(server.origin, '/prepared/no-content-type')).headers).toContainEqual(['content-type', 'text/plain;charset=UTF-8']);
  });

  it('sends a response msw wrapped (a resolver using finalize) through the generic path, whole', async () => {
    let cleanedUp = false;
    const server = await serverOf([
      http.post('/finalized', ({ finalize }) => {
        finalize(() => {
          cleanedUp = true;
        });
        return bufferedResponse(body, { status: 200, headers: headers() });
      }),
      http.post('/generic', () => new Response(body, { status: 200, headers: headers() })),
    ]);
    expect(await send(server.origin, '/finalized')).toEqual(await send(server.origin, '/generic'));
    await expect.poll(() => cleanedUp).toBe(true);
  });

  it('gives the in-memory Response the same status, headers and body as the bytes on the wire', async () => {
    const response = bufferedResponse(body, { status: 202, headers: headers() });
    expect(response.status).toBe(202);
    expect([...response.headers]).toEqual([
      ['apim-request-id', 'a-1'],
      ['content-type', 'application/json'],
      ['x-alpha', 'first'],
      ['x-zeta', 'last'],
    ]);
    expect(await response.text()).toBe(body);
  });
});

describe('msw node server: requests', () => {
  it('hands a served request its body as Request.text() decodes it, once', async () => {
    // A byte order mark is dropped and an invalid byte replaced, as the Fetch spec's UTF-8 decode does.
    const raw = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo '), Buffer.from([0xff]), Buffer.from(' ✓')]);
    const seen: unknown[] = [];
    const server = await serverOf([
      http.post('/text', async ({ request }) => {
        seen.push(request.bodyUsed, await request.text(), request.bodyUsed, await request.text().catch((error: unknown) => (error as Error).name));
        return new Response(null, { status: 204 });
      }),
    ]);
    await send(server.origin, '/text', { body: raw });
    const reference = new Request('http://localhost/', { method: 'POST', body: raw });
    expect(seen).toEqual([false, await reference.text(), true, 'TypeError']);
    expect(seen[1]).toBe('héllo \uFFFD ✓');
  });

  it('lets handlers read the body themselves, as json or text', async () => {
    const server = await serverOf([http.post('/json', async ({ request }) => Response.json({ got: await request.json() }))]);
    const answer = await send(server.origin, '/json', { headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ got: { a: [1, 2] } });
  });

  it('builds the URL and headers a handler sees as before: joined paths, resolved odd targets, combined repeats', async () => {
    const echo = (request: Request): Response => Response.json({ url: request.url, repeated: request.headers.get('x-repeated'), type: request.headers.get('content-type') });
    const server = await serverOf([http.post('/echo/:id', ({ request }) => echo(request))], echo);
    const seen = async (path: string): Promise<{ url: string; repeated: string | null; type: string | null }> =>
      JSON.parse((await send(server.origin, path, { headers: { 'x-repeated': ['a', 'b'], 'content-type': 'text/plain' }, body: 'x' })).body.toString('utf8')) as { url: string; repeated: string | null; type: string | null };

    expect(await seen('/echo/1?q=a%20b&q=2#frag')).toEqual({ url: `${server.origin}/echo/1?q=a%20b&q=2`, repeated: 'a, b', type: 'text/plain' });
    expect((await seen('/echo/../echo/./2')).url).toBe(`${server.origin}/echo/2`);
    // A target starting with '//' names a host when resolved against the origin, as it did before.
    expect((await seen('//elsewhere/path')).url).toBe(new URL('//elsewhere/path', server.origin).href);
  });

  it('still aborts the Request signal when the client goes away', async () => {
    const [abortSeen, aborted] = moment();
    const [requestSeen, arrived] = moment();
    const server = await serverOf([
      http.post('/wait', ({ request }) => {
        arrived();
        return new Promise<Response>((resolve) => {
          request.signal.addEventListener('abort', () => {
            aborted();
            resolve(new Response(null, { status: 204 }));
          });
        });
      }),
    ]);
    const req = httpRequest(`${server.origin}/wait`, { method: 'POST', agent: false });
    req.on('error', () => undefined);
    req.end('x');
    await requestSeen;
    req.destroy();
    await abortSeen;
  });
});

/**
 * patches/msw+3.0.5.patch: msw aborted a fresh AbortController after every resolver, whether
 * or not the resolver used `finalize`, and each abort built a DOMException with a stack trace
 * (about a tenth of a fleet request's CPU). The patch creates the controller with the finalize
 * machinery it serves. These tests fail without the patch, or if finalize stops working.
 */
describe('msw as patched (patches/msw+3.0.5.patch)', () => {
  it('aborts no controller for a resolver that never touches finalize', async () => {
    const server = await serverOf([http.post('/plain', () => bufferedResponse('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } }))]);
    await send(server.origin, '/plain'); // warm: the first request may set up what later ones reuse
    const abort = vi.spyOn(AbortController.prototype, 'abort');
    try {
      for (let i = 0; i < 5; i++) expect((await send(server.origin, '/plain')).status).toBe(200);
      expect(abort).not.toHaveBeenCalled();
    } finally {
      abort.mockRestore();
    }
  });

  it('still runs finalize cleanups when the client goes away while the resolver waits', async () => {
    const [cleanupRan, cleanedUp] = moment();
    const [requestSeen, arrived] = moment();
    const server = await serverOf([
      http.post('/finalized-wait', ({ request, finalize }) => {
        finalize(() => cleanedUp());
        arrived();
        return new Promise<Response>((resolve) => {
          request.signal.addEventListener('abort', () => setTimeout(() => resolve(new Response(null, { status: 204 })), 50));
        });
      }),
    ]);
    const req = httpRequest(`${server.origin}/finalized-wait`, { method: 'POST', agent: false });
    req.on('error', () => undefined);
    req.end('x');
    await requestSeen;
    req.destroy();
    await cleanupRan;
  });
});
