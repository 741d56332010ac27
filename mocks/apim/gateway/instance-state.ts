import type { Clock } from '../../shared/clock.ts';
import type { Rng } from '../../shared/rng.ts';
import { CircuitBreaker, type CircuitBreakerEvent } from '../backends/circuit-breaker.ts';
import type { BackendConfig } from '../config/types.ts';
import { QuotaByKey, type QuotaByKeyOptions } from '../limits/quota-by-key.ts';
import { RateLimitByKey } from '../limits/rate-limit-by-key.ts';
import { TokenLimit, type TokenLimitOptions } from '../limits/token-limit.ts';

/**
 * The state one gateway instance keeps for itself: circuit breakers and the counters behind
 * rate limits, quotas and token limits. APIM documents all of these as per instance ("different
 * instances of the gateway don't synchronize"; token counts "are tracked per gateway"), so
 * each regional instance has its own, and nothing here is shared.
 */
export class InstanceState {
  readonly region: string;
  readonly #clock: Clock;
  readonly rng: Rng;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #rateLimits = new Map<string, RateLimitByKey>();
  readonly #quotas = new Map<string, QuotaByKey>();
  readonly #tokenLimits = new Map<string, TokenLimit>();

  constructor(args: { region: string; clock: Clock; rng: Rng; backends: ReadonlyMap<string, BackendConfig>; onBreakerEvent: (event: CircuitBreakerEvent) => void }) {
    this.region = args.region;
    this.#clock = args.clock;
    this.rng = args.rng;
    for (const backend of args.backends.values()) {
      if (backend.circuitBreaker) {
        this.#breakers.set(backend.id, new CircuitBreaker(backend.circuitBreaker, args.clock, { backendName: backend.id, onEvent: args.onBreakerEvent }));
      }
    }
  }

  breaker(backendId: string): CircuitBreaker | undefined {
    return this.#breakers.get(backendId);
  }

  isTripped(backendId: string): boolean {
    return this.#breakers.get(backendId)?.isOpen() ?? false;
  }

  /** Emits pending Closed events for breakers whose trip has ended. */
  pollBreakers(): void {
    for (const breaker of this.#breakers.values()) breaker.poll();
  }

  /**
   * One counter object per distinct limit setting. APIM keeps "one counter per key value
   * across all scopes": requests with the same key and the same limits share a count.
   */
  rateLimit(calls: number, renewalPeriodSeconds: number): RateLimitByKey {
    const id = `${calls}/${renewalPeriodSeconds}`;
    let limiter = this.#rateLimits.get(id);
    if (!limiter) this.#rateLimits.set(id, (limiter = new RateLimitByKey({ calls, renewalPeriodSeconds }, this.#clock)));
    return limiter;
  }

  quota(options: QuotaByKeyOptions): QuotaByKey {
    const id = JSON.stringify(options);
    let quota = this.#quotas.get(id);
    if (!quota) this.#quotas.set(id, (quota = new QuotaByKey(options, this.#clock)));
    return quota;
  }

  tokenLimit(options: TokenLimitOptions): TokenLimit {
    const id = JSON.stringify(options);
    let limit = this.#tokenLimits.get(id);
    if (!limit) this.#tokenLimits.set(id, (limit = new TokenLimit(options, this.#clock)));
    return limit;
  }
}
