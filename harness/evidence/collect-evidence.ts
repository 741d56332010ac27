import { join, relative } from 'node:path';
import type { FaultChangeRecord, LedgerRecord, RequestRecord } from '../../mocks/aoai/ledger.ts';
import type { GatewayLogRow, LlmLogRow } from '../../mocks/apim/gateway/gateway-log-schema.ts';
import type { FrontDoorEvent } from '../../mocks/frontdoor/front-door-events.ts';
import type { AppliedFault, FleetFacts, RunEvidence } from './evidence-types.ts';
import { readClientRecords } from './k6-samples.ts';
import { anyRow, readJsonl } from './read-jsonl.ts';

/** Where a run's evidence files are, inside its run folder. */
export function evidencePaths(runDir: string) {
  return {
    client: join(runDir, 'k6-samples.json'),
    k6Summary: join(runDir, 'k6-summary.json'),
    k6SummaryExport: join(runDir, 'k6-summary-export.json'),
    ledger: join(runDir, 'fleet-ledger.jsonl'),
    gatewayLogs: join(runDir, 'gateway-logs', 'ApiManagementGatewayLogs.jsonl'),
    llmLogs: join(runDir, 'gateway-logs', 'ApiManagementGatewayLlmLog.jsonl'),
    breakerEvents: join(runDir, 'gateway-logs', 'circuit-breaker-events.jsonl'),
    frontDoorEvents: join(runDir, 'gateway-logs', 'front-door-events.jsonl'),
    logsDir: join(runDir, 'gateway-logs'),
  };
}

/** Reads every evidence file of a finished run into one RunEvidence. */
export async function collectEvidence(runDir: string, window: { start: number; end: number }, timeline: AppliedFault[], fleet: FleetFacts | null): Promise<RunEvidence> {
  const paths = evidencePaths(runDir);
  const [client, ledger, gatewayLogs, llmLogs, breakerEvents, frontDoorEvents] = await Promise.all([
    readClientRecords(paths.client),
    readJsonl(paths.ledger, (row): row is LedgerRecord => anyRow(row) && (row.type === 'request' || row.type === 'fault')),
    readJsonl(paths.gatewayLogs, (row): row is GatewayLogRow => anyRow(row) && row.Type === 'ApiManagementGatewayLogs'),
    readJsonl(paths.llmLogs, (row): row is LlmLogRow => anyRow(row) && row.Type === 'ApiManagementGatewayLlmLog'),
    readJsonl(paths.breakerEvents, (row): row is RunEvidence['breakerEvents'][number] => anyRow(row) && typeof row.eventType === 'string'),
    readJsonl(paths.frontDoorEvents, (row): row is FrontDoorEvent => anyRow(row) && typeof row.type === 'string'),
  ]);
  const rel = (file: string): string => relative(runDir, file);
  return {
    window,
    fleet,
    client,
    ledger: ledger.filter((r): r is RequestRecord => r.type === 'request'),
    faultChanges: ledger.filter((r): r is FaultChangeRecord => r.type === 'fault'),
    gatewayLogs,
    llmLogs,
    breakerEvents,
    frontDoorEvents,
    timeline,
    files: {
      client: rel(paths.client),
      ledger: rel(paths.ledger),
      gatewayLogs: rel(paths.gatewayLogs),
      llmLogs: rel(paths.llmLogs),
      breakerEvents: rel(paths.breakerEvents),
      frontDoorEvents: rel(paths.frontDoorEvents),
      k6Summary: rel(paths.k6Summary),
    },
  };
}
