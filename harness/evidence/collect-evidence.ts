import { join, relative } from 'node:path';
import { breakerEventSchema } from '../contracts/breaker-events.ts';
import type { AppliedFault, FleetFacts, RunEvidence } from '../contracts/evidence.ts';
import { frontDoorEventSchema } from '../contracts/front-door-events.ts';
import { gatewayLogEvidence, gatewayLogRowSchema, llmLogEvidence, llmLogRowSchema } from '../contracts/gateway-log-rows.ts';
import { ledgerRecordSchema, type FaultChangeRecord, type RequestRecord } from '../contracts/ledger-record.ts';
import { readClientRecords } from './k6-samples.ts';
import { readJsonl } from './read-jsonl.ts';

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

/**
 * Reads every evidence file of a finished run into one RunEvidence. Every row is checked
 * against its contract (harness/contracts) as it is read: a malformed one rejects with an
 * EvidenceRowError naming the file, the line and the field, and nothing is judged. Of the
 * gateway's log rows only the columns the verifiers read are kept (gateway-log-rows.ts).
 */
export async function collectEvidence(runDir: string, window: { start: number; end: number }, timeline: AppliedFault[], fleet: FleetFacts | null): Promise<RunEvidence> {
  const paths = evidencePaths(runDir);
  const [client, ledger, gatewayLogs, llmLogs, breakerEvents, frontDoorEvents] = await Promise.all([
    readClientRecords(paths.client),
    readJsonl(paths.ledger, ledgerRecordSchema),
    readJsonl(paths.gatewayLogs, gatewayLogRowSchema, { keep: gatewayLogEvidence }),
    readJsonl(paths.llmLogs, llmLogRowSchema, { keep: llmLogEvidence }),
    readJsonl(paths.breakerEvents, breakerEventSchema),
    readJsonl(paths.frontDoorEvents, frontDoorEventSchema),
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
