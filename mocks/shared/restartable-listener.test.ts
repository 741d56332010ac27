import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ipv6LoopbackUnavailable } from './ipv6-loopback-test-support.ts';
import { httpOrigin, RestartableListener } from './restartable-listener.ts';

/**
 * The listener's down/up cycle over real HTTP on loopback: what a client sees while it is down
 * (refused connections, its pooled keep-alive connection gone, a request in flight cut off),
 * and that it comes back on the same port. IPv4 always; IPv6 ([::1]) where the machine has it.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server answering "ok from <path>", except /hang, which never answers (and says it got it). */
function testServer(): { server: Server; hangReached: Promise<void> } {
  let reached: () => void = () => undefined;
  const hangReached = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (req.url === '/hang') {
      reached();
      return;
    }
    const body = `ok from ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  return { server, hangReached };
}

async function listenerOf(options: { host?: string; port?: number } = {}): Promise<{ listener: RestartableListener; hangReached: Promise<void> }> {
  const { server, hangReached } = testServer();
  const listener = await RestartableListener.listen(server, options);
  cleanups.push(() => listener.close());
  return { listener, hangReached };
}

/** GET through `agent` (none: a fresh connection); the answer and the client socket it came on. */
function get(url: string, agent: Agent | false = false): Promise<{ status: number; body: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket! }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** What a bare TCP connection to host:port gets: 'connected' or the error code. */
function tcpProbe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
  });
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

const noIpv6 = await ipv6LoopbackUnavailable();
if (noIpv6) process.stdout.write(`restartable-listener.test.ts: IPv6 cases skipped: ${noIpv6}\n`);

describe('httpOrigin', () => {
  it.each([
    ['127.0.0.1', 8080, 'http://127.0.0.1:8080'],
    ['localhost', 80, 'http://localhost:80'],
    ['0.0.0.0', 1, 'http://0.0.0.0:1'],
    ['::1', 8080, 'http://[::1]:8080'],
    ['::', 9, 'http://[::]:9'],
    ['fd00::2', 443, 'http://[fd00::2]:443'],
    ['[::1]', 8080, 'http://[::1]:8080'],
  ])('%s port %d is %s, which a URL parses back to the same port', (host, port, origin) => {
    expect(httpOrigin(host, port)).toBe(origin);
    expect(new URL(origin).port === '' ? 80 : Number(new URL(origin).port)).toBe(port);
  });
});

describe('RestartableListener over IPv4', () => {
  it('goes down (connections refused, the idle keep-alive connection dropped) and comes back on the same port', async () => {
    const { listener } = await listenerOf();
    expect(listener.origin).toBe(`http://127.0.0.1:${listener.port}`);
    const agent = new Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());

    const first = await get(`${listener.origin}/a`, agent);
    expect([first.status, first.body]).toEqual([200, 'ok from /a']);
    // The connection stays open in the agent's pool, idle, ready for the next request.
    expect(first.socket.destroyed).toBe(false);

    await listener.stop();
    expect(listener.listening).toBe(false);
    // The pooled connection was closed by the listener: a next request cannot reach a
    // listener that is down through it.
    await closed(first.socket);
    expect(await tcpProbe('127.0.0.1', listener.port)).toBe('ECONNREFUSED');
    await expect(get(`${listener.origin}/b`, agent)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await listener.resume();
    expect(listener.listening).toBe(true);
    const again = await get(`${listener.origin}/c`, agent);
    expect([again.status, again.body]).toEqual([200, 'ok from /c']);
    expect(again.socket.remotePort).toBe(listener.port);
  });

  it('cuts off a request in flight when it goes down, instead of waiting for it to end', async () => {
    const { listener, hangReached } = await listenerOf();
    const hung = get(`${listener.origin}/hang`);
    await hangReached;
    // The handler never answers: stop() would wait forever for it if it only stopped
    // accepting (a hang shows as this test's timeout).
    await listener.stop();
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await tcpProbe('127.0.0.1', listener.port)).toBe('ECONNREFUSED');
  });

  it('stays down when its port was taken while it was down, and comes back once the port is free', async () => {
    const { listener } = await listenerOf();
    await listener.stop();
    const squatter = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(listener.port, '127.0.0.1', resolve));
    await expect(listener.resume()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(listener.listening).toBe(false);
    await new Promise<void>((resolve) => squatter.close(() => resolve()));

    await listener.resume();
    expect(listener.listening).toBe(true);
    expect((await get(`${listener.origin}/back`)).body).toBe('ok from /back');
  });

  it('runs stop and resume in the order asked, even when not awaited in between', async () => {
    const { listener } = await listenerOf();
    await listener.stop();
    // Binding takes a turn of the event loop: a stop asked for meanwhile must still win.
    await Promise.all([listener.resume(), listener.stop()]);
    expect(listener.listening).toBe(false);
    expect(await tcpProbe('127.0.0.1', listener.port)).toBe('ECONNREFUSED');
    await Promise.all([listener.resume(), listener.stop(), listener.resume()]);
    expect(listener.listening).toBe(true);
    expect((await get(`${listener.origin}/x`)).status).toBe(200);
  });

  it('binds the port it is given, and is closed for good by close (twice is harmless; a resume after it does nothing)', async () => {
    const free = await listenerOf();
    const port = free.listener.port;
    await free.listener.close();
    const { listener } = await listenerOf({ port });
    expect(listener.port).toBe(port);
    await listener.close();
    expect(await tcpProbe('127.0.0.1', port)).toBe('ECONNREFUSED');
    await listener.resume();
    expect(listener.listening).toBe(false);
    expect(await tcpProbe('127.0.0.1', port)).toBe('ECONNREFUSED');
    await listener.close();
  });

  it('rejects with the listen error when the port is taken at start', async () => {
    const { listener } = await listenerOf();
    await expect(RestartableListener.listen(testServer().server, { port: listener.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe.skipIf(noIpv6 !== null)('RestartableListener over IPv6', () => {
  it('formats [::1] in brackets, serves on it, and goes down and comes back on it', async () => {
    const { listener } = await listenerOf({ host: '::1' });
    expect(listener.origin).toBe(`http://[::1]:${listener.port}`);
    expect((await get(`${listener.origin}/six`)).body).toBe('ok from /six');

    await listener.stop();
    expect(await tcpProbe('::1', listener.port)).toBe('ECONNREFUSED');
    await listener.resume();
    const again = await get(`${listener.origin}/again`);
    expect(again.body).toBe('ok from /again');
    expect(again.socket.remoteAddress).toBe('::1');
  });
});
