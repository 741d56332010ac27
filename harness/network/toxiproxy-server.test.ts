import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startToxiproxyServer } from './toxiproxy-server.ts';
import { toxiproxyClient } from './toxiproxy-client.ts';
import { toxiproxyForTests } from './toxiproxy-test-support.ts';

const toxiproxy = await toxiproxyForTests();

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

describe.skipIf(toxiproxy.binary === null)(`toxiproxy-server as a child process${toxiproxy.skip ? ` (skipped: ${toxiproxy.skip})` : ''}`, () => {
  it('answers on a loopback port with the pinned version, and is gone once stopped', async () => {
    const server = await startToxiproxyServer({ binary: toxiproxy.binary! });
    try {
      expect(server.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await toxiproxyClient(server.apiUrl).version()).toBe('2.12.0');
    } finally {
      await server.stop();
    }
    expect(await answers(`${server.apiUrl}/version`)).toBe(false);
    // Stopping twice is harmless.
    await server.stop();
  });

  it('two servers run side by side on different ports', async () => {
    const [a, b] = await Promise.all([startToxiproxyServer({ binary: toxiproxy.binary! }), startToxiproxyServer({ binary: toxiproxy.binary! })]);
    try {
      expect(a.apiUrl).not.toBe(b.apiUrl);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('toxiproxy-server that cannot start', () => {
  it('names the binary and says it exited', async () => {
    await expect(startToxiproxyServer({ binary: '/bin/false' })).rejects.toThrow(/toxiproxy-server \(\/bin\/false\) exited \(code 1\) before its API answered/);
  });
  it('names a binary that does not exist', async () => {
    await expect(startToxiproxyServer({ binary: '/nonexistent/toxiproxy-server' })).rejects.toThrow(/\/nonexistent\/toxiproxy-server/);
  });
});

describe.skipIf(toxiproxy.binary === null)(`the Toxiproxy client${toxiproxy.skip ? ` (skipped: ${toxiproxy.skip})` : ''}`, () => {
  it('creates a proxy, adds and removes a toxic, disables and enables it; errors name the proxy and the toxic', async () => {
    const upstream: Server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    const server = await startToxiproxyServer({ binary: toxiproxy.binary! });
    try {
      const client = toxiproxyClient(server.apiUrl);
      const proxy = await client.createProxy({ name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
      expect(proxy).toMatchObject({ name: 'web', upstream: `127.0.0.1:${port}`, enabled: true });
      expect(proxy.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      const url = `http://${proxy.listen}/`;
      expect(await (await fetch(url)).text()).toBe('hello');

      await client.addToxic('web', { name: 'slow', stream: 'downstream', toxicity: 1, toxic: { type: 'limit_data', attributes: { bytes: 0 } } });
      // limit_data 0 closes the connection before a byte comes back.
      await expect(fetch(url, { headers: { connection: 'close' } })).rejects.toThrow();
      await client.removeToxic('web', 'slow');
      expect(await (await fetch(url, { headers: { connection: 'close' } })).text()).toBe('hello');

      expect((await client.setEnabled('web', false)).enabled).toBe(false);
      await expect(fetch(url, { headers: { connection: 'close' } })).rejects.toThrow();
      expect((await client.setEnabled('web', true)).enabled).toBe(true);
      expect(await (await fetch(url, { headers: { connection: 'close' } })).text()).toBe('hello');

      await expect(client.createProxy({ name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` })).rejects.toThrow(/creating proxy "web".*HTTP 409 proxy already exists/);
      await expect(client.addToxic('nope', { name: 'lag', stream: 'upstream', toxicity: 1, toxic: { type: 'latency', attributes: { latency: 1, jitter: 0 } } })).rejects.toThrow(
        /adding toxic "lag" \(latency, upstream\) to proxy "nope": HTTP 404 proxy not found/,
      );
      await expect(client.removeToxic('web', 'gone')).rejects.toThrow(/removing toxic "gone" from proxy "web": HTTP 404 toxic not found/);
      await client.reset();
    } finally {
      await server.stop();
      upstream.close();
    }
  });

  it('says where it tried when Toxiproxy is not there', async () => {
    await expect(toxiproxyClient('http://127.0.0.1:1').setEnabled('web', false)).rejects.toThrow(/Toxiproxy at http:\/\/127\.0\.0\.1:1: disabling proxy "web"/);
  });
});
