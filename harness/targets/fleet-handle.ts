/**
 * The fleet behind a target, as the run uses it, whether the run started it in this process or
 * attached to one already running (started-fleet.ts, attached-fleet.ts): its description, fault
 * rules by request, a lookup of a request in its ledger (the preflight), progress, and the end
 * of ledger collection with what the ledger amounts to. The parts both kinds share are here.
 */
import type { EvidenceSource } from '../contracts/evidence.ts';
import type { FaultRequest } from '../contracts/fault-rule.ts';
import type { FleetDescription } from '../contracts/fleet-description.ts';
import type { LedgerRecord } from '../contracts/ledger-record.ts';
import type { FaultInjector } from '../run/fault-timeline.ts';
import type { LedgerLookup, PreflightRecord } from './preflight.ts';

export interface FleetHandle {
  readonly mode: 'started' | 'attached';
  readonly description: FleetDescription;
  /** Injects a fault rule; resolves to its id. */
  injectFault(request: FaultRequest): Promise<string>;
  /** Clears a rule the run injected; throws when it could not (the rule may still be on). */
  clearFault(id: string): Promise<void>;
  readonly findInLedger: LedgerLookup;
  /** Ledger records so far (for progress). */
  requestsSoFar(): number;
  /** Ledger collection is over: the run folder's ledger is complete, or says why not. */
  finishLedger(): Promise<EvidenceSource>;
  close(): Promise<void>;
}

/** One page of a ledger from a seq on, however it is read (in memory, over the control API). */
export type ReadLedgerPage = (after: number) => Promise<{ records: readonly LedgerRecord[]; next: number }> | { records: readonly LedgerRecord[]; next: number };

/**
 * The preflight's lookup over a ledger from `fromSeq` on: the request that carried the marker
 * (recorded as its correlation id when the gateway sets none of its own), or whose fleet request
 * id the client saw in `x-request-id`.
 */
export function ledgerLookup(read: ReadLedgerPage, fromSeq: number): LedgerLookup {
  return async ({ marker, requestId }) => {
    let after = fromSeq;
    for (;;) {
      const page = await read(after);
      for (const record of page.records) {
        if (record.type === 'request' && (record.correlationId === marker || (requestId !== null && record.requestId === requestId))) {
          return { backend: record.backend, status: record.status, reason: record.reason, requestId: record.requestId, correlationId: record.correlationId } satisfies PreflightRecord;
        }
      }
      if (page.records.length === 0 || page.next === after) return null;
      after = page.next;
    }
  };
}

/** The `fleet-fault` injector over a fleet: the step's rule, labelled with the step id so the ledger ties it to the step. */
export function fleetFaultInjector(fleet: FleetHandle): FaultInjector<'fleet-fault'> {
  return async (step) => {
    const id = await fleet.injectFault({ ...step.fault, label: step.id });
    return () => fleet.clearFault(id);
  };
}
