import type { Clock } from '../../shared/clock.ts';

/**
 * An optional model of a gateway instance's capacity: `units × requestsPerSecondPerUnit`
 * requests per second are served; arrivals beyond that wait in a queue. APIM at saturation
 * "won't throttle": it behaves "like an overloaded web server: increased latency, dropped
 * connections, and timeout errors" (research: apim-semantics.md §6). So an overloaded
 * emulator answers late, then drops connections, and never answers 429 for it. With a known
 * rate, a capacity run can be checked against a known answer: the knee is at units × rate.
 *
 * The queue is a single server with a fixed service time of 1 / rate: a request's start is
 * max(arrival, when the previous one started + service time). A request that would wait
 * longer than queueTimeoutSeconds, or find queueLength requests already waiting, is dropped.
 */
export interface CapacityOptions {
  units: number;
  requestsPerSecondPerUnit: number;
  queueLength: number;
  queueTimeoutSeconds: number;
}

export type CapacityDecision = { kind: 'serve'; waitMs: number } | { kind: 'drop'; reason: 'queue-full' | 'queue-timeout' };

/**
 * The single server's work at one moment, for utilisation sampling: the busy time it has
 * served so far and the work still queued. Two readings give the fraction of the time between
 * them the server was busy, (busyMs₂ − busyMs₁) / (at₂ − at₁): the served rate against
 * units × requestsPerSecondPerUnit, which is what the model enforces.
 */
export interface CapacityUsage {
  at: number;
  busyMs: number;
  backlogMs: number;
  capacityPerSecond: number;
}

export class GatewayCapacity {
  readonly #clock: Clock;
  readonly #serviceMs: number;
  readonly #queueLength: number;
  readonly #queueTimeoutMs: number;
  #nextStart = Number.NEGATIVE_INFINITY;
  /** Start times of admitted requests still waiting, in order. */
  #waiting: number[] = [];
  /** Requests admitted so far: each one is serviceMs of the server's time. */
  #admitted = 0;

  constructor(options: CapacityOptions, clock: Clock) {
    if (!(options.units > 0 && options.requestsPerSecondPerUnit > 0)) throw new RangeError('units and requestsPerSecondPerUnit must be positive');
    this.#clock = clock;
    this.#serviceMs = 1000 / (options.units * options.requestsPerSecondPerUnit);
    this.#queueLength = options.queueLength;
    this.#queueTimeoutMs = options.queueTimeoutSeconds * 1000;
  }

  /** Requests per second this instance serves at most. */
  get capacityPerSecond(): number {
    return 1000 / this.#serviceMs;
  }

  /**
   * Read-only. The queue runs without a gap from now until #nextStart (each admission starts
   * at max(now, #nextStart)), so the work not yet done is exactly max(0, #nextStart − now).
   */
  usage(): CapacityUsage {
    const at = this.#clock.now();
    const backlogMs = Math.max(0, this.#nextStart - at);
    return { at, busyMs: this.#admitted * this.#serviceMs - backlogMs, backlogMs, capacityPerSecond: this.capacityPerSecond };
  }

  admit(): CapacityDecision {
    const now = this.#clock.now();
    while (this.#waiting.length > 0 && this.#waiting[0]! <= now) this.#waiting.shift();
    const start = Math.max(now, this.#nextStart);
    const waitMs = start - now;
    if (waitMs > 0 && this.#waiting.length >= this.#queueLength) return { kind: 'drop', reason: 'queue-full' };
    if (waitMs > this.#queueTimeoutMs) return { kind: 'drop', reason: 'queue-timeout' };
    this.#nextStart = start + this.#serviceMs;
    this.#admitted++;
    if (waitMs > 0) this.#waiting.push(start);
    return { kind: 'serve', waitMs };
  }
}
