/**
 * The health state of each Front Door origin, decided from its recent probe results.
 *
 * Documented behaviour this follows [DOC AFD-HP, research note §7]:
 * - Only a 200 OK probe response counts as a success; any other status, or no valid
 *   response at all (timeout, refused or reset connection), counts as a failure. The
 *   caller (the prober) reduces each probe to that boolean before recording it here.
 * - An origin is healthy when at least `successfulSamplesRequired` of its last `sampleSize`
 *   probe results succeeded.
 *
 * Choices where the docs are silent (see docs/frontdoor.md):
 * - Before any probe the origin has `initialState` (default healthy, so traffic flows as
 *   soon as the front door starts). The window starts filled with `sampleSize` virtual
 *   samples of that state, so the rule above holds from the first probe on: an initially
 *   healthy origin with 3-of-4 needs 2 failures to leave, exactly as after a long healthy run,
 *   and an initially unhealthy one needs 3 successes to enter.
 * - State changes carry the clock time at which the deciding result was recorded.
 */
import { systemClock } from '../shared/clock.ts';
import type { Clock } from '../shared/clock.ts';

export type InitialHealth = 'healthy' | 'unhealthy';

export interface HealthRule {
  /** How many of the latest probe results are considered (AFD `sampleSize`). */
  sampleSize: number;
  /** How many of those must have succeeded for the origin to be healthy (AFD `successfulSamplesRequired`). */
  successfulSamplesRequired: number;
  /** State before any probe has been recorded; default `healthy`. */
  initialState?: InitialHealth;
}

export interface HealthChange {
  origin: string;
  healthy: boolean;
  /** Epoch ms (from the clock) at which the result that changed the state was recorded. */
  at: number;
  /** Successes in the window after the deciding result. */
  successes: number;
  sampleSize: number;
}

export interface OriginHealthState {
  origin: string;
  healthy: boolean;
  /** Successes among the last `sampleSize` results (virtual initial samples included). */
  successes: number;
  sampleSize: number;
  /** Real probe results recorded so far. */
  probes: number;
  /** Epoch ms of the last state change; absent while the origin still has its initial state. */
  changedAt?: number;
}

export interface OriginHealth {
  /** Records one probe result; returns the state change it caused, if any (listeners hear it too). */
  record(origin: string, success: boolean): HealthChange | undefined;
  isHealthy(origin: string): boolean;
  state(origin: string): OriginHealthState;
  states(): OriginHealthState[];
  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (change: HealthChange) => void): () => void;
}

/** Throws a RangeError when the rule cannot be evaluated. */
export function validateHealthRule(rule: HealthRule): void {
  const { sampleSize, successfulSamplesRequired } = rule;
  if (!Number.isInteger(sampleSize) || sampleSize < 1) {
    throw new RangeError(`probe sampleSize must be a positive integer, got ${sampleSize}`);
  }
  if (!Number.isInteger(successfulSamplesRequired) || successfulSamplesRequired < 1 || successfulSamplesRequired > sampleSize) {
    throw new RangeError(`probe successfulSamplesRequired must be an integer from 1 to sampleSize (${sampleSize}), got ${successfulSamplesRequired}`);
  }
  if (rule.initialState !== undefined && rule.initialState !== 'healthy' && rule.initialState !== 'unhealthy') {
    throw new RangeError(`probe initialState must be "healthy" or "unhealthy", got ${String(rule.initialState)}`);
  }
}

interface Tracked {
  /** Oldest first; always exactly sampleSize long. */
  window: boolean[];
  healthy: boolean;
  probes: number;
  changedAt?: number;
}

export function createOriginHealth(origins: readonly string[], rule: HealthRule, clock: Clock = systemClock): OriginHealth {
  validateHealthRule(rule);
  const initiallyHealthy = (rule.initialState ?? 'healthy') === 'healthy';
  const tracked = new Map<string, Tracked>();
  for (const origin of origins) {
    if (tracked.has(origin)) throw new Error(`origin "${origin}" is listed twice`);
    tracked.set(origin, { window: Array.from({ length: rule.sampleSize }, () => initiallyHealthy), healthy: initiallyHealthy, probes: 0 });
  }
  const listeners = new Set<(change: HealthChange) => void>();

  const get = (origin: string): Tracked => {
    const entry = tracked.get(origin);
    if (entry === undefined) throw new Error(`unknown origin "${origin}"`);
    return entry;
  };
  const successesOf = (entry: Tracked): number => entry.window.reduce((n, ok) => n + (ok ? 1 : 0), 0);
  const snapshot = (origin: string, entry: Tracked): OriginHealthState => ({
    origin,
    healthy: entry.healthy,
    successes: successesOf(entry),
    sampleSize: rule.sampleSize,
    probes: entry.probes,
    ...(entry.changedAt !== undefined ? { changedAt: entry.changedAt } : {}),
  });

  return {
    record(origin, success) {
      const entry = get(origin);
      entry.window.shift();
      entry.window.push(success);
      entry.probes += 1;
      const successes = successesOf(entry);
      const healthy = successes >= rule.successfulSamplesRequired;
      if (healthy === entry.healthy) return undefined;
      const at = clock.now();
      entry.healthy = healthy;
      entry.changedAt = at;
      const change: HealthChange = { origin, healthy, at, successes, sampleSize: rule.sampleSize };
      for (const listener of listeners) listener(change);
      return change;
    },
    isHealthy(origin) {
      return get(origin).healthy;
    },
    state(origin) {
      return snapshot(origin, get(origin));
    },
    states() {
      return [...tracked].map(([origin, entry]) => snapshot(origin, entry));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
