/**
 * What a run, a capacity run or a drill says about itself while it goes on, as events: the
 * pipelines emit them (harness/progress/run-progress.ts is their side), a renderer shows them
 * (an updating line in a terminal, plain timestamped lines in a CI log, nothing with --quiet).
 * Every event carries its own time, so a renderer is a function of the events it is given:
 * the tests feed it a sequence and read what it wrote.
 */

/** The phases of a run, in order; a capacity run goes through them too (load once per step). */
export const runPhases = ['preparing', 'starting', 'preflight', 'load', 'collecting', 'verifying'] as const;
export type RunPhase = (typeof runPhases)[number];

export const phaseLabels: Record<RunPhase, string> = {
  preparing: 'preparing',
  starting: 'starting fleet and gateway',
  preflight: 'preflight',
  load: 'load',
  collecting: 'collecting evidence',
  verifying: 'verifying',
};

/** The client's view of the load so far, from k6's own samples (k6-sample-tail.ts). */
export interface LoadReading {
  elapsedSeconds: number;
  /** How long the load is planned to last (the scenario's, or the capacity step's). */
  totalSeconds: number;
  /** Responses per second over the last few seconds; null until there is a second of them. */
  rps: number | null;
  /** What the plan offers at this moment, requests per second (every class sending now). */
  targetRps: number;
  /** Responses so far. */
  requests: number;
  errors: ErrorCounts;
  /** A few words from the target (backend requests so far), when it has them. */
  detail?: string;
}

/**
 * Responses that were not a success, by what the client saw: 429 (a limit, often the gateway's
 * own and expected by the scenario), 5xx, no response at all (refused, reset, timed out), any
 * other 4xx.
 */
export interface ErrorCounts {
  total: number;
  throttled: number;
  server: number;
  network: number;
  other: number;
}

export type FaultChange = 'applied' | 'cleared' | 'failed' | 'rollback-failed';

export type ProgressEvent =
  | { type: 'phase'; at: number; phase: RunPhase }
  /** `final`: the last reading of a load, once k6 has ended. */
  | { type: 'load'; at: number; reading: LoadReading; final?: boolean }
  | { type: 'fault'; at: number; change: FaultChange; id: string; action: string; target: string; secondsIntoLoad: number; problem?: string }
  | { type: 'message'; at: number; text: string }
  /** A capacity step begins: step `index` (1-based) of the `of` the ramp plans (bisection and holds go past it). */
  | { type: 'step'; at: number; index: number; of: number; offeredRps: number; kind: string; seconds: number }
  /** A drill begins: `index` (1-based) of `of` chosen. */
  | { type: 'drill'; at: number; name: string; index: number; of: number };

/** Shows events; `close` leaves the terminal as a result can be printed after it. */
export interface ProgressRenderer {
  render(event: ProgressEvent): void;
  close(): void;
}
