import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFrontDoor } from './front-door.ts';
import type { FrontDoor, FrontDoorOptions } from './front-door.ts';
import type { FrontDoorEvent, HealthEvent, ProbeEvent, RequestEvent } from './front-door-events.ts';
import { send, startTestOrigin, unusedPort, waitFor } from './test-support.ts';
import type { TestOrigin } from './test-support.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function origin(name: string): Promise<TestOrigin> {
  const started = await startTestOrigin(name);
  cleanups.push(() => started.close());
  return started;
}

/** Quick probes for loopback tests; a generous timeout so a busy machine does not fail probes. */
const fastProbe = { intervalSeconds: 0.2, sampleSize: 4, successfulSamplesRequired: 3, timeoutMs: 2_000 };

async function frontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const fd = await startFrontDoor(options);
  cleanups.push(() => fd.stop());
  return fd;
}

const servedBy = async (fd: FrontDoor): Promise<string | undefined> => {
  const res = await send(`${fd.url}/openai/deployments/gpt/chat/completions`);
  return res.headers['x-fd-origin'] as string | undefined;
};

const requestEvents = (fd: FrontDoor): RequestEvent[] => fd.events().filter((e): e is RequestEvent => e.type === 'request');

describe('front door routing and failover over real HTTP', () => {
  it('serves from priority 1, fails over to priority 2 when its probes fail, and returns after 3 good probes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'frontdoor-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const eventsPath = join(dir, 'events.jsonl');
    const east = await origin('east');
    const west = await origin('west');
    const heard: FrontDoorEvent[] = [];
    const fd = await frontDoor({
      origins: [
        { name: 'east', url: east.url, priority: 1 },
        { name: 'west', url: west.url, priority: 2 },
      ],
      probe: fastProbe,
      frontDoorId: '55ce4ed1-4b06-4bf1-b40e-4638452104da',
      log: (e) => heard.push(e),
      eventsPath,
    });

    expect(await servedBy(fd)).toBe('east');
    expect(west.requests.filter((r) => !r.url.startsWith('/status-'))).toEqual([]);

    east.healthStatus = 503;
    await waitFor(async () => (await servedBy(fd)) === 'west', 'traffic on west');
    const down = fd.origins().find((o) => o.name === 'east');
    expect(down).toMatchObject({ healthy: false, lastProbe: { success: false, status: 503 } });

    east.healthStatus = 200;
    await waitFor(async () => (await servedBy(fd)) === 'east', 'traffic back on east');
    await fd.stop();

    // East's own story, in order: good probes, two failures, unhealthy, ..., three successes, healthy.
    const eastLog = fd.events().filter((e): e is ProbeEvent | HealthEvent => e.type !== 'request' && e.origin === 'east');
    const changes = eastLog.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'health');
    expect(changes.map(([e]) => (e as HealthEvent).healthy)).toEqual([false, true]);
    const [wentDown, cameBack] = changes.map(([, i]) => i) as [number, number];
    const outcome = (e: ProbeEvent | HealthEvent | undefined): unknown => (e?.type === 'probe' ? e.success : e?.type);
    expect(eastLog.slice(wentDown - 2, wentDown).map(outcome)).toEqual([false, false]);
    expect(eastLog.slice(0, wentDown - 2).every((e) => e.type === 'probe' && e.success)).toBe(true);
    expect(eastLog.slice(cameBack - 3, cameBack).map(outcome)).toEqual([true, true, true]);
    // The last probe before those three had failed (the unhealthy event may sit in between).
    expect(eastLog.slice(0, cameBack - 3).filter((e) => e.type === 'probe').at(-1)).toMatchObject({ success: false });

    // Requests were served by east, then west, then east again, never interleaved otherwise.
    const served = requestEvents(fd).map((e) => e.origin);
    const runs = served.filter((name, i) => name !== served[i - 1]);
    expect(runs).toEqual(['east', 'west', 'east']);
    expect(requestEvents(fd).every((e) => e.status === 200 && e.errorInfo === 'NoError' && e.selection === 'healthy')).toBe(true);

    // The callback, the JSONL file and events() hold the same sequence.
    const fileEvents = (await readFile(eventsPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as FrontDoorEvent);
    expect(fileEvents).toEqual(fd.events());
    expect(heard).toEqual(fd.events());
  });

  it('forwards method, path, query, body and headers with the AFD additions', async () => {
    const east = await origin('east');
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe, frontDoorId: 'fdid-1' });
    const res = await send(`${fd.url}/openai/deployments/gpt/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'k', 'x-forwarded-for': '203.0.113.9', 'x-fd-spoof': '1', 'x-azure-debuginfo': '1' },
      body: '{"messages":[]}',
    });
    expect(res.status).toBe(200);
    const echoed = JSON.parse(res.body) as { method: string; url: string; body: string; headers: Record<string, string> };
    expect(echoed).toMatchObject({ method: 'POST', url: '/openai/deployments/gpt/chat/completions?api-version=2024-10-21', body: '{"messages":[]}' });
    expect(echoed.headers).toMatchObject({
      host: new URL(east.url).host,
      'api-key': 'k',
      'content-type': 'application/json',
      via: '1.1 Azure',
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-host': new URL(fd.url).host,
      'x-forwarded-proto': 'http',
      'x-azure-fdid': 'fdid-1',
      'x-azure-clientip': '127.0.0.1',
      'x-azure-socketip': '127.0.0.1',
      'x-azure-requestchain': 'hops=1',
    });
    expect(echoed.headers).not.toHaveProperty('x-fd-spoof');
    const ref = res.headers['x-azure-ref'];
    expect(typeof ref).toBe('string');
    expect(echoed.headers['x-azure-ref']).toBe(ref);
    expect(res.headers['x-fd-origin']).toBe('east');
    expect(res.headers['x-azure-originstatuscode']).toBe('200');

    const second = await send(`${fd.url}/x`);
    expect(second.headers['x-azure-ref']).not.toBe(ref);
    await waitFor(() => requestEvents(fd).length === 2, 'two request events');
    expect(requestEvents(fd)[0]).toMatchObject({ ref, method: 'POST', origin: 'east', status: 200, originStatus: 200, errorInfo: 'NoError' });
  });

  it('passes origin errors through untouched (429 stays 429)', async () => {
    const east = await origin('east');
    east.handler = (req, res) => {
      req.resume();
      res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' }).end('{"error":{"code":"429"}}');
    };
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe });
    const res = await send(`${fd.url}/x`);
    expect(res).toMatchObject({ status: 429, body: '{"error":{"code":"429"}}' });
    expect(res.headers['retry-after']).toBe('7');
  });

  it('keeps an idle client connection open well past Node\'s 5 s default, so a paced client never writes into a closing socket', async () => {
    // A raw socket reuses the connection the way k6 (Go's transport) does: without reading
    // the server's Keep-Alive hint. Node would close it after 5 s (plus a 1 s buffer).
    const east = await origin('east');
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe });
    const socket = connect(Number(new URL(fd.url).port), '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    let received = '';
    let ended = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => (ended = true));
    socket.on('error', () => (ended = true));
    const ask = async (answers: number): Promise<void> => {
      socket.write('GET /x HTTP/1.1\r\nHost: fd.local\r\n\r\n');
      await waitFor(() => ended || received.split('HTTP/1.1 200').length - 1 >= answers, `answer ${answers}`, 5_000);
    };
    await ask(1);
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    expect(ended).toBe(false);
    await ask(2);
    expect(received.split('HTTP/1.1 200').length - 1).toBe(2);
  }, 20_000);

  it('stops sending to an origin as soon as it is disabled', async () => {
    const east = await origin('east');
    const west = await origin('west');
    const fd = await frontDoor({
      origins: [
        { name: 'east', url: east.url, priority: 1 },
        { name: 'west', url: west.url, priority: 2 },
      ],
      probe: fastProbe,
    });
    expect(await servedBy(fd)).toBe('east');
    fd.setOriginEnabled('east', false);
    expect(await servedBy(fd)).toBe('west');
    fd.setOriginEnabled('east', true);
    expect(await servedBy(fd)).toBe('east');
    expect(() => fd.setOriginEnabled('north', true)).toThrow(/unknown origin/);
  });
});

describe('streaming', () => {
  it('passes an SSE stream through chunk by chunk', async () => {
    const east = await origin('east');
    let sent = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    east.handler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      sent = 1;
      // The rest waits until the client has seen the first chunk. A proxy that buffered the
      // body would hold it back; after 5 s the origin gives up waiting and sends the rest, so
      // such a proxy fails the assertions below (the client's first chunk would be everything).
      let fallback: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => {
        fallback = setTimeout(resolve, 5_000);
      });
      void Promise.race([released, gaveUp]).then(() => {
        clearTimeout(fallback);
        res.write('data: two\n\n');
        sent = 2;
        res.end('data: [DONE]\n\n');
        sent = 3;
      });
    };
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe });

    const chunks: string[] = [];
    const sentWhenFirstArrived: number[] = [];
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${fd.url}/chat`, { agent: false }, resolve).on('error', reject).end();
    });
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['x-fd-origin']).toBe('east');
    await new Promise<void>((resolve, reject) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (chunks.length === 0) {
          sentWhenFirstArrived.push(sent);
          release();
        }
        chunks.push(chunk);
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    expect(sentWhenFirstArrived).toEqual([1]);
    expect(chunks[0]).toBe('data: one\n\n');
    expect(chunks.join('')).toBe('data: one\n\ndata: two\n\ndata: [DONE]\n\n');
  });

  it('aborts the origin request when the client goes away', async () => {
    const east = await origin('east');
    let originClosed!: () => void;
    const closedAtOrigin = new Promise<void>((resolve) => {
      originClosed = resolve;
    });
    east.handler = (req, res) => {
      req.resume();
      res.on('close', () => originClosed());
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      // Never ends on its own.
    };
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe });
    const client = request(`${fd.url}/chat`, { agent: false }, (res) => {
      res.once('data', () => client.destroy());
    });
    client.on('error', () => undefined);
    client.end();
    await closedAtOrigin;
    await waitFor(() => requestEvents(fd)[0], 'the request event');
    expect(requestEvents(fd)[0]).toMatchObject({ origin: 'east', status: 200, errorInfo: 'ClientDisconnected' });
  });

  it('cuts the client stream when the origin resets mid-stream', async () => {
    const east = await origin('east');
    let cut!: () => void;
    const cutNow = new Promise<void>((resolve) => {
      cut = resolve;
    });
    east.handler = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      // Reset only once the client holds the first chunk, so the reset cannot overtake it.
      void cutNow.then(() => res.socket?.resetAndDestroy());
    };
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe });
    const outcome = await new Promise<{ body: string; broken: boolean }>((resolve, reject) => {
      const client = request(`${fd.url}/chat`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          cut();
        });
        res.on('end', () => resolve({ body, broken: false }));
        res.on('error', () => resolve({ body, broken: true }));
        res.on('aborted', () => resolve({ body, broken: true }));
      });
      client.on('error', reject);
      client.end();
    });
    expect(outcome).toEqual({ body: 'data: one\n\n', broken: true });
    await waitFor(() => requestEvents(fd)[0], 'the request event');
    expect(requestEvents(fd)[0]).toMatchObject({ status: 200, errorInfo: 'OriginConnectionAborted' });
  });
});

describe('origin failures', () => {
  it('answers 503 with the Front Door error page when the origin refuses the connection, without retrying elsewhere', async () => {
    const west = await origin('west');
    const refused = await unusedPort();
    const fd = await frontDoor({
      origins: [
        { name: 'gone', url: `http://127.0.0.1:${refused}`, priority: 1 },
        { name: 'west', url: west.url, priority: 2 },
      ],
      // Slow probes: the dead origin is still healthy (initial state) when the request arrives.
      probe: { ...fastProbe, intervalSeconds: 60 },
    });
    const res = await send(`${fd.url}/x`);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain("Our services aren't available right now");
    expect(res.body).toContain(res.headers['x-azure-ref'] as string);
    expect(west.requests.filter((r) => !r.url.startsWith('/status-'))).toEqual([]);
    await waitFor(() => requestEvents(fd)[0], 'the request event');
    expect(requestEvents(fd)[0]).toMatchObject({ origin: 'gone', selection: 'healthy', status: 503, errorInfo: 'OriginConnectionRefused' });
  });

  it('when every origin is down: marks all unhealthy, round-robins over them, and answers the configured 502', async () => {
    const east = await origin('east');
    const west = await origin('west');
    const fd = await frontDoor({
      origins: [
        { name: 'east', url: east.url, priority: 1 },
        { name: 'west', url: west.url, priority: 2 },
      ],
      probe: fastProbe,
      originErrorStatus: { connectionFailure: 502 },
    });
    expect(await servedBy(fd)).toBe('east');
    await east.stop();
    await west.stop();
    await waitFor(() => fd.origins().every((o) => !o.healthy), 'both origins unhealthy');
    const before = requestEvents(fd).length;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(`${fd.url}/x`)).status);
    expect(statuses).toEqual([502, 502, 502, 502]);
    await waitFor(() => requestEvents(fd).length === before + 4, 'four request events');
    const failed = requestEvents(fd).slice(before);
    expect(failed.map((e) => e.origin)).toEqual(['east', 'west', 'east', 'west']);
    expect(failed.every((e) => e.selection === 'all-unhealthy' && e.errorInfo === 'OriginConnectionRefused')).toBe(true);
    const refusedProbes = fd.events().filter((e): e is ProbeEvent => e.type === 'probe' && e.error === 'ECONNREFUSED');
    expect(new Set(refusedProbes.map((e) => e.origin))).toEqual(new Set(['east', 'west']));
  });

  it('answers 504 when the origin does not respond within the origin response timeout', async () => {
    const east = await origin('east');
    let originClosed!: () => void;
    const closedAtOrigin = new Promise<void>((resolve) => {
      originClosed = resolve;
    });
    east.handler = (req, res) => {
      req.resume();
      res.on('close', () => originClosed());
    };
    const fd = await frontDoor({ origins: [{ name: 'east', url: east.url }], probe: fastProbe, originResponseTimeoutSeconds: 0.2 });
    const res = await send(`${fd.url}/slow`);
    expect(res.status).toBe(504);
    expect(res.body).toContain("Our services aren't available right now");
    await closedAtOrigin;
    await waitFor(() => requestEvents(fd)[0], 'the request event');
    expect(requestEvents(fd)[0]).toMatchObject({ status: 504, errorInfo: 'OriginTimeout' });
  });
});
