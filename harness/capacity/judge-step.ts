/**
 * Judges one step of a capacity run from its own window of client samples: p95 latency against
 * the SLO, the error rate against the budget, and whether the load generator kept up. Errors
 * are what APIM shows at saturation: it does not throttle, its latency rises, then connections
 * fail and requests time out (research: apim-semantics.md §6), so a status of 0 (no response:
 * refused, reset, timed out) and any 5xx count; a 4xx is the client's or a policy's answer, not
 * saturation.
 *
 * A step whose generator fell behind (k6 dropped iterations, or ran out of VUs) did not offer
 * the rate it names. That is the gateway's doing when its own latency used up the VUs k6 started
 * with (by Little's law, rate × p99 latency reaches them; the tail rather than the mean, since a
 * queue that grows through the step makes its late requests the slow ones, and they set the peak
 * number of requests in flight) while it broke the
 * SLO: a slow gateway keeps VUs busy. It is the generator's when the gateway held anyway (the VUs were too
 * few for a healthy gateway), or when the VUs were not used up (k6 itself, its CPU, fell
 * behind); such a step is not evidence about the gateway either way. Nor is one in which k6
 * used nearly every core (process-cpu.ts), dropped iterations or not.
 */
export interface StepSample {
  /** When the request started, epoch ms: a request that waited belongs to the step that sent it. */
  time: number;
  durationMs: number;
  /** 0 when no response arrived. */
  status: number;
}

export interface GeneratorReport {
  /** Iterations k6 could not start on time (its dropped_iterations count in the window). */
  droppedIterations: number;
  /** The most VUs busy at once, and the most k6 was allowed: busy == allowed means it was starved. */
  vusBusyMax: number;
  vusAllowed: number;
  /** The VUs k6 started with; beyond them it allocates more as it goes, dropping iterations meanwhile. */
  vusPreallocated: number;
  /** Cores k6 used on average over the step, and the cores it had (process-cpu.ts); absent: not read. */
  cpu?: { k6Cores: number; cores: number };
}

export interface StepCriteria {
  sloP95Ms: number;
  /** The fraction of requests allowed to fail, 0-1. */
  errorBudget: number;
  /** The fraction of the offered iterations k6 may drop and still count as keeping up. */
  droppedTolerance: number;
  /**
   * The share of the machine's cores k6 may use and still count as keeping up (default
   * maxGeneratorCpuShare): beyond it k6's own scheduling delays the arrivals it reports as sent.
   */
  maxGeneratorCpuShare?: number;
}

export interface StepJudgement {
  offeredRps: number;
  throughputRps: number;
  requests: number;
  p95Ms: number | null;
  /** The window's latency percentiles (nearest rank), for the latency-against-offered-load curve. */
  latencyMs: { p50: number | null; p90: number | null; p95: number | null; p99: number | null };
  errorRate: number;
  generatorKeptUp: boolean;
  /** The gateway held: p95 within the SLO and errors within the budget. */
  gatewayHeld: boolean;
  reasons: string[];
}

export const defaultDroppedTolerance = 0.01;
/** k6 using 90% of the cores is saturated: Go's scheduler and the OS have no room left for it to send on time. */
export const maxGeneratorCpuShare = 0.9;

export function judgeStep(input: { offeredRps: number; window: { start: number; end: number }; samples: readonly StepSample[]; generator: GeneratorReport; criteria: StepCriteria }): StepJudgement {
  const { offeredRps, window, generator, criteria } = input;
  const seconds = (window.end - window.start) / 1000;
  if (!(seconds > 0)) throw new RangeError(`a step window must have a positive length (start ${window.start}, end ${window.end})`);
  const inWindow = input.samples.filter((s) => s.time >= window.start && s.time <= window.end);
  const failed = inWindow.filter((s) => s.status === 0 || s.status >= 500);
  const p95Ms = percentile(inWindow.map((s) => s.durationMs), 0.95);
  const errorRate = inWindow.length === 0 ? 1 : failed.length / inWindow.length;
  const reasons: string[] = [];

  if (inWindow.length === 0) reasons.push('no request completed in the step window');
  if (p95Ms !== null && p95Ms > criteria.sloP95Ms) reasons.push(`p95 ${p95Ms.toFixed(0)} ms is above the SLO of ${criteria.sloP95Ms} ms`);
  if (errorRate > criteria.errorBudget) reasons.push(`errors ${pct(errorRate)} are above the budget of ${pct(criteria.errorBudget)}`);
  const gatewayHeld = inWindow.length > 0 && p95Ms !== null && p95Ms <= criteria.sloP95Ms && errorRate <= criteria.errorBudget;

  const offeredIterations = offeredRps * seconds;
  const droppedShare = offeredIterations > 0 ? generator.droppedIterations / offeredIterations : 0;
  const starvedOfVus = generator.vusAllowed > 0 && generator.vusBusyMax >= generator.vusAllowed;
  const behind: string[] = [];
  if (droppedShare > criteria.droppedTolerance) behind.push(`the generator dropped ${generator.droppedIterations} iterations (${pct(droppedShare)} of those offered)`);
  if (starvedOfVus) behind.push(`the generator used all ${generator.vusAllowed} VUs it was allowed`);
  const durations = inWindow.map((s) => s.durationMs).sort((a, b) => a - b);
  const latencyMs = { p50: percentile(durations, 0.5), p90: percentile(durations, 0.9), p95: p95Ms, p99: percentile(durations, 0.99) };
  // Concurrency peaks with the slowest requests: the tail (p99), not the typical one, is what
  // runs k6 past the VUs it started with while it allocates more.
  const gatewayUsedUpVus = offeredRps * ((latencyMs.p99 ?? Number.POSITIVE_INFINITY) / 1000) >= generator.vusPreallocated;
  // A gateway's latency can use up VUs, never k6's CPU: a saturated generator is never excused.
  const cpuShare = generator.cpu ? generator.cpu.k6Cores / generator.cpu.cores : 0;
  const cpuSaturated = cpuShare >= (criteria.maxGeneratorCpuShare ?? maxGeneratorCpuShare);
  const generatorKeptUp = !cpuSaturated && (behind.length === 0 || (!gatewayHeld && gatewayUsedUpVus));
  if (behind.length > 0) reasons.push(...behind.map((b) => (generatorKeptUp ? `${b}, as the gateway's latency kept them busy` : b)));
  if (cpuSaturated) reasons.push(`k6 used ${generator.cpu!.k6Cores.toFixed(2)} of the ${generator.cpu!.cores} cores (${pct(cpuShare)}): the generator's CPU was saturated`);

  // Throughput is what was served during the window, by when each answer ended.
  const servedInWindow = input.samples.filter((s) => s.status !== 0 && s.status < 500 && s.time + s.durationMs >= window.start && s.time + s.durationMs <= window.end).length;
  return { offeredRps, throughputRps: servedInWindow / seconds, requests: inWindow.length, p95Ms, latencyMs, errorRate, generatorKeptUp, gatewayHeld, reasons };
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
