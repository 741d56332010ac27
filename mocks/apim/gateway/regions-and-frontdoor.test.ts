/**
 * Behaviour tests of the multi-region setup: the sample configuration (deploy/apim) with the
 * default fleet topology behind the Front Door emulator, regional failover driven by health
 * probes, the sample's priority routing as the fleet's ledger records it, and the optional
 * capacity model (queueing, then dropped connections, never a 429).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AzureOpenAI } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../aoai/fleet.ts';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../aoai/topology.ts';
import type { FrontDoorEvent, HealthEvent, RequestEvent } from '../../frontdoor/front-door-events.ts';
import { ipv6LoopbackUnavailable } from '../../shared/ipv6-loopback-test-support.ts';
import { loadGatewayConfig } from '../config/index.ts';
import type { GatewayConfig } from '../config/types.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import type { GatewayLogRow } from './gateway-log-schema.ts';
import { policy, removeTestConfigs, TEST_KEYS, writeTestConfig } from './test-config.ts';

const noIpv6 = await ipv6LoopbackUnavailable();
if (noIpv6) process.stdout.write(`regions-and-frontdoor.test.ts: the IPv6 case skipped: ${noIpv6}\n`);

const SAMPLE = fileURLToPath(new URL('../../../deploy/apim', import.meta.url));
const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
const KEYS = { userFacing: 'local-user-facing-key', critical: 'local-critical-ops-key', batch: 'local-batch-key' };

let fleet: RunningFleet;
let endpoints: Map<string, string>;
let sampleDir: string;
const running: RunningGateway[] = [];

/**
 * The sample with a faster front door: the emulator file allows probe intervals of 1-255 s
 * (AFD's range), so the copy says 1 s and the loaded configuration is then set to 0.5 s to
 * keep the test short. 2 of the last 3 probes must succeed: one lost probe changes nothing.
 */
function sampleConfig(options: { frontDoor: boolean }): GatewayConfig {
  const config = loadGatewayConfig(sampleDir);
  if (!options.frontDoor) {
    delete config.frontDoor;
    return config;
  }
  expect(config.frontDoor).toMatchObject({ probeIntervalSeconds: 1, sampleSize: 3, successfulSamplesRequired: 2 });
  config.frontDoor!.probeIntervalSeconds = 0.5;
  return config;
}

async function start(config: GatewayConfig): Promise<RunningGateway> {
  const gateway = await startGateway({ config, fleetEndpoints: endpoints, logsDir: null, seed: 3 });
  running.push(gateway);
  return gateway;
}

beforeAll(async () => {
  const topology = loadTopologyFile(defaultTopologyPath);
  topology.latencyScale = 0;
  topology.seed = 1;
  fleet = await startFleet({ topology });
  endpoints = new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint]));
  sampleDir = mkdtempSync(join(tmpdir(), 'spillway-apim-sample-'));
  cpSync(SAMPLE, sampleDir, { recursive: true });
  const emulatorFile = join(sampleDir, 'emulator.json');
  const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as { frontDoor: Record<string, unknown> };
  emulator.frontDoor = { ...emulator.frontDoor, probeIntervalSeconds: 1, sampleSize: 3, successfulSamplesRequired: 2 };
  writeFileSync(emulatorFile, JSON.stringify(emulator, null, 2));
});

afterEach(async () => {
  fleet.faults.clearAll();
  await Promise.all(running.splice(0).map((gateway) => gateway.close()));
});

afterAll(async () => {
  await fleet.close();
  rmSync(sampleDir, { recursive: true, force: true });
  removeTestConfigs();
});

function requestsSince(afterSeq: number): RequestRecord[] {
  const page = fleet.ledger.read(afterSeq, 10_000);
  expect(page.truncated).toBe(false);
  return page.records.filter((r): r is RequestRecord => r.type === 'request');
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

async function chat(base: string, key: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${base}${CHAT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': key, ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function rowFor(gateway: RunningGateway, correlationId: string | null): Promise<GatewayLogRow> {
  return waitFor('the gateway log row', () => gateway.logs.recent.gateway.find((row) => row.CorrelationId === correlationId));
}

describe('front door in front of the regional gateways (sample configuration)', () => {
  it('routes to East US (priority 1), which serves from an East US backend', async () => {
    const gateway = await start(sampleConfig({ frontDoor: true }));
    const frontDoor = gateway.frontDoor!;
    const client = new AzureOpenAI({ endpoint: frontDoor.url, apiKey: KEYS.userFacing, apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 });
    const mark = fleet.ledger.lastSeq;
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello through the front door' }], max_tokens: 5 }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(response.headers.get('x-fleet-region')).toBe('East US');
    const records = requestsSince(mark);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ region: 'East US', status: 200, priority: 'medium', subscription: 'user-facing', auth: 'bearer', subscriptionKeyFingerprint: null });
    expect(['aoai-eastus-ptu1', 'aoai-eastus-ptu2']).toContain(records[0]!.backend);
    const row = await rowFor(gateway, records[0]!.correlationId);
    expect(row).toMatchObject({ Region: 'East US', ResponseCode: 200, ApimSubscriptionId: 'user-facing', ProductId: 'ai-gateway' });
    const served = await waitFor('the front door request event', () => frontDoor.events().find((e): e is RequestEvent => e.type === 'request'));
    expect(served).toMatchObject({ origin: 'East US', status: 200 });
  });

  it('with a logs folder, keeps the front door events in their file only, not in memory as well', async () => {
    const logsDir = mkdtempSync(join(tmpdir(), 'spillway-fd-logs-'));
    try {
      const gateway = await startGateway({ config: sampleConfig({ frontDoor: true }), fleetEndpoints: endpoints, logsDir, seed: 3 });
      try {
        for (let i = 0; i < 3; i++) expect((await chat(gateway.frontDoor!.url, KEYS.userFacing)).status).toBe(200);
      } finally {
        await gateway.close();
      }
      // Held beside the file, the latest 10,000 events would be old-generation garbage-collector work per request.
      expect(gateway.frontDoor!.events()).toEqual([]);
      const events = readFileSync(join(logsDir, 'front-door-events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as FrontDoorEvent);
      expect(events.filter((e): e is RequestEvent => e.type === 'request').map((e) => [e.origin, e.status])).toEqual(Array(3).fill(['East US', 200]));
    } finally {
      rmSync(logsDir, { recursive: true, force: true });
    }
  });

  it('fails over to West US when the East US gateway stops, and back when it resumes', async () => {
    const gateway = await start(sampleConfig({ frontDoor: true }));
    const frontDoor = gateway.frontDoor!;
    const healthOf = (region: string): boolean => frontDoor.origins().find((o) => o.name === region)!.healthy;
    expect(healthOf('East US')).toBe(true);

    await gateway.instance('East US').stopListening();
    await waitFor('East US to be unhealthy', () => (healthOf('East US') ? undefined : true));
    expect(healthOf('West US')).toBe(true);
    let mark = fleet.ledger.lastSeq;
    const west = await chat(frontDoor.url, KEYS.userFacing);
    expect(west.status).toBe(200);
    expect(west.headers.get('x-fleet-region')).toBe('West US');
    const westRecords = requestsSince(mark);
    expect(westRecords.map((r) => r.region)).toEqual(['West US']);
    expect(['aoai-westus-ptu1', 'aoai-westus-ptu2']).toContain(westRecords[0]!.backend);
    expect((await rowFor(gateway, westRecords[0]!.correlationId)).Region).toBe('West US');

    await gateway.instance('East US').resumeListening();
    await waitFor('East US to be healthy again', () => (healthOf('East US') ? true : undefined));
    mark = fleet.ledger.lastSeq;
    const east = await chat(frontDoor.url, KEYS.userFacing);
    expect(east.status).toBe(200);
    expect(east.headers.get('x-fleet-region')).toBe('East US');
    expect(requestsSince(mark).map((r) => r.region)).toEqual(['East US']);

    const changes = frontDoor.events().filter((e): e is HealthEvent => e.type === 'health');
    expect(changes.map((e) => [e.origin, e.healthy])).toEqual([
      ['East US', false],
      ['East US', true],
    ]);
    // Requests through the front door went to East US, then West US, then East US again.
    expect(frontDoor.events().filter((e): e is RequestEvent => e.type === 'request').map((e) => e.origin)).toEqual(['West US', 'East US']);
  });

  it.skipIf(noIpv6 !== null)('serves the regional gateways on IPv6 loopback, their URLs in brackets, which the front door reaches', async () => {
    const config = sampleConfig({ frontDoor: true });
    const gateway = await startGateway({ config, fleetEndpoints: endpoints, logsDir: null, seed: 3, host: '::1' });
    running.push(gateway);
    for (const instance of gateway.instances) expect(instance.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const direct = await chat(gateway.instance('West US').url, KEYS.userFacing);
    expect([direct.status, direct.headers.get('x-fleet-region')]).toEqual([200, 'West US']);
    const through = await chat(gateway.frontDoor!.url, KEYS.userFacing);
    expect([through.status, through.headers.get('x-fleet-region')]).toEqual([200, 'East US']);
  });
});

describe('priority routing of the sample', () => {
  it('high → PTU only, medium → the pool (PTU first), low → PAYG only, per region', async () => {
    const gateway = await start(sampleConfig({ frontDoor: false }));
    const east = gateway.instance('East US').url;
    const west = gateway.instance('West US').url;
    const served = async (base: string, key: string, count: number, headers: Record<string, string> = {}): Promise<RequestRecord[]> => {
      const mark = fleet.ledger.lastSeq;
      for (let i = 0; i < count; i++) expect((await chat(base, key, headers)).status).toBe(200);
      const records = requestsSince(mark);
      expect(records).toHaveLength(count);
      return records;
    };
    const backendsOf = (records: RequestRecord[]): string[] => [...new Set(records.map((r) => r.backend))].sort();
    const prioritiesOf = (records: RequestRecord[]): string[] => [...new Set(records.map((r) => r.priority ?? 'none'))];

    const high = await served(east, KEYS.userFacing, 20, { 'X-Priority': 'high' });
    expect(backendsOf(high)).toEqual(['aoai-eastus-ptu1', 'aoai-eastus-ptu2']);
    expect(prioritiesOf(high)).toEqual(['high']);
    const medium = await served(east, KEYS.userFacing, 20, { 'X-Priority': 'medium' });
    expect(backendsOf(medium)).toEqual(['aoai-eastus-ptu1', 'aoai-eastus-ptu2']);
    expect(prioritiesOf(medium)).toEqual(['medium']);
    // Low is rate limited to 10 calls a minute per subscription: stay under it.
    const low = await served(east, KEYS.userFacing, 6, { 'X-Priority': 'low' });
    expect(backendsOf(low)).toEqual(['aoai-eastus-payg']);
    expect(prioritiesOf(low)).toEqual(['low']);

    // Without the header, the consumer class decides: critical-ops high, batch low, user-facing medium.
    expect(prioritiesOf(await served(east, KEYS.critical, 3))).toEqual(['high']);
    expect(backendsOf(await served(east, KEYS.batch, 3))).toEqual(['aoai-eastus-payg']);
    expect(prioritiesOf(await served(east, KEYS.userFacing, 3))).toEqual(['medium']);

    // West US routes to its own region's resources.
    expect(backendsOf(await served(west, KEYS.userFacing, 12, { 'X-Priority': 'high' }))).toEqual(['aoai-westus-ptu1', 'aoai-westus-ptu2']);
    expect(backendsOf(await served(west, KEYS.userFacing, 3, { 'X-Priority': 'low' }))).toEqual(['aoai-westus-payg']);
  });

  it('with both of medium\'s PTU breakers tripped, medium spills over to PAYG while high keeps its own lane; high never reaches PAYG', async () => {
    const gateway = await start(sampleConfig({ frontDoor: false }));
    const east = gateway.instance('East US').url;
    const ptu1 = fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-eastus-ptu1' }, status: 500 });
    const ptu2 = fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-eastus-ptu2' }, status: 500 });
    const opened = (backend: string): boolean =>
      gateway.logs.recent.events.some((e) => (e as { eventType: string; data: { backendName: string } }).eventType.endsWith('Opened') && (e as { data: { backendName: string } }).data.backendName === backend);
    for (let i = 0; !(opened('aoai-eastus-ptu1') && opened('aoai-eastus-ptu2')); i++) {
      expect(i).toBeLessThan(30);
      await chat(east, KEYS.userFacing, { 'X-Priority': 'medium' });
    }
    // The PTUs recover, but medium's breakers stay open for their 5 s trip.
    fleet.faults.clear(ptu1.id);
    fleet.faults.clear(ptu2.id);
    let mark = fleet.ledger.lastSeq;
    for (let i = 0; i < 5; i++) expect((await chat(east, KEYS.userFacing, { 'X-Priority': 'medium' })).status).toBe(200);
    expect(requestsSince(mark).map((r) => [r.backend, r.priority])).toEqual(Array(5).fill(['aoai-eastus-payg', 'medium']));
    // High's lane has breakers of its own, still closed: it reaches the PTUs meanwhile.
    mark = fleet.ledger.lastSeq;
    expect((await chat(east, KEYS.userFacing, { 'X-Priority': 'high' })).status).toBe(200);
    expect(requestsSince(mark).map((r) => r.backend)).toEqual([expect.stringMatching(/^aoai-eastus-ptu[12]$/)]);
    expect(opened('aoai-eastus-ptu1-high') || opened('aoai-eastus-ptu2-high')).toBe(false);

    // With both PTUs failing, high exhausts its retries on them and gets an error, never PAYG.
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-eastus-ptu1' }, status: 500 });
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-eastus-ptu2' }, status: 500 });
    mark = fleet.ledger.lastSeq;
    const high = await chat(east, KEYS.userFacing, { 'X-Priority': 'high' });
    expect(high.status).toBeGreaterThanOrEqual(500);
    expect(new Set(requestsSince(mark).map((r) => r.kind))).toEqual(new Set(['ptu']));
    // West US keeps its own breakers: its PTUs still serve high priority.
    expect((await chat(gateway.instance('West US').url, KEYS.userFacing, { 'X-Priority': 'high' })).headers.get('x-fleet-backend')).toMatch(/^aoai-westus-ptu[12]$/);
  });
});

describe('capacity model', () => {
  /** Sends one request on its own connection; a dropped connection comes back as its error code. */
  function rawPost(base: string): Promise<{ status: number } | { error: string }> {
    return new Promise((resolve) => {
      const body = '{"messages":[]}';
      const req = httpRequest(`${base}${CHAT}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'api-key': TEST_KEYS.s1 } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end(body);
    });
  }

  const answering = policy({ inbound: '<base /><return-response><set-status code="200" reason="OK" /><set-body>served</set-body></return-response>' });

  async function burst(capacity: object, count: number): Promise<{ answers: ({ status: number } | { error: string })[]; rows: GatewayLogRow[] }> {
    const { config } = writeTestConfig({ apiPolicy: answering, capacity });
    const gateway = await start(config);
    const answers = await Promise.all(Array.from({ length: count }, () => rawPost(gateway.instances[0]!.url)));
    const served = answers.filter((a) => 'status' in a).length;
    const rows = await waitFor('log rows', () => (gateway.logs.recent.gateway.length >= served ? gateway.logs.recent.gateway : undefined));
    return { answers, rows };
  }

  /** Arrival (TimeGenerated) in ms, sorted by arrival. */
  const byArrival = (rows: GatewayLogRow[]): { at: number; total: number }[] => rows.map((row) => ({ at: Date.parse(row.TimeGenerated!), total: row.TotalTime! })).sort((x, y) => x.at - y.at);

  it('queues requests beyond capacity (TotalTime includes the wait) and drops them beyond the queue, never answering 429', async () => {
    // 1 request per second, 2 may wait: of a burst of 6, 3 are served (waits of about 0, 1 and 2 s).
    const { answers, rows } = await burst({ enabled: true, requestsPerSecondPerUnit: 1, queueLength: 2, queueTimeoutSeconds: 30 }, 6);
    expect(answers.filter((a) => 'status' in a)).toEqual(Array(3).fill({ status: 200 }));
    expect(answers.filter((a) => 'error' in a)).toEqual(Array(3).fill({ error: 'ECONNRESET' }));
    expect(rows).toHaveLength(3);
    expect(rows.map((row) => row.ResponseCode)).toEqual([200, 200, 200]);
    // The k-th admitted request starts no earlier than (k-1) s after the first arrival.
    const served = byArrival(rows);
    const first = served[0]!.at;
    served.forEach((row, k) => expect(row.total).toBeGreaterThanOrEqual(k * 1000 - (row.at - first) - 2));
    expect(Math.max(...served.map((row) => row.total))).toBeGreaterThanOrEqual(1000);
  });

  it('drops a request that would wait longer than queueTimeoutSeconds', async () => {
    // 1 request per second, waits up to 1 s allowed: of a burst of 5, 2 are served.
    const { answers, rows } = await burst({ enabled: true, requestsPerSecondPerUnit: 1, queueLength: 100, queueTimeoutSeconds: 1 }, 5);
    expect(answers.filter((a) => 'status' in a)).toEqual([{ status: 200 }, { status: 200 }]);
    expect(answers.filter((a) => 'error' in a)).toEqual(Array(3).fill({ error: 'ECONNRESET' }));
    expect(rows.map((row) => row.ResponseCode)).toEqual([200, 200]);
    const served = byArrival(rows);
    expect(served[1]!.total).toBeGreaterThanOrEqual(1000 - (served[1]!.at - served[0]!.at) - 2);
  });
});
