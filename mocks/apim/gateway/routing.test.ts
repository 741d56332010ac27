/**
 * Behaviour tests of the gateway's request routing and policy pipeline: API and operation
 * matching, subscription keys, `<base/>` inheritance across the four scopes, control flow,
 * variables, header / query / URI shaping, backend selection, forward-request timeouts and
 * per-region context. The backend is a tiny echo server that answers with what it received,
 * so every assertion is about what the backend (or the client) actually saw.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './gateway.ts';
import type { GatewayLogRow } from './gateway-log-schema.ts';
import { globalPolicy, policy, removeTestConfigs, TEST_KEYS, writeTestConfig, type TestConfigOptions } from './test-config.ts';

interface Echo {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: IncomingHttpHeaders;
  body: string;
}

interface EchoServer {
  url: string;
  /** How many requests arrived. */
  count: number;
  close(): Promise<void>;
}

/** Answers 200 with what it received; `x-echo-delay-ms` delays the answer. */
async function startEcho(): Promise<EchoServer> {
  const timers = new Set<NodeJS.Timeout>();
  const state = { count: 0 };
  const server: Server = createServer((req, res) => {
    state.count++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://echo');
      const query: Record<string, string[]> = {};
      for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
      const echo: Echo = { method: req.method ?? '', path: url.pathname, query, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' }).end(JSON.stringify(echo));
      };
      const delay = Number(req.headers['x-echo-delay-ms'] ?? 0);
      if (delay > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, delay);
        timers.add(timer);
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return state.count;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
const COMPLETIONS = '/openai/deployments/gpt-4o/completions?api-version=2024-10-21';
const EMBEDDINGS = '/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21';

async function call(base: string, path: string, options: { method?: string; headers?: Record<string, string>; key?: string | null; body?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const key = options.key === undefined ? TEST_KEYS.s1 : options.key;
  if (key !== null) headers['api-key'] = key;
  const method = options.method ?? 'POST';
  const response = await fetch(`${base}${path}`, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: options.body ?? '{"messages":[]}' }) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function echoOf(answer: Answer): Echo {
  expect(answer.status).toBe(200);
  expect(answer.headers.get('x-echo')).toBe('yes');
  return JSON.parse(answer.text) as Echo;
}

let echo: EchoServer;
const running: RunningGateway[] = [];

async function gatewayWith(options: TestConfigOptions): Promise<RunningGateway> {
  const { config } = writeTestConfig(options);
  const gateway = await startGateway({ config, logsDir: null, seed: 11 });
  running.push(gateway);
  return gateway;
}

/** The log row of the latest request (rows are written after the response is sent). */
async function lastRow(gateway: RunningGateway, count: number): Promise<GatewayLogRow> {
  for (let i = 0; i < 200 && gateway.logs.recent.gateway.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(gateway.logs.recent.gateway).toHaveLength(count);
  return gateway.logs.recent.gateway[count - 1]!;
}

beforeAll(async () => {
  echo = await startEcho();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.close()));
});

afterAll(async () => {
  await echo.close();
  removeTestConfigs();
});

const append = (name: string, value: string): string => `<set-header name="${name}" exists-action="append"><value>${value}</value></set-header>`;

describe('API and operation matching', () => {
  it('forwards a matched operation to the API service URL with the path after the API path', async () => {
    const gateway = await gatewayWith({ serviceUrl: `${echo.url}/svc` });
    const seen = echoOf(await call(gateway.instances[0]!.url, CHAT));
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/svc/deployments/gpt-4o/chat/completions');
    expect(seen.query).toEqual({ 'api-version': ['2024-10-21'] });
    expect(seen.body).toBe('{"messages":[]}');
    const row = await lastRow(gateway, 1);
    expect(row).toMatchObject({ ApiId: 'openai', OperationId: 'ChatCompletions_Create', ProductId: 'p1', ApimSubscriptionId: 's1', ResponseCode: 200, BackendResponseCode: 200, Region: 'East US' });
  });

  it('matches the API path and literal segments ignoring case', async () => {
    const gateway = await gatewayWith({ serviceUrl: `${echo.url}/svc` });
    const seen = echoOf(await call(gateway.instances[0]!.url, '/OpenAI/Deployments/gpt-4o/Embeddings?api-version=1'));
    expect(seen.path).toBe('/svc/Deployments/gpt-4o/Embeddings');
    expect((await lastRow(gateway, 1)).OperationId).toBe('embeddings_create');
  });

  it('answers 404 Resource not found for a path under no API, without calling a backend', async () => {
    const gateway = await gatewayWith({ serviceUrl: `${echo.url}/svc` });
    const before = echo.count;
    for (const path of ['/nope/deployments/gpt-4o/chat/completions', '/', '/openaix/deployments/gpt-4o/chat/completions']) {
      const answer = await call(gateway.instances[0]!.url, path);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toEqual({ statusCode: 404, message: 'Resource not found' });
    }
    expect(echo.count).toBe(before);
    const row = await lastRow(gateway, 3);
    expect(row).toMatchObject({ ApiId: null, ResponseCode: 404, BackendUrl: null, IsRequestSuccess: false });
  });

  it('answers 404 for a known API with no matching operation (wrong method or path)', async () => {
    const gateway = await gatewayWith({ serviceUrl: `${echo.url}/svc` });
    const before = echo.count;
    for (const [method, path] of [
      ['GET', CHAT],
      ['POST', '/openai/deployments/gpt-4o/images/generations?api-version=1'],
      ['POST', '/openai/deployments/gpt-4o/chat/completions/extra?api-version=1'],
      ['POST', '/openai/deployments//chat/completions?api-version=1'],
    ] as const) {
      const answer = await call(gateway.instances[0]!.url, path, { method });
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toEqual({ statusCode: 404, message: 'Resource not found' });
    }
    expect(echo.count).toBe(before);
    expect(await lastRow(gateway, 4)).toMatchObject({ ApiId: 'openai', OperationId: null, ResponseCode: 404 });
  });
});

describe('subscription keys', () => {
  const MISSING = 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';
  const INVALID = 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';
  let gateway: RunningGateway;
  let base: string;

  beforeAll(async () => {
    gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      apiPolicy: policy({
        inbound: `<base /><set-header name="x-sub" exists-action="override"><value>@(context.Subscription.Id)</value></set-header><set-header name="x-product" exists-action="override"><value>@(context.Product == null ? "none" : context.Product.Id)</value></set-header>`,
      }),
    });
    running.splice(running.indexOf(gateway), 1);
    base = gateway.instances[0]!.url;
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('reads the key from the API header name (api-key), primary and secondary', async () => {
    const primary = echoOf(await call(base, CHAT, { key: TEST_KEYS.s1 }));
    expect(primary.headers['x-sub']).toBe('s1');
    expect(primary.headers['x-product']).toBe('p1');
    const secondary = echoOf(await call(base, CHAT, { key: TEST_KEYS.s1Secondary }));
    expect(secondary.headers['x-sub']).toBe('s1');
  });

  it('reads the key from the API query name (subscription-key)', async () => {
    const seen = echoOf(await call(base, `${CHAT}&subscription-key=${TEST_KEYS.s1}`, { key: null }));
    expect(seen.headers['x-sub']).toBe('s1');
  });

  it('passes the key on to the backend by default, in the header or query it came in', async () => {
    // "the subscription key by default is passed to the backend" (APIM subscriptions docs).
    expect(echoOf(await call(base, CHAT, { key: TEST_KEYS.s1 })).headers['api-key']).toBe(TEST_KEYS.s1);
    expect(echoOf(await call(base, `${CHAT}&subscription-key=${TEST_KEYS.s1}`, { key: null })).query['subscription-key']).toEqual([TEST_KEYS.s1]);
  });

  it('does not read APIM default key names when the API names its own', async () => {
    const header = await call(base, CHAT, { key: null, headers: { 'Ocp-Apim-Subscription-Key': TEST_KEYS.s1 } });
    expect(header.status).toBe(401);
    expect(JSON.parse(header.text)).toEqual({ statusCode: 401, message: MISSING });
  });

  it('answers 401 with APIM messages for a missing and an invalid key, never reaching the backend', async () => {
    const before = echo.count;
    const missing = await call(base, CHAT, { key: null });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.text)).toEqual({ statusCode: 401, message: MISSING });
    const invalid = await call(base, CHAT, { key: 'not-a-key' });
    expect(invalid.status).toBe(401);
    expect(JSON.parse(invalid.text)).toEqual({ statusCode: 401, message: INVALID });
    expect(echo.count).toBe(before);
  });

  it('refuses a key of a product that does not contain the API, and a suspended subscription', async () => {
    for (const key of [TEST_KEYS.other, TEST_KEYS.suspended]) {
      const answer = await call(base, CHAT, { key });
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toEqual({ statusCode: 401, message: INVALID });
    }
  });

  it('accepts all-APIs and API-scoped keys, with no product in context', async () => {
    const all = echoOf(await call(base, CHAT, { key: TEST_KEYS.all }));
    expect([all.headers['x-sub'], all.headers['x-product']]).toEqual(['s-all', 'none']);
    const api = echoOf(await call(base, CHAT, { key: TEST_KEYS.api }));
    expect([api.headers['x-sub'], api.headers['x-product']]).toEqual(['s-api', 'none']);
  });
});

describe('policy inheritance with <base/>', () => {
  const scopes = (scope: string): string => policy({ inbound: `<base />${append('x-order', scope)}`, outbound: `<base />${append('x-out-order', scope)}` });

  it('runs global → product → API → operation where each scope calls <base/> first', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      globalPolicy: globalPolicy({ inbound: append('x-order', 'global'), outbound: append('x-out-order', 'global') }),
      productPolicy: scopes('product'),
      apiPolicy: scopes('api'),
      operationPolicies: {
        ChatCompletions_Create: scopes('operation'),
        // <base/> after the scope's own policy: the operation's value comes first.
        embeddings_create: policy({ inbound: `${append('x-order', 'operation-first')}<base />` }),
        // No inbound section at all: behaves as <base/>.
        Completions_Create: '<policies><outbound><base /></outbound></policies>',
      },
    });
    const base = gateway.instances[0]!.url;
    const chat = await call(base, CHAT);
    expect(echoOf(chat).headers['x-order']).toBe('global, product, api, operation');
    expect(chat.headers.get('x-out-order')).toBe('global, product, api, operation');
    expect(echoOf(await call(base, EMBEDDINGS)).headers['x-order']).toBe('operation-first, global, product, api');
    expect(echoOf(await call(base, COMPLETIONS)).headers['x-order']).toBe('global, product, api');
    // A subscription without a product: the chain has no product scope.
    expect(echoOf(await call(base, CHAT, { key: TEST_KEYS.all })).headers['x-order']).toBe('global, api, operation');
  });

  it('a scope that omits <base/> cuts off the scopes above it for that section', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      globalPolicy: globalPolicy({ inbound: append('x-order', 'global') }),
      productPolicy: scopes('product'),
      apiPolicy: policy({ inbound: append('x-order', 'api') }),
      operationPolicies: { ChatCompletions_Create: scopes('operation') },
    });
    const chat = await call(gateway.instances[0]!.url, CHAT);
    expect(echoOf(chat).headers['x-order']).toBe('api, operation');
    // Outbound still inherits: the API's outbound is <base/> (the policy() default).
    expect(chat.headers.get('x-out-order')).toBe('product, operation');
  });
});

describe('control flow and variables', () => {
  it('choose takes the first true when, else otherwise', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      apiPolicy: policy({
        inbound: `<base /><choose>
          <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-tier&quot;, &quot;&quot;) == &quot;gold&quot;)"><set-header name="x-route" exists-action="override"><value>gold</value></set-header></when>
          <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-tier&quot;, &quot;&quot;).StartsWith(&quot;g&quot;))"><set-header name="x-route" exists-action="override"><value>g-prefix</value></set-header></when>
          <otherwise><set-header name="x-route" exists-action="override"><value>other</value></set-header></otherwise>
        </choose>`,
      }),
    });
    const base = gateway.instances[0]!.url;
    const route = async (tier?: string): Promise<unknown> => echoOf(await call(base, CHAT, tier ? { headers: { 'x-tier': tier } } : {})).headers['x-route'];
    expect(await route('gold')).toBe('gold');
    expect(await route('green')).toBe('g-prefix');
    expect(await route('silver')).toBe('other');
    expect(await route()).toBe('other');
  });

  it('set-variable values are read by later expressions, in inbound and outbound', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      apiPolicy: policy({
        inbound: `<base />
          <set-variable name="deployment" value="@(context.Request.MatchedParameters[&quot;deployment-id&quot;])" />
          <set-variable name="calls" value="@(3)" />
          <set-header name="x-deployment" exists-action="override"><value>@((string)context.Variables[&quot;deployment&quot;] + &quot;/&quot; + ((int)context.Variables[&quot;calls&quot;] + 1))</value></set-header>`,
        outbound: `<base /><set-header name="x-deployment-out" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;deployment&quot;, &quot;none&quot;))</value></set-header>`,
      }),
    });
    const answer = await call(gateway.instances[0]!.url, CHAT);
    expect(echoOf(answer).headers['x-deployment']).toBe('gpt-4o/4');
    expect(answer.headers.get('x-deployment-out')).toBe('gpt-4o');
  });
});

describe('shaping the backend request', () => {
  it('set-header override, skip, append and delete', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      apiPolicy: policy({
        inbound: `<base />
          <set-header name="x-a" exists-action="override"><value>policy</value></set-header>
          <set-header name="x-b" exists-action="skip"><value>policy</value></set-header>
          <set-header name="x-new" exists-action="skip"><value>new</value></set-header>
          <set-header name="x-c" exists-action="append"><value>p1</value><value>p2</value></set-header>
          <set-header name="x-d" exists-action="delete" />
          <set-header name="x-multi" exists-action="override"><value>m1</value><value>m2</value></set-header>`,
      }),
    });
    const seen = echoOf(await call(gateway.instances[0]!.url, CHAT, { headers: { 'x-a': 'client', 'x-b': 'client', 'x-c': 'client', 'x-d': 'client' } }));
    expect(seen.headers['x-a']).toBe('policy');
    expect(seen.headers['x-b']).toBe('client');
    expect(seen.headers['x-new']).toBe('new');
    expect(seen.headers['x-c']).toBe('client, p1, p2');
    expect(seen.headers['x-d']).toBeUndefined();
    expect(seen.headers['x-multi']).toBe('m1, m2');
  });

  it('set-query-parameter override, skip, append and delete', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      apiPolicy: policy({
        inbound: `<base />
          <set-query-parameter name="a" exists-action="override"><value>policy</value></set-query-parameter>
          <set-query-parameter name="b" exists-action="skip"><value>policy</value></set-query-parameter>
          <set-query-parameter name="n" exists-action="skip"><value>new</value></set-query-parameter>
          <set-query-parameter name="c" exists-action="append"><value>policy</value></set-query-parameter>
          <set-query-parameter name="d" exists-action="delete" />`,
      }),
    });
    const seen = echoOf(await call(gateway.instances[0]!.url, `${CHAT}&a=client&b=client&c=client&d=client`));
    expect(seen.query).toEqual({ 'api-version': ['2024-10-21'], a: ['policy'], b: ['client'], n: ['new'], c: ['client', 'policy'], d: undefined });
    expect(Object.keys(seen.query).sort()).toEqual(['a', 'api-version', 'b', 'c', 'n']);
  });

  it('rewrite-uri fills template parameters and copies unmatched query parameters by default', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      operationPolicies: {
        ChatCompletions_Create: policy({ inbound: '<base /><rewrite-uri template="/engines/{deployment-id}/chat?mode=fast" />' }),
        Completions_Create: policy({ inbound: '<base /><rewrite-uri template="/engines/{deployment-id}/text?mode=slow" copy-unmatched-params="false" />' }),
      },
    });
    const base = gateway.instances[0]!.url;
    const copied = echoOf(await call(base, `${CHAT}&extra=1`));
    expect(copied.path).toBe('/svc/engines/gpt-4o/chat');
    expect(copied.query).toEqual({ mode: ['fast'], 'api-version': ['2024-10-21'], extra: ['1'] });
    const dropped = echoOf(await call(base, `${COMPLETIONS}&extra=1`));
    expect(dropped.path).toBe('/svc/engines/gpt-4o/text');
    expect(dropped.query).toEqual({ mode: ['slow'] });
  });

  it('set-backend-service with base-url and with backend-id', async () => {
    const gateway = await gatewayWith({
      backends: { 'echo-single': { url: `${echo.url}/by-id` } },
      operationPolicies: {
        ChatCompletions_Create: policy({ inbound: `<base /><set-backend-service base-url="${echo.url}/by-url" />` }),
        Completions_Create: policy({ inbound: '<base /><set-backend-service backend-id="echo-single" />' }),
        embeddings_create: policy({ inbound: `<base /><set-backend-service base-url="@(&quot;${echo.url}/&quot; + context.Request.MatchedParameters[&quot;deployment-id&quot;])" />` }),
      },
    });
    const base = gateway.instances[0]!.url;
    expect(echoOf(await call(base, CHAT)).path).toBe('/by-url/deployments/gpt-4o/chat/completions');
    expect((await lastRow(gateway, 1)).BackendId).toBeNull();
    expect(echoOf(await call(base, COMPLETIONS)).path).toBe('/by-id/deployments/gpt-4o/completions');
    const row = await lastRow(gateway, 2);
    expect(row.BackendId).toBe('echo-single');
    expect(row.BackendUrl).toBe(`${echo.url}/by-id/deployments/gpt-4o/completions?api-version=2024-10-21`);
    expect(echoOf(await call(base, EMBEDDINGS)).path).toBe('/text-embedding-3-small/deployments/text-embedding-3-small/embeddings');
  });
});

describe('forward-request timeout', () => {
  it('a backend slower than the timeout gives 504 and LastErrorReason Timeout', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      operationPolicies: { ChatCompletions_Create: policy({ backend: '<forward-request timeout-ms="300" />' }) },
    });
    const base = gateway.instances[0]!.url;
    const slow = await call(base, CHAT, { headers: { 'x-echo-delay-ms': '3000' } });
    expect(slow.status).toBe(504);
    expect(JSON.parse(slow.text)).toEqual({ statusCode: 504, message: 'Backend did not respond in time.' });
    const row = await lastRow(gateway, 1);
    expect(row).toMatchObject({ ResponseCode: 504, BackendResponseCode: null, LastErrorReason: 'Timeout', LastErrorSource: 'forward-request', LastErrorSection: 'backend', LastErrorScope: 'operation' });
    expect(row.BackendTime).toBeGreaterThanOrEqual(300);
    expect(row.TotalTime).toBeGreaterThanOrEqual(300);
    // A fast answer within the same timeout passes.
    expect(echoOf(await call(base, CHAT, { headers: { 'x-echo-delay-ms': '1' } })).path).toBe('/svc/deployments/gpt-4o/chat/completions');
  });

  it('on-error with return-response replaces the default answer, seeing context.LastError', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      apiPolicy: policy({
        backend: '<forward-request timeout-ms="200" />',
        onError: `<base /><return-response>
            <set-status code="503" reason="Busy" />
            <set-header name="x-error" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>
            <set-body>@(context.LastError.Source + "|" + context.LastError.Section + "|" + context.LastError.Scope)</set-body>
          </return-response>`,
      }),
    });
    const answer = await call(gateway.instances[0]!.url, CHAT, { headers: { 'x-echo-delay-ms': '3000' } });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('x-error')).toBe('Timeout');
    expect(answer.text).toBe('forward-request|backend|api');
    expect(await lastRow(gateway, 1)).toMatchObject({ ResponseCode: 503, LastErrorReason: 'Timeout', LastErrorSource: 'forward-request', LastErrorScope: 'api' });
  });
});

describe('per-region context', () => {
  it('context.Deployment.Region is the region of the instance that served the request', async () => {
    const gateway = await gatewayWith({
      serviceUrl: `${echo.url}/svc`,
      regions: ['East US', 'West US'],
      apiPolicy: policy({
        inbound: '<base /><set-header name="x-region-in" exists-action="override"><value>@(context.Deployment.Region)</value></set-header>',
        outbound: '<base /><set-header name="x-region" exists-action="override"><value>@(context.Deployment.Region)</value></set-header>',
      }),
    });
    const east = await call(gateway.instance('East US').url, CHAT);
    const west = await call(gateway.instance('West US').url, CHAT);
    expect(east.headers.get('x-region')).toBe('East US');
    expect(west.headers.get('x-region')).toBe('West US');
    expect(echoOf(east).headers['x-region-in']).toBe('East US');
    expect(echoOf(west).headers['x-region-in']).toBe('West US');
    expect(gateway.instance('East US').url).not.toBe(gateway.instance('West US').url);
    const rows = gateway.logs.recent.gateway;
    expect(rows.map((row) => row.Region)).toEqual(['East US', 'West US']);
  });
});
