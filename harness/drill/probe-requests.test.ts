/**
 * An http probe's own requests against a local server standing in for the gateway: what it sends
 * (the consumer's key in api-key, its priority, the run's marker, the path and body), and the
 * probe judging what came back, held when the gateway answers as the probe expects and deviated
 * when it answers otherwise; the key appears in nothing the probe returns.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import type { HttpProbe } from './drill-file.ts';
import { sendProbeRequests } from './probe-requests.ts';
import { judgeHttpProbe } from './probes.ts';

const config = loadK6Config(defaultK6ConfigFile);
const plan = { name: 'probe-test', deployment: 'gpt-4o', apiVersion: '2024-10-21' };
const key = 'probe-test-secret-key';
let answer = 200;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let server: Server;
let baseUrl = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/gw`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const probe = (request: Partial<NonNullable<HttpProbe['request']>> = {}): HttpProbe => ({
  name: 'user-facing answered 2xx, by its own requests',
  kind: 'http',
  status: { min: 200, max: 299 },
  minShare: 1,
  minRequests: 3,
  request: { consumer: 'user-facing', count: 3, method: 'POST', timeoutMs: 5_000, intervalMs: 0, ...request },
});

const to = () => ({ baseUrl, keyFor: (consumer: string) => (consumer === 'user-facing' ? key : 'other'), runId: 'run-42' });
const window = { phase: 'before' as const, start: 0, end: 1 };

describe('http probes that send their own requests', () => {
  it('sends a chat completion with the consumer\'s key, priority and the run marker, and holds when answered 2xx', async () => {
    answer = 200;
    seen.length = 0;
    const p = probe();
    const sent = await sendProbeRequests(p.request!, to(), plan, config);
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/gw/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21' });
    expect(seen[0]!.headers).toMatchObject({ 'api-key': key, 'x-spillway-run': 'run-42', 'x-priority': config.consumers['user-facing']!.priority, 'content-type': 'application/json' });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ max_tokens: 5 });
    const result = judgeHttpProbe(p, sent, window);
    expect(result).toMatchObject({ status: 'held', measured: "3 of 3 own requests (as user-facing) (100.0%) in range" });
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it('deviates when the gateway answers otherwise, naming what it answered', async () => {
    answer = 429;
    const p = probe();
    const result = judgeHttpProbe(p, await sendProbeRequests(p.request!, to(), plan, config), window);
    expect(result).toMatchObject({ status: 'deviated', measured: expect.stringContaining('the others: 3 × 429') });
  });

  it('sends its own path and method, and counts no answer in time as status 0', async () => {
    answer = 200;
    seen.length = 0;
    const get = probe({ path: '/status-0123456789abcdef', method: 'GET', count: 1 });
    await sendProbeRequests(get.request!, to(), plan, config);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/gw/status-0123456789abcdef', body: '' });
    const nowhere = probe({ count: 3 });
    const sent = await sendProbeRequests(nowhere.request!, { ...to(), baseUrl: 'http://127.0.0.1:9' }, plan, config);
    expect(sent.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(judgeHttpProbe(nowhere, sent, window).status).toBe('deviated');
  });
});
