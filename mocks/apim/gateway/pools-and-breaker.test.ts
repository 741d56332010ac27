/**
 * Behaviour tests of backend pools, circuit breakers and retry, with the mock Azure OpenAI
 * fleet as the backends. The fleet's ledger is the ground truth of which backend received
 * which request, and when; the gateway's breaker events and log rows are checked against it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../aoai/fleet.ts';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { parseTopology } from '../../aoai/topology.ts';
import type { CircuitBreakerEventGridEvent } from '../backends/circuit-breaker.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import type { GatewayLogRow } from './gateway-log-schema.ts';
import { policy, removeTestConfigs, TEST_KEYS, writeTestConfig, type TestBackend, type TestBreakerRule, type TestConfigOptions } from './test-config.ts';

/** Three East US resources (a, b: PTU; c: PAYG) and one in West US, with capacity far above what the tests send. */
const TOPOLOGY = {
  seed: 5,
  latencyScale: 0,
  resources: [
    { name: 'aoai-a', region: 'East US', kind: 'ptu', deployments: 'ptu' },
    { name: 'aoai-b', region: 'East US', kind: 'ptu', deployments: 'ptu' },
    { name: 'aoai-c', region: 'East US', kind: 'payg', deployments: 'payg' },
  ],
  deploymentSets: {
    ptu: [
      { name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 50_000_000 },
      { name: 'text-embedding-3-small', model: 'text-embedding-3-small', capacityTpm: 50_000_000 },
    ],
    payg: [
      { name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 50_000_000, rpm: 1_000_000 },
      { name: 'text-embedding-3-small', model: 'text-embedding-3-small', capacityTpm: 50_000_000, rpm: 1_000_000 },
    ],
  },
};

const EMBEDDINGS = '/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21';
const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
const COMPLETIONS = '/openai/deployments/gpt-4o/completions?api-version=2024-10-21';

const url = (name: string): string => `https://${name}.openai.azure.com/openai`;

/** Every Single backend carries the same rule unless a test says otherwise. */
function backends(rule: TestBreakerRule | undefined, extra: Record<string, TestBackend> = {}): Record<string, TestBackend> {
  const single = (name: string): TestBackend => (rule ? { url: url(name), breaker: rule } : { url: url(name) });
  return {
    a: single('aoai-a'),
    b: single('aoai-b'),
    c: single('aoai-c'),
    pool: { pool: [{ id: 'a', priority: 1, weight: 50 }, { id: 'b', priority: 1, weight: 50 }, { id: 'c', priority: 2, weight: 100 }] },
    ...extra,
  };
}

/** Chooses the backend from the x-backend header (default: the pool) and tags the request for the ledger. */
const INBOUND = `<base />
  <set-backend-service backend-id="@(context.Request.Headers.GetValueOrDefault(&quot;x-backend&quot;, &quot;pool&quot;))" />
  <set-header name="x-correlation-id" exists-action="override"><value>@(context.RequestId)</value></set-header>`;

let fleet: RunningFleet;
let endpoints: Map<string, string>;
const running: RunningGateway[] = [];

beforeAll(async () => {
  fleet = await startFleet({ topology: parseTopology(JSON.stringify(TOPOLOGY), 'pools-and-breaker.test.ts') });
  endpoints = new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint]));
});

afterEach(async () => {
  fleet.faults.clearAll();
  await Promise.all(running.splice(0).map((gateway) => gateway.close()));
});

afterAll(async () => {
  await fleet.close();
  removeTestConfigs();
});

async function gatewayWith(options: TestConfigOptions, seed = 21): Promise<RunningGateway> {
  const { config } = writeTestConfig(options);
  const gateway = await startGateway({ config, fleetEndpoints: endpoints, logsDir: null, seed });
  running.push(gateway);
  return gateway;
}

interface Answer {
  status: number;
  text: string;
}

async function send(base: string, options: { backend?: string; path?: string } = {}): Promise<Answer> {
  const path = options.path ?? EMBEDDINGS;
  const body = path === EMBEDDINGS ? { input: 'hello' } : path === CHAT ? { messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 } : { prompt: 'hi', max_tokens: 5 };
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': TEST_KEYS.s1, ...(options.backend ? { 'x-backend': options.backend } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Request records the fleet logged after `afterSeq`. */
function requestsSince(afterSeq: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  let after = afterSeq;
  for (;;) {
    const page = fleet.ledger.read(after, 1000);
    expect(page.truncated).toBe(false);
    for (const record of page.records) if (record.type === 'request') out.push(record);
    if (page.next === after) return out;
    after = page.next;
  }
}

function countBy(records: readonly RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[record.backend] = (counts[record.backend] ?? 0) + 1;
  return counts;
}

const events = (gateway: RunningGateway): CircuitBreakerEventGridEvent[] => gateway.logs.recent.events as CircuitBreakerEventGridEvent[];

function eventFor(gateway: RunningGateway, type: 'Opened' | 'Closed', backend: string): CircuitBreakerEventGridEvent | undefined {
  return events(gateway).find((e) => e.eventType === `Microsoft.ApiManagement.CircuitBreaker.${type}` && e.data.backendName === backend);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rows(gateway: RunningGateway, count: number): Promise<GatewayLogRow[]> {
  await waitFor(`${count} log rows`, () => (gateway.logs.recent.gateway.length >= count ? true : undefined));
  return gateway.logs.recent.gateway;
}

const RULE_1S: TestBreakerRule = { name: 'r1', count: 3, interval: 'PT10S', tripDuration: 'PT1S' };
const RULE_LONG: TestBreakerRule = { name: 'r1', count: 3, interval: 'PT10S', tripDuration: 'PT30S' };

describe('pool selection', () => {
  it('splits priority 1 by weight (50/50 and 75/25 over 400 requests each) and sends nothing to priority 2', async () => {
    const gateway = await gatewayWith({
      backends: backends(RULE_LONG, { weighted: { pool: [{ id: 'a', priority: 1, weight: 75 }, { id: 'b', priority: 1, weight: 25 }, { id: 'c', priority: 2, weight: 100 }] } }),
      apiPolicy: policy({ inbound: INBOUND }),
    });
    const base = gateway.instances[0]!.url;
    const start = fleet.ledger.lastSeq;
    for (const [pool, expectedA] of [
      ['pool', 200],
      ['weighted', 300],
    ] as const) {
      const mark = fleet.ledger.lastSeq;
      for (let i = 0; i < 400; i += 8) {
        const answers = await Promise.all(Array.from({ length: 8 }, () => send(base, { backend: pool })));
        expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      }
      const counts = countBy(requestsSince(mark));
      expect(counts['aoai-c']).toBeUndefined();
      expect((counts['aoai-a'] ?? 0) + (counts['aoai-b'] ?? 0)).toBe(400);
      // Selection is a weighted random draw (seeded). Tolerance: 3 standard deviations of the
      // binomial count (±30 at 50/50, ±26 at 75/25 over 400 draws).
      const tolerance = Math.ceil(3 * Math.sqrt(400 * (expectedA / 400) * (1 - expectedA / 400)));
      expect(Math.abs((counts['aoai-a'] ?? 0) - expectedA)).toBeLessThanOrEqual(tolerance);
    }
    // The log's BackendId names the member that served each request.
    const logged = (await rows(gateway, 800)).filter((row) => row.BackendId === 'a').length;
    const served = requestsSince(start).filter((r) => r.backend === 'aoai-a').length;
    expect(logged).toBe(served);
  });
});

describe('circuit breaker', () => {
  it('trips a failing member after count failures, sends it nothing for tripDuration, then resumes', async () => {
    const gateway = await gatewayWith({ backends: backends(RULE_1S), apiPolicy: policy({ inbound: INBOUND }) });
    const base = gateway.instances[0]!.url;
    const mark = fleet.ledger.lastSeq;
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-a' }, status: 500 });

    const statuses: number[] = [];
    while (!eventFor(gateway, 'Opened', 'a')) {
      statuses.push((await send(base)).status);
      expect(statuses.length).toBeLessThan(200);
    }
    fleet.faults.clearAll();
    // Without a retry policy the three failures reach the client; every other request was served.
    expect(statuses.filter((s) => s === 500)).toHaveLength(3);
    expect(statuses.filter((s) => s !== 500 && s !== 200)).toEqual([]);
    expect(statuses.at(-1)).toBe(500);

    // Keep sending through the trip until the member serves again.
    const afterTrip = async (): Promise<RequestRecord | undefined> => {
      expect((await send(base)).status).toBe(200);
      return requestsSince(mark).find((r) => r.backend === 'aoai-a' && r.status === 200);
    };
    let resumed: RequestRecord | undefined;
    while (!(resumed = await afterTrip())) await new Promise((resolve) => setTimeout(resolve, 5));

    const opened = eventFor(gateway, 'Opened', 'a')!;
    const closed = await waitFor('the Closed event', () => eventFor(gateway, 'Closed', 'a'));
    const openedAt = Date.parse(opened.eventTime);
    const closedAt = Date.parse(closed.eventTime);
    expect(closedAt - openedAt).toBe(1000);

    const records = requestsSince(mark);
    const toA = records.filter((r) => r.backend === 'aoai-a');
    // The three failures, the last of which tripped the breaker (possibly within the same ms).
    const failures = toA.filter((r) => r.status === 500);
    expect(failures).toHaveLength(3);
    expect(failures.every((r) => r.start <= openedAt)).toBe(true);
    // The fault was cleared once the breaker opened, so anything else a received is a 200.
    expect(toA.filter((r) => r.status !== 500 && r.start >= openedAt && r.start < closedAt)).toEqual([]);
    expect(resumed.start).toBeGreaterThanOrEqual(closedAt);
    // During the trip the other priority-1 member took the traffic; priority 2 got none.
    expect(records.filter((r) => r.start >= openedAt && r.start < closedAt && r.backend === 'aoai-b').length).toBeGreaterThan(0);
    expect(records.filter((r) => r.backend === 'aoai-c')).toEqual([]);

    // The breaker's events, in APIM's Event Grid shape.
    expect(opened).toMatchObject({
      subject: '/backends/a/circuit-breaker/rules/r1',
      eventType: 'Microsoft.ApiManagement.CircuitBreaker.Opened',
      data: { backendName: 'a', circuitBreaker: { rules: { r1: { tripDuration: '00:00:01' } } } },
      region: 'East US',
    });
    expect(closed).toMatchObject({ subject: '/backends/a/circuit-breaker/rules/r1', eventType: 'Microsoft.ApiManagement.CircuitBreaker.Closed', data: { backendName: 'a' } });
    expect(events(gateway).map((e) => `${e.eventType.split('.').at(-1)}:${e.data.backendName}`)).toEqual(['Opened:a', 'Closed:a']);
  });

  it('sends to priority 2 only when every priority-1 member is tripped, and answers 503 when all are', async () => {
    const gateway = await gatewayWith({ backends: backends(RULE_LONG), apiPolicy: policy({ inbound: INBOUND }) });
    const base = gateway.instances[0]!.url;
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-a' }, status: 500 });
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-b' }, status: 503 });
    let mark = fleet.ledger.lastSeq;
    while (!(eventFor(gateway, 'Opened', 'a') && eventFor(gateway, 'Opened', 'b'))) {
      await send(base);
      expect(requestsSince(mark).length).toBeLessThan(100);
    }
    expect(countBy(requestsSince(mark))).toEqual({ 'aoai-a': 3, 'aoai-b': 3 });

    mark = fleet.ledger.lastSeq;
    for (let i = 0; i < 10; i++) expect((await send(base)).status).toBe(200);
    expect(countBy(requestsSince(mark))).toEqual({ 'aoai-c': 10 });

    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-c' }, status: 500 });
    mark = fleet.ledger.lastSeq;
    for (let i = 0; i < 3; i++) expect((await send(base)).status).toBe(500);
    expect(eventFor(gateway, 'Opened', 'c')).toBeDefined();
    const before = gateway.logs.recent.gateway.length;
    const exhausted = await send(base);
    expect(exhausted.status).toBe(503);
    expect(countBy(requestsSince(mark))).toEqual({ 'aoai-c': 3 });
    const row = (await rows(gateway, before + 1))[before]!;
    expect(row).toMatchObject({ ResponseCode: 503, BackendResponseCode: null, BackendId: 'pool', IsRequestSuccess: false });
  });

  it('acceptRetryAfter: a 429 with Retry-After 2 trips for 2 s instead of tripDuration', async () => {
    const oneFailure: TestBreakerRule = { name: 'ra', count: 1, interval: 'PT10S', tripDuration: 'PT30S', acceptRetryAfter: true };
    const gateway = await gatewayWith({
      backends: { a: { url: url('aoai-a'), breaker: oneFailure }, b: { url: url('aoai-b'), breaker: { ...oneFailure, acceptRetryAfter: false } } },
      apiPolicy: policy({ inbound: INBOUND }),
    });
    const base = gateway.instances[0]!.url;
    fleet.faults.inject({ kind: 'status', target: { region: 'East US' }, status: 429, retryAfterSeconds: 2 });
    const mark = fleet.ledger.lastSeq;
    expect((await send(base, { backend: 'a' })).status).toBe(429);
    expect((await send(base, { backend: 'b' })).status).toBe(429);
    fleet.faults.clearAll();
    expect(eventFor(gateway, 'Opened', 'a')!.data.circuitBreaker.rules.ra!.tripDuration).toBe('00:00:02');
    expect(eventFor(gateway, 'Opened', 'b')!.data.circuitBreaker.rules.ra!.tripDuration).toBe('00:00:30');

    // Tripped: the gateway answers 503 itself and the backend sees nothing.
    expect((await send(base, { backend: 'a' })).status).toBe(503);
    expect(countBy(requestsSince(mark))).toEqual({ 'aoai-a': 1, 'aoai-b': 1 });

    const closed = await waitFor('a to close', () => eventFor(gateway, 'Closed', 'a'), 10_000);
    expect(Date.parse(closed.eventTime) - Date.parse(eventFor(gateway, 'Opened', 'a')!.eventTime)).toBe(2000);
    expect((await send(base, { backend: 'a' })).status).toBe(200);
    expect((await send(base, { backend: 'b' })).status).toBe(503);
    expect(countBy(requestsSince(mark))).toEqual({ 'aoai-a': 2, 'aoai-b': 1 });
    expect(eventFor(gateway, 'Closed', 'b')).toBeUndefined();
  });

  it('breaker state is per regional instance', async () => {
    const rule: TestBreakerRule = { name: 'r1', count: 2, interval: 'PT10S', tripDuration: 'PT30S' };
    const gateway = await gatewayWith({ regions: ['East US', 'West US'], backends: { a: { url: url('aoai-a'), breaker: rule } }, apiPolicy: policy({ inbound: INBOUND }) });
    const east = gateway.instance('East US');
    const west = gateway.instance('West US');
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-a' }, status: 500 });
    const mark = fleet.ledger.lastSeq;
    expect((await send(east.url, { backend: 'a' })).status).toBe(500);
    expect((await send(east.url, { backend: 'a' })).status).toBe(500);
    expect(east.state.isTripped('a')).toBe(true);
    expect(west.state.isTripped('a')).toBe(false);

    expect((await send(east.url, { backend: 'a' })).status).toBe(503);
    expect(requestsSince(mark)).toHaveLength(2);
    // West US has seen no failure: its breaker is closed and the request reaches the backend.
    expect((await send(west.url, { backend: 'a' })).status).toBe(500);
    expect(requestsSince(mark)).toHaveLength(3);
    expect(west.state.isTripped('a')).toBe(false);
    expect(events(gateway).map((e) => [e.eventType, (e as unknown as { region: string }).region])).toEqual([['Microsoft.ApiManagement.CircuitBreaker.Opened', 'East US']]);
  });
});

describe('retry', () => {
  const retry = (attrs: string): string => `<retry condition="@(context.Response.StatusCode == 429 || context.Response.StatusCode &gt;= 500)" ${attrs}><forward-request buffer-request-body="true" /></retry>`;

  it('re-selects a pool member per attempt: a failing first attempt is retried on a healthy member', async () => {
    const tripOnFirst: TestBreakerRule = { name: 'r1', count: 1, interval: 'PT10S', tripDuration: 'PT30S' };
    const gateway = await gatewayWith({
      backends: { a: { url: url('aoai-a'), breaker: tripOnFirst }, b: { url: url('aoai-b'), breaker: tripOnFirst }, pool: { pool: [{ id: 'a', priority: 1, weight: 50 }, { id: 'b', priority: 1, weight: 50 }] } },
      apiPolicy: policy({ inbound: INBOUND, backend: retry('count="3" interval="0" first-fast-retry="true"') }),
    });
    const base = gateway.instances[0]!.url;
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-a' }, status: 500 });
    const mark = fleet.ledger.lastSeq;
    // Until a request's first attempt lands on the failing member.
    let sent = 0;
    while (!requestsSince(mark).some((r) => r.backend === 'aoai-a')) {
      expect((await send(base)).status).toBe(200);
      expect(++sent).toBeLessThan(50);
    }
    const records = requestsSince(mark);
    const failed = records.find((r) => r.backend === 'aoai-a')!;
    const attempts = records.filter((r) => r.correlationId === failed.correlationId);
    expect(attempts.map((r) => [r.backend, r.status])).toEqual([
      ['aoai-a', 500],
      ['aoai-b', 200],
    ]);
    const row = (await rows(gateway, sent)).find((r) => r.CorrelationId === failed.correlationId)!;
    expect(row).toMatchObject({ ResponseCode: 200, BackendResponseCode: 200, BackendId: 'b' });
    // Every request before it was served by b at the first attempt.
    expect(records.filter((r) => r.correlationId !== failed.correlationId).every((r) => r.backend === 'aoai-b' && r.status === 200)).toBe(true);
  });

  it('makes exactly count + 1 attempts while the condition stays true, waiting interval between them', async () => {
    const gateway = await gatewayWith({
      backends: { a: { url: url('aoai-a') } },
      apiPolicy: policy({ inbound: INBOUND, backend: retry('count="3" interval="0"') }),
      operationPolicies: {
        ChatCompletions_Create: policy({ backend: retry('count="2" interval="1" first-fast-retry="false"') }),
        Completions_Create: policy({ backend: retry('count="1" interval="20" first-fast-retry="true"') }),
      },
    });
    const base = gateway.instances[0]!.url;
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-a' }, status: 500 });
    const attemptsOf = (records: RequestRecord[]): RequestRecord[] => {
      const ids = new Set(records.map((r) => r.correlationId));
      expect(ids.size).toBe(1);
      return records;
    };

    let mark = fleet.ledger.lastSeq;
    const fixed = await send(base, { backend: 'a' });
    expect(fixed.status).toBe(500);
    expect(attemptsOf(requestsSince(mark))).toHaveLength(4);

    // interval 1 s, no fast first retry: every retry waits at least 1 s after the previous answer.
    mark = fleet.ledger.lastSeq;
    expect((await send(base, { backend: 'a', path: CHAT })).status).toBe(500);
    const spaced = attemptsOf(requestsSince(mark));
    expect(spaced).toHaveLength(3);
    for (let i = 1; i < spaced.length; i++) expect(spaced[i]!.start - spaced[i - 1]!.end).toBeGreaterThanOrEqual(995);

    // first-fast-retry: the first retry does not wait the 20 s interval.
    mark = fleet.ledger.lastSeq;
    expect((await send(base, { backend: 'a', path: COMPLETIONS })).status).toBe(500);
    expect(attemptsOf(requestsSince(mark))).toHaveLength(2);
    const row = (await rows(gateway, 3))[2]!;
    expect(row.OperationId).toBe('Completions_Create');
    expect(row.TotalTime).toBeLessThan(20_000);
  });
});
