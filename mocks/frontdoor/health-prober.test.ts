import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveProbe } from './front-door-config.ts';
import type { ProberEvent } from './front-door-events.ts';
import { probeOrigin, PROBE_USER_AGENT, startHealthProber } from './health-prober.ts';
import { createOriginHealth } from './origin-health.ts';
import { startTestOrigin, unusedPort, waitFor } from './test-support.ts';
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

const target = (o: TestOrigin) => ({ name: o.name, url: new URL(o.url) });
const probeRequest = { method: 'HEAD' as const, path: '/status-0123456789abcdef', timeoutMs: 5_000 };

describe('probeOrigin', () => {
  it('sends HEAD to the health path as Edge Health Probe on a new connection; 200 is a success', async () => {
    const east = await origin('east');
    const first = await probeOrigin(target(east), probeRequest);
    const second = await probeOrigin(target(east), probeRequest);
    expect(first).toMatchObject({ success: true, status: 200 });
    expect(second.success).toBe(true);
    expect(east.requests).toHaveLength(2);
    for (const seen of east.requests) {
      expect(seen).toMatchObject({ method: 'HEAD', url: '/status-0123456789abcdef', requestOnConnection: 1 });
      expect(seen.headers['user-agent']).toBe(PROBE_USER_AGENT);
      expect(seen.headers['x-fd-healthprobe']).toBe('1');
      expect(seen.headers.host).toBe(new URL(east.url).host);
    }
    expect(east.requests[0]?.connection).not.toBe(east.requests[1]?.connection);
  });

  it('counts any other status as a failure, GET included', async () => {
    const east = await origin('east');
    east.healthStatus = 503;
    expect(await probeOrigin(target(east), probeRequest)).toMatchObject({ success: false, status: 503 });
    east.healthStatus = 204;
    expect(await probeOrigin(target(east), { ...probeRequest, method: 'GET' })).toMatchObject({ success: false, status: 204 });
    east.healthStatus = 200;
    expect(await probeOrigin(target(east), { ...probeRequest, method: 'GET' })).toMatchObject({ success: true, status: 200 });
    expect(east.requests.map((r) => r.method)).toEqual(['HEAD', 'GET', 'GET']);
  });

  it('counts a refused connection as a failure', async () => {
    const port = await unusedPort();
    expect(await probeOrigin({ name: 'gone', url: new URL(`http://127.0.0.1:${port}`) }, probeRequest)).toMatchObject({ success: false, error: 'ECONNREFUSED' });
  });

  it('counts no answer within the timeout as a failure', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer(() => undefined);
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      const closed = new Promise<void>((resolve) => silent.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    });
    const url = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    expect(await probeOrigin({ name: 'silent', url }, { ...probeRequest, timeoutMs: 100 })).toMatchObject({ success: false, error: 'timeout' });
  });

  it('counts a 200 cut off before its end as a failure', async () => {
    const cut = createServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => res.destroy());
    });
    await new Promise<void>((resolve) => cut.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => cut.close(() => resolve())));
    const url = new URL(`http://127.0.0.1:${(cut.address() as AddressInfo).port}`);
    const outcome = await probeOrigin({ name: 'cut', url }, { ...probeRequest, method: 'GET' });
    expect(outcome.success).toBe(false);
    expect(outcome.status).toBe(200);
  });
});

describe('startHealthProber', () => {
  it('probes every origin repeatedly and logs the state change right after the probe that caused it', async () => {
    const east = await origin('east');
    const west = await origin('west');
    const probe = resolveProbe({ intervalSeconds: 0.05, timeoutMs: 5_000 });
    const health = createOriginHealth(['east', 'west'], probe);
    const events: ProberEvent[] = [];
    const prober = startHealthProber({ targets: [target(east), target(west)], probe, health, log: (e) => events.push(e) });
    cleanups.push(() => prober.stop());

    await waitFor(() => east.requests.length >= 2 && west.requests.length >= 2, 'two probes of each origin');
    east.healthStatus = 503;
    await waitFor(() => !health.isHealthy('east'), 'east marked unhealthy');
    await prober.stop();

    expect(health.isHealthy('west')).toBe(true);
    const eastEvents = events.filter((e) => e.origin === 'east');
    const change = eastEvents.findIndex((e) => e.type === 'health');
    expect(eastEvents[change]).toMatchObject({ type: 'health', healthy: false, successes: 2, sampleSize: 4 });
    // The two failures that decided it come right before it, and a success before them.
    expect(eastEvents.slice(change - 3, change).map((e) => (e.type === 'probe' ? [e.success, e.status] : e.type))).toEqual([
      [true, 200],
      [false, 503],
      [false, 503],
    ]);
    expect(events.indexOf(eastEvents[change] as ProberEvent)).toBe(events.indexOf(eastEvents[change - 1] as ProberEvent) + 1);
    // Nothing is probed after stop.
    const seen = east.requests.length + west.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(east.requests.length + west.requests.length).toBe(seen);
  });
});
