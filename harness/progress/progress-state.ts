import { phaseLabels, type ErrorCounts, type LoadReading, type ProgressEvent, type RunPhase } from './progress-events.ts';

/**
 * What both renderers know at a moment, folded from the events so far: the phase and since
 * when, the latest load reading, the faults in place, the capacity step and the drill under way.
 * And the words they say it in, so that a terminal's line and a CI log's lines read the same.
 */
export interface ProgressState {
  phase: RunPhase | null;
  phaseSince: number;
  load: LoadReading | null;
  /** Faults applied and not yet cleared, by step id. */
  faults: Map<string, string>;
  step: Extract<ProgressEvent, { type: 'step' }> | null;
  drill: Extract<ProgressEvent, { type: 'drill' }> | null;
}

export function initialState(): ProgressState {
  return { phase: null, phaseSince: 0, load: null, faults: new Map(), step: null, drill: null };
}

export function applyEvent(state: ProgressState, event: ProgressEvent): void {
  switch (event.type) {
    case 'phase':
      state.phase = event.phase;
      state.phaseSince = event.at;
      // A new load (the next capacity step, the next drill's run) starts from nothing.
      if (event.phase === 'load') state.load = null;
      // Past the load, no fault is in place and no capacity step under way.
      if (event.phase !== 'load') {
        state.faults.clear();
        state.step = null;
      }
      return;
    case 'load':
      state.load = event.reading;
      return;
    case 'fault':
      if (event.change === 'applied') state.faults.set(event.id, `${event.id} (${event.action} on ${event.target})`);
      else state.faults.delete(event.id);
      return;
    case 'step':
      // Each step is a load of its own.
      state.step = event;
      state.load = null;
      return;
    case 'drill':
      state.drill = event;
      state.step = null;
      state.load = null;
      state.phase = null;
      state.faults.clear();
      return;
    case 'message':
      return;
  }
}

/** `drill 2/7 name` and `step 3/8 150 req/s (ramp)`: where in a longer run this is. */
export function contextWords(state: ProgressState): string[] {
  const words: string[] = [];
  if (state.drill) words.push(`drill ${state.drill.index}/${state.drill.of} ${state.drill.name}`);
  if (state.step) words.push(`step ${state.step.index}/${Math.max(state.step.of, state.step.index)} ${formatRate(state.step.offeredRps)} req/s (${state.step.kind})`);
  return words;
}

/** The phase as shown: load with a fault in place reads "load + faults". */
export function phaseWords(state: ProgressState): string {
  if (state.phase === null) return 'starting';
  return state.phase === 'load' && state.faults.size > 0 ? 'load + faults' : phaseLabels[state.phase];
}

/** The load in parts: time, rate against the target, responses, errors, the target's words. */
export function loadWords(reading: LoadReading): string[] {
  const left = Math.max(0, reading.totalSeconds - reading.elapsedSeconds);
  return [
    `${Math.floor(reading.elapsedSeconds)}/${formatRate(reading.totalSeconds)} s, ${Math.ceil(left)} s left`,
    `${reading.rps === null ? '-' : reading.rps.toFixed(1)} of ${formatRate(reading.targetRps)} req/s`,
    `${reading.requests} responses`,
    errorWords(reading.errors),
    ...(reading.detail ? [reading.detail] : []),
  ];
}

export function errorWords(errors: ErrorCounts): string {
  if (errors.total === 0) return 'no errors';
  const parts = [
    ['429', errors.throttled],
    ['5xx', errors.server],
    ['no response', errors.network],
    ['other 4xx', errors.other],
  ].filter(([, count]) => (count as number) > 0);
  return `errors ${errors.total} (${parts.map(([name, count]) => `${name}: ${count}`).join(', ')})`;
}

export function faultWords(event: Extract<ProgressEvent, { type: 'fault' }>): string {
  // "applied <id>" as the run always said it: scripts and tests watching a run's output wait for it.
  return `fault ${event.change} ${event.id} (${event.action} on ${event.target}) at ${event.secondsIntoLoad.toFixed(1)} s${event.problem ? `: ${event.problem}` : ''}`;
}

/** A rate or duration as a person writes it: 50, 12.5. */
export function formatRate(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
