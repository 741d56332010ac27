/**
 * A fleet this process runs (the embedded target's, or the one a gateway target starts on fixed
 * ports): faults and the ledger are in memory, and the ledger file is the run folder's own.
 */
import { ZodError } from 'zod';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import { ledgerLookup, type FleetHandle } from './fleet-handle.ts';

export function startedFleetHandle(fleet: RunningFleet): FleetHandle {
  // The preflight looks for its request among the records written after this point.
  const from = fleet.ledger.lastSeq;
  return {
    mode: 'started',
    description: fleet.describe(),
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
    findInLedger: ledgerLookup((after) => fleet.ledger.read(after, 1000), from),
    requestsSoFar: () => fleet.ledger.lastSeq,
    // The fleet writes its ledger straight into the run folder; closing it flushes the file.
    finishLedger: async () => ({ kind: 'ledger', status: 'collected' }),
    close: () => fleet.close(),
  };
}
