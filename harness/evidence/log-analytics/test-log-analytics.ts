import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { LogsQueryClientOptions } from '@azure/monitor-query-logs';
import { gatewayLogTable, llmLogTable, type GatewayLogRow, type LlmLogRow } from '../../contracts/gateway-log-rows.ts';
import { MockLogAnalyticsWorkspace } from '../../../mocks/log-analytics/mock-workspace.ts';
import { logAnalyticsHandlers } from '../../../mocks/log-analytics/query-api-handlers.ts';
import { mswHttpClient } from '../../../mocks/log-analytics/msw-http-client.ts';
import type { Clock } from './workspace-reader.ts';

/**
 * For the Log Analytics source's tests: a clock that moves only when the source sleeps, a
 * static credential, the real LogsQueryClient wired to mock workspaces through msw, and a small
 * run's gateway log files in the emulator's format.
 */
export class FakeClock implements Clock {
  slept = 0;
  current: number;
  constructor(start: number) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.slept += ms;
    this.current += ms;
  }
}

/** A credential that hands out one token and remembers the scopes asked for. */
export class StaticCredential implements TokenCredential {
  readonly scopes: string[] = [];
  readonly token: string;
  constructor(token = `test-token-${Math.random().toString(36).slice(2)}`) {
    this.token = token;
  }
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** LogsQueryClient options whose requests the mock workspaces answer, through the SDK's own pipeline. */
export function mockClientOptions(workspaces: readonly MockLogAnalyticsWorkspace[]): LogsQueryClientOptions {
  return { httpClient: mswHttpClient(logAnalyticsHandlers(workspaces)) };
}

export { MockLogAnalyticsWorkspace };

export interface SampleRun {
  logsDir: string;
  gatewayRows: GatewayLogRow[];
  llmRows: LlmLogRow[];
  start: number;
  end: number;
}

/**
 * A run's gateway-logs folder as the emulator writes it: one request every `everyMs` from
 * `start`, as subscriptions in turn; every fifth refused 429 by the token limit (no LLM row),
 * every third of the others streamed in two LLM rows (SequenceNumber 0 and 1).
 */
export function writeSampleRun(options: { start: number; count: number; everyMs?: number; subscriptions?: readonly string[]; idPrefix?: string }): SampleRun {
  const every = options.everyMs ?? 200;
  const subscriptions = options.subscriptions ?? ['user-facing', 'dev-test'];
  const logsDir = join(mkdtempSync(join(tmpdir(), 'la-sample-')), 'gateway-logs');
  mkdirSync(logsDir);
  const gatewayRows: GatewayLogRow[] = [];
  const llmRows: LlmLogRow[] = [];
  for (let i = 0; i < options.count; i++) {
    const at = options.start + i * every;
    const id = `${options.idPrefix ?? 'c'}-${String(i).padStart(5, '0')}-0000-4000-8000-000000000000`;
    const refused = i % 5 === 4;
    const backend = i % 2 === 0 ? 'aoai-eastus-ptu1' : 'aoai-eastus-payg';
    gatewayRows.push({
      TimeGenerated: new Date(at).toISOString(),
      CorrelationId: id,
      Region: 'East US',
      ApiId: 'azure-openai',
      ApiRevision: '1',
      OperationId: 'ChatCompletions_Create',
      OperationName: 'ChatCompletions_Create',
      ProductId: 'ai-gateway',
      ApimSubscriptionId: subscriptions[i % subscriptions.length]!,
      UserId: null,
      BackendId: refused ? null : backend,
      BackendUrl: refused ? null : `https://${backend}.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`,
      BackendMethod: refused ? null : 'POST',
      BackendProtocol: refused ? null : 'HTTP/1.1',
      BackendResponseCode: refused ? null : 200,
      BackendTime: refused ? null : 40 + (i % 7),
      ResponseCode: refused ? 429 : 200,
      ResponseSize: 900,
      RequestSize: 130,
      TotalTime: refused ? 2 : 50 + (i % 7),
      ClientTime: 0,
      IsRequestSuccess: !refused,
      LastErrorReason: refused ? 'TokenLimitExceeded' : null,
      LastErrorMessage: refused ? 'Token limit exceeded' : null,
      LastErrorSource: refused ? 'llm-token-limit' : null,
      LastErrorSection: refused ? 'inbound' : null,
      LastErrorScope: refused ? 'product' : null,
      LastErrorElapsed: refused ? 1 : null,
      Method: 'POST',
      Url: 'http://127.0.0.1:40001/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
      Cache: 'none',
      CallerIpAddress: '127.0.0.1',
      ClientProtocol: 'HTTP/1.1',
      Errors: refused ? [{ Source: 'llm-token-limit', Reason: 'TokenLimitExceeded' }] : null,
      TraceRecords: null,
      Category: 'GatewayLogs',
      Type: gatewayLogTable,
    });
    if (refused) continue;
    const streamed = i % 3 === 0;
    for (let sequence = 0; sequence < (streamed ? 2 : 1); sequence++) {
      llmRows.push({
        TimeGenerated: new Date(at).toISOString(),
        CorrelationId: id,
        Region: 'East US',
        RequestId: id,
        ApiVersion: '2024-10-21',
        OperationName: 'ChatCompletions_Create',
        DeploymentName: 'gpt-4o',
        ModelName: 'gpt-4o-2024-11-20',
        PromptTokens: 20 + (i % 11),
        CompletionTokens: 60 + (i % 13),
        TotalTokens: 80 + (i % 11) + (i % 13),
        IsStreamCompletion: streamed,
        SequenceNumber: sequence,
        Category: 'GatewayLlmLogs',
        Type: llmLogTable,
      });
    }
  }
  writeFileSync(join(logsDir, `${gatewayLogTable}.jsonl`), gatewayRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(logsDir, `${llmLogTable}.jsonl`), llmRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { logsDir, gatewayRows, llmRows, start: options.start, end: options.start + options.count * every };
}

/** A fresh gateway-logs folder for the source to write into. */
export function emptyLogsDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'la-out-')), 'gateway-logs');
}
