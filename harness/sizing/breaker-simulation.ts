/**
 * A seeded stochastic model of one gateway instance running a scenario plan's breaker drill,
 * for sizing plans: Poisson arrivals at the plan's rates, the sample's two lanes (medium: the
 * regional pool's PTU members; high: the PTU-only pool's own entities), a random 50/50 pool draw
 * per attempt among the members whose breaker is closed, the sample's retries (medium at once up
 * to 6 times, high after 1 s up to 10 times), and one breaker per entity with the lane's rule,
 * which a "gateway" variant may break (count, trip length, Retry-After handling). The fleet
 * faults of the plan answer every attempt on their backend while they apply.
 *
 * It writes the evidence the verifiers read (test-evidence.ts), so the circuit-breaker verifier
 * can be run over many seeded runs of a plan to measure how often a correct gateway passes and
 * a broken one fails (circuit-breaker.power.test.ts). It models the gateway emulator's
 * documented rules (mocks/apim/backends), not its code; the end-to-end drills run the real one.
 */
import { seededRng, type Rng } from '../../mocks/shared/rng.ts';
import type { RunEvidence } from '../evidence/evidence-types.ts';
import type { BreakerRule, Expectations } from '../verify/expectations.ts';
import { EvidenceBuilder, sampleExpectations, type AttemptSpec, type BackendName } from '../verify/test-evidence.ts';

export type LaneName = 'medium' | 'high';

/** The sample's rules per lane (deploy/apim/backends). */
export const SAMPLE_RULES: Record<LaneName, BreakerRule> = {
  medium: { count: 3, intervalMs: 10_000, tripDurationMs: 5_000, acceptRetryAfter: false },
  high: { count: 3, intervalMs: 10_000, tripDurationMs: 30_000, acceptRetryAfter: true },
};

export interface PlanShape {
  durationSeconds: number;
  /** Requests per second per lane (the plan's medium and high classes). */
  rates: Partial<Record<LaneName, number>>;
  faults: { id: string; at: number; for: number; status: number; retryAfterSeconds?: number; backend: 'aoai-eastus-ptu1' | 'aoai-eastus-ptu2' }[];
}

/** The plan's shape from a k6.config.json scenario (consumer classes by the sample's priorities). */
export function planShape(plan: {
  durationSeconds: number;
  traffic: readonly { consumer: string; ratePerUnit: number; priority?: string; startSeconds?: number }[];
  timeline?: readonly { id: string; at: number; for?: number; kind: string; fault?: { kind: string; status?: number; retryAfterSeconds?: number; target: { backend?: string } } }[];
}): PlanShape {
  const rates: Partial<Record<LaneName, number>> = {};
  for (const t of plan.traffic) {
    const lane: LaneName | null = t.priority === 'high' || (!t.priority && t.consumer === 'critical-ops') ? 'high' : t.priority === 'medium' || (!t.priority && t.consumer === 'user-facing') ? 'medium' : null;
    if (lane) rates[lane] = (rates[lane] ?? 0) + t.ratePerUnit;
  }
  const faults: PlanShape['faults'] = [];
  for (const step of plan.timeline ?? []) {
    const f = step.kind === 'fleet-fault' ? step.fault : undefined;
    const backend = f?.target.backend;
    if (!f || f.kind !== 'status' || f.status === undefined || (backend !== 'aoai-eastus-ptu1' && backend !== 'aoai-eastus-ptu2')) continue;
    faults.push({ id: step.id, at: step.at, for: step.for ?? plan.durationSeconds - step.at, status: f.status, ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}), backend });
  }
  return { durationSeconds: plan.durationSeconds, rates, faults };
}

const RESOURCES = ['aoai-eastus-ptu1', 'aoai-eastus-ptu2'] as const;
const ENTITY: Record<LaneName, Record<(typeof RESOURCES)[number], string>> = {
  medium: { 'aoai-eastus-ptu1': 'aoai-eastus-ptu1', 'aoai-eastus-ptu2': 'aoai-eastus-ptu2' },
  high: { 'aoai-eastus-ptu1': 'aoai-eastus-ptu1-high', 'aoai-eastus-ptu2': 'aoai-eastus-ptu2-high' },
};
const SUBSCRIPTION: Record<LaneName, string> = { medium: 'user-facing', high: 'critical-ops' };

/** The sample's expectations for East US's two PTU resources, each behind a medium and a high entity. */
export function laneExpectations(): Expectations {
  const x = sampleExpectations();
  const routes: Record<string, Record<string, string>> = {};
  for (const lane of ['medium', 'high'] as const) {
    for (const resource of RESOURCES) routes[ENTITY[lane][resource]] = { ...ENTITY[lane] };
  }
  for (const resource of RESOURCES) {
    x.breakers[resource] = {
      ...SAMPLE_RULES.high,
      entities: [ENTITY.medium[resource], ENTITY.high[resource]],
      entityRules: { [ENTITY.medium[resource]]: { ...SAMPLE_RULES.medium }, [ENTITY.high[resource]]: { ...SAMPLE_RULES.high } },
    };
  }
  return { ...x, entityRoutes: routes };
}

class Breaker {
  failures: number[] = [];
  openUntil = Number.NEGATIVE_INFINITY;
  readonly rule: BreakerRule;
  constructor(rule: BreakerRule) {
    this.rule = rule;
  }
  isOpen(now: number): boolean {
    if (now < this.openUntil) return true;
    if (this.openUntil !== Number.NEGATIVE_INFINITY) {
      // "the circuit resets"
      this.failures = [];
      this.openUntil = Number.NEGATIVE_INFINITY;
    }
    return false;
  }
  record(now: number, failed: boolean, retryAfterMs: number | undefined): void {
    if (this.isOpen(now) || !failed) return;
    this.failures = this.failures.filter((t) => t > now - this.rule.intervalMs);
    this.failures.push(now);
    if (this.failures.length >= this.rule.count) {
      const trip = this.rule.acceptRetryAfter && retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : this.rule.tripDurationMs;
      this.openUntil = now + trip;
    }
  }
}

interface Attempt {
  lane: LaneName;
  request: number;
  attempt: number;
  at: number;
}

const RETRIES: Record<LaneName, { count: number; intervalMs: number }> = { medium: { count: 6, intervalMs: 0 }, high: { count: 10, intervalMs: 1_000 } };

function exponential(rng: Rng, rate: number): number {
  return -Math.log(1 - rng.next()) / rate;
}

/** One seeded run of `plan` through a gateway whose lanes use `rules`. */
export function simulateBreakerRun(plan: PlanShape, rules: Record<LaneName, BreakerRule>, seed: number): RunEvidence {
  const rng = seededRng(seed);
  const endMs = plan.durationSeconds * 1000;
  const b = new EvidenceBuilder({ durationMs: endMs });
  for (const f of plan.faults) {
    b.fleetFault({ id: f.id, at: f.at * 1000, until: (f.at + f.for) * 1000, status: f.status, ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}), target: { backend: f.backend } });
  }
  const breakers = new Map<string, Breaker>();
  for (const lane of ['medium', 'high'] as const) for (const resource of RESOURCES) breakers.set(ENTITY[lane][resource], new Breaker(rules[lane]));
  const faultAt = (backend: string, t: number) => plan.faults.find((f) => f.backend === backend && t >= f.at * 1000 && t < (f.at + f.for) * 1000);

  // Client requests and the queue of attempts, processed in time order so that every draw sees
  // the breaker states of the moment.
  const requests: { lane: LaneName; at: number; attempts: AttemptSpec[] }[] = [];
  const queue: Attempt[] = [];
  for (const lane of ['medium', 'high'] as const) {
    const rate = plan.rates[lane];
    if (!rate) continue;
    for (let t = exponential(rng, rate / 1000); t < endMs; t += exponential(rng, rate / 1000)) {
      requests.push({ lane, at: t, attempts: [] });
      queue.push({ lane, request: requests.length - 1, attempt: 0, at: t });
    }
  }
  const pending: { at: number; entity: string; failed: boolean; retryAfterMs: number | undefined }[] = [];
  while (queue.length > 0) {
    queue.sort((x, y) => x.at - y.at);
    const next = queue.shift() as Attempt;
    // Answers that arrived before this attempt start update the breakers first.
    pending.sort((x, y) => x.at - y.at);
    while (pending.length > 0 && (pending[0] as (typeof pending)[number]).at <= next.at) {
      const answer = pending.shift() as (typeof pending)[number];
      breakers.get(answer.entity)!.record(answer.at, answer.failed, answer.retryAfterMs);
    }
    const request = requests[next.request]!;
    const closed = RESOURCES.filter((r) => !breakers.get(ENTITY[next.lane][r])!.isOpen(next.at));
    let failed = true;
    let endAt = next.at + 1;
    if (closed.length > 0) {
      const backend = closed[Math.floor(rng.next() * closed.length)] as BackendName;
      const fault = faultAt(backend, next.at);
      const durationMs = fault ? 5 : 150 + Math.floor(rng.next() * 100);
      request.attempts.push({ backend, status: fault ? fault.status : 200, ...(fault ? { reason: 'fault:status' as const } : {}), offset: Math.round(next.at - request.at), durationMs });
      endAt = next.at + durationMs;
      failed = fault !== undefined;
      pending.push({ at: endAt, entity: ENTITY[next.lane][backend as (typeof RESOURCES)[number]], failed, retryAfterMs: fault?.retryAfterSeconds !== undefined ? fault.retryAfterSeconds * 1000 : fault?.status === 429 ? 1_000 : undefined });
    }
    const retry = RETRIES[next.lane];
    if (failed && next.attempt < retry.count && endAt + retry.intervalMs < endMs) queue.push({ ...next, attempt: next.attempt + 1, at: endAt + 1 + retry.intervalMs });
  }
  for (const r of requests) {
    const last = r.attempts[r.attempts.length - 1];
    b.gatewayRequest({
      at: Math.round(r.at),
      attempts: r.attempts,
      subscription: SUBSCRIPTION[r.lane],
      backendId: last ? ENTITY[r.lane][last.backend as (typeof RESOURCES)[number]] : null,
      ...(last ? {} : { status: 503 }),
      region: 'East US',
    });
  }
  return b.build();
}
