/**
 * The offline Log Analytics a drill's queries go to on the embedded default: the run's gateway
 * rows (the emulator's gateway-logs/*.jsonl) ingested into the mock workspace
 * (mocks/log-analytics), which answers the query API through the real LogsQueryClient, so a
 * drill's KQL meets the same client, the same wire format and the same analyzer it would meet
 * in Azure. Rows are ingested at once (no ingestion lag: the drill reads them after the run);
 * the workspace holds this run's rows and nothing else.
 *
 * The mock evaluates the subset of KQL mocks/log-analytics/kql-evaluator.ts lists (let, where,
 * project, summarize with count, countif, sum, min, max); a query outside it is refused with the
 * construct named, and the drill says so rather than judge without it.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { MockLogAnalyticsWorkspace } from '../../mocks/log-analytics/mock-workspace.ts';
import { ingestRunLogs } from '../../mocks/log-analytics/ingest-run-logs.ts';
import { logAnalyticsHandlers } from '../../mocks/log-analytics/query-api-handlers.ts';
import { mswHttpClient } from '../../mocks/log-analytics/msw-http-client.ts';
import { WorkspaceReader } from '../evidence/log-analytics/workspace-reader.ts';
import { configSourceTable } from '../../mocks/log-analytics/workspace-tables.ts';
import { configSourceLogFile } from '../../mocks/apim/gateway/config-source.ts';
import { gatewayLogTable, llmLogTable } from '../contracts/gateway-log-rows.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The offline workspace asks for no token: this one stands in for a credential and is never sent anywhere real. */
class OfflineCredential implements TokenCredential {
  async getToken(): Promise<AccessToken> {
    return { token: 'offline-workspace', expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

export interface OfflineWorkspace {
  reader: WorkspaceReader;
  workspace: MockLogAnalyticsWorkspace;
  rows: { gatewayRows: number; llmRows: number; configSourceRows: number };
}

export function offlineWorkspace(logsDir: string, runMarker: string): OfflineWorkspace {
  const workspace = new MockLogAnalyticsWorkspace({ tables: [gatewayLogTable, llmLogTable, configSourceTable] });
  const rows = { ...ingestRunLogs(workspace, logsDir, { runMarker, lagMs: () => 0 }), configSourceRows: ingestConfigSourceRows(workspace, logsDir) };
  const reader = new WorkspaceReader({ workspaceId: workspace.id, credential: new OfflineCredential(), clientOptions: { httpClient: mswHttpClient(logAnalyticsHandlers([workspace])) } });
  return { reader, workspace, rows };
}

/**
 * The configuration source rows of the run's gateways that ran as their own processes
 * (`config-source.jsonl`, merged with each row's region: harness/process/process-log-merge.ts),
 * as the custom table SpillwayConfigSource_CL (workspace-tables.ts); none without process steps.
 */
function ingestConfigSourceRows(workspace: MockLogAnalyticsWorkspace, logsDir: string): number {
  const file = join(logsDir, configSourceLogFile);
  if (!existsSync(file)) return 0;
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { time: string; region?: string; source: string; outcome: string; servingVersion: string; offeredVersion?: string; problem?: string })
    .map((row) => ({ TimeGenerated: row.time, Region: row.region ?? '', Outcome: row.outcome, ServingVersion: row.servingVersion, OfferedVersion: row.offeredVersion ?? '', Problem: row.problem ?? '', Source: row.source }));
  workspace.ingest(configSourceTable, rows, (row) => Date.parse(String(row.TimeGenerated)));
  return rows.length;
}
