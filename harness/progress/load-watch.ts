import type { TrafficClass } from '../contracts/scenario-plan.ts';
import type { LoadReading, ProgressEvent } from './progress-events.ts';
import { tailK6Samples } from './k6-sample-tail.ts';

/**
 * While k6 runs: a load reading every second from its samples (k6-sample-tail.ts), as `load`
 * events. Stopping reads once more, so the last event has every response k6 wrote.
 */
export interface LoadWatchOptions {
  emit: (event: ProgressEvent) => void;
  /** When k6 started, epoch ms. */
  startedAt: number;
  totalSeconds: number;
  /** k6's sample files (one per load generator). */
  sampleFiles: readonly string[];
  /** The plan's request rate at a number of seconds into the load. */
  targetRpsAt: (seconds: number) => number;
  /** A few words from the target, read with each reading. */
  detail?: () => string;
  intervalMs?: number;
  now?: () => number;
}

export interface LoadWatch {
  stop(): void;
}

export function watchLoad(options: LoadWatchOptions): LoadWatch {
  const now = options.now ?? Date.now;
  const tail = tailK6Samples(() => options.sampleFiles);
  const read = (final: boolean): void => {
    tail.poll();
    const at = now();
    const elapsedSeconds = Math.max(0, (at - options.startedAt) / 1000);
    const detail = options.detail?.();
    const reading: LoadReading = {
      elapsedSeconds,
      totalSeconds: options.totalSeconds,
      rps: tail.rate(at),
      targetRps: options.targetRpsAt(Math.min(elapsedSeconds, options.totalSeconds)),
      requests: tail.responses,
      errors: { ...tail.errors },
      ...(detail ? { detail } : {}),
    };
    options.emit({ type: 'load', at, reading, ...(final ? { final } : {}) });
  };
  const timer = setInterval(() => read(false), options.intervalMs ?? 1000);
  // Never what keeps the process alive.
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      read(true);
    },
  };
}

/** The plan's total rate at `seconds` into the load: every class sending then, scaled by units. */
export function plannedRate(traffic: readonly Pick<TrafficClass, 'ratePerUnit' | 'startSeconds' | 'endSeconds'>[], units: number, durationSeconds: number): (seconds: number) => number {
  return (seconds) => traffic.filter((t) => seconds >= (t.startSeconds ?? 0) && seconds < (t.endSeconds ?? durationSeconds + 1)).reduce((sum, t) => sum + t.ratePerUnit * units, 0);
}
