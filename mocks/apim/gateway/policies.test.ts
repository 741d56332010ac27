/**
 * Policies that shape or refuse a request, run through the gateway: return-response,
 * set-status / set-body, check-header, ip-filter, validate-jwt,
 * authentication-managed-identity, llm-emit-token-metric, and runtime failures with on-error.
 * Backends are the mock fleet and a small echo server that answers with what it received.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../aoai/fleet.ts';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../aoai/topology.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import { policy, removeTestConfigs, TEST_KEYS, writeTestConfig, type TestConfigOptions } from './test-config.ts';

const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
const FLEET_URL = 'https://aoai-eastus-payg.openai.azure.com/openai';

interface Echoed {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let fleet: RunningFleet;
let endpoints: Map<string, string>;
let echoServer: Server;
let echoUrl: string;
const echoed: Echoed[] = [];
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  const topology = loadTopologyFile(defaultTopologyPath);
  topology.latencyScale = 0;
  topology.seed = 13;
  fleet = await startFleet({ topology });
  endpoints = new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint]));
  echoServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Echoed = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      echoed.push(request);
      const body = JSON.stringify(request);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-echo': 'yes' }).end(body);
    });
  });
  await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echoServer.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  echoed.length = 0;
});

afterAll(async () => {
  await fleet?.close();
  await new Promise<void>((resolve) => (echoServer ? echoServer.close(() => resolve()) : resolve()));
  removeTestConfigs();
});

async function startAt(serviceUrl: string, options: TestConfigOptions): Promise<RunningGateway> {
  const { config } = writeTestConfig({ serviceUrl, ...options });
  const gateway = await startGateway({ config, fleetEndpoints: endpoints, logsDir: null });
  gateways.push(gateway);
  return gateway;
}

/** A gateway whose API forwards to the echo server. */
async function echoGateway(options: TestConfigOptions): Promise<string> {
  return (await startAt(`${echoUrl}/echo`, options)).instances[0]!.url;
}

interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

async function call(base: string, options: { key?: string; headers?: Record<string, string>; body?: string; completion?: number } = {}): Promise<Answer> {
  const response = await fetch(`${base}${CHAT}`, {
    method: 'POST',
    headers: {
      'api-key': options.key ?? TEST_KEYS.s1,
      'content-type': 'application/json',
      ...(options.completion !== undefined ? { 'x-fleet-completion-tokens': String(options.completion) } : {}),
      ...options.headers,
    },
    body: options.body ?? JSON.stringify({ messages: [{ role: 'user', content: 'policies' }] }),
  });
  return { status: response.status, statusText: response.statusText, headers: response.headers, text: await response.text() };
}

function gatewayBody(status: number, message: string): string {
  return JSON.stringify({ statusCode: status, message });
}

function fleetRequestsSince(seq: number): RequestRecord[] {
  return fleet.ledger.read(seq, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

// ---------------------------------------------------------------------------------------------

describe('return-response', () => {
  it('answers with its status, reason, headers and body, and the backend is never called', async () => {
    const gateway = await startAt(FLEET_URL, {
      apiPolicy: policy({
        inbound: `<base />
          <return-response>
            <set-status code="202" reason="Accepted Here" />
            <set-header name="x-answered-by" exists-action="override"><value>gateway</value></set-header>
            <set-header name="Content-Type" exists-action="override"><value>text/plain</value></set-header>
            <set-body>@("queued for " + context.Subscription.Id)</set-body>
          </return-response>`,
        outbound: '<base /><set-header name="x-outbound-ran" exists-action="override"><value>yes</value></set-header>',
      }),
    });
    const before = fleet.ledger.lastSeq;
    const answer = await call(gateway.instances[0]!.url);
    expect(answer.status).toBe(202);
    expect(answer.statusText).toBe('Accepted Here');
    expect(answer.headers.get('x-answered-by')).toBe('gateway');
    expect(answer.headers.get('content-type')).toBe('text/plain');
    expect(answer.text).toBe('queued for s1');
    // The pipeline stopped: no outbound, no backend call.
    expect(answer.headers.get('x-outbound-ran')).toBeNull();
    expect(fleetRequestsSince(before)).toEqual([]);
    const row = gateway.logs.recent.gateway.at(-1)!;
    expect([row.ResponseCode, row.BackendResponseCode, row.BackendUrl]).toEqual([202, null, null]);
  });
});

describe('set-status and set-body', () => {
  it('in outbound they replace the backend answer', async () => {
    const gateway = await startAt(FLEET_URL, {
      apiPolicy: policy({
        outbound: `<base />
          <set-status code="299" reason="Rewritten" />
          <set-body>@{
            var answer = context.Response.Body.As&lt;JObject&gt;();
            return "completion tokens: " + answer["usage"]["completion_tokens"].ToString();
          }</set-body>`,
      }),
    });
    const before = fleet.ledger.lastSeq;
    const answer = await call(gateway.instances[0]!.url, { completion: 17 });
    expect(answer.status).toBe(299);
    expect(answer.statusText).toBe('Rewritten');
    expect(answer.text).toBe('completion tokens: 17');
    // The backend did answer: the rewrite happened on its response.
    const records = fleetRequestsSince(before);
    expect(records.map((r) => [r.status, r.completionTokens])).toEqual([[200, 17]]);
    expect(gateway.logs.recent.gateway.at(-1)).toMatchObject({ ResponseCode: 299, BackendResponseCode: 200 });
  });

  it('in inbound set-body replaces the request body the backend receives', async () => {
    const base = await echoGateway({
      apiPolicy: policy({
        inbound: `<base />
          <set-body>@{
            string original = context.Request.Body.As&lt;string&gt;(preserveContent: true);
            return "{\\"user\\":\\"" + context.Subscription.Id + "\\"," + original.Substring(1);
          }</set-body>`,
      }),
    });
    const answer = await call(base, { body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) });
    expect(answer.status).toBe(200);
    expect(echoed).toHaveLength(1);
    expect(JSON.parse(echoed[0]!.body)).toEqual({ messages: [{ role: 'user', content: 'x' }], user: 's1' });
    expect(echoed[0]!.headers['content-length']).toBe(String(Buffer.byteLength(echoed[0]!.body)));
    expect(echoed[0]!.url).toBe('/echo/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
  });
});

describe('check-header', () => {
  const checks = `<base />
    <choose>
      <when condition="@(context.Request.Headers.ContainsKey(&quot;x-strict&quot;))">
        <check-header name="x-tenant" failed-check-httpcode="403" failed-check-error-message="Wrong tenant" ignore-case="false">
          <value>Contoso</value>
          <value>Fabrikam</value>
        </check-header>
      </when>
      <otherwise>
        <check-header name="x-tenant" failed-check-httpcode="401" failed-check-error-message="Tenant header missing or wrong" ignore-case="true">
          <value>Contoso</value>
        </check-header>
      </otherwise>
    </choose>`;

  it('refuses a missing header or a wrong value with failed-check-httpcode and the message; ignore-case decides case', async () => {
    const base = await echoGateway({ apiPolicy: policy({ inbound: checks }) });
    const missing = await call(base);
    expect([missing.status, missing.text]).toEqual([401, gatewayBody(401, 'Tenant header missing or wrong')]);
    const wrong = await call(base, { headers: { 'x-tenant': 'Northwind' } });
    expect([wrong.status, wrong.text]).toEqual([401, gatewayBody(401, 'Tenant header missing or wrong')]);
    expect(echoed).toHaveLength(0);

    expect((await call(base, { headers: { 'x-tenant': 'contoso' } })).status).toBe(200);
    expect(echoed).toHaveLength(1);

    const strictWrongCase = await call(base, { headers: { 'x-tenant': 'contoso', 'x-strict': '1' } });
    expect([strictWrongCase.status, strictWrongCase.text]).toEqual([403, gatewayBody(403, 'Wrong tenant')]);
    expect((await call(base, { headers: { 'x-tenant': 'Fabrikam', 'x-strict': '1' } })).status).toBe(200);
    expect(echoed).toHaveLength(2);
  });
});

describe('ip-filter', () => {
  const cases: [string, string, number][] = [
    ['allow by address', '<ip-filter action="allow"><address>127.0.0.1</address></ip-filter>', 200],
    ['allow, caller not listed', '<ip-filter action="allow"><address>10.1.2.3</address><address-range from="192.168.0.0" to="192.168.255.255" /></ip-filter>', 403],
    ['allow by range', '<ip-filter action="allow"><address-range from="127.0.0.0" to="127.0.0.255" /></ip-filter>', 200],
    ['forbid by range', '<ip-filter action="forbid"><address-range from="127.0.0.0" to="127.255.255.255" /></ip-filter>', 403],
    ['forbid by address', '<ip-filter action="forbid"><address>127.0.0.1</address></ip-filter>', 403],
    ['forbid, caller not listed', '<ip-filter action="forbid"><address>10.1.2.3</address><address-range from="127.0.0.2" to="127.0.0.9" /></ip-filter>', 200],
  ];

  for (const [name, element, status] of cases) {
    it(`${name} → ${status} for the caller 127.0.0.1`, async () => {
      const base = await echoGateway({ apiPolicy: policy({ inbound: `<base />${element}` }) });
      const answer = await call(base);
      expect(answer.status).toBe(status);
      expect(echoed).toHaveLength(status === 200 ? 1 : 0);
      if (status === 403) {
        const body = JSON.parse(answer.text) as { statusCode: number; message: string };
        expect(body.statusCode).toBe(403);
        expect(body.message).toContain('127.0.0.1');
      }
    });
  }
});

describe('validate-jwt (HS256)', () => {
  const secret = Buffer.from('spillway-test-signing-key-32-bytes!!', 'utf8');
  const otherSecret = Buffer.from('some-other-key-that-is-not-configured', 'utf8');
  const audience = 'api://spillway-tests';
  const issuer = 'https://issuer.spillway.test/';

  function token(claims: Record<string, unknown>, key: Buffer = secret): string {
    const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  }

  const now = (): number => Math.floor(Date.now() / 1000);
  const good = (): Record<string, unknown> => ({ aud: audience, iss: issuer, exp: now() + 3600, nbf: now() - 60, roles: 'reader,writer' });

  const validate = (extra: string): string => `<base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer" ${extra}>
      <issuer-signing-keys><key>${secret.toString('base64')}</key></issuer-signing-keys>
      <audiences><audience>${audience}</audience></audiences>
      <issuers><issuer>${issuer}</issuer></issuers>
      <required-claims><claim name="roles" match="any" separator=","><value>writer</value><value>admin</value></claim></required-claims>
    </validate-jwt>`;

  it('admits a valid token and refuses missing, badly signed, expired, wrongly addressed and under-privileged ones with 401', async () => {
    const base = await echoGateway({ apiPolicy: policy({ inbound: validate('') }) });
    const bearer = (jwt: string): Record<string, string> => ({ authorization: `Bearer ${jwt}` });

    const ok = await call(base, { headers: bearer(token(good())) });
    expect(ok.status).toBe(200);
    expect(echoed).toHaveLength(1);

    const refusals: [string, Record<string, string>, string][] = [
      ['missing', {}, 'JWT not present.'],
      ['wrong scheme', { authorization: `Basic ${token(good())}` }, 'JWT not present.'],
      ['bad signature', bearer(token(good(), otherSecret)), 'JWT signature is invalid.'],
      ['expired', bearer(token({ ...good(), exp: now() - 600 })), 'JWT has expired.'],
      ['wrong audience', bearer(token({ ...good(), aud: 'api://someone-else' })), 'JWT audience is not valid.'],
      ['wrong issuer', bearer(token({ ...good(), iss: 'https://evil.example/' })), 'JWT issuer is not valid.'],
      ['claim missing', bearer(token({ aud: audience, iss: issuer, exp: now() + 3600 })), 'JWT is missing the required claim roles.'],
      ['claim value', bearer(token({ ...good(), roles: 'reader' })), 'JWT claim roles does not have the required value.'],
    ];
    const seen = [];
    for (const [name, headers] of refusals) {
      const answer = await call(base, { headers });
      seen.push([name, answer.status, (JSON.parse(answer.text) as { message: string }).message]);
    }
    expect(seen).toEqual(refusals.map(([name, , message]) => [name, 401, message]));
    expect(echoed).toHaveLength(1);
  });

  it('uses failed-validation-httpcode and failed-validation-error-message', async () => {
    const base = await echoGateway({ apiPolicy: policy({ inbound: validate('failed-validation-httpcode="403" failed-validation-error-message="Access token is missing or invalid."') }) });
    const missing = await call(base);
    expect([missing.status, missing.text]).toEqual([403, gatewayBody(403, 'Access token is missing or invalid.')]);
    const expired = await call(base, { headers: { authorization: `Bearer ${token({ ...good(), exp: now() - 600 })}` } });
    expect([expired.status, expired.text]).toEqual([403, gatewayBody(403, 'Access token is missing or invalid.')]);
    expect(echoed).toHaveLength(0);
  });
});

describe('authentication-managed-identity', () => {
  it('sends the stand-in token as a Bearer Authorization header to the backend', async () => {
    const base = await echoGateway({
      apiPolicy: policy({ inbound: '<base /><set-header name="api-key" exists-action="delete" /><authentication-managed-identity resource="https://cognitiveservices.azure.com" />' }),
    });
    expect((await call(base, { headers: { authorization: 'Bearer client-token' } })).status).toBe(200);
    expect(echoed[0]!.headers.authorization).toBe('Bearer emulator-managed-identity-token;resource=https://cognitiveservices.azure.com');
    // The subscription key stays with the gateway.
    expect(echoed[0]!.headers['api-key']).toBeUndefined();
  });

  it('with output-token-variable-name stores the token instead of setting Authorization', async () => {
    const base = await echoGateway({
      apiPolicy: policy({
        inbound: `<base />
          <authentication-managed-identity resource="api://orders" output-token-variable-name="msiToken" />
          <set-header name="x-msi" exists-action="override"><value>@("Token " + (string)context.Variables["msiToken"])</value></set-header>`,
      }),
    });
    expect((await call(base)).status).toBe(200);
    expect(echoed[0]!.headers['x-msi']).toBe('Token emulator-managed-identity-token;resource=api://orders');
    expect(echoed[0]!.headers.authorization).toBeUndefined();
  });
});

describe('llm-emit-token-metric', () => {
  it('emits Prompt, Completion and Total Tokens with the given dimensions and fills the default ones', async () => {
    const gateway = await startAt(FLEET_URL, {
      backends: { 'payg-east': { url: FLEET_URL } },
      apiPolicy: policy({
        inbound: `<base />
          <set-backend-service backend-id="payg-east" />
          <llm-emit-token-metric namespace="genai-tests">
            <dimension name="API ID" />
            <dimension name="Operation ID" />
            <dimension name="Product ID" />
            <dimension name="Subscription ID" />
            <dimension name="Location" />
            <dimension name="Backend ID" />
            <dimension name="Client" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-client&quot;, &quot;unknown&quot;))" />
          </llm-emit-token-metric>`,
      }),
    });
    const before = fleet.ledger.lastSeq;
    const answer = await call(gateway.instances[0]!.url, { completion: 12, headers: { 'x-client': 'web' } });
    expect(answer.status).toBe(200);
    const [record] = fleetRequestsSince(before);
    expect(record).toBeDefined();
    const dimensions = {
      'API ID': 'openai',
      'Operation ID': 'ChatCompletions_Create',
      'Product ID': 'p1',
      'Subscription ID': 's1',
      Location: 'East US',
      'Backend ID': 'payg-east',
      Client: 'web',
    };
    const metrics = gateway.logs.recent.metrics as { name: string; value: number; namespace: string; customDimensions: Record<string, string>; timestamp: string }[];
    expect(metrics.map(({ name, value, namespace, customDimensions }) => ({ name, value, namespace, customDimensions }))).toEqual([
      { name: 'Prompt Tokens', value: record!.promptTokens, namespace: 'genai-tests', customDimensions: dimensions },
      { name: 'Completion Tokens', value: 12, namespace: 'genai-tests', customDimensions: dimensions },
      { name: 'Total Tokens', value: record!.promptTokens + 12, namespace: 'genai-tests', customDimensions: dimensions },
    ]);
    expect(metrics.every((m) => !Number.isNaN(Date.parse(m.timestamp)))).toBe(true);
  });

  it('uses the namespace "API Management" by default and emits nothing for an answer without usage', async () => {
    const gateway = await startAt(FLEET_URL, {
      apiPolicy: policy({
        inbound: `<base />
          <llm-emit-token-metric><dimension name="Subscription ID" /></llm-emit-token-metric>
          <choose>
            <when condition="@(context.Request.Headers.ContainsKey(&quot;x-short-circuit&quot;))">
              <return-response><set-status code="200" reason="OK" /><set-body>{}</set-body></return-response>
            </when>
          </choose>`,
      }),
    });
    const base = gateway.instances[0]!.url;
    expect((await call(base, { headers: { 'x-short-circuit': '1' } })).status).toBe(200);
    expect(gateway.logs.recent.metrics).toEqual([]);
    expect((await call(base, { completion: 4 })).status).toBe(200);
    const metrics = gateway.logs.recent.metrics as { name: string; value: number; namespace: string; customDimensions: Record<string, string> }[];
    expect(metrics.map((m) => [m.name, m.namespace, m.customDimensions])).toEqual([
      ['Prompt Tokens', 'API Management', { 'Subscription ID': 's1' }],
      ['Completion Tokens', 'API Management', { 'Subscription ID': 's1' }],
      ['Total Tokens', 'API Management', { 'Subscription ID': 's1' }],
    ]);
    expect(metrics[1]!.value).toBe(4);
  });
});

describe('policy runtime errors', () => {
  const failing = '<base /><set-variable name="n" value="@(int.Parse(context.Request.Headers.GetValueOrDefault(&quot;x-number&quot;, &quot;none&quot;)))" />';

  it('run on-error with context.LastError readable there', async () => {
    const gateway = await startAt(FLEET_URL, {
      apiPolicy: policy({
        inbound: failing,
        onError: `<base />
          <return-response>
            <set-status code="418" reason="Handled" />
            <set-header name="x-error-source" exists-action="override"><value>@(context.LastError.Source)</value></set-header>
            <set-header name="x-error-reason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>
            <set-header name="x-error-section" exists-action="override"><value>@(context.LastError.Section)</value></set-header>
            <set-header name="x-error-scope" exists-action="override"><value>@(context.LastError.Scope)</value></set-header>
            <set-body>@(context.LastError.Message)</set-body>
          </return-response>`,
      }),
    });
    const base = gateway.instances[0]!.url;
    const before = fleet.ledger.lastSeq;
    const answer = await call(base, { headers: { 'x-number': 'twelve' } });
    expect(answer.status).toBe(418);
    expect(answer.statusText).toBe('Handled');
    expect(answer.headers.get('x-error-source')).toBe('set-variable');
    expect(answer.headers.get('x-error-reason')).toBe('ExpressionValueEvaluationFailure');
    expect(answer.headers.get('x-error-section')).toBe('inbound');
    expect(answer.headers.get('x-error-scope')).toBe('api');
    expect(answer.text).toContain('Input string was not in a correct format.');
    expect(fleetRequestsSince(before)).toEqual([]);
    expect(gateway.logs.recent.gateway.at(-1)).toMatchObject({
      ResponseCode: 418,
      LastErrorReason: 'ExpressionValueEvaluationFailure',
      LastErrorSource: 'set-variable',
      LastErrorSection: 'inbound',
      LastErrorScope: 'api',
      IsRequestSuccess: false,
    });

    // A number that parses goes through.
    expect((await call(base, { headers: { 'x-number': '12' }, completion: 1 })).status).toBe(200);
  });

  it('without an on-error answer the caller gets 500; on-error headers still apply', async () => {
    const plain = await startAt(FLEET_URL, { apiPolicy: policy({ inbound: failing }) });
    const answer = await call(plain.instances[0]!.url, { headers: { 'x-number': '1.5' } });
    expect([answer.status, answer.text]).toEqual([500, gatewayBody(500, 'Internal server error')]);

    const withHeader = await startAt(FLEET_URL, {
      apiPolicy: policy({ inbound: failing, onError: '<base /><set-header name="x-error-message" exists-action="override"><value>@(context.LastError.Message)</value></set-header>' }),
    });
    const decorated = await call(withHeader.instances[0]!.url);
    expect(decorated.status).toBe(500);
    expect(decorated.headers.get('x-error-message')).toContain('Input string was not in a correct format.');
  });
});
