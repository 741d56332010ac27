/**
 * The run's fault timeline as the verifiers need it: fleet faults (from the ledger's fault
 * records, which carry the rule itself: kind, status, Retry-After, target) joined to the
 * applied timeline steps, regionDown steps, and network (Toxiproxy) steps with their scope.
 *
 * Joining: the harness labels each fleet rule with its step id (FaultRequest.label), so a step
 * matches the inject record whose rule.label is the step id; failing that, an inject record
 * within 2 s of the step's appliedAt whose target names the step's target. An inject record
 * no step claims is still a fault (injected by hand, say) and is judged under its label or id.
 */
import type { FaultRule } from '../contracts/fault-rule.ts';
import type { FaultChangeRecord } from '../contracts/ledger-record.ts';
import type { AppliedFault, RunEvidence } from '../evidence/evidence-types.ts';
import type { BreakerExpectation, BreakerRule, Expectations } from './expectations.ts';
import type { Interval } from './intervals.ts';

export interface FleetFaultStep {
  /** The timeline step id, else the rule's label, else its id. */
  id: string;
  /** The rule as the fleet recorded it; null when the ledger has no record of it. */
  rule: FaultRule | null;
  /** When it took effect (the ledger's inject record, else the timeline), null if never. */
  appliedAt: number | null;
  /** When it was cleared or expired; null when it lasted to the end of the run (or never applied). */
  clearedAt: number | null;
  step: AppliedFault | null;
  /** Why it did not apply, when the timeline says. */
  error?: string;
}

export interface RegionDownStep {
  id: string;
  region: string;
  appliedAt: number | null;
  clearedAt: number | null;
  error?: string;
  /** What the target really took down, when less than the step asks (only the fleet's side). */
  scope?: string;
}

/** A network step (Toxiproxy) as applied: its link, its toxic and the proxies it touched (scope). */
export interface NetworkStep {
  id: string;
  link: Extract<AppliedFault['step'], { kind: 'network' }>['link'];
  toxic: Extract<AppliedFault['step'], { kind: 'network' }>['toxic'];
  stream: 'downstream' | 'upstream';
  toxicity: number;
  appliedAt: number | null;
  clearedAt: number | null;
  error?: string;
  /** The proxies the target put the toxic on (a region's backends are several). */
  scope?: string;
}

const MATCH_WINDOW_MS = 2_000;

export function networkSteps(evidence: Pick<RunEvidence, 'timeline'>): NetworkStep[] {
  return evidence.timeline.flatMap((applied) =>
    applied.step.kind === 'network'
      ? [
          {
            id: applied.id,
            link: applied.step.link,
            toxic: applied.step.toxic,
            stream: applied.step.stream,
            toxicity: applied.step.toxicity,
            appliedAt: applied.error ? null : applied.appliedAt,
            clearedAt: applied.error ? null : applied.clearedAt,
            ...(applied.error ? { error: applied.error } : {}),
            ...(applied.scope ? { scope: applied.scope } : {}),
          },
        ]
      : [],
  );
}

/** A region-down step, by its kind (the plan's typed step), never by its action words. */
export function isRegionDownStep(step: AppliedFault): boolean {
  return step.step.kind === 'region-down';
}

export function regionDownSteps(evidence: RunEvidence): RegionDownStep[] {
  return evidence.timeline.flatMap((applied) =>
    applied.step.kind === 'region-down'
      ? [
          {
            id: applied.id,
            region: applied.step.region,
            appliedAt: applied.error ? null : applied.appliedAt,
            clearedAt: applied.error ? null : applied.clearedAt,
            ...(applied.error ? { error: applied.error } : {}),
            ...(applied.scope ? { scope: applied.scope } : {}),
          },
        ]
      : [],
  );
}

function targetName(rule: FaultRule): string {
  return rule.target.backend ?? rule.target.region ?? '';
}

export function fleetFaultSteps(evidence: RunEvidence): FleetFaultStep[] {
  const injects = evidence.faultChanges.filter((c): c is FaultChangeRecord => c.action === 'inject').sort((a, b) => a.at - b.at);
  const endOf = (rule: FaultRule, after: number): number | null => {
    const end = evidence.faultChanges.filter((c) => c.rule.id === rule.id && c.action !== 'inject' && c.at >= after).sort((a, b) => a.at - b.at)[0];
    if (end) return end.at;
    if (rule.expiresAt !== null && rule.expiresAt <= evidence.window.end) return rule.expiresAt;
    return null;
  };
  const claimed = new Set<FaultChangeRecord>();
  const steps: FleetFaultStep[] = [];
  for (const step of evidence.timeline.filter((s) => s.step.kind === 'fleet-fault')) {
    let inject = injects.find((c) => !claimed.has(c) && c.rule.label === step.id);
    if (!inject && step.appliedAt !== null && step.step.kind === 'fleet-fault') {
      const appliedAt = step.appliedAt;
      const wanted = step.step.fault.target.backend ?? step.step.fault.target.region;
      inject = injects.find((c) => !claimed.has(c) && Math.abs(c.at - appliedAt) <= MATCH_WINDOW_MS && (wanted === undefined || targetName(c.rule) === wanted));
    }
    if (inject) {
      claimed.add(inject);
      steps.push({ id: step.id, rule: inject.rule, appliedAt: inject.at, clearedAt: endOf(inject.rule, inject.at) ?? step.clearedAt, step, ...(step.error ? { error: step.error } : {}) });
    } else {
      steps.push({ id: step.id, rule: null, appliedAt: step.error ? null : step.appliedAt, clearedAt: step.error ? null : step.clearedAt, step, ...(step.error ? { error: step.error } : {}) });
    }
  }
  for (const inject of injects) {
    if (claimed.has(inject)) continue;
    steps.push({ id: inject.rule.label ?? inject.rule.id, rule: inject.rule, appliedAt: inject.at, clearedAt: endOf(inject.rule, inject.at), step: null });
  }
  return steps;
}

/** The backends a rule applies to, among those given (by backend name, else by region). */
export function faultTargets(rule: FaultRule, backends: readonly { name: string; region: string }[]): string[] {
  return backends.filter((b) => (rule.target.backend === undefined || rule.target.backend === b.name) && (rule.target.region === undefined || rule.target.region === b.region)).map((b) => b.name);
}

/**
 * When the run was disturbed on purpose: every applied fleet fault, regional outage and network
 * fault, from its application to its clearing plus the longest breaker trip it can have caused
 * (the trips outlast it). Checks about steady behaviour (the PTU share, the priority order
 * under saturation) leave these windows out: an injected outage is not saturation.
 *
 * The trip added is the longest that the step's own failures can cause on the breakers of the
 * backends it hit (faultTrip), not the longest trip of any backend: a 429 with a 3 s
 * Retry-After on one PTU resource leaves its Retry-After-accepting lane open for 3 s and its
 * other lane for that lane's tripDuration, and nothing else open at all. A step whose targets
 * the expectations do not know (and every network step, whose link may carry any backend's
 * traffic) keeps the longest trip of any backend.
 */
export function faultWindows(evidence: RunEvidence, expectations: Expectations): Interval[] {
  const anyTrip = Math.max(0, ...Object.values(expectations.breakers).flatMap(breakerRules).map((b) => b.tripDurationMs));
  const windows: Interval[] = [];
  const add = (appliedAt: number | null, clearedAt: number | null, tripMs: number): void => {
    if (appliedAt !== null) windows.push({ from: appliedAt, to: (clearedAt ?? evidence.window.end) + tripMs });
  };
  for (const step of fleetFaultSteps(evidence)) {
    const fault = step.rule ?? (step.step?.step.kind === 'fleet-fault' ? step.step.step.fault : null);
    add(step.appliedAt, step.clearedAt, fault ? faultTrip(expectations, fault.target, fault, anyTrip) : anyTrip);
  }
  for (const step of regionDownSteps(evidence)) add(step.appliedAt, step.clearedAt, faultTrip(expectations, { region: step.region }, null, anyTrip));
  for (const step of networkSteps(evidence)) add(step.appliedAt, step.clearedAt, anyTrip);
  return windows;
}

/** A breaker's rules: one per backend entity when the resource has lanes, else its own. */
function breakerRules(breaker: BreakerExpectation): BreakerRule[] {
  return breaker.entityRules ? Object.values(breaker.entityRules) : [breaker];
}

/**
 * The longest trip a fault on `target` can cause: over the breakers of the backends it names,
 * each lane's tripDuration, or, for a lane that accepts Retry-After, the Retry-After the fault
 * answers with (a status fault's retryAfterSeconds; the fleet's default 1 s for a 429 without
 * one). A Retry-After replaces the tripDuration, as in the circuit-breaker verifier's default
 * (expectedTripMs, mode 'replace'). `fallback` when no known backend matches the target.
 */
export function faultTrip(expectations: Expectations, target: { backend?: string; region?: string }, fault: Pick<FaultRule, 'kind' | 'status' | 'retryAfterSeconds'> | null, fallback: number): number {
  const backends = expectations.backends.filter((b) => (target.backend === undefined || target.backend === b.name) && (target.region === undefined || target.region === b.region));
  if (backends.length === 0) return fallback;
  const retryAfterSeconds = fault?.kind === 'status' ? (fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined)) : undefined;
  const trips = backends.flatMap((b) => {
    const breaker = expectations.breakers[b.name];
    if (!breaker) return [];
    return breakerRules(breaker).map((rule) => (rule.acceptRetryAfter && rule.counting !== 'nginx-passive' && retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : rule.tripDurationMs));
  });
  return Math.max(0, ...trips);
}
