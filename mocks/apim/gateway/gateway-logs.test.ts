/**
 * The ApiManagementGatewayLogs and ApiManagementGatewayLlmLog rows the gateway writes, through
 * the sample configuration (deploy/apim) to the mock fleet: exact columns and types, the join
 * to the fleet ledger by CorrelationId (the sample sends x-correlation-id = context.RequestId),
 * backend identification, limit rows, LLM token rows, and the JSONL files named after the tables.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { loadGatewayConfig } from '../config/index.ts';
import { useDefaultFleet } from './default-fleet-fixture.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import { policy, TEST_KEYS, writeTestConfig } from './test-config.ts';
import { gatewayLogColumns, gatewayLogTable, llmLogColumns, llmLogTable, type GatewayLogRow, type LlmLogRow, type LogColumnType } from './gateway-log-schema.ts';

const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';

const dirs: string[] = [];
const shared = useDefaultFleet(14, { cleanup: () => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); } });


async function sampleGateway(): Promise<{ gateway: RunningGateway; logsDir: string }> {
  const config = loadGatewayConfig('deploy/apim');
  delete config.frontDoor;
  const logsDir = mkdtempSync(join(tmpdir(), 'spillway-gw-logs-'));
  dirs.push(logsDir);
  const gateway = await startGateway({ config, fleetEndpoints: shared.endpoints, logsDir, seed: 3, keepRecentLogs: true });
  shared.gateways.push(gateway);
  return { gateway, logsDir };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  bytes: number;
}

async function chat(base: string, key: string | null, options: { body?: unknown; completion?: number; stream?: boolean; content?: string } = {}): Promise<Answer> {
  const body = options.body ?? { messages: [{ role: 'user', content: options.content ?? 'log me' }], ...(options.stream ? { stream: true } : {}) };
  const response = await fetch(`${base}${CHAT}`, {
    method: 'POST',
    headers: {
      ...(key ? { 'api-key': key } : {}),
      'content-type': 'application/json',
      ...(options.completion !== undefined ? { 'x-fleet-completion-tokens': String(options.completion) } : {}),
    },
    body: JSON.stringify(body),
  });
  const buffer = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, text: buffer.toString('utf8'), bytes: buffer.length };
}

function requestsSince(seq: number): RequestRecord[] {
  return shared.fleet.ledger.read(seq, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

/** Checks a row against its table's declared columns: every key, nothing else, each of its type or null. */
function expectSchema(row: object, columns: Record<string, LogColumnType>): void {
  expect(Object.keys(row).sort()).toEqual(Object.keys(columns).sort());
  for (const [column, type] of Object.entries(columns)) {
    const value = (row as Record<string, unknown>)[column];
    if (value === null) continue;
    const problem = `${column} (${type}) = ${JSON.stringify(value)}`;
    switch (type) {
      case 'datetime':
        expect(typeof value, problem).toBe('string');
        expect(new Date(value as string).toISOString(), problem).toBe(value);
        break;
      case 'string':
      case 'guid':
        expect(typeof value, problem).toBe('string');
        break;
      case 'int':
      case 'long':
        expect(Number.isInteger(value), problem).toBe(true);
        break;
      case 'real':
        expect(typeof value, problem).toBe('number');
        break;
      case 'bool':
        expect(typeof value, problem).toBe('boolean');
        break;
      case 'dynamic':
        expect(typeof value, problem).toBe('object');
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('ApiManagementGatewayLogs', () => {
  it('rows carry exactly the declared columns with their types, for answered, refused and failed requests', async () => {
    const { gateway } = await sampleGateway();
    const base = gateway.instance('East US').url;
    expect((await chat(base, 'local-user-facing-key', { completion: 5 })).status).toBe(200);
    expect((await chat(base, 'local-user-facing-key', { completion: 5, stream: true })).status).toBe(200);
    expect((await chat(base, null)).status).toBe(401);
    expect((await chat(base, 'local-user-facing-key', { body: { nothing: true } })).status).toBe(400);
    expect((await chat(base, 'local-dev-test-key', { content: Array.from({ length: 1200 }, () => 'the').join(' ') })).status).toBe(429);
    const rows = gateway.logs.recent.gateway;
    expect(rows.map((r) => r.ResponseCode)).toEqual([200, 200, 401, 400, 429]);
    for (const row of rows) {
      expectSchema(row, gatewayLogColumns);
      expect(row).toMatchObject({ Category: 'GatewayLogs', Type: gatewayLogTable, Region: 'East US', CallerIpAddress: '127.0.0.1', Method: 'POST', ApiId: 'azure-openai' });
    }
    for (const row of gateway.logs.recent.llm) expectSchema(row, llmLogColumns);
  });

  it('joins the fleet ledger on CorrelationId; BackendId and BackendUrl name the pool member that answered', async () => {
    const { gateway } = await sampleGateway();
    const base = gateway.instance('East US').url;
    for (let i = 0; i < 6; i++) {
      const before = shared.fleet.ledger.lastSeq;
      const content = `request ${i}`;
      const body = JSON.stringify({ messages: [{ role: 'user', content }] });
      const answer = await chat(base, 'local-user-facing-key', { completion: 3 + i, content });
      expect(answer.status).toBe(200);
      const [record, ...more] = requestsSince(before);
      expect(more).toEqual([]);
      const row = gateway.logs.recent.gateway.at(-1)!;
      expect(row.CorrelationId).toBe(record!.correlationId);
      expect(row.BackendId).toBe(record!.backend);
      expect(record!.backend).toMatch(/^aoai-eastus-ptu[12]$/);
      expect(row.BackendUrl).toBe(`https://${record!.backend}.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`);
      expect(row).toMatchObject({
        ApimSubscriptionId: 'user-facing',
        ProductId: 'ai-gateway',
        OperationId: 'ChatCompletions_Create',
        BackendMethod: 'POST',
        BackendResponseCode: 200,
        ResponseCode: 200,
        IsRequestSuccess: true,
        LastErrorReason: null,
        RequestSize: Buffer.byteLength(body),
        ResponseSize: answer.bytes,
        Url: `${base}${CHAT}`,
      });
      expect(row.TotalTime!).toBeGreaterThanOrEqual(row.BackendTime!);
      expect(row.BackendTime!).toBeGreaterThanOrEqual(0);
      expect(Date.parse(row.TimeGenerated!)).toBeLessThanOrEqual(record!.start);
    }
    const correlationIds = new Set(gateway.logs.recent.gateway.map((r) => r.CorrelationId));
    expect(correlationIds.size).toBe(6);
  });

  it('a gateway-answered 429 has no backend columns and records the limit as the last error', async () => {
    const { gateway } = await sampleGateway();
    const base = gateway.instance('West US').url;
    const before = shared.fleet.ledger.lastSeq;
    const answer = await chat(base, 'local-dev-test-key', { content: Array.from({ length: 1200 }, () => 'the').join(' ') });
    expect(answer.status).toBe(429);
    expect(requestsSince(before)).toEqual([]);
    expect(gateway.logs.recent.gateway.at(-1)).toMatchObject({
      Region: 'West US',
      ApimSubscriptionId: 'dev-test',
      ResponseCode: 429,
      BackendResponseCode: null,
      BackendUrl: null,
      BackendTime: null,
      IsRequestSuccess: false,
      LastErrorReason: 'TokenLimitExceeded',
      LastErrorSource: 'llm-token-limit',
      LastErrorSection: 'inbound',
      LastErrorScope: 'api',
      ResponseSize: answer.bytes,
    });

    // Eleven calls from batch: the low-priority rate limit refuses the eleventh.
    for (let i = 0; i < 10; i++) expect((await chat(base, 'local-batch-key', { completion: 1 })).status).toBe(200);
    expect((await chat(base, 'local-batch-key', { completion: 1 })).status).toBe(429);
    expect(gateway.logs.recent.gateway.at(-1)).toMatchObject({
      ResponseCode: 429,
      BackendResponseCode: null,
      IsRequestSuccess: false,
      LastErrorReason: 'RateLimitExceeded',
      LastErrorSource: 'rate-limit-by-key',
      LastErrorSection: 'inbound',
    });
    // No token usage, no LLM row for the refused requests.
    expect(gateway.logs.recent.llm).toHaveLength(10);
  });

  it('a backend error is the backend response code and the response code alike', async () => {
    const { gateway } = await sampleGateway();
    const answer = await chat(gateway.instance('East US').url, 'local-critical-ops-key', { body: { messages: 'not a list' } });
    expect(answer.status).toBe(400);
    expect(gateway.logs.recent.gateway.at(-1)).toMatchObject({ ResponseCode: 400, BackendResponseCode: 400, IsRequestSuccess: false, LastErrorReason: null });
    // critical-ops is high priority: the PTU-only pool of the high lane's entities.
    expect(gateway.logs.recent.gateway.at(-1)!.BackendId).toMatch(/^aoai-eastus-ptu[12]-high$/);
  });
});

describe('RequestSize', () => {
  it('is what the client sent, even when a policy replaced or consumed the body', async () => {
    const { config } = writeTestConfig({
      serviceUrl: 'https://aoai-eastus-payg.openai.azure.com/openai',
      apiPolicy: policy({
        inbound: `<base />
          <choose>
            <when condition="@(context.Request.Headers.ContainsKey(&quot;x-replace&quot;))"><set-body>{}</set-body></when>
            <otherwise><set-variable name="first" value="@(context.Request.Body.As&lt;JObject&gt;()[&quot;messages&quot;][0][&quot;content&quot;].ToString())" /></otherwise>
          </choose>`,
      }),
    });
    const gateway = await startGateway({ config, fleetEndpoints: shared.endpoints, logsDir: null });
    shared.gateways.push(gateway);
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'sized' }] });
    const cases: Record<string, string>[] = [{ 'x-replace': '1' }, {}];
    for (const headers of cases) {
      const before = shared.fleet.ledger.lastSeq;
      const response = await fetch(`${gateway.instances[0]!.url}${CHAT}`, { method: 'POST', headers: { 'api-key': TEST_KEYS.s1, 'content-type': 'application/json', ...headers }, body });
      // The backend got the replaced (or, once read, empty) body and refused it.
      expect(response.status).toBe(400);
      await response.arrayBuffer();
      expect(requestsSince(before).map((r) => r.status)).toEqual([400]);
      expect(gateway.logs.recent.gateway.at(-1)).toMatchObject({ RequestSize: Buffer.byteLength(body), BackendResponseCode: 400 });
    }
  });
});

describe('ApiManagementGatewayLlmLog', () => {
  it('has one row per answered LLM request with its tokens, model, deployment, stream flag, correlation id and region', async () => {
    const { gateway } = await sampleGateway();
    const east = gateway.instance('East US').url;
    const west = gateway.instance('West US').url;

    let before = shared.fleet.ledger.lastSeq;
    const buffered = await chat(east, 'local-critical-ops-key', { completion: 8 });
    const bufferedRecord = requestsSince(before)[0]!;
    before = shared.fleet.ledger.lastSeq;
    const streamed = await chat(west, 'local-batch-key', { completion: 13, stream: true });
    const streamedRecord = requestsSince(before)[0]!;
    expect([buffered.status, streamed.status]).toEqual([200, 200]);

    const model = (JSON.parse(buffered.text) as { model: string }).model;
    const [first, second] = gateway.logs.recent.llm;
    const [firstRow, secondRow] = gateway.logs.recent.gateway;
    expect(gateway.logs.recent.llm).toHaveLength(2);
    expect(first).toEqual({
      TimeGenerated: firstRow!.TimeGenerated,
      CorrelationId: bufferedRecord.correlationId,
      Region: 'East US',
      RequestId: firstRow!.CorrelationId,
      ApiVersion: '2024-10-21',
      OperationName: 'ChatCompletions_Create',
      DeploymentName: 'gpt-4o',
      ModelName: model,
      PromptTokens: bufferedRecord.promptTokens,
      CompletionTokens: 8,
      TotalTokens: bufferedRecord.promptTokens + 8,
      IsStreamCompletion: false,
      SequenceNumber: 0,
      Category: 'GatewayLlmLogs',
      Type: llmLogTable,
    } satisfies LlmLogRow);
    expect(first!.CorrelationId).toBe(firstRow!.CorrelationId);
    expect(second).toMatchObject({
      CorrelationId: streamedRecord.correlationId,
      Region: 'West US',
      IsStreamCompletion: true,
      PromptTokens: streamedRecord.promptTokens,
      CompletionTokens: 13,
      TotalTokens: streamedRecord.promptTokens + 13,
      DeploymentName: 'gpt-4o',
      ModelName: model,
    });
    expect(second!.CorrelationId).toBe(secondRow!.CorrelationId);
    expect(streamedRecord.backend).toBe('aoai-westus-payg');
    // A stream's response size is what the client received.
    expect(secondRow!.ResponseSize).toBe(streamed.bytes);
  });
});

describe('log files', () => {
  it('writes the rows to JSONL files named after the tables, and the token metrics beside them', async () => {
    const { gateway, logsDir } = await sampleGateway();
    const base = gateway.instance('East US').url;
    expect((await chat(base, 'local-user-facing-key', { completion: 6 })).status).toBe(200);
    expect((await chat(base, null)).status).toBe(401);
    shared.gateways.splice(shared.gateways.indexOf(gateway), 1);
    await gateway.close();

    const read = (name: string): unknown[] =>
      readFileSync(join(logsDir, name), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as unknown);
    const gatewayRows = read(`${gatewayLogTable}.jsonl`) as GatewayLogRow[];
    expect(gatewayRows).toEqual(gateway.logs.recent.gateway);
    expect(gatewayRows.map((r) => r.ResponseCode)).toEqual([200, 401]);
    const llmRows = read(`${llmLogTable}.jsonl`) as LlmLogRow[];
    expect(llmRows).toEqual(gateway.logs.recent.llm);
    expect(llmRows).toHaveLength(1);
    expect(llmRows[0]!.CorrelationId).toBe(gatewayRows[0]!.CorrelationId);

    // The sample's llm-emit-token-metric (namespace genai-metrics) with its dimensions.
    const metrics = read('token-metrics.jsonl') as { name: string; value: number; namespace: string; customDimensions: Record<string, string> }[];
    const dimensions = { Subscription: 'user-facing', Product: 'ai-gateway', Region: 'East US', Priority: 'medium', Deployment: 'gpt-4o' };
    expect(metrics.map((m) => [m.name, m.value, m.namespace, m.customDimensions])).toEqual([
      ['Prompt Tokens', llmRows[0]!.PromptTokens, 'genai-metrics', dimensions],
      ['Completion Tokens', 6, 'genai-metrics', dimensions],
      ['Total Tokens', llmRows[0]!.TotalTokens, 'genai-metrics', dimensions],
    ]);
  });
});
