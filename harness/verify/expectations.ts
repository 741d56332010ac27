/**
 * What the gateway is supposed to do, as the verifiers need it. Read from the gateway's
 * configuration when it is known (the emulator's APIOps folder: breaker rules, pool
 * priorities and weights, front door probe settings) and from k6.config.json's consumer
 * classes (token budgets); given explicitly for a remote gateway.
 */
export interface BackendExpectation {
  name: string;
  region: string;
  /** PTU backends come first in the pool; PAYG takes the spillover. */
  kind: 'ptu' | 'payg';
  // No capacity here: how many tokens a backend serves is a fact of the fleet in a given run
  // (a plan may lower it so saturation is reachable), read from RunEvidence.fleet. An
  // expectation that carried it would silently misjudge every plan but the one it was written for.
}

/**
 * How a breaker counts failures; what the reference breaker (breaker-model.ts) replays.
 * - 'sliding-window' (the default): APIM's circuit breaker. It opens at the failure that brings
 *   the failures ending within the last `intervalMs` to `count`, stays open `tripDurationMs`,
 *   then starts counting afresh.
 * - 'nginx-passive': nginx's passive ejection of an upstream server (`max_fails` = count,
 *   `fail_timeout` = intervalMs = tripDurationMs, whole seconds), as its round robin implements
 *   it (src/http/ngx_http_upstream_round_robin.c): every failure adds to the count and restarts
 *   the fail_timeout clock; the count goes back to 0 only on a success sent more than
 *   fail_timeout after the last failure, so successes in between do not reset it and failures
 *   do not expire; the server is skipped while the count is at least max_fails and fewer than
 *   fail_timeout + 1 whole seconds have passed since the last failure; when that ends the count
 *   is still at max_fails, so one more failure ejects it again.
 */
export const BREAKER_COUNTINGS = ['sliding-window', 'nginx-passive'] as const;
export type BreakerCounting = (typeof BREAKER_COUNTINGS)[number];

export interface BreakerExpectation {
  count: number;
  intervalMs: number;
  tripDurationMs: number;
  acceptRetryAfter: boolean;
  /** How failures are counted; absent: 'sliding-window' (APIM's rule). */
  counting?: BreakerCounting;
  /**
   * Status codes that count as failures (inclusive ranges, the rule's statusCodeRanges).
   * Absent: 429 and 500-599, the sample's rule. A request that got no response (status 0)
   * always counts, as the emulator's breaker counts connection failures.
   */
  failureStatusRanges?: { min: number; max: number }[];
  /**
   * The gateway backend entities that send to this resource, when there are several (for
   * example a dedicated high-priority lane next to the pool's own entity). Breaker state
   * belongs to the entity, so each is judged as its own breaker under this rule; requests are
   * told apart through `Expectations.entityRoutes`. Absent or one entity: a single breaker.
   */
  entities?: string[];
  /**
   * Each entity's own rule, when the entities of one resource carry different rules (the
   * sample's medium lane backs off for 5 s, its high lane takes the PTU's Retry-After). The
   * resource-level fields then hold the rule with the longest trip, the lenient choice for
   * checks that only ask whether the resource may have been tripped.
   */
  entityRules?: Record<string, BreakerRule>;
}

/** One breaker rule, as a backend entity carries it. */
export type BreakerRule = Omit<BreakerExpectation, 'entities' | 'entityRules'>;

export type TokenQuotaPeriod = 'Hourly' | 'Daily' | 'Weekly' | 'Monthly' | 'Yearly';

export interface Expectations {
  backends: BackendExpectation[];
  /** Breaker rule per backend name (absent: no breaker). */
  breakers: Record<string, BreakerExpectation>;
  /**
   * For a gateway log row's BackendId (a Single backend or a pool; APIM does not document
   * which one a pool request logs), the entity through which that request reached each fleet
   * resource: { [backendId]: { [resource]: entityId } }. Only needed for resources behind
   * several entities (`BreakerExpectation.entities`); an id reaching one resource through two
   * different entities is left out (ambiguous).
   */
  entityRoutes?: Record<string, Record<string, string>>;
  /** Gateway regions; the first is the primary (front door priority 1). */
  regions: string[];
  frontDoor: {
    probeIntervalSeconds: number;
    sampleSize: number;
    successfulSamplesRequired: number;
    /**
     * The enabled origins with their priorities (1-5, lower preferred) and weights (1-1000):
     * in steady state traffic reaches only the best priority, split by weight. Absent: the
     * regions in `regions` order, each its own priority (failover.steady-state-origins says so).
     */
    origins?: { region: string; priority: number; weight: number }[];
  } | null;
  /** Token budget per consumer class, tokens per minute, counted per gateway instance. */
  consumers: Record<string, { tokensPerMinute: number; priority: 'high' | 'medium' | 'low'; tokenQuota?: { tokens: number; period: TokenQuotaPeriod } }>;
  /**
   * Seconds of capacity a PTU deployment can absorb at once (its leaky bucket). The mock
   * fleet's bucketSeconds; Azure publishes none ("bursts just over 100% may be permitted"),
   * so 10 s is assumed for a real deployment. Default 10.
   */
  ptuBurstSeconds?: number;
  /** Tolerances the verifiers apply (documented in docs/verifiers.md). */
  tolerances: {
    /** Breaker trip length, ms either side. */
    tripDurationMs: number;
    /** Relative error allowed for token admission against the limit. */
    tokenLimitRelative: number;
    /** Absolute error allowed for the PTU share of tokens. */
    spilloverShare: number;
  };
}
