import type { Clock } from '../shared/clock.ts';

/**
 * Admission for a provisioned (PTU) deployment. Azure describes it as "a variation of the
 * leaky bucket algorithm" (provisioned-throughput.md):
 * - each request adds its estimated cost (prompt + max_tokens) to a utilization level;
 * - the level is "decremented down at a continuous rate based on the number of PTUs deployed";
 * - while utilization is over 100% the service answers 429 with retry-after-ms "until the
 *   utilization drops below 100%", and "bursts just over 100% may be permitted";
 * - on completion the estimate is corrected to the actual cost.
 *
 * Azure does not publish how many tokens make 100%. We size the bucket as `bucketSeconds`
 * of capacity, a documented, configurable choice.
 */
export interface PtuLimiterOptions {
  /** Tokens per minute the deployment's PTUs process; also the drain rate. */
  capacityTpm: number;
  /** Seconds of capacity that make up 100% utilization. */
  bucketSeconds: number;
}

/** Handle for one admitted request, used to correct its cost once it completes. */
export interface PtuTicket {
  readonly estimatedCost: number;
}

export type PtuAdmission =
  | { admitted: true; ticket: PtuTicket; utilizationPercent: number }
  | { admitted: false; retryAfterMs: number; utilizationPercent: number };

/** The limiter's own view of a ticket: it remembers whether the ticket was already settled. */
interface OpenTicket {
  readonly estimatedCost: number;
  open: boolean;
}

/** Requests with fewer cached tokens than this get no discount (provisioned-throughput.md). */
const MIN_CACHED_TOKENS_FOR_DISCOUNT = 1024;

/**
 * The cost Azure charges a PTU deployment at admission: prompt tokens plus max_tokens, less
 * cached tokens when at least 1024 of them hit the prompt cache.
 */
export function ptuAdmissionCost(promptTokens: number, maxTokens: number, cachedTokens: number): number {
  const discount = cachedTokens >= MIN_CACHED_TOKENS_FOR_DISCOUNT ? cachedTokens : 0;
  return Math.max(0, promptTokens + maxTokens - discount);
}

/**
 * The level is kept in "scaled tokens" (tokens × 60 000) so that the drain per millisecond
 * is exactly `capacityTpm`. With integer capacities, costs and clock readings every step is
 * integer arithmetic, so "utilization is back to 100% after retryAfterMs" holds exactly
 * instead of missing by a rounding error. Each decision is O(1): drain, compare, add.
 */
const SCALE = 60_000;

export class PtuLimiter {
  readonly #clock: Clock;
  /** Scaled tokens drained per millisecond (= capacityTpm). */
  readonly #drainPerMs: number;
  /** Scaled tokens at 100% utilization. */
  readonly #fullLevel: number;
  #level = 0;
  #lastDrainMs: number;

  constructor(options: PtuLimiterOptions, clock: Clock) {
    const { capacityTpm, bucketSeconds } = options;
    if (!(capacityTpm > 0) || !Number.isFinite(capacityTpm)) {
      throw new RangeError(`capacityTpm must be a positive number, got ${capacityTpm}`);
    }
    if (!(bucketSeconds > 0) || !Number.isFinite(bucketSeconds)) {
      throw new RangeError(`bucketSeconds must be a positive number, got ${bucketSeconds}`);
    }
    this.#clock = clock;
    this.#drainPerMs = capacityTpm;
    // capacityTpm * bucketSeconds / 60 tokens, times SCALE.
    this.#fullLevel = capacityTpm * bucketSeconds * 1000;
    this.#lastDrainMs = clock.now();
  }

  /** Tokens that make up 100% utilization. */
  get bucketTokens(): number {
    return this.#fullLevel / SCALE;
  }

  tryAdmit(estimatedCost: number): PtuAdmission {
    if (!(estimatedCost >= 0)) throw new RangeError(`estimatedCost must be >= 0, got ${estimatedCost}`);
    this.#drain();
    const excess = this.#level - this.#fullLevel;
    if (excess > 0) {
      return {
        admitted: false,
        retryAfterMs: Math.max(1, Math.ceil(excess / this.#drainPerMs)),
        utilizationPercent: this.#percent(),
      };
    }
    // At or below 100% the request goes in whole, even if it lifts utilization past 100%:
    // that is the permitted burst.
    this.#level += estimatedCost * SCALE;
    const ticket: OpenTicket = { estimatedCost, open: true };
    return { admitted: true, ticket, utilizationPercent: this.#percent() };
  }

  /** Replaces the ticket's estimate with what the request actually cost. Later calls do nothing. */
  settle(ticket: PtuTicket, actualCost: number): void {
    const state = ticket as OpenTicket;
    if (!state.open) return;
    state.open = false;
    this.#drain();
    // The level has been draining since admission, so removing an over-estimate may
    // reach below zero; an empty bucket is as low as it goes.
    this.#level = Math.max(0, this.#level + (actualCost - state.estimatedCost) * SCALE);
  }

  /** For a request that failed without consuming anything. */
  release(ticket: PtuTicket): void {
    this.settle(ticket, 0);
  }

  utilizationPercent(): number {
    this.#drain();
    return this.#percent();
  }

  #percent(): number {
    return (this.#level / this.#fullLevel) * 100;
  }

  #drain(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#lastDrainMs;
    // A clock that steps backwards drains nothing rather than refilling the bucket.
    if (elapsed <= 0) return;
    this.#lastDrainMs = now;
    this.#level = Math.max(0, this.#level - elapsed * this.#drainPerMs);
  }
}
