/**
 * The shipped sample (deploy/apim) must load cleanly and express the seed architecture. Its
 * policies are checked for well-formedness, for using only elements the emulator supports, for
 * expressions the expression compiler accepts, and, through a small walk of their choose
 * branches, for routing each region, priority and consumer class where the seed says.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileExpression } from '../expressions/index.ts';
import { testContext } from '../expressions/test-support.ts';
import { loadGatewayConfig } from './index.ts';
import type { BackendConfig, GatewayConfig, PoolBackendConfig } from './index.ts';
import { allElements, parsePolicy } from './test-support.ts';
import type { PolicyElement } from './test-support.ts';

const SAMPLE_DIR = fileURLToPath(new URL('../../../deploy/apim', import.meta.url));
const TOPOLOGY = JSON.parse(readFileSync(fileURLToPath(new URL('../../aoai/default-topology.json', import.meta.url)), 'utf8')) as {
  resources: Array<{ name: string; region: string; kind: string }>;
};

const config: GatewayConfig = loadGatewayConfig(SAMPLE_DIR);

const SUPPORTED_POLICIES = new Set([
  'choose', 'when', 'otherwise', 'set-variable', 'set-header', 'set-query-parameter', 'set-backend-service', 'rewrite-uri',
  'forward-request', 'retry', 'rate-limit-by-key', 'quota-by-key', 'llm-token-limit', 'return-response', 'set-status', 'set-body',
  'include-fragment', 'check-header', 'ip-filter', 'validate-jwt', 'authentication-managed-identity', 'llm-emit-token-metric', 'base',
]);
// Document structure and child elements of the policies above.
const STRUCTURE = new Set(['policies', 'inbound', 'backend', 'outbound', 'on-error', 'fragment', 'value', 'dimension']);

const REGION_KEYS: Record<string, string> = { eastus: 'East US', westus: 'West US' };

function backend(id: string): BackendConfig {
  const found = config.backends.get(id);
  if (!found) throw new Error(`no backend ${id}`);
  return found;
}

function pool(id: string): PoolBackendConfig {
  const found = backend(id);
  if (found.type !== 'Pool') throw new Error(`${id} is not a pool`);
  return found;
}

const allPolicyTexts = [...config.policies, ...config.fragments.values()];

describe('the sample configuration (deploy/apim)', () => {
  it('loads with no problems', () => {
    expect(config.apis.map((a) => a.id)).toEqual(['azure-openai', 'capacity-heavy', 'capacity-light', 'orders']);
    expect(config.policies.map((p) => `${p.scope}:${p.owner}`)).toEqual(['global:service', 'product:external-apis', 'api:azure-openai', 'api:capacity-heavy', 'api:capacity-light', 'api:orders']);
    expect([...config.fragments.keys()]).toEqual(['aoai-consumer-token-limit', 'aoai-priority-routing']);
  });

  it('has the seed products, and the capacity profiles in a product of their own', () => {
    expect(config.products.map((p) => [p.id, p.displayName, p.subscriptionRequired, p.apis])).toEqual([
      ['ai-gateway', 'AI Gateway', true, ['azure-openai']],
      ['capacity-testing', 'Capacity Testing', true, ['capacity-light', 'capacity-heavy']],
      ['external-apis', 'External APIs', true, ['orders']],
      ['internal-apis', 'Internal APIs', true, ['azure-openai']],
    ]);
  });

  it('serves Azure OpenAI at /openai with the api-key header carrying the subscription key', () => {
    const api = config.apis.find((a) => a.id === 'azure-openai');
    expect(api).toMatchObject({ path: 'openai', subscriptionRequired: true, subscriptionKeyParameterNames: { header: 'api-key', query: 'subscription-key' } });
    expect(api?.operations.map((o) => [o.id, o.method, o.urlTemplate, o.queryParameters])).toEqual([
      ['ChatCompletions_Create', 'POST', '/deployments/{deployment-id}/chat/completions', [{ name: 'api-version', required: true }]],
      ['Completions_Create', 'POST', '/deployments/{deployment-id}/completions', [{ name: 'api-version', required: true }]],
      ['embeddings_create', 'POST', '/deployments/{deployment-id}/embeddings', [{ name: 'api-version', required: true }]],
    ]);
  });

  it.each(Object.entries(REGION_KEYS))('has the %s pools of the seed: PTU1 1/50, PTU2 1/50, PAYG 2/100, and a PTU-only pool of high-lane entities', (key) => {
    expect(pool(`aoai-${key}-pool`).members).toEqual([
      { id: `aoai-${key}-ptu1`, priority: 1, weight: 50 },
      { id: `aoai-${key}-ptu2`, priority: 1, weight: 50 },
      { id: `aoai-${key}-payg`, priority: 2, weight: 100 },
    ]);
    expect(pool(`aoai-${key}-ptu-pool`).members).toEqual([
      { id: `aoai-${key}-ptu1-high`, priority: 1, weight: 50 },
      { id: `aoai-${key}-ptu2-high`, priority: 1, weight: 50 },
    ]);
  });

  it('points every single backend at a fleet resource of its own region; the seed breaker rule, with medium\'s PTU lane backing off for 5 s', () => {
    const singles = [...config.backends.values()].filter((b) => b.type === 'Single');
    expect(singles).toHaveLength(10);
    for (const single of singles) {
      if (single.type !== 'Single') continue;
      const url = new URL(single.url);
      // The high lane's entities (…-high) call the same resource as the pool's members.
      const resourceName = single.id.replace(/-high$/, '');
      expect(url.hostname).toBe(`${resourceName}.openai.azure.com`);
      expect(url.pathname).toBe('/openai');
      const resource = TOPOLOGY.resources.find((r) => r.name === resourceName);
      const regionKey = /^aoai-(\w+)-/.exec(single.id)?.[1] ?? '';
      expect(resource?.region).toBe(REGION_KEYS[regionKey]);
      const mediumPtuLane = resource?.kind === 'ptu' && resourceName === single.id;
      expect(single.circuitBreaker, single.id).toMatchObject({
        failureCondition: { count: 3, interval: 10_000, statusCodeRanges: [{ min: 429, max: 429 }, { min: 500, max: 599 }] },
        tripDurationMs: mediumPtuLane ? 5_000 : 30_000,
        acceptRetryAfter: !mediumPtuLane,
      });
    }
  });

  it('has the consumer-class subscriptions with obviously local keys, and one per other product', () => {
    expect(config.subscriptions.map((s) => [s.id, s.scope])).toEqual([
      ['critical-ops', { kind: 'product', id: 'ai-gateway' }],
      ['user-facing', { kind: 'product', id: 'ai-gateway' }],
      ['batch', { kind: 'product', id: 'ai-gateway' }],
      ['dev-test', { kind: 'product', id: 'ai-gateway' }],
      ['batch-reports', { kind: 'product', id: 'ai-gateway' }],
      ['dev-test-ci', { kind: 'product', id: 'ai-gateway' }],
      ['external-partner', { kind: 'product', id: 'external-apis' }],
      ['critical-ops-orchestrator', { kind: 'product', id: 'internal-apis' }],
      ['capacity-test', { kind: 'product', id: 'capacity-testing' }],
    ]);
    for (const s of config.subscriptions) {
      expect(s.primaryKey).toMatch(/^local-/);
      if (s.secondaryKey !== undefined) expect(s.secondaryKey).toMatch(/^local-/);
    }
  });

  it('runs East US (primary) and West US behind an active/passive Front Door', () => {
    expect(config.regions).toEqual([
      { name: 'East US', units: 1, primary: true },
      { name: 'West US', units: 1, primary: false },
    ]);
    expect(config.frontDoor).toEqual({
      probeIntervalSeconds: 2,
      sampleSize: 4,
      successfulSamplesRequired: 3,
      probePath: '/status-0123456789abcdef',
      probeMethod: 'HEAD',
      origins: [
        { region: 'East US', priority: 1, weight: 50, enabled: true },
        { region: 'West US', priority: 2, weight: 50, enabled: true },
      ],
    });
    expect(config.capacity.enabled).toBe(false);
  });

  describe.each(allPolicyTexts.map((p) => [p.file.slice(SAMPLE_DIR.length + 1), p.xml] as const))('%s', (_name, xml) => {
    const root = parsePolicy(xml);
    const elements = allElements(root);

    it('is a policy document of supported elements only', () => {
      expect(['policies', 'fragment']).toContain(root.name);
      const unsupported = elements.map((e) => e.name).filter((n) => !SUPPORTED_POLICIES.has(n) && !STRUCTURE.has(n));
      expect(unsupported).toEqual([]);
    });

    it('has only expressions the expression compiler accepts', () => {
      const expressions = elements.flatMap((e) => [...Object.values(e.attributes), e.text]).filter((v) => v.trim().startsWith('@'));
      for (const expression of expressions) expect(() => compileExpression(expression), expression).not.toThrow();
    });
  });

  it('retries by priority: medium often enough to trip every PTU breaker, high patiently on PTU', () => {
    const api = config.apis.find((a) => a.id === 'azure-openai');
    const retries = allElements(parsePolicy(api?.policy?.xml ?? '')).filter((e) => e.name === 'retry');
    const condition = '@(context.Response.StatusCode == 429 || context.Response.StatusCode >= 500)';
    const pool = backend('aoai-eastus-pool');
    const ptuMembers = pool.type === 'Pool' ? pool.members.filter((m) => m.priority === 1).length : 0;
    const breakerCount = backend('aoai-eastus-ptu1').circuitBreaker?.failureCondition.count ?? 0;
    expect([ptuMembers, breakerCount]).toEqual([2, 3]);
    expect(retries.map((r) => r.attributes)).toEqual([
      { condition, count: '10', interval: '1', 'first-fast-retry': 'false' },
      { condition, count: String(ptuMembers * breakerCount), interval: '0', 'first-fast-retry': 'true' },
    ]);
    for (const retry of retries) expect(retry.children.map((c) => [c.name, c.attributes])).toEqual([['forward-request', { 'buffer-request-body': 'true' }]]);
  });
});

interface Outcome {
  backendId?: string;
  tokensPerMinute?: number;
  estimatePromptTokens?: string;
  rateLimit?: { calls: string; renewalPeriod: string };
  priority?: unknown;
}

/**
 * Walks the inbound section the way the gateway would for the elements that decide routing:
 * set-variable, choose, include-fragment; records set-backend-service, llm-token-limit and
 * rate-limit-by-key. Everything else is skipped.
 */
function routeOf(options: { region: string; subscription: string; priority?: string }): Outcome {
  const variables = new Map<string, unknown>();
  const context = testContext(
    { headers: options.priority === undefined ? {} : { 'X-Priority': options.priority } },
    {
      subscription: { id: options.subscription, name: options.subscription, key: 'local-key' },
      deployment: { region: options.region, serviceName: 'spillway', gatewayId: 'managed' },
      variables,
    },
  );
  const value = (text: string): unknown => (text.trim().startsWith('@') ? compileExpression(text).evaluate(context) : text);
  const outcome: Outcome = {};
  const walk = (elements: readonly PolicyElement[]): void => {
    for (const element of elements) {
      const a = element.attributes;
      if (element.name === 'set-variable') variables.set(a['name'] ?? '', value(a['value'] ?? ''));
      if (element.name === 'choose') {
        const branch = element.children.find((c) => c.name === 'otherwise' || (c.name === 'when' && value(c.attributes['condition'] ?? '') === true));
        if (branch) walk(branch.children);
      }
      if (element.name === 'include-fragment') walk(parsePolicy(config.fragments.get(a['fragment-id'] ?? '')?.xml ?? '').children);
      if (element.name === 'set-backend-service') outcome.backendId = a['backend-id'] ?? '';
      if (element.name === 'llm-token-limit') {
        outcome.tokensPerMinute = Number(a['tokens-per-minute']);
        outcome.estimatePromptTokens = a['estimate-prompt-tokens'] ?? '';
        expect(value(a['counter-key'] ?? '')).toBe(options.subscription);
      }
      if (element.name === 'rate-limit-by-key') outcome.rateLimit = { calls: a['calls'] ?? '', renewalPeriod: a['renewal-period'] ?? '' };
    }
  };
  const api = config.apis.find((x) => x.id === 'azure-openai');
  const inbound = parsePolicy(api?.policy?.xml ?? '').children.find((c) => c.name === 'inbound');
  walk(inbound?.children ?? []);
  outcome.priority = variables.get('requestPriority');
  return outcome;
}

describe('the sample AI policy routes as the seed says', () => {
  it.each([
    ['East US', 'high', 'aoai-eastus-ptu-pool'],
    ['East US', 'medium', 'aoai-eastus-pool'],
    ['East US', 'low', 'aoai-eastus-payg'],
    ['West US', 'high', 'aoai-westus-ptu-pool'],
    ['West US', 'medium', 'aoai-westus-pool'],
    ['west us', 'low', 'aoai-westus-payg'],
    ['North Europe', 'medium', 'aoai-eastus-pool'],
  ])('%s, X-Priority %s -> %s', (region, priority, backendId) => {
    const outcome = routeOf({ region, subscription: 'user-facing', priority });
    expect(outcome.backendId).toBe(backendId);
    expect(outcome.rateLimit === undefined).toBe(priority !== 'low');
  });

  it('limits low priority to the seed rate of 10 calls a minute', () => {
    expect(routeOf({ region: 'East US', subscription: 'batch', priority: 'low' }).rateLimit).toEqual({ calls: '10', renewalPeriod: '60' });
  });

  it('normalises the header and treats unknown values as low, the seed otherwise branch', () => {
    expect(routeOf({ region: 'East US', subscription: 'batch', priority: ' HIGH ' })).toMatchObject({ priority: 'high', backendId: 'aoai-eastus-ptu-pool' });
    expect(routeOf({ region: 'East US', subscription: 'critical-ops', priority: 'urgent' })).toMatchObject({ backendId: 'aoai-eastus-payg' });
  });

  it.each([
    ['critical-ops', 50_000, 'high', 'aoai-eastus-ptu-pool'],
    ['critical-ops-orchestrator', 50_000, 'high', 'aoai-eastus-ptu-pool'],
    ['user-facing', 20_000, 'medium', 'aoai-eastus-pool'],
    ['batch', 5_000, 'low', 'aoai-eastus-payg'],
    ['dev-test', 1_000, 'low', 'aoai-eastus-payg'],
    ['batch-reports', 5_000, 'low', 'aoai-eastus-payg'],
    ['dev-test-ci', 1_000, 'low', 'aoai-eastus-payg'],
    ['someone-else', 1_000, 'medium', 'aoai-eastus-pool'],
  ])('subscription %s gets %d TPM and, without X-Priority, %s priority', (subscription, tpm, priority, backendId) => {
    const outcome = routeOf({ region: 'East US', subscription });
    expect(outcome).toMatchObject({ tokensPerMinute: tpm, estimatePromptTokens: 'true', priority, backendId });
  });
});
