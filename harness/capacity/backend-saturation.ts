import { percentile } from './judge-step.ts';

/**
 * Whether the fleet behind the gateway was the bottleneck during a step, from its ledger (the
 * backends' own record of every request). A capacity run measures the gateway; when PTU or PAYG
 * deployments answered 429 for more than a trace of the requests, or answered slowly, the step's
 * latency and errors are the fleet's, and a knee found there would be the fleet's knee.
 */
export interface FleetRequest {
  start: number;
  end: number;
  status: number;
  kind: 'ptu' | 'payg';
}

export interface BackendLimits {
  /** The share of the fleet's answers that may be 429 before it counts as saturated. */
  max429Share: number;
  /** The fleet's p95 time to answer above which it counts as the bottleneck, ms. */
  maxP95Ms: number;
}

export interface BackendVerdict {
  saturated: boolean;
  reasons: string[];
}

export function backendSaturation(requests: readonly FleetRequest[], window: { start: number; end: number }, limits: BackendLimits): BackendVerdict {
  const inWindow = requests.filter((r) => r.start >= window.start && r.start <= window.end);
  if (inWindow.length === 0) return { saturated: false, reasons: [] };
  const reasons: string[] = [];
  for (const kind of ['ptu', 'payg'] as const) {
    const ofKind = inWindow.filter((r) => r.kind === kind);
    const throttled = ofKind.filter((r) => r.status === 429).length;
    if (ofKind.length > 0 && throttled / ofKind.length > limits.max429Share) reasons.push(`the fleet's ${kind.toUpperCase()} deployments answered 429 to ${throttled} of ${ofKind.length} requests`);
  }
  const p95 = percentile(inWindow.map((r) => r.end - r.start), 0.95)!;
  if (p95 > limits.maxP95Ms) reasons.push(`the fleet took ${p95.toFixed(0)} ms at p95 to answer (limit ${limits.maxP95Ms} ms)`);
  return { saturated: reasons.length > 0, reasons };
}

/** What to tell a person whose fleet was the bottleneck. */
export const backendRoomAdvice = 'give the fleet more room (more capacity per deployment in the fleet file, a smaller latencyScale), or lower the step rates';
