/**
 * A fleet the run did not start (`spillway fleet up`, here or on another host), reached only
 * through its control API: faults go in and out over it, and its ledger is collected into the
 * run folder by polling from the newest record at attach time (ledger-collector.ts), so the run
 * gets exactly its own window of the fleet's history. Records the fleet's in-memory window let go
 * before they were read make the ledger `incomplete`, naming the gap: verifiers that need the
 * ledger are then inconclusive rather than judging a ledger with holes.
 *
 * Faults the run injected and could not clear are the run's to report (a rollback error), since
 * the fleet outlives the run; closing never clears faults it did not inject.
 */
import type { FleetDescription } from '../contracts/fleet-description.ts';
import type { EvidenceSource } from '../contracts/evidence.ts';
import { controlTokenFrom } from '../run/controlled-fleet.ts';
import { FleetControlClient } from './fleet-control-client.ts';
import type { FleetHandle } from './fleet-handle.ts';
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
      return (await client.injectFault(request as Parameters<FleetControlClient['injectFault']>[0])).id;
    },
    async clearFault(id) {
      const cleared = await client.clearFault(id);
      // Gone already is not a failure only if the rule was meant to lapse; the run's rules have
      // no expiry of their own, so a rule that vanished was cleared by somebody else: say so.
      if (!cleared) throw new Error(`fault rule ${id} was no longer on the fleet at ${args.description.control} (cleared by someone else, or the fleet restarted)`);
    },
    findInLedger: async ({ marker, requestId }) => {
      let after = fromSeq;
      for (;;) {
        const page = await client.readLedger(after, 1000);
        for (const record of page.records) {
          if (record.type === 'request' && (record.correlationId === marker || (requestId !== null && record.requestId === requestId))) {
            return { backend: record.backend, status: record.status, requestId: record.requestId, correlationId: record.correlationId };
          }
        }
        if (page.records.length === 0 || page.next === after) return null;
        after = page.next;
      }
    },
    requestsSoFar: () => collector.records,
    finishLedger,
    async close() {
      await finishLedger();
    },
  };
}

/** What the collected ledger amounts to: complete, or incomplete naming the records lost. */
export function ledgerSource(collection: LedgerCollection, control: string): EvidenceSource {
  if (collection.gaps.length === 0) return { kind: 'ledger', status: 'collected', note: `${collection.records} records collected over ${control}` };
  const lost = collection.gaps.reduce((sum, gap) => sum + gap.lostUntilSeq - gap.afterSeq, 0);
  const where = collection.gaps.slice(0, 3).map((gap) => `${gap.afterSeq + 1}-${gap.lostUntilSeq}`).join(', ');
  return {
    kind: 'ledger',
    status: 'incomplete',
    note: `${lost} ledger records (seq ${where}${collection.gaps.length > 3 ? ', …' : ''}) left the fleet's in-memory window before the run read them over ${control}; start the fleet with a larger window or run closer to it`,
  };
}
