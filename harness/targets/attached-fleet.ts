/**
 * A fleet the run did not start (`spillway fleet up`, here or on another host), reached only
 * through its control API: faults go in and out over it, and its ledger is collected into the
 * run folder by polling from the newest record at attach time (ledger-collector.ts). Records the
 * fleet's in-memory window let go before they were read make the ledger `incomplete`, naming the
 * gap: verifiers that need the ledger are then inconclusive rather than judging a ledger with
 * holes.
 *
 * The fleet outlives the run, so a fault the run could not clear is reported (a rollback error)
 * and one whose injection answer was lost is looked for by its label and cleared; closing never
 * touches faults the run did not inject.
 */
import type { EvidenceSource } from '../contracts/evidence.ts';
import type { FleetDescription } from '../contracts/fleet-description.ts';
import { controlTokenFrom } from './controlled-fleet.ts';
import { FleetControlClient, FleetControlError } from './fleet-control-client.ts';
import { ledgerLookup, type FleetHandle } from './fleet-handle.ts';
import { LedgerCollectionError, startLedgerCollector, type LedgerCollection } from './ledger-collector.ts';

export async function attachFleet(args: { description: FleetDescription; ledgerPath: string; env: NodeJS.ProcessEnv; say?: (line: string) => void }): Promise<FleetHandle> {
  const client = new FleetControlClient({ control: args.description.control, token: controlTokenFrom(args.env) });
  const fromSeq = await client.latestSeq();
  const collector = startLedgerCollector({ client, file: args.ledgerPath, fromSeq, onNotice: (message) => args.say?.(`fleet ledger: ${message}`) });
  let finished: Promise<EvidenceSource> | null = null;
  const finishLedger = (): Promise<EvidenceSource> => {
    finished ??= collector.stop().then(
      (collection) => ledgerSource(collection, args.description.control),
      (error: unknown) => {
        const collection = error instanceof LedgerCollectionError ? error.collection : null;
        return { kind: 'ledger' as const, status: 'incomplete' as const, note: `the fleet's ledger could not be collected to the end (${error instanceof Error ? error.message : String(error)})${collection ? `; ${collection.records} records were` : ''}` };
      },
    );
    return finished;
  };
  return {
    mode: 'attached',
    description: args.description,
    async injectFault(request) {
      try {
        return (await client.injectFault(request)).id;
      } catch (error) {
        // The rule may be on the fleet although its answer was lost: find it by its label
        // (the step id) and take it off, so the fleet does not keep a fault the run never had.
        if (error instanceof FleetControlError && error.retryable && request.label !== undefined) {
          const stray = await client.listFaults().catch(() => []);
          await Promise.allSettled(stray.filter((rule) => rule.label === request.label).map((rule) => client.clearFault(rule.id)));
        }
        throw error;
      }
    },
    async clearFault(id) {
      // The run's rules have no expiry of their own: one that is gone was cleared by someone else
      // or lost with a restarted fleet. The run cannot tell when its fault ended, so it says so.
      if (!(await client.clearFault(id))) throw new Error(`fault rule ${id} was no longer on the fleet at ${args.description.control} (cleared by someone else, or the fleet restarted)`);
    },
    findInLedger: ledgerLookup((after) => client.readLedger(after, 1000), fromSeq),
    requestsSoFar: () => collector.records,
    finishLedger,
    close: async () => {
      await finishLedger();
    },
  };
}

/** What the collected ledger amounts to: complete, or incomplete naming the records lost. */
function ledgerSource(collection: LedgerCollection, control: string): EvidenceSource {
  if (collection.gaps.length === 0) return { kind: 'ledger', status: 'collected', note: `${collection.records} records collected over ${control}` };
  const lost = collection.gaps.reduce((sum, gap) => sum + gap.lostUntilSeq - gap.afterSeq, 0);
  const where = collection.gaps.slice(0, 3).map((gap) => `${gap.afterSeq + 1}-${gap.lostUntilSeq}`).join(', ');
  return {
    kind: 'ledger',
    status: 'incomplete',
    note: `${lost} ledger records (seq ${where}${collection.gaps.length > 3 ? ', …' : ''}) left the fleet's in-memory window before the run read them over ${control}; run closer to the fleet, or with less load per fleet`,
  };
}
