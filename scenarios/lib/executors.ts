import type { ConstantArrivalRateScenario } from './k6-imports.ts';
import type { PlanTraffic, SpillwayPlan } from './plan.ts';
import { REQUEST_TIMEOUT_SECONDS } from './requests.ts';

/**
 * One k6 scenario per traffic class, in the open model: `constant-arrival-rate` starts requests
 * at the class's rate whatever the gateway's latency, as independent clients would, so a slow
 * or refusing gateway cannot slow the offered load down. Iterations k6 could not start (no free
 * VU) are counted in `dropped_iterations`.
 */

/** The exported function every class runs (see traffic.ts). */
export const EXEC_FUNCTION = 'traffic';

/** Latency the pre-allocated VUs are sized for: generous for a gateway in front of a model. */
export const EXPECTED_LATENCY_SECONDS = 5;
/** Caps per class: beyond them k6 drops iterations (visible in dropped_iterations). */
export const MAX_PREALLOCATED_VUS = 100;
export const MAX_VUS = 300;

/**
 * The least time one request through the local stack can take: about a millisecond (the fleet
 * alone answers at a p50 of 0.3-0.8 ms on the development machine and the gateway emulator
 * adds 0.2-0.6 ms, bench/README.md; a refusal by the gateway is no faster). Our choice, on the
 * generous side, to tell rates no VU cap can carry from those it can.
 */
export const FASTEST_REQUEST_SECONDS = 0.001;

/**
 * The most requests per second one traffic class can start: its MAX_VUS VUs, each busy for at
 * least FASTEST_REQUEST_SECONDS per request (300,000/s). A higher rate is refused before a run
 * starts (k6 would only warn that it has run out of VUs); a lower one can still run short when
 * the gateway is slow, which k6 reports as dropped_iterations.
 */
export const MAX_CARRIED_RATE_PER_CLASS = Math.floor(MAX_VUS / FASTEST_REQUEST_SECONDS);

export interface ArrivalRate {
  rate: number;
  timeUnit: string;
}

/**
 * A rate in requests per second as k6's whole-number `rate` per `timeUnit`: 2/s is 2 per 1s,
 * 0.15/s is 3 per 20s, 2.5/s is 5 per 2s. k6 spaces iterations evenly (timeUnit / rate apart),
 * so a long time unit does not cause bursts. Rates with no small exact form are rounded to
 * the nearest whole number per 1000 s (error under 0.0005 requests per second).
 */
export function arrivalRate(perSecond: number): ArrivalRate {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`rate must be a positive number of requests per second, got ${perSecond}`);
  for (let seconds = 1; seconds <= 1000; seconds++) {
    const perUnit = perSecond * seconds;
    const whole = Math.round(perUnit);
    if (whole >= 1 && Math.abs(perUnit - whole) <= 1e-9 * Math.max(1, perUnit)) return { rate: whole, timeUnit: `${seconds}s` };
  }
  return { rate: Math.max(1, Math.round(perSecond * 1000)), timeUnit: '1000s' };
}

/** A duration in seconds as a k6 duration string (whole seconds, else milliseconds). */
export function k6Duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

/** k6 scenario names allow letters, digits, `-` and `_`: `t0_user-facing`, `t1_batch`, … */
export function classScenarioName(index: number, consumer: string): string {
  return `t${index}_${consumer.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The traffic class index a k6 scenario name stands for (inverse of classScenarioName). */
export function classIndexOf(scenarioName: string): number {
  const match = /^t(\d+)_/.exec(scenarioName);
  if (!match) throw new Error(`k6 scenario "${scenarioName}" is not a Spillway traffic class (t<index>_<consumer>)`);
  return Number(match[1]);
}

/**
 * VUs for a rate: enough for the expected latency up front, enough for the request timeout at
 * most; a class's own cap (PlanTraffic.maxVUs) lowers both.
 */
export function vuSizing(perSecond: number, cap?: number): { preAllocatedVUs: number; maxVUs: number } {
  const limit = cap ?? Number.POSITIVE_INFINITY;
  const preAllocatedVUs = Math.min(limit, MAX_PREALLOCATED_VUS, Math.max(1, Math.ceil(perSecond * EXPECTED_LATENCY_SECONDS)));
  const maxVUs = Math.min(limit, MAX_VUS, Math.max(preAllocatedVUs, Math.ceil(perSecond * REQUEST_TIMEOUT_SECONDS)));
  return { preAllocatedVUs, maxVUs };
}

export function classScenario(plan: SpillwayPlan, traffic: PlanTraffic): ConstantArrivalRateScenario {
  return {
    executor: 'constant-arrival-rate',
    ...arrivalRate(traffic.rate),
    startTime: k6Duration(traffic.startSeconds),
    duration: k6Duration(traffic.endSeconds - traffic.startSeconds),
    ...vuSizing(traffic.rate, traffic.maxVUs),
    // Requests still running when the class stops may finish (and be recorded) until their
    // own timeout; k6's default 30 s would cut the slowest ones off without a sample.
    gracefulStop: k6Duration(REQUEST_TIMEOUT_SECONDS + 5),
    exec: EXEC_FUNCTION,
    // k6 sets the system tag `scenario` to the k6 scenario's name (t0_user-facing) whatever is
    // written here, so the plan's name is set on each sample instead (requests.ts, metrics.ts).
    tags: { consumer: traffic.consumer },
  };
}

/** options.scenarios: one entry per traffic class. */
export function classScenarios(plan: SpillwayPlan): Record<string, ConstantArrivalRateScenario> {
  const scenarios: Record<string, ConstantArrivalRateScenario> = {};
  plan.traffic.forEach((traffic, index) => {
    scenarios[classScenarioName(index, traffic.consumer)] = classScenario(plan, traffic);
  });
  return scenarios;
}
