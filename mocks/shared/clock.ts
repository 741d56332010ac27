/**
 * A source of time in epoch milliseconds. Limiters, breakers and the ledger take a clock
 * instead of calling Date.now() so that unit tests can move time by hand.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for deterministic tests of time-based rules. */
export class ManualClock implements Clock {
  #now: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  set(ms: number): void {
    this.#now = ms;
  }
}
