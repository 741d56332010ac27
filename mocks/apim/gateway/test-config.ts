/**
 * A small APIOps folder for gateway tests, written to a temporary directory and loaded with
 * loadGatewayConfig (so the loader is exercised too). One API `openai` (path `openai`,
 * subscription key header `api-key`, query `subscription-key`) with the three Azure OpenAI
 * inference operations, the policies each test states, the backends it names, and an
 * emulator.json with a fixed set of subscriptions:
 *
 * | id        | key             | scope                                        |
 * |-----------|-----------------|----------------------------------------------|
 * | s1        | `key-s1`        | product `p1` (contains `openai`)             |
 * | s1 (2nd)  | `key-s1-2`      | the secondary key of s1                      |
 * | s-other   | `key-other`     | product `p2` (contains only `other`)         |
 * | s-all     | `key-all`       | all APIs                                     |
 * | s-api     | `key-api`       | API `openai`                                 |
 * | s-off     | `key-suspended` | product `p1`, suspended                      |
 *
 * API `other` (path `other`, operation `Other_Get`: GET /items/{item-id}) exists so `p2`
 * has an API of its own. Extra subscriptions, products and files can be added.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadGatewayConfig } from '../config/index.ts';
import type { GatewayConfig } from '../config/types.ts';

/** An ARM-shaped circuit breaker rule; durations are ISO-8601 (`PT10S`, `PT0.5S`). */
export interface TestBreakerRule {
  name?: string;
  count?: number;
  percentage?: number;
  interval: string;
  tripDuration: string;
  /** Default: 429 and 500-599. */
  statusCodeRanges?: { min: number; max: number }[];
  errorReasons?: string[];
  acceptRetryAfter?: boolean;
}

export type TestBackend =
  | { url: string; breaker?: TestBreakerRule }
  | { pool: { id: string; priority?: number; weight?: number }[]; breaker?: TestBreakerRule };

export interface TestSubscription {
  id: string;
  scope: string;
  primaryKey: string;
  secondaryKey?: string;
  displayName?: string;
  state?: 'active' | 'suspended' | 'submitted' | 'rejected' | 'cancelled' | 'expired';
}

export interface TestProduct {
  apis: string[];
  policy?: string;
  subscriptionRequired?: boolean;
}

export interface TestConfigOptions {
  /** Service-level policy.xml. */
  globalPolicy?: string;
  /** Policy of product p1 (the product of subscription s1). */
  productPolicy?: string;
  /** Policy of API `openai`. */
  apiPolicy?: string;
  /** Operation policies by operation id: ChatCompletions_Create, Completions_Create, embeddings_create. */
  operationPolicies?: Record<string, string>;
  /** Backends by id. */
  backends?: Record<string, TestBackend>;
  /** Region names (first is primary) or full region entries. Default: ["East US"]. */
  regions?: (string | { name: string; units?: number; port?: number })[];
  /** emulator.json `frontDoor`, as written there. */
  frontDoor?: object;
  /** emulator.json `capacity`, as written there. */
  capacity?: object;
  /** Added to the default subscriptions. */
  subscriptions?: TestSubscription[];
  /** Added to (or replacing by id) the default products p1 and p2. */
  products?: Record<string, TestProduct>;
  /** API `openai`'s serviceUrl. */
  serviceUrl?: string;
  /** API `openai`'s subscriptionRequired (default true). */
  subscriptionRequired?: boolean;
  /** Named values by name: plain values. */
  namedValues?: Record<string, string>;
  /** Policy fragments by id: the `<fragment>` XML. */
  fragments?: Record<string, string>;
  /** Any further files, relative path → content (objects are written as JSON). */
  files?: Record<string, string | object>;
}

export interface TestConfig {
  dir: string;
  config: GatewayConfig;
}

export const TEST_KEYS = {
  s1: 'key-s1',
  s1Secondary: 'key-s1-2',
  other: 'key-other',
  all: 'key-all',
  api: 'key-api',
  suspended: 'key-suspended',
} as const;

export const OPENAI_SPEC = `openapi: 3.0.1
info:
  title: Azure OpenAI
  version: '2024-10-21'
paths:
  /deployments/{deployment-id}/chat/completions:
    post:
      operationId: ChatCompletions_Create
      parameters:
        - $ref: '#/components/parameters/deploymentId'
        - $ref: '#/components/parameters/apiVersion'
      responses:
        '200':
          description: OK
  /deployments/{deployment-id}/completions:
    post:
      operationId: Completions_Create
      parameters:
        - $ref: '#/components/parameters/deploymentId'
        - $ref: '#/components/parameters/apiVersion'
      responses:
        '200':
          description: OK
  /deployments/{deployment-id}/embeddings:
    post:
      operationId: embeddings_create
      parameters:
        - $ref: '#/components/parameters/deploymentId'
        - $ref: '#/components/parameters/apiVersion'
      responses:
        '200':
          description: OK
components:
  parameters:
    deploymentId:
      name: deployment-id
      in: path
      required: true
      schema:
        type: string
    apiVersion:
      name: api-version
      in: query
      required: true
      schema:
        type: string
`;

const OTHER_SPEC = `openapi: 3.0.1
info:
  title: Other
  version: '1'
paths:
  /items/{item-id}:
    get:
      operationId: Other_Get
      parameters:
        - name: item-id
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: OK
`;

const DEFAULT_SUBSCRIPTIONS: TestSubscription[] = [
  { id: 's1', scope: 'product:p1', primaryKey: TEST_KEYS.s1, secondaryKey: TEST_KEYS.s1Secondary },
  { id: 's-other', scope: 'product:p2', primaryKey: TEST_KEYS.other },
  { id: 's-all', scope: 'all', primaryKey: TEST_KEYS.all },
  { id: 's-api', scope: 'api:openai', primaryKey: TEST_KEYS.api },
  { id: 's-off', scope: 'product:p1', primaryKey: TEST_KEYS.suspended, state: 'suspended' },
];

/** The ARM body of a breaker rule. */
export function armBreakerRule(rule: TestBreakerRule): object {
  return {
    name: rule.name ?? 'rule1',
    failureCondition: {
      ...(rule.count !== undefined ? { count: rule.count } : {}),
      ...(rule.percentage !== undefined ? { percentage: rule.percentage } : {}),
      interval: rule.interval,
      statusCodeRanges: rule.statusCodeRanges ?? [
        { min: 429, max: 429 },
        { min: 500, max: 599 },
      ],
      ...(rule.errorReasons ? { errorReasons: rule.errorReasons } : {}),
    },
    tripDuration: rule.tripDuration,
    ...(rule.acceptRetryAfter !== undefined ? { acceptRetryAfter: rule.acceptRetryAfter } : {}),
  };
}

function backendBody(backend: TestBackend): object {
  const circuitBreaker = backend.breaker ? { circuitBreaker: { rules: [armBreakerRule(backend.breaker)] } } : {};
  if ('pool' in backend) {
    return { properties: { type: 'Pool', pool: { services: backend.pool.map((m) => ({ id: `/backends/${m.id}`, ...(m.priority !== undefined ? { priority: m.priority } : {}), ...(m.weight !== undefined ? { weight: m.weight } : {}) })) }, ...circuitBreaker } };
  }
  return { properties: { type: 'Single', url: backend.url, ...circuitBreaker } };
}

const created: string[] = [];

/** Writes the folder and loads it. Throws the loader's ConfigError on a bad folder. */
export function writeTestConfig(options: TestConfigOptions = {}): TestConfig {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-apim-gw-'));
  created.push(dir);
  const files: Record<string, string | object> = {};

  if (options.globalPolicy !== undefined) files['policy.xml'] = options.globalPolicy;

  files['apis/openai/apiInformation.json'] = {
    properties: {
      displayName: 'Azure OpenAI',
      path: 'openai',
      protocols: ['https'],
      subscriptionRequired: options.subscriptionRequired ?? true,
      subscriptionKeyParameterNames: { header: 'api-key', query: 'subscription-key' },
      ...(options.serviceUrl !== undefined ? { serviceUrl: options.serviceUrl } : {}),
    },
  };
  files['apis/openai/specification.yaml'] = OPENAI_SPEC;
  if (options.apiPolicy !== undefined) files['apis/openai/policy.xml'] = options.apiPolicy;
  for (const [operation, xml] of Object.entries(options.operationPolicies ?? {})) files[`apis/openai/operations/${operation}/policy.xml`] = xml;

  files['apis/other/apiInformation.json'] = { properties: { displayName: 'Other', path: 'other', serviceUrl: 'http://127.0.0.1:9/other' } };
  files['apis/other/specification.yaml'] = OTHER_SPEC;

  const products: Record<string, TestProduct> = {
    p1: { apis: ['openai'], ...(options.productPolicy !== undefined ? { policy: options.productPolicy } : {}) },
    p2: { apis: ['other'] },
    ...options.products,
  };
  for (const [id, product] of Object.entries(products)) {
    files[`products/${id}/productInformation.json`] = { properties: { displayName: id.toUpperCase(), state: 'published', ...(product.subscriptionRequired !== undefined ? { subscriptionRequired: product.subscriptionRequired } : {}) } };
    files[`products/${id}/apis.json`] = product.apis.map((name) => ({ name }));
    if (product.policy !== undefined) files[`products/${id}/policy.xml`] = product.policy;
  }

  for (const [id, backend] of Object.entries(options.backends ?? {})) files[`backends/${id}/backendInformation.json`] = backendBody(backend);
  for (const [name, value] of Object.entries(options.namedValues ?? {})) files[`named values/${name}/namedValueInformation.json`] = { properties: { displayName: name, value } };
  for (const [id, xml] of Object.entries(options.fragments ?? {})) files[`policy fragments/${id}/policy.xml`] = xml;

  files['emulator.json'] = {
    regions: (options.regions ?? ['East US']).map((region) => (typeof region === 'string' ? { name: region } : region)),
    subscriptions: [...DEFAULT_SUBSCRIPTIONS, ...(options.subscriptions ?? [])],
    ...(options.capacity ? { capacity: options.capacity } : {}),
    ...(options.frontDoor ? { frontDoor: options.frontDoor } : {}),
  };
  Object.assign(files, options.files ?? {});

  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return { dir, config: loadGatewayConfig(dir) };
}

/** Removes every folder writeTestConfig made (call from afterAll). */
export function removeTestConfigs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A policy document with the given section bodies; a missing section is `<base />`. */
export function policy(sections: { inbound?: string; backend?: string; outbound?: string; onError?: string }): string {
  return `<policies>
  <inbound>${sections.inbound ?? '<base />'}</inbound>
  <backend>${sections.backend ?? '<base />'}</backend>
  <outbound>${sections.outbound ?? '<base />'}</outbound>
  <on-error>${sections.onError ?? '<base />'}</on-error>
</policies>`;
}

/** A service-level (global) policy: no `<base />` there; a missing backend section forwards. */
export function globalPolicy(sections: { inbound?: string; backend?: string; outbound?: string; onError?: string }): string {
  return `<policies>
  <inbound>${sections.inbound ?? ''}</inbound>
  <backend>${sections.backend ?? '<forward-request />'}</backend>
  <outbound>${sections.outbound ?? ''}</outbound>
  <on-error>${sections.onError ?? ''}</on-error>
</policies>`;
}
