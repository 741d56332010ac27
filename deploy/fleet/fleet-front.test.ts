import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import type { RequestRecord } from '../../mocks/aoai/ledger.ts';
import { parseTopology } from '../../mocks/aoai/topology.ts';
import { fleetDescriptionSchema } from '../../harness/contracts/fleet-description.ts';
import { publicBackendEndpoint, routeOf, startFleetFront, type FleetFront } from './fleet-front.ts';

/**
 * The front against a real fleet on loopback: what APIM's backends and Spillway's control client
 * reach through the container's one port.
 */

const token = 'front-test-token-0123456789';
const bearer = { authorization: `Bearer ${token}` };

const topology = {
  seed: 7,
  latencyScale: 0,
  resources: [
    { name: 'aoai-east-1', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] },
    { name: 'aoai-west-1', region: 'West US', kind: 'payg', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] },
  ],
};

let fleet: RunningFleet | null = null;
let front: FleetFront | null = null;

afterEach(async () => {
  await front?.close();
  await fleet?.close();
  front = null;
  fleet = null;
});

/** A fleet and its front; `fleetToken: false` starts the fleet's control API without a token (loopback callers only). */
async function start(options: { publicUrl?: string | null; fleetToken?: boolean; latency?: boolean } = {}): Promise<{ fleet: RunningFleet; front: FleetFront }> {
  const shape = options.latency
    ? // Each token takes a second and a half: a stream is still going when its first frames arrive.
      { ...topology, latencyScale: 1, resources: topology.resources.map((r) => ({ ...r, deployments: r.deployments.map((d) => ({ ...d, latency: { timeToFirstTokenMs: { mean: 0, stdDev: 0 }, perTokenMs: { mean: 1500, stdDev: 0 } } })) })) }
    : topology;
  fleet = await startFleet({ topology: parseTopology(JSON.stringify(shape), 'front test topology'), ledgerPath: null, ...(options.fleetToken === false ? {} : { controlToken: token }) });
  front = await startFleetFront({ internal: fleet.describe(), token, publicUrl: options.publicUrl ?? null, host: '127.0.0.1', port: 0 });
  return { fleet, front };
}

function chat(base: string, backend: string, init: { headers?: Record<string, string>; body?: object; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(`${publicBackendEndpoint(base, backend)}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'apim-sends-this', ...init.headers },
    body: JSON.stringify(init.body ?? { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

function requests(running: RunningFleet): RequestRecord[] {
  return running.ledger.read(0, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

/** Polls the ledger until a request record matches (the fleet records a request when it ends). */
async function recordWhere(running: RunningFleet, match: (record: RequestRecord) => boolean): Promise<RequestRecord> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const found = requests(running).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no matching ledger record after 5 s');
}

describe('routeOf', () => {
  it('sends /backends/<name>/<rest> to that backend as /<rest>, and everything else to the control API unchanged', () => {
    expect(routeOf('/backends/aoai-east-1/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21')).toEqual({ kind: 'backend', backend: 'aoai-east-1', path: '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21' });
    expect(routeOf('/backends/aoai-east-1')).toEqual({ kind: 'backend', backend: 'aoai-east-1', path: '/' });
    expect(routeOf('/backends/aoai-east-1?x=1')).toEqual({ kind: 'backend', backend: 'aoai-east-1', path: '/?x=1' });
    expect(routeOf('/ledger?after=3&limit=10')).toEqual({ kind: 'control', path: '/ledger?after=3&limit=10' });
    expect(routeOf('/backendsfoo/x')).toEqual({ kind: 'control', path: '/backendsfoo/x' });
  });
});

describe('the fleet front', () => {
  it("passes a chat completion to the backend its path names, which records what APIM sent, and its answer back unchanged", async () => {
    const { fleet, front } = await start();
    const response = await chat(front.origin, 'aoai-west-1', { headers: { 'x-correlation-id': 'front-1', 'x-priority': 'high' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-fleet-backend')).toBe('aoai-west-1');
    const body = (await response.json()) as { usage: { completion_tokens: number } };
    const record = await recordWhere(fleet, (r) => r.correlationId === 'front-1');
    expect(record).toMatchObject({ backend: 'aoai-west-1', status: 200, apiVersion: '2024-10-21', priority: 'high', auth: 'api-key', deployment: 'gpt-4o' });
    expect(record.completionTokens).toBe(body.usage.completion_tokens);
  });

  it('streams without buffering, and a caller that goes away mid-stream is seen by the backend (the ledger records client-closed)', async () => {
    const { fleet, front } = await start({ latency: true });
    const controller = new AbortController();
    const response = await chat(front.origin, 'aoai-east-1', { body: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true }, headers: { 'x-correlation-id': 'stream-1' }, signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('data: ');
    // A front that buffered the answer would hand over nothing before the backend finished, and
    // a finished request is in the ledger.
    expect(requests(fleet).filter((r) => r.correlationId === 'stream-1')).toEqual([]);
    controller.abort();
    await reader.cancel().catch(() => undefined);
    // A front that kept its side open would let the backend stream on to the end (reason ok).
    const record = await recordWhere(fleet, (r) => r.correlationId === 'stream-1');
    expect(record).toMatchObject({ reason: 'client-closed', stream: true });
  });

  it('a backend that resets the connection makes the front drop its caller, not invent an HTTP answer', async () => {
    const { front } = await start();
    const injected = await fetch(`${front.origin}/faults`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'reset', target: { backend: 'aoai-east-1' } }) });
    expect(injected.status).toBe(201);
    const outcome = await chat(front.origin, 'aoai-east-1').then((response) => `HTTP ${response.status}`, (error: unknown) => (error instanceof Error ? error.name : String(error)));
    expect(outcome).toBe('TypeError');
  });

  it('answers 404 naming the fleet\'s backends for a backend it does not have', async () => {
    const { front } = await start();
    const response = await chat(front.origin, 'aoai-north-9');
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('no backend named \\"aoai-north-9\\" behind /backends/ (the fleet has aoai-east-1, aoai-west-1)');
  });

  it('keeps the control API behind the token even when the fleet itself has none (its loopback trust must not reach the outside)', async () => {
    const { front } = await start({ fleetToken: false });
    for (const [path, init] of [
      ['/health', {}],
      ['/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'status', status: 500, target: {} }) }],
      ['/ledger?after=0', { headers: { authorization: 'Bearer wrong-token-0123456789' } }],
    ] as const) {
      const response = await fetch(`${front.origin}${path}`, init);
      expect([path, response.status]).toEqual([path, 401]);
    }
    expect((await fetch(`${front.origin}/health`, { headers: bearer })).status).toBe(200);
  });

  it('pages the ledger over the control API with the token', async () => {
    const { front } = await start();
    for (const id of ['page-1', 'page-2', 'page-3']) await (await chat(front.origin, 'aoai-east-1', { headers: { 'x-correlation-id': id } })).arrayBuffer();
    const first = (await (await fetch(`${front.origin}/ledger?after=0&limit=2`, { headers: bearer })).json()) as { records: RequestRecord[]; next: number; truncated: boolean; last: number };
    expect(first.records.map((r) => r.correlationId)).toEqual(['page-1', 'page-2']);
    const second = (await (await fetch(`${front.origin}/ledger?after=${first.next}&limit=2`, { headers: bearer })).json()) as { records: RequestRecord[]; last: number };
    expect(second.records.map((r) => r.correlationId)).toEqual(['page-3']);
    expect(second.last).toBe(3);
  });

  it('describes the fleet at the public URL it is configured with: the endpoints APIM and `spillway run --fleet` reach', async () => {
    const { fleet, front } = await start({ publicUrl: 'https://spillway-fleet.example.io' });
    const described = fleetDescriptionSchema.parse(await (await fetch(`${front.origin}/fleet`, { headers: bearer })).json());
    expect(described.control).toBe('https://spillway-fleet.example.io');
    expect(described.backends.map((b) => [b.name, b.endpoint])).toEqual([
      ['aoai-east-1', 'https://spillway-fleet.example.io/backends/aoai-east-1'],
      ['aoai-west-1', 'https://spillway-fleet.example.io/backends/aoai-west-1'],
    ]);
    expect(described.backends.map((b) => b.deployments)).toEqual(fleet.describe().backends.map((b) => b.deployments));
    expect(front.describe()).toEqual(described);
  });

  it('without a configured public URL, describes the fleet at the address the caller used (as an ingress forwards it)', async () => {
    const { front } = await start();
    const port = new URL(front.origin).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/fleet', headers: { ...bearer, host: 'fleet.internal.example:443', 'x-forwarded-proto': 'https' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const described = fleetDescriptionSchema.parse(JSON.parse(answer));
    expect(described.control).toBe('https://fleet.internal.example');
    expect(described.backends[0]!.endpoint).toBe('https://fleet.internal.example/backends/aoai-east-1');
  });
});
