/**
 * Rollbacks, which always run: after the method, and on Ctrl-C or a crash too (the drill runs
 * them in its `finally`, after the run pipeline has stopped k6 and undone its own timeline).
 *
 * Two kinds are recorded: the method's timeline steps, each undone by the run pipeline
 * (harness/run/fault-timeline.ts) whatever ended the run, read back from the run's journal so
 * the drill says which were undone and which could not be; and the drill file's declared
 * rollbacks, run here against the fleet when it outlives the run. The embedded default's fleet
 * stops with the run, its fault rules with it: a declared rollback there has nothing to undo,
 * and says so.
 */
import type { AppliedFault } from '../contracts/evidence.ts';
import type { FleetControlClient } from '../targets/fleet-control-client.ts';
import type { Rollback } from './drill-file.ts';
import type { RollbackResult } from './drill-journal.ts';

export function timelineRollbacks(applied: readonly AppliedFault[]): RollbackResult[] {
  return applied.map((fault) => {
    const what = `${fault.id} (${fault.action} ${fault.target})`;
    if (fault.appliedAt === null) return { kind: 'timeline-step', what, status: 'not-needed', detail: fault.error ? `never applied: ${fault.error}` : 'never applied' };
    if (fault.rollbackError) return { kind: 'timeline-step', what, status: 'failed', detail: fault.rollbackError };
    if (fault.clearedAt === null) return { kind: 'timeline-step', what, status: 'failed', detail: 'applied and never cleared' };
    return { kind: 'timeline-step', what, status: 'done', detail: `cleared at ${new Date(fault.clearedAt).toISOString()}` };
  });
}

export async function runDeclaredRollbacks(rollbacks: readonly Rollback[], fleet: FleetControlClient | null): Promise<RollbackResult[]> {
  const results: RollbackResult[] = [];
  for (const rollback of rollbacks) {
    const scope = rollback.backend ?? rollback.region;
    const what = `clear the fleet's fault rules${scope ? ` on ${scope}` : ''}`;
    if (!fleet) {
      results.push({ kind: rollback.kind, what, status: 'not-needed', detail: "the embedded default's fleet stopped with the run, and its fault rules with it" });
      continue;
    }
    try {
      const cleared = await fleet.clearFaults({ ...(rollback.backend ? { backend: rollback.backend } : {}), ...(rollback.region ? { region: rollback.region } : {}) });
      results.push({ kind: rollback.kind, what, status: 'done', detail: `${cleared} rule(s) cleared` });
    } catch (error) {
      results.push({ kind: rollback.kind, what, status: 'failed', detail: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}
