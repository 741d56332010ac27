import { join } from 'node:path';
import { pushBounded as pushWindow } from '../../shared/bounded-window.ts';
import type { CircuitBreakerEvent } from '../backends/circuit-breaker.ts';
import { toEventGridEvent } from '../backends/circuit-breaker.ts';
import { JsonlWriter } from '../../shared/jsonl-writer.ts';
import type { BreakerEvent } from '../../../harness/contracts/breaker-events.ts';
import type { GatewayLogRow, LlmLogRow } from '../../../harness/contracts/gateway-log-rows.ts';

/**
 * Where the emulator writes what a real APIM would send to Azure Monitor, one JSONL file per
 * table, named after the table: ApiManagementGatewayLogs, ApiManagementGatewayLlmLog, the
 * circuit breaker's Event Grid events, and the token metrics (customMetrics-shaped rows).
 * Rows reach the files in batches (see shared/jsonl-writer.ts) and all of them by close();
 * what waits in memory for the disk is bounded there. A file that cannot be opened fails
 * createGatewayLogSink; one that fails later makes close() reject.
 */
export interface GatewayLogSink {
  readonly dir: string | null;
  gateway(row: GatewayLogRow): void;
  llm(row: LlmLogRow): void;
  breakerEvent(event: CircuitBreakerEvent, region: string): void;
  metric(row: { timestamp: string; name: string; value: number; namespace: string; customDimensions: Record<string, string> }): void;
  /**
   * The latest rows of each table (up to 10,000), for tests that read rows without files.
   * Filled only while keepRecent is on, which by default means no logs directory: see
   * createGatewayLogSink.
   */
  readonly recent: { gateway: GatewayLogRow[]; llm: LlmLogRow[]; events: object[]; metrics: object[] };
  close(): Promise<void>;
}

const keep = 10_000;
const pushBounded = <T>(list: T[], item: T): void => pushWindow(list, item, keep);

/**
 * `keepRecent` (default: only when there is no directory) keeps the latest rows in memory as
 * well. With files it is off: the files are the evidence, and 10,000 rows of each table held
 * in memory outlive every young-generation collection, so each row is copied into the old
 * generation and marked again by every full collection. That showed in the gateway's CPU per
 * request and its p99 (docs/apim-emulator.md, "Gateway logs").
 */
export function createGatewayLogSink(dir: string | null, options: { keepRecent?: boolean } = {}): GatewayLogSink {
  const keepRecent = options.keepRecent ?? dir === null;
  const files = dir
    ? {
        gateway: new JsonlWriter(join(dir, 'ApiManagementGatewayLogs.jsonl')),
        llm: new JsonlWriter(join(dir, 'ApiManagementGatewayLlmLog.jsonl')),
        events: new JsonlWriter(join(dir, 'circuit-breaker-events.jsonl')),
        metrics: new JsonlWriter(join(dir, 'token-metrics.jsonl')),
      }
    : null;
  const broken = files ? Object.values(files).find((file) => file.error !== null) : undefined;
  if (files && broken) {
    // Refused at start rather than found missing at the end of a run.
    void Promise.allSettled(Object.values(files).map((file) => file.close()));
    throw new Error(`gateway logs: cannot write ${broken.path}: ${broken.error?.message}`);
  }
  const recent = { gateway: [] as GatewayLogRow[], llm: [] as LlmLogRow[], events: [] as object[], metrics: [] as object[] };
  return {
    dir,
    recent,
    gateway(row) {
      if (keepRecent) pushBounded(recent.gateway, row);
      files?.gateway.write(row);
    },
    llm(row) {
      if (keepRecent) pushBounded(recent.llm, row);
      files?.llm.write(row);
    },
    breakerEvent(event, region) {
      const shaped: BreakerEvent = { ...toEventGridEvent(event), region };
      if (keepRecent) pushBounded(recent.events, shaped);
      files?.events.write(shaped);
    },
    metric(row) {
      if (keepRecent) pushBounded(recent.metrics, row);
      files?.metrics.write(row);
    },
    async close() {
      if (files) await Promise.all(Object.values(files).map((file) => file.close()));
    },
  };
}
