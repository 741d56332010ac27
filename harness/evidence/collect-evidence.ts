import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { breakerEventSchema } from '../contracts/breaker-events.ts';
import { evidenceFileNames, evidenceKinds, type AppliedFault, type EvidenceKind, type EvidenceSource, type FleetFacts, type RunEvidence } from '../contracts/evidence.ts';
import { frontDoorEventSchema } from '../contracts/front-door-events.ts';
import { gatewayLogEvidence, gatewayLogRowSchema, llmLogEvidence, llmLogRowSchema } from '../contracts/gateway-log-rows.ts';
import { ledgerRecordSchema, type FaultChangeRecord, type RequestRecord } from '../contracts/ledger-record.ts';
import { readClientRecords } from './k6-samples.ts';
import { readJsonl } from './read-jsonl.ts';

/** Where a run's evidence files are, inside its run folder. */
export function evidencePaths(runDir: string) {
  return {
    client: join(runDir, evidenceFileNames.client),
    k6Summary: join(runDir, 'k6-summary.json'),
    k6SummaryExport: join(runDir, 'k6-summary-export.json'),
    ledger: join(runDir, evidenceFileNames.ledger),
    gatewayLogs: join(runDir, evidenceFileNames.gatewayLogs),
    llmLogs: join(runDir, evidenceFileNames.llmLogs),
    breakerEvents: join(runDir, evidenceFileNames.breakerEvents),
    frontDoorEvents: join(runDir, evidenceFileNames.frontDoorEvents),
    logsDir: join(runDir, 'gateway-logs'),
  };
}

/** Every kind collected: what the embedded target brings (the whole stack runs in the run's own process). */
export const everyEvidenceKind: readonly EvidenceSource[] = evidenceKinds.map((kind) => ({ kind, status: 'collected' }));

/**
 * Reads a finished run's evidence into one RunEvidence: only the kinds the target brings.
 *
 * `sources` is what the target says of each kind: `collected`, it brought the file (read it);
 * `incomplete`, it brought a file known to miss records (read it, and keep the target's note:
 * "the ledger poller lost records 1200-1350"); `absent`, or not listed, it has no such source
 * (nothing is read, even if a file of that name lies in the folder, and the kind comes back
 * absent with the target's note). A kind the target brings whose file was not written comes
 * back `incomplete`, naming the file: a missing ledger is never taken for an empty one.
 *
 * Every row is checked against its contract (harness/contracts) as it is read: a malformed one
 * rejects with an EvidenceRowError naming the file, the line and the field, and nothing is
 * judged. Of the gateway's log rows only the columns the verifiers read are kept
 * (gateway-log-rows.ts).
 */
export async function collectEvidence(
  runDir: string,
  window: { start: number; end: number },
  timeline: AppliedFault[],
  fleet: FleetFacts | null,
  sources: readonly EvidenceSource[] = everyEvidenceKind,
): Promise<RunEvidence> {
  const paths = evidencePaths(runDir);
  const rel = (file: string): string => relative(runDir, file);
  const offered = new Map<EvidenceKind, EvidenceSource>();
  for (const source of sources) {
    if (offered.has(source.kind)) throw new RangeError(`collectEvidence: the evidence kind "${source.kind}" is listed twice in the target's sources`);
    offered.set(source.kind, source);
  }
  const status = new Map<EvidenceKind, EvidenceSource>();
  for (const kind of evidenceKinds) {
    const source = offered.get(kind);
    if (!source || source.status === 'absent') status.set(kind, { kind, status: 'absent', note: source?.note ?? `this target does not bring ${kind}` });
    else if (!existsSync(paths[kind])) status.set(kind, { kind, status: 'incomplete', note: `the target brings ${kind}, but ${rel(paths[kind])} was not written${source.note ? ` (${source.note})` : ''}` });
    else status.set(kind, { ...source });
  }
  const read = <T>(kind: EvidenceKind, reader: () => Promise<T[]>): Promise<T[]> => (status.get(kind)!.status === 'absent' ? Promise.resolve([]) : reader());
  const [client, ledger, gatewayLogs, llmLogs, breakerEvents, frontDoorEvents] = await Promise.all([
    read('client', () => readClientRecords(paths.client)),
    read('ledger', () => readJsonl(paths.ledger, ledgerRecordSchema)),
    read('gatewayLogs', () => readJsonl(paths.gatewayLogs, gatewayLogRowSchema, { keep: gatewayLogEvidence })),
    read('llmLogs', () => readJsonl(paths.llmLogs, llmLogRowSchema, { keep: llmLogEvidence })),
    read('breakerEvents', () => readJsonl(paths.breakerEvents, breakerEventSchema)),
    read('frontDoorEvents', () => readJsonl(paths.frontDoorEvents, frontDoorEventSchema)),
  ]);
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
    sources: evidenceKinds.map((kind) => status.get(kind)!),
  };
}
