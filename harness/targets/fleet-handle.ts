/**
 * The fleet behind a target, as the run uses it, whether the run started it in this process or
 * attached to one already running (started-fleet.ts, attached-fleet.ts): its description, fault
 * rules by request, a lookup of a request in its ledger (the preflight), progress, and the end
 * of ledger collection with what the ledger amounts to.
 */
import { ZodError } from 'zod';
import type { FleetDescription, RunningFleet } from '../../mocks/aoai/fleet.ts';
import type { EvidenceSource } from '../contracts/evidence.ts';
import type { LedgerLookup } from './preflight.ts';

export interface FleetHandle {
  readonly mode: 'started' | 'attached';
  readonly description: FleetDescription;
  /** Injects a fault rule (the fleet's fault request shape); resolves to its id. */
  injectFault(request: Record<string, unknown>): Promise<string>;
  clearFault(id: string): Promise<void>;
  readonly findInLedger: LedgerLookup;
  /** Ledger records so far (for progress). */
  requestsSoFar(): number;
  /** Ledger collection is over: the run folder's ledger is complete, or says why not. */
  finishLedger(): Promise<EvidenceSource>;
  close(): Promise<void>;
}

/** A fleet this process runs: faults and the ledger are in memory, the ledger file is the run's. */
export function startedFleetHandle(fleet: RunningFleet): FleetHandle {
  const description = fleet.describe();
  // The preflight looks for its request among the records written after it began.
  const from = fleet.ledger.lastSeq;
  return {
    mode: 'started',
    description,
    async injectFault(request) {
      try {
        return fleet.faults.inject(request).id;
      } catch (error) {
        // The fleet's own ZodError message is a JSON dump of its issues: name the field instead.
        if (error instanceof ZodError) throw new Error(`the fleet refused the fault: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        throw error;
      }
    },
    async clearFault(id) {
      fleet.faults.clear(id);
    },
    findInLedger: async ({ marker, requestId }) => {
      let after = from;
      for (;;) {
        const page = fleet.ledger.read(after, 1000);
        for (const record of page.records) {
          if (record.type === 'request' && (record.correlationId === marker || (requestId !== null && record.requestId === requestId))) return { backend: record.backend, status: record.status, requestId: record.requestId, correlationId: record.correlationId };
        }
        if (page.records.length === 0 || page.next === after) return null;
        after = page.next;
      }
    },
    requestsSoFar: () => fleet.ledger.lastSeq,
    async finishLedger() {
      // The fleet writes its ledger straight into the run folder; closing flushes it.
      return { kind: 'ledger', status: 'collected' };
    },
    close: () => fleet.close(),
  };
}
