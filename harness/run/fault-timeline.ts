import type { AppliedFault } from '../evidence/evidence-types.ts';
import type { StepKind, StepOf, TimelineStep } from './scenario-plan.ts';

/**
 * Executes a scenario's fault timeline at offsets from k6's start and records when each step
 * really applied and cleared. A target hands in one injector per step kind it can apply
 * (harness/targets); the executor never looks inside a step beyond its kind.
 */

/** Undoes what an injector did; throws when it could not (the fault may still be in place). */
export type Rollback = () => Promise<void>;

/** Applies one step of its kind; resolves to the rollback. */
export type FaultInjector<K extends StepKind> = (step: StepOf<K>) => Promise<Rollback>;

/** The injectors a target has, by step kind; a kind it lacks is a kind it cannot apply. */
export type FaultInjectors = { [K in StepKind]?: FaultInjector<K> };

export interface RunningTimeline {
  readonly applied: AppliedFault[];
  /** Stops scheduling, rolls back whatever is still applied, and waits for it. */
  stop(): Promise<void>;
}

/** The step's action and target in words, for the journal and the terminal. */
export function describeStep(step: TimelineStep): { action: string; target: string } {
  switch (step.kind) {
    case 'fleet-fault':
      return { action: `fleet:${step.fault.kind}${step.fault.status ? ` ${step.fault.status}` : ''}`, target: step.fault.target.backend ?? step.fault.target.region ?? step.fault.target.deployment ?? 'every backend' };
    case 'region-down':
      return { action: step.backends === false ? 'region-down (gateway only)' : 'region-down', target: step.region };
    case 'network':
      return { action: `network:${step.toxic.type}${step.toxic.type === 'down' ? '' : ` ${step.stream}`}`, target: step.link.to === 'backend' ? step.link.backend : step.link.to === 'gateway' ? `gateway ${step.link.region}` : `backends of ${step.link.region}` };
    case 'process':
      return { action: `process:${step.action}`, target: step.process.of === 'gateway' ? `gateway ${step.process.region}` : step.process.backend };
  }
}

/**
 * Why a run with this timeline cannot be judged: the first step that failed when it fired, or
 * whose rollback failed; null when none did. A verdict over a run whose fault never happened
 * would pass or fail a drill that was not run; a fault that could not be undone leaves a fleet
 * (perhaps one the run did not start) still broken. Either way the run is incomplete (exit 2).
 */
export function timelineFailure(applied: readonly AppliedFault[]): string | null {
  const failed = applied.find((fault) => fault.error !== undefined);
  if (failed) return `timeline step "${failed.id}" (${failed.action}${failed.target ? ` on ${failed.target}` : ''}, at ${failed.atSeconds} s) failed when it fired: ${failed.error}; the run is not judged without it`;
  const stuck = applied.find((fault) => fault.rollbackError !== undefined);
  if (stuck) return `timeline step "${stuck.id}" (${stuck.action}${stuck.target ? ` on ${stuck.target}` : ''}) could not be rolled back: ${stuck.rollbackError}; it may still be in place, and the run is not judged`;
  return null;
}

function inject(step: TimelineStep, injectors: FaultInjectors): Promise<Rollback> {
  // The union is narrowed per kind so each injector gets its own step type.
  switch (step.kind) {
    case 'fleet-fault':
      return injectors['fleet-fault']!(step);
    case 'region-down':
      return injectors['region-down']!(step);
    case 'network':
      return injectors.network!(step);
    case 'process':
      return injectors.process!(step);
  }
}

/**
 * A gate the steps at or after `atSeconds` wait for: Chaos Toolkit's rule that the method is not
 * run when the steady-state hypothesis does not hold before it. `held` resolves once the gate is
 * judged: true lets the waiting steps fire (late by however long the judging took, and
 * recorded as they really applied), false cancels them, never applied.
 */
export interface TimelineGate {
  atSeconds: number;
  held: Promise<boolean>;
}

export function startTimeline(
  steps: readonly TimelineStep[],
  startedAt: number,
  injectors: FaultInjectors,
  now: () => number = Date.now,
  onChange?: (fault: AppliedFault, what: 'applied' | 'cleared' | 'failed' | 'rollback-failed') => void,
  scopes: ReadonlyMap<string, string> = new Map(),
  gate?: TimelineGate,
): RunningTimeline {
  // The target refuses such steps before anything starts (refusedSteps); reaching here with one is a programming error.
  const refused = steps.filter((step) => injectors[step.kind] === undefined);
  if (refused.length > 0) throw new Error(`no injector for step kind(s) ${[...new Set(refused.map((s) => s.kind))].join(', ')}`);
  const timers = new Set<NodeJS.Timeout>();
  const rollbacks = new Map<string, Rollback>();
  const pending = new Set<Promise<void>>();
  let stopped = false;
  // A step waiting for the gate must not hold stop() up: stopping ends the wait, as a cancelled gate.
  let endWait = (): void => undefined;
  const stoppedWhileWaiting = new Promise<boolean>((resolve) => (endWait = () => resolve(false)));
  const applied: AppliedFault[] = steps.map((step) => ({
    id: step.id,
    step,
    ...(scopes.has(step.id) ? { scope: scopes.get(step.id)! } : {}),
    atSeconds: step.at,
    ...describeStep(step),
    appliedAt: null,
    clearedAt: null,
  }));

  const track = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  /**
   * Runs `run` at `dueAt` (epoch ms on `now`'s clock), never before: a timer may fire a
   * millisecond early, and a fault that lasted less than its plan says would be judged as if
   * it had lasted the whole time, so an early timer waits out the rest.
   */
  const schedule = (dueAt: number, run: () => Promise<void>): void => {
    // An injection still in flight when stop() began finishes after it: it must not leave a
    // rollback timer behind (stop() rolls the step back itself), which would hold the process.
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      if (now() < dueAt) schedule(dueAt, run);
      else track(run());
    }, Math.max(0, dueAt - now()));
    timers.add(timer);
  };
  const rollBack = async (record: AppliedFault): Promise<void> => {
    const rollback = rollbacks.get(record.id);
    rollbacks.delete(record.id);
    if (!rollback) return;
    try {
      await rollback();
      record.clearedAt = now();
      onChange?.(record, 'cleared');
    } catch (error) {
      record.rollbackError = error instanceof Error ? error.message : String(error);
      onChange?.(record, 'rollback-failed');
    }
  };

  steps.forEach((step, index) => {
    const record = applied[index]!;
    schedule(startedAt + step.at * 1000, async () => {
      if (gate !== undefined && step.at >= gate.atSeconds && !(await Promise.race([gate.held, stoppedWhileWaiting]))) return;
      if (stopped) return;
      try {
        const rollback = await inject(step, injectors);
        record.appliedAt = now();
        rollbacks.set(step.id, rollback);
        onChange?.(record, 'applied');
        if (step.for !== undefined) schedule(record.appliedAt + step.for * 1000, () => rollBack(record));
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
        onChange?.(record, 'failed');
      }
    });
  });

  return {
    applied,
    async stop() {
      stopped = true;
      endWait();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...pending]);
      for (const record of applied) if (rollbacks.has(record.id)) await rollBack(record);
    },
  };
}
