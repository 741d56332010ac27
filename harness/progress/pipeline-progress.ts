import type { AppliedFault } from '../evidence/evidence-types.ts';
import type { FaultChange, RunPhase } from './progress-events.ts';
import { eventsOf } from './progress-reporter.ts';
import { watchLoad, type LoadWatch, type LoadWatchOptions } from './load-watch.ts';

/**
 * The pipelines' side of progress (run-scenario.ts, capacity-run.ts): one call per thing that
 * happens, each a no-op when the caller's `progress` is a plain line function (then the
 * pipeline says what it always said, in lines), so the pipelines stay as they read.
 */
export interface PipelineProgress {
  /** Whether events go to a renderer (a command's reporter). */
  readonly active: boolean;
  phase(phase: RunPhase): void;
  /** A timeline step changed; false when there is no renderer and the caller should say it. */
  fault(fault: AppliedFault, change: FaultChange, loadStartedAt: number): boolean;
  /** Readings of the load from k6's samples until stopped; null when there is no renderer. */
  watchLoad(options: Omit<LoadWatchOptions, 'emit' | 'now'>): LoadWatch | null;
  step(index: number, of: number, offeredRps: number, kind: string, seconds: number): void;
}

export function pipelineProgress(progress: ((line: string) => void) | undefined, now: () => number = Date.now): PipelineProgress {
  const emit = eventsOf(progress);
  return {
    active: emit !== null,
    phase(phase) {
      emit?.({ type: 'phase', at: now(), phase });
    },
    fault(fault, change, loadStartedAt) {
      if (!emit) return false;
      const problem = fault.error ?? (change === 'rollback-failed' ? fault.rollbackError : undefined);
      const at = now();
      emit({ type: 'fault', at, change, id: fault.id, action: fault.action, target: fault.target, secondsIntoLoad: (at - loadStartedAt) / 1000, ...(problem ? { problem } : {}) });
      return true;
    },
    watchLoad(options) {
      return emit ? watchLoad({ ...options, emit, now }) : null;
    },
    step(index, of, offeredRps, kind, seconds) {
      emit?.({ type: 'step', at: now(), index, of, offeredRps, kind, seconds });
    },
  };
}
