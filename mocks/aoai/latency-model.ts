import { gaussian } from '../shared/rng.ts';
import type { Rng } from '../shared/rng.ts';

/**
 * How long a mock completion takes: a time to first token (prefill) and then a separate
 * time for every further output token (decode), each drawn from a normal distribution.
 * This mirrors llm-d-inference-sim, which also clamps each draw to within 70% of its mean
 * so that a large standard deviation cannot produce negative or absurdly long delays.
 */
export interface LatencyProfile {
  timeToFirstTokenMs: { mean: number; stdDev: number };
  perTokenMs: { mean: number; stdDev: number };
}

export interface LatencyPlan {
  timeToFirstTokenMs: number;
  /** Gap before each token after the first; completionTokens - 1 entries. */
  interTokenMs: number[];
  /** timeToFirstTokenMs plus the sum of interTokenMs. */
  totalMs: number;
}

/** Draws stay within mean × (1 ± 0.7). */
const CLAMP_FRACTION = 0.7;

/**
 * Provisioned: fast and steady. Azure's SLA latency target for gpt-4o PTU is
 * "99% > 25 tokens per second" (provisioned-throughput.md), i.e. at most 40 ms per token.
 * We model a typical 50 tok/s (20 ms) with little spread; even the clamp ceiling
 * (20 × 1.7 = 34 ms, ~29 tok/s) stays inside the target. TTFT 150 ± 20 ms is our choice:
 * Azure publishes no TTFT figure.
 */
export const ptuLatencyProfile: LatencyProfile = {
  timeToFirstTokenMs: { mean: 150, stdDev: 20 },
  perTokenMs: { mean: 20, stdDev: 2 },
};

/**
 * Pay-as-you-go (Standard): slower and more variable. Standard deployments have no latency
 * target or SLA and share capacity with other tenants, so both the mean and the spread are
 * larger: TTFT 400 ± 200 ms, 30 ± 12 ms per token (~33 tok/s). These are our choices,
 * not published figures.
 */
export const paygLatencyProfile: LatencyProfile = {
  timeToFirstTokenMs: { mean: 400, stdDev: 200 },
  perTokenMs: { mean: 30, stdDev: 12 },
};

/**
 * Plans the timing of one completion. `scale` multiplies every delay (0 = instant, for
 * functional tests; >1 to simulate a slowed-down backend). Each inter-token gap is its own
 * draw, so streams show realistic jitter; at scale 0 no draws are made at all.
 */
export function planLatency(profile: LatencyProfile, completionTokens: number, rng: Rng, scale = 1): LatencyPlan {
  if (!Number.isInteger(completionTokens) || completionTokens < 0) {
    throw new RangeError(`completionTokens must be a whole number >= 0, got ${completionTokens}`);
  }
  if (!(scale >= 0) || !Number.isFinite(scale)) throw new RangeError(`scale must be >= 0, got ${scale}`);

  const gaps = Math.max(0, completionTokens - 1);
  const interTokenMs: number[] = [];
  if (scale === 0) {
    for (let i = 0; i < gaps; i++) interTokenMs.push(0);
    return { timeToFirstTokenMs: 0, interTokenMs, totalMs: 0 };
  }

  const timeToFirstTokenMs = drawClamped(profile.timeToFirstTokenMs.mean, profile.timeToFirstTokenMs.stdDev, rng) * scale;
  const { mean, stdDev } = profile.perTokenMs;
  let totalMs = timeToFirstTokenMs;
  for (let i = 0; i < gaps; i++) {
    const gap = drawClamped(mean, stdDev, rng) * scale;
    interTokenMs.push(gap);
    totalMs += gap;
  }
  return { timeToFirstTokenMs, interTokenMs, totalMs };
}

function drawClamped(mean: number, stdDev: number, rng: Rng): number {
  if (stdDev === 0) return mean;
  const value = mean + stdDev * gaussian(rng);
  // mean ± mean × 0.7 rather than mean × 0.3 / mean × 1.7: fewer rounding steps, so a
  // 10 ms mean clamps to exactly 3 and 17.
  const reach = mean * CLAMP_FRACTION;
  const low = mean - reach;
  const high = mean + reach;
  return value < low ? low : value > high ? high : value;
}
