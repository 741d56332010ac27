import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { capacityConsumer, capacityProfiles, CapacityProfileError, checkCapacityProfile, writeCapacityGatewayConfig, type CapacityProfileName } from './capacity-gateway-config.ts';

/**
 * The two capacity profiles, run on the embedded emulator from a working copy of the sample
 * (deploy/apim) as a capacity run writes it: both reach the fleet, and only the heavy one runs
 * the AI policies (pool, token limit, token metrics, retry around a failing member).
 */
const k6Config = loadK6Config(defaultK6ConfigFile);
const key = k6Config.consumers[capacityConsumer]!.localKey;
const workDir = mkdtempSync(join(tmpdir(), 'spillway-capacity-profiles-'));
let fleet: RunningFleet;
let gateway: RunningGateway;

beforeAll(async () => {
  writeCapacityGatewayConfig(defaultGatewayConfigDir, join(workDir, 'gateway-config'), 1);
  const topology = loadTopologyFile(defaultTopologyPath);
  topology.latencyScale = 0;
  topology.seed = 15;
  fleet = await startFleet({ topology });
  gateway = await startGateway({
    config: loadGatewayConfig(join(workDir, 'gateway-config')),
    fleetEndpoints: new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint])),
    logsDir: null,
    seed: 15,
  });
});

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
  rmSync(workDir, { recursive: true, force: true });
});

function chat(basePath: string, apiKey = key): Promise<Response> {
  return fetch(`${gateway.instances[0]!.url}${basePath}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': apiKey },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'capacity profile' }], max_tokens: 5 }),
  });
}

interface Sent {
  statuses: number[];
  headers: Headers[];
  records: RequestRecord[];
  metrics: { namespace: string; name: string }[];
}

/** Sends n requests one after another to a profile; returns what the client, the fleet and the metric table saw of them. */
async function send(profile: CapacityProfileName, n: number): Promise<Sent> {
  const ledgerBefore = fleet.ledger.lastSeq;
  const metricsBefore = gateway.logs.recent.metrics.length;
  const statuses: number[] = [];
  const headers: Headers[] = [];
  for (let i = 0; i < n; i++) {
    const response = await chat(capacityProfiles[profile].basePath);
    await response.arrayBuffer();
    statuses.push(response.status);
    headers.push(response.headers);
  }
  const records = fleet.ledger.read(ledgerBefore, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
  const metrics = gateway.logs.recent.metrics.slice(metricsBefore) as { namespace: string; name: string }[];
  return { statuses, headers, records, metrics };
}

describe('the capacity profiles in the sample configuration', () => {
  it('are APIs of the sample at the paths the run calls', () => {
    const config = loadGatewayConfig(defaultGatewayConfigDir);
    for (const profile of Object.values(capacityProfiles)) {
      expect(`${profile.basePath}/openai`).toBe(`/${profile.apiPath}`);
      expect(config.apis.find((a) => a.id === profile.apiId)?.path).toBe(profile.apiPath);
    }
    expect(() => checkCapacityProfile(defaultGatewayConfigDir, 'light')).not.toThrow();
    expect(() => checkCapacityProfile(defaultGatewayConfigDir, 'heavy')).not.toThrow();
  });

  it('heavy is the Azure OpenAI API\'s policy but for its token limit, so it measures the AI policies as they are', () => {
    const policyOf = (api: string): string => readFileSync(join(defaultGatewayConfigDir, 'apis', api, 'policy.xml'), 'utf8');
    // Comments and layout aside; the consumer budgets' fragment stands where the heavy limit is.
    const normalised = (xml: string): string => xml.replace(/<!--[\s\S]*?-->/g, '').replace(/\s+/g, ' ').trim();
    const heavy = policyOf('capacity-heavy');
    const limits = heavy.match(/<llm-token-limit [^>]*\/>/g) ?? [];
    expect(limits).toHaveLength(1);
    expect(normalised(heavy.replace(limits[0]!, '<include-fragment fragment-id="aoai-consumer-token-limit" />'))).toBe(normalised(policyOf('azure-openai')));
    expect(limits[0]).toContain('counter-key="@(context.Subscription.Id)"');
    expect(limits[0]).toContain('estimate-prompt-tokens="true"');
  });

  it('both reach the fleet; only the heavy one spreads over the pool, counts tokens against a limit and emits token metrics', async () => {
    const n = 12;
    const light = await send('light', n);
    const heavy = await send('heavy', n);

    expect(light.statuses).toEqual(Array(n).fill(200));
    expect(heavy.statuses).toEqual(Array(n).fill(200));
    expect(light.records).toHaveLength(n);
    expect(heavy.records).toHaveLength(n);

    // Light: one PTU backend, nothing the AI policies add.
    expect(new Set(light.records.map((r) => r.backend))).toEqual(new Set(['aoai-eastus-ptu1']));
    expect(light.records.map((r) => r.priority)).toEqual(Array(n).fill(null));
    expect(light.headers.map((h) => h.get('x-gateway-remaining-tokens'))).toEqual(Array(n).fill(null));
    expect(light.headers.map((h) => h.get('x-gateway-tokens-consumed'))).toEqual(Array(n).fill(null));
    expect(light.metrics).toEqual([]);

    // Heavy: the priority routing fragment (medium for the load-test subscription), the pool's
    // two PTU members 50/50 (both in 12 requests, seeded), the token limit's headers with a
    // budget that is nowhere near spent, and three token metrics per request.
    expect(heavy.records.map((r) => r.priority)).toEqual(Array(n).fill('medium'));
    expect(heavy.records.map((r) => r.subscription)).toEqual(Array(n).fill(capacityConsumer));
    expect(new Set(heavy.records.map((r) => r.backend))).toEqual(new Set(['aoai-eastus-ptu1', 'aoai-eastus-ptu2']));
    const remaining = heavy.headers.map((h) => Number(h.get('x-gateway-remaining-tokens')));
    for (const value of remaining) expect(value).toBeGreaterThan(999_000_000);
    expect(remaining[n - 1]).toBeLessThan(remaining[0]!);
    expect(heavy.headers.map((h) => Number(h.get('x-gateway-tokens-consumed')))).toEqual(heavy.records.map((r) => r.promptTokens + r.completionTokens));
    expect(heavy.metrics.filter((m) => m.namespace === 'genai-metrics').map((m) => m.name)).toEqual(Array(n).fill(['Prompt Tokens', 'Completion Tokens', 'Total Tokens']).flat());
  });

  it('may be called with the load-test key only, which calls nothing else', async () => {
    const consumerKey = k6Config.consumers['critical-ops']!.localKey;
    for (const profile of Object.values(capacityProfiles)) {
      const response = await chat(profile.basePath, consumerKey);
      await response.arrayBuffer();
      expect(response.status, profile.apiId).toBe(401);
    }
    const aiGateway = await chat('', key);
    await aiGateway.arrayBuffer();
    expect(aiGateway.status).toBe(401);
  });

  // Last: it trips aoai-eastus-ptu1's breaker (3 failures within 10 s), which both profiles share.
  it('with a PTU failing, the light profile passes the failure on and the heavy one retries onto another member', async () => {
    fleet.faults.inject({ kind: 'status', target: { backend: 'aoai-eastus-ptu1' }, status: 500 });
    try {
      // Light first, twice (one failure short of the breaker's count): each 500 reaches the
      // client as it is, from one attempt each.
      const light = await send('light', 2);
      expect(light.statuses).toEqual([500, 500]);
      expect(light.records.map((r) => [r.backend, r.status])).toEqual([['aoai-eastus-ptu1', 500], ['aoai-eastus-ptu1', 500]]);
      // Heavy: the fleet answered 500 to some attempts, yet every client got a 200: the retry
      // re-selected from the pool, and the tripped breaker kept the failing member out.
      const heavy = await send('heavy', 6);
      expect(heavy.records.filter((r) => r.status === 500).map((r) => r.backend)).toContain('aoai-eastus-ptu1');
      expect(heavy.records.length).toBeGreaterThan(6);
      expect(heavy.statuses).toEqual(Array(6).fill(200));
    } finally {
      fleet.faults.clearAll();
    }
  });
});

describe('checkCapacityProfile', () => {
  const copy = (edit: (dir: string) => void): string => {
    const dir = join(workDir, `config-${Math.random().toString(36).slice(2)}`);
    cpSync(defaultGatewayConfigDir, dir, { recursive: true });
    edit(dir);
    return dir;
  };

  it('names the folder and the missing apis/<name>/ folder', () => {
    const dir = copy((d) => rmSync(join(d, 'apis', 'capacity-heavy'), { recursive: true }));
    expect(() => checkCapacityProfile(dir, 'light')).not.toThrow();
    expect(() => checkCapacityProfile(dir, 'heavy')).toThrow(CapacityProfileError);
    expect(() => checkCapacityProfile(dir, 'heavy')).toThrow(`${dir}: the heavy capacity profile needs the API folder apis/capacity-heavy/`);
  });

  it('names the file and field when the API is served at another path', () => {
    const dir = copy((d) => {
      const file = join(d, 'apis', 'capacity-light', 'apiInformation.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"capacity/light/openai"', '"light/openai"'));
    });
    expect(() => checkCapacityProfile(dir, 'light')).toThrow(`${join(dir, 'apis', 'capacity-light', 'apiInformation.json')}: properties.path is "light/openai"; the light capacity profile calls it at "capacity/light/openai"`);
  });
});

describe('writeCapacityGatewayConfig', () => {
  it('enables the capacity model at the units asked for in the working copy, leaving the source and every policy as they are', () => {
    const source = readFileSync(join(defaultGatewayConfigDir, 'emulator.json'), 'utf8');
    const working = join(workDir, 'units-3');
    writeCapacityGatewayConfig(defaultGatewayConfigDir, working, 3);
    const config = loadGatewayConfig(working);
    expect(config.capacity.enabled).toBe(true);
    expect(config.regions.map((r) => r.units)).toEqual([3, 3]);
    expect(readFileSync(join(defaultGatewayConfigDir, 'emulator.json'), 'utf8')).toBe(source);
    for (const api of ['azure-openai', 'capacity-light', 'capacity-heavy']) {
      expect(readFileSync(join(working, 'apis', api, 'policy.xml'), 'utf8')).toBe(readFileSync(join(defaultGatewayConfigDir, 'apis', api, 'policy.xml'), 'utf8'));
    }
  });
});
