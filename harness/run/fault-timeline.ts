import type { AppliedFault } from '../evidence/evidence-types.ts';
import type { TimelineStep } from './scenario-plan.ts';

/**
 * Executes a scenario's fault timeline at offsets from k6's start and records when each step
 * really applied and cleared. Injectors are passed in, so the same executor drives the
 * embedded topology and (for fleet faults) a remote fleet's control API.
 */
export interface FaultInjectors {
  /** Injects a fleet fault; resolves to a function that clears it. */
  fleet(step: TimelineStep): Promise<() => Promise<void>>;
  /** Takes a regional gateway down; resolves to a function that brings it back. */
  regionDown(step: TimelineStep): Promise<() => Promise<void>>;
}

export interface RunningTimeline {
  readonly applied: AppliedFault[];
  /** Stops scheduling, clears whatever is still applied, and waits for it. */
  stop(): Promise<void>;
}

/**
 * Why a run with this timeline cannot be judged: the first step that failed when it fired,
 * which step and why; null when none did. A verdict over a run whose fault never happened
 * would pass or fail a drill that was not run, so the run is incomplete instead (exit 2).
 */
export function timelineFailure(applied: readonly AppliedFault[]): string | null {
  const failed = applied.find((fault) => fault.error !== undefined);
  if (!failed) return null;
  return `timeline step "${failed.id}" (${failed.action}${failed.target ? ` on ${failed.target}` : ''}, at ${failed.atSeconds} s) failed when it fired: ${failed.error}; the run is not judged without it`;
}

export function startTimeline(steps: readonly TimelineStep[], startedAt: number, injectors: FaultInjectors, now: () => number = Date.now, onChange?: (fault: AppliedFault, what: 'applied' | 'cleared' | 'failed') => void): RunningTimeline {
  const timers = new Set<NodeJS.Timeout>();
  const clearers = new Map<string, () => Promise<void>>();
  const pending = new Set<Promise<void>>();
  let stopped = false;
  const applied: AppliedFault[] = steps.map((step) => ({
    id: step.id,
    atSeconds: step.at,
    action: step.fleet ? `fleet:${step.fleet.kind}${step.fleet.status ? ` ${step.fleet.status}` : ''}` : 'region-down',
    target: step.fleet ? (step.fleet.target.backend ?? step.fleet.target.region ?? '') : (step.regionDown?.region ?? ''),
    appliedAt: null,
    clearedAt: null,
  }));

  const track = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const schedule = (delayMs: number, run: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) track(run());
    }, Math.max(0, delayMs));
    timers.add(timer);
  };

  steps.forEach((step, index) => {
    const record = applied[index]!;
    schedule(startedAt + step.at * 1000 - now(), async () => {
      try {
        const clear = step.fleet ? await injectors.fleet(step) : await injectors.regionDown(step);
        record.appliedAt = now();
        clearers.set(step.id, clear);
        onChange?.(record, 'applied');
        if (step.for !== undefined) {
          schedule(record.appliedAt + step.for * 1000 - now(), async () => {
            const clearNow = clearers.get(step.id);
            clearers.delete(step.id);
            if (!clearNow) return;
            await clearNow();
            record.clearedAt = now();
            onChange?.(record, 'cleared');
          });
        }
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
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...pending]);
      for (const [id, clear] of clearers) {
        clearers.delete(id);
        try {
          await clear();
          const record = applied.find((r) => r.id === id);
          if (record) {
            record.clearedAt = now();
            onChange?.(record, 'cleared');
          }
        } catch {
          // Tearing down: the topology is about to close anyway.
        }
      }
    },
  };
}
