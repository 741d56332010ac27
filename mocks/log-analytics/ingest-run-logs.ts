import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayLogTable, llmLogTable } from '../../harness/contracts/gateway-log-rows.ts';
import type { MockLogAnalyticsWorkspace } from './mock-workspace.ts';

/**
 * Feeds a run's gateway log files (the emulator's gateway-logs/*.jsonl) into a mock workspace,
 * as APIM's diagnostic setting would have sent them to Log Analytics:
 *
 * - each gateway row carries the run marker in RequestHeaders (`{"x-spillway-run": marker}`), as
 *   APIM logs it when the azuremonitor diagnostic lists the header among the frontend request
 *   headers to log (docs/log-analytics.md);
 * - a row is ingested `lagMs(row)` after the gateway finished the request (TimeGenerated, the
 *   request's start, plus TotalTime); an LLM row `llmExtraLagMs` after its gateway row, as the
 *   two categories travel separately.
 *
 * `rewrite` lets a test ingest the same rows as another run's (new correlation ids, another
 * marker) to check that the source takes only its own run's rows.
 */
export interface IngestRunLogsOptions {
  runMarker: string | null;
  lagMs: (row: Record<string, unknown>, index: number) => number;
  llmExtraLagMs?: number;
  rewriteCorrelationId?: (id: string) => string;
  /**
   * Only rows whose CorrelationId this returns true for (a gateway still running, ingested in
   * steps: each step takes the rows the last one had not); LLM rows follow their gateway row.
   */
  only?: (correlationId: unknown) => boolean;
}

export interface IngestedCounts {
  gatewayRows: number;
  llmRows: number;
}

function readRows(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new SyntaxError(`${file}:${i + 1}: not JSON (${error instanceof Error ? error.message : String(error)})`);
      }
    });
}

export function ingestRunLogs(workspace: MockLogAnalyticsWorkspace, logsDir: string, options: IngestRunLogsOptions): IngestedCounts {
  const rewrite = options.rewriteCorrelationId ?? ((id: string) => id);
  const only = options.only ?? (() => true);
  const gatewayRows = readRows(join(logsDir, `${gatewayLogTable}.jsonl`)).filter((row) => only(row.CorrelationId)).map((row) => ({
    ...row,
    CorrelationId: typeof row.CorrelationId === 'string' ? rewrite(row.CorrelationId) : row.CorrelationId,
    RequestHeaders: options.runMarker === null ? {} : { 'x-spillway-run': options.runMarker },
  }));
  const ingestedAt = new Map<unknown, number>();
  workspace.ingest(gatewayLogTable, gatewayRows, (row, index) => {
    const finished = Date.parse(String(row.TimeGenerated)) + (typeof row.TotalTime === 'number' ? row.TotalTime : 0);
    const at = finished + options.lagMs(row, index);
    ingestedAt.set(row.CorrelationId, at);
    return at;
  });
  const llmRows = readRows(join(logsDir, `${llmLogTable}.jsonl`)).filter((row) => only(row.CorrelationId)).map((row) => ({
    ...row,
    CorrelationId: typeof row.CorrelationId === 'string' ? rewrite(row.CorrelationId) : row.CorrelationId,
    RequestId: typeof row.RequestId === 'string' ? rewrite(row.RequestId) : row.RequestId,
  }));
  workspace.ingest(llmLogTable, llmRows, (row, index) => (ingestedAt.get(row.CorrelationId) ?? Date.parse(String(row.TimeGenerated)) + options.lagMs(row, index)) + (options.llmExtraLagMs ?? 0));
  return { gatewayRows: gatewayRows.length, llmRows: llmRows.length };
}
