/**
 * Regional failover through the front door, for each regionDown step of the timeline:
 * - error-window: clients see errors for no longer than the probe settings allow: removal
 *   takes at most f = sampleSize − successfulSamplesRequired + 1 failed probes, f probe
 *   intervals after the outage began, plus one probe timeout (a hung origin) [docs/frontdoor.md];
 * - no-traffic-after-detection: once the front door marked the region unhealthy (its health
 *   event; without front door events, the removal bound), nothing more is routed to it, and
 *   no surviving gateway sends to the region's Azure OpenAI resources;
 * - traffic-returns: after the region comes back, traffic reaches it again within the restore
 *   bound (successfulSamplesRequired probe intervals);
 * - steady-state-origins (once per run, origin-selection.ts): while every origin is healthy,
 *   traffic reaches only the best-priority origins, split by their weights within a binomial
 *   band; this is also what holds a recovered primary to (nearly) all of the traffic.
 * docs/verifiers.md has the rules, tolerances and inconclusive cases.
 */
import type { ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import type { HealthEvent, RequestEvent } from '../contracts/front-door-events.ts';
import { clientStart } from './evidence-index.ts';
import { sourceOf } from './evidence-sources.ts';
import { fleetResourceOf } from './expectations-from-config.ts';
import type { Expectations } from './expectations.ts';
import { regionDownSteps, type RegionDownStep } from './fault-steps.ts';
import { duration, moment } from './time-format.ts';
import type { Verdict } from './verdict.ts';
import { ref } from './verdict-helpers.ts';
import type { Interval } from './intervals.ts';
import { judgeSteadyStateOrigins, type OriginExpectation } from './origin-selection.ts';

export interface FailoverOptions {
  /** Added to every bound (timer jitter, probe round trips). Default 1 s. */
  toleranceMs?: number;
  /** Requests sent up to this long after detection were already routed. Default 500 ms. */
  inFlightSlackMs?: number;
  /** Fewer client requests during the outage than this is inconclusive. Default 5. */
  minRequests?: number;
  /** Share of the steady-state traffic that lower-priority origins may take (steady-state-origins). Default 0.01. */
  strayShare?: number;
  /** Probability of an honest front door's per-origin count falling outside its binomial band (steady-state-origins). Default 0.001. */
  steadyStateAlpha?: number;
  /** Fewer steady-state client requests than this is inconclusive (steady-state-origins). Default 20. */
  minSteadyRequests?: number;
  /** The front door's probe timeout; default min(interval, 10 s), the emulator's default. */
  probeTimeoutMs?: number;
}

/** A client request that failed because of where the front door sent it (not a backend's answer). */
function isFailoverError(c: ClientRecord, region: string): boolean {
  if (c.status === 0) return true;
  if (c.errorOrigin === 'frontdoor') return true;
  return c.frontDoorOrigin === region && c.status >= 500 && c.errorOrigin !== 'backend';
}

/**
 * `origins`: the front door's enabled origins with their priorities and weights (deploy/apim/
 * emulator.json `frontDoor.origins`). Absent, steady-state-origins assumes the order of
 * `expectations.regions` as strict priorities (the primary alone at the top) and says so.
 */
export function verifyFailover(evidence: RunEvidence, expectations: Expectations, options: FailoverOptions = {}, origins?: readonly OriginExpectation[]): Verdict[] {
  const steps = regionDownSteps(evidence);
  const steady = steadyStateVerdict(evidence, expectations, steps, options, origins);
  if (steps.length === 0) {
    return [
      {
        check: 'failover',
        status: 'inconclusive',
        expected: 'a regionDown step in the timeline',
        measured: `${evidence.timeline.length} timeline step(s), none a regionDown`,
        tolerance: 'none',
        explanation: 'The run took no region down, so there is no failover to judge; add a { "kind": "region-down", "region": "East US" } step to the scenario timeline.',
        evidence: [ref(evidence.files.frontDoorEvents, 'front door health events')],
      },
      steady,
    ];
  }
  const throughFrontDoor = evidence.frontDoorEvents.length > 0 || evidence.client.some((c) => c.frontDoorOrigin !== '' || c.errorOrigin === 'frontdoor');
  return [...steps.flatMap((step) => judgeStep(evidence, expectations, step, options, throughFrontDoor)), steady];
}

/** Probe bounds of the expectations' front door: removal after an outage, return after recovery. */
function probeBounds(expectations: Expectations, options: FailoverOptions): { removalMs: number; restoreMs: number } | null {
  const fd = expectations.frontDoor;
  if (!fd) return null;
  const intervalMs = fd.probeIntervalSeconds * 1000;
  const timeoutMs = options.probeTimeoutMs ?? Math.min(intervalMs, 10_000);
  return { removalMs: (fd.sampleSize - fd.successfulSamplesRequired + 1) * intervalMs + timeoutMs, restoreMs: fd.successfulSamplesRequired * intervalMs };
}

/**
 * Steady-state origin selection over the whole run. Not steady: each applied regionDown step
 * from its start until its restore bound has passed after it cleared (the front door may not
 * have noticed either change yet), besides the health events origin-selection.ts reads.
 */
function steadyStateVerdict(evidence: RunEvidence, expectations: Expectations, steps: readonly RegionDownStep[], options: FailoverOptions, given: readonly OriginExpectation[] | undefined): Verdict {
  const bounds = probeBounds(expectations, options);
  const tol = options.toleranceMs ?? 1_000;
  const excluded: Interval[] = steps
    .filter((s) => s.appliedAt !== null)
    .map((s) => ({ from: s.appliedAt as number, to: (s.clearedAt ?? evidence.window.end) + (bounds ? bounds.restoreMs + tol : 0) }));
  const origins = given ?? (expectations.frontDoor ? expectations.regions.map((region, i) => ({ region, priority: i + 1, weight: 1 })) : []);
  const assumption = given ? '' : 'assumed from the order of expectations.regions, as the origins\' own priorities and weights were not given';
  return judgeSteadyStateOrigins(
    evidence,
    origins,
    excluded,
    {
      ...(options.steadyStateAlpha !== undefined ? { alpha: options.steadyStateAlpha } : {}),
      ...(options.minSteadyRequests !== undefined ? { minRequests: options.minSteadyRequests } : {}),
      ...(options.strayShare !== undefined ? { strayShare: options.strayShare } : {}),
      ...(options.inFlightSlackMs !== undefined ? { inFlightSlackMs: options.inFlightSlackMs } : {}),
    },
    assumption,
  );
}

function judgeStep(evidence: RunEvidence, expectations: Expectations, step: RegionDownStep, options: FailoverOptions, throughFrontDoor: boolean): Verdict[] {
  const t0 = evidence.window.start;
  const name = `step ${step.id}, ${step.region}`;
  if (step.appliedAt === null) {
    return [
      {
        check: `failover (${name})`,
        status: 'inconclusive',
        expected: `region ${step.region} taken down`,
        measured: step.error ? `not applied: ${step.error}` : 'not applied',
        tolerance: 'none',
        explanation: `The regionDown step ${step.id} never applied${step.error ? ` (${step.error})` : ''}, so no failover happened; fix the timeline runner and rerun.`,
        evidence: [ref(evidence.files.frontDoorEvents, 'front door events')],
      },
    ];
  }
  const fd = expectations.frontDoor;
  if (!fd) {
    return [
      {
        check: `failover (${name})`,
        status: 'inconclusive',
        expected: 'front door probe settings in the expectations',
        measured: 'expectations.frontDoor is null',
        tolerance: 'none',
        explanation: 'Without the front door\'s probe settings there is no bound to hold the failover to; give expectations.frontDoor (probeIntervalSeconds, sampleSize, successfulSamplesRequired).',
        evidence: [],
      },
    ];
  }
  if (!throughFrontDoor) {
    return [
      {
        check: `failover (${name})`,
        status: 'inconclusive',
        expected: 'client traffic through a front door',
        measured: 'no client record names a front door origin and no front door event was recorded',
        tolerance: 'none',
        explanation: 'The run did not go through a front door (entry "primary-region"?), so nothing could fail over; run the scenario with entry "front-door".',
        evidence: [ref(evidence.files.client, 'client records (frontDoorOrigin)'), ref(evidence.files.frontDoorEvents, 'front door events')],
      },
    ];
  }
  const tol = options.toleranceMs ?? 1_000;
  const slack = options.inFlightSlackMs ?? 500;
  const minRequests = options.minRequests ?? 5;
  const intervalMs = fd.probeIntervalSeconds * 1000;
  const timeoutMs = options.probeTimeoutMs ?? Math.min(intervalMs, 10_000);
  const failuresToRemove = fd.sampleSize - fd.successfulSamplesRequired + 1;
  const removalBound = failuresToRemove * intervalMs + timeoutMs;
  const restoreBound = fd.successfulSamplesRequired * intervalMs;
  const appliedAt = step.appliedAt;
  const outageEnd = step.clearedAt ?? evidence.window.end;
  const probeText = `${fd.sampleSize} samples, ${fd.successfulSamplesRequired} required, every ${fd.probeIntervalSeconds} s`;

  const during = evidence.client.filter((c) => clientStart(c) >= appliedAt && clientStart(c) <= outageEnd);
  const health = evidence.frontDoorEvents.filter((e): e is HealthEvent => e.type === 'health' && e.origin === step.region).map((e) => ({ ...e, at: Date.parse(e.time) }));
  const downEvent = health.find((e) => !e.healthy && e.at >= appliedAt && e.at <= outageEnd + removalBound);
  const upEvent = step.clearedAt !== null ? health.find((e) => e.healthy && e.at >= (step.clearedAt as number)) : undefined;
  const haveHealthEvents = evidence.frontDoorEvents.some((e) => e.type === 'health');

  // 1. The client-visible error window.
  const errors = evidence.client.filter((c) => c.time >= appliedAt && clientStart(c) <= outageEnd && isFailoverError(c, step.region)).sort((a, b) => clientStart(a) - clientStart(b));
  const windowVerdict = ((): Verdict => {
    const check = `failover.error-window (${name})`;
    const expected = `client errors stop within ${duration(removalBound)} of the outage = ${failuresToRemove} probe intervals of ${duration(intervalMs)} + one probe timeout ${duration(timeoutMs)} (${probeText})`;
    const tolerance = `${duration(tol)}`;
    if (during.length < minRequests) {
      return {
        check,
        status: 'inconclusive',
        expected,
        measured: `${during.length} client request(s) during the outage`,
        tolerance,
        explanation: `Too little traffic flowed while ${step.region} was down (${during.length} requests, need ${minRequests}) to see the error window; check the scenario's traffic.`,
        evidence: [ref(evidence.files.client, 'client requests during the outage', [], [appliedAt, outageEnd])],
      };
    }
    if (errors.length === 0) {
      return {
        check,
        status: 'pass',
        expected,
        measured: `no client request failed out of ${during.length} during the outage`,
        tolerance,
        explanation: `No client saw an error while ${step.region} was down${downEvent ? '' : ' (it may not have been receiving traffic)'}.`,
        evidence: [ref(evidence.files.client, 'client requests during the outage', [], [appliedAt, outageEnd])],
      };
    }
    const first = errors[0] as ClientRecord;
    const last = errors[errors.length - 1] as ClientRecord;
    const windowMs = clientStart(last) - appliedAt;
    const measured = `${errors.length} failed request(s) ${moment(clientStart(first), t0)} → ${moment(clientStart(last), t0)}: the last was sent ${duration(windowMs)} after the outage began${downEvent ? `; the front door marked ${step.region} unhealthy at ${moment(downEvent.at, t0)} (+${duration(downEvent.at - appliedAt)})` : ''}`;
    const ok = windowMs <= removalBound + tol;
    return {
      check,
      status: ok ? 'pass' : 'fail',
      expected,
      measured,
      tolerance,
      explanation: ok
        ? `Clients saw errors for ${duration(windowMs)} after ${step.region} went down, within the ${duration(removalBound)} the probes allow (plus ${duration(tol)} tolerance).`
        : `Clients kept failing ${duration(windowMs)} after ${step.region} went down, longer than the ${duration(removalBound)} its probe settings (${probeText}) allow: ${downEvent ? `the front door only marked it unhealthy at ${moment(downEvent.at, t0)}, so its probes may be slower or need more failures than expected, or the errors came from the other region` : haveHealthEvents ? `the front door never marked ${step.region} unhealthy: its probes may not reach the gateway's health endpoint, or probe a path that still answers 200` : 'no front door health event was recorded to show when it was removed'}; see ${evidence.files.client} at ${moment(last.time, t0)} and ${evidence.files.frontDoorEvents}.`,
      evidence: [ref(evidence.files.client, 'failed client requests after the outage began', errors.slice(-3).map((c) => moment(c.time, t0)), [clientStart(first), last.time]), ref(evidence.files.frontDoorEvents, `health events for ${step.region}`)],
    };
  })();

  // 2. Nothing routed to the dead region after detection.
  const detection = downEvent?.at ?? appliedAt + removalBound;
  const detectionText = downEvent ? `its unhealthy health event at ${moment(detection, t0)}` : `the removal bound (${moment(detection, t0)}), as no front door health event marks it`;
  const routedEvents = evidence.frontDoorEvents.filter((e): e is RequestEvent => e.type === 'request' && e.origin === step.region).filter((e) => {
    const start = Date.parse(e.time) - e.durationMs;
    return start > detection + slack && start < outageEnd;
  });
  const clientAfter = evidence.client.filter((c) => clientStart(c) > detection + slack && clientStart(c) < outageEnd);
  const clientRouted = clientAfter.filter((c) => c.frontDoorOrigin === step.region || isFailoverError(c, step.region));
  const rowsAfter = evidence.gatewayLogs.filter((r) => r.Region === step.region && r.TimeGenerated !== null && Date.parse(r.TimeGenerated) > detection + slack && Date.parse(r.TimeGenerated) < outageEnd);
  // The region's Azure OpenAI resources are part of it: a surviving gateway that still sends
  // there (routing that ignores the region) keeps the outage visible. Seen in the gateway
  // logs (BackendUrl names the resource, even when the connection was refused) and in the
  // ledger (a resource that answered).
  const regionOf = new Map<string, string>(expectations.backends.map((b) => [b.name, b.region]));
  const sentAfter = (at: number): boolean => at > detection + slack && at < outageEnd;
  const backendRowsAfter = evidence.gatewayLogs.filter((r) => {
    const resource = r.BackendUrl ? fleetResourceOf(r.BackendUrl) : undefined;
    return resource !== undefined && regionOf.get(resource) === step.region && r.TimeGenerated !== null && sentAfter(Date.parse(r.TimeGenerated));
  });
  const ledgerAfter = evidence.ledger.filter((r) => (r.type === undefined || r.type === 'request') && r.region === step.region && sentAfter(r.start));
  const quietVerdict = ((): Verdict => {
    const check = `failover.no-traffic-after-detection (${name})`;
    const expected = `no request routed to ${step.region} after the front door removed it (${detectionText}) until it came back`;
    const tolerance = `requests sent up to ${duration(slack)} after detection were already on their way`;
    if (clientAfter.length === 0 && routedEvents.length === 0) {
      return {
        check,
        status: 'inconclusive',
        expected,
        measured: `no client request between detection and ${step.clearedAt !== null ? 'recovery' : 'the end of the run'}`,
        tolerance,
        explanation: `No traffic flowed after ${step.region} was removed, so where it went cannot be judged; lengthen the outage or the scenario.`,
        evidence: [ref(evidence.files.client, 'client requests after detection', [], [detection, outageEnd])],
      };
    }
    const toBackends = backendRowsAfter.length + ledgerAfter.length;
    const violations = routedEvents.length + rowsAfter.length + (routedEvents.length === 0 ? clientRouted.length : 0) + toBackends;
    const measured = `${clientAfter.length} client request(s) after detection; ${routedEvents.length} routed to ${step.region} by the front door's log, ${clientRouted.length} client request(s) answered by or failing in ${step.region}, ${rowsAfter.length} gateway log row(s) from ${step.region}, ${backendRowsAfter.length} gateway log row(s) and ${ledgerAfter.length} backend request(s) to ${step.region}'s Azure OpenAI resources`;
    // Whether a surviving gateway still sent to the region's resources shows in the gateway's
    // rows (BackendUrl, even for a refused connection), and in the ledger only while those
    // resources were up (a step with backends: false): a resource that refuses connections
    // records nothing. Otherwise half of the check could not be looked at.
    const planned = evidence.timeline.find((s) => s.id === step.id)?.step;
    const backendsStayedUp = planned?.kind === 'region-down' && planned.backends === false;
    const seesBackends = sourceOf(evidence, 'gatewayLogs').status === 'collected' || (backendsStayedUp && sourceOf(evidence, 'ledger').status === 'collected');
    if (violations === 0 && !seesBackends) {
      return {
        check,
        status: 'inconclusive',
        expected,
        measured: `${measured}; this run has no gateway log rows`,
        tolerance,
        explanation: `After ${detectionText}, the front door sent nothing to ${step.region}; whether a surviving gateway kept sending to ${step.region}'s Azure OpenAI resources shows only in the gateway's log rows, which this run does not have (those resources refused connections, which the fleet ledger cannot record).`,
        evidence: [ref(evidence.files.frontDoorEvents, `requests and health events for ${step.region}`)],
      };
    }
    if (violations === 0) {
      return { check, status: 'pass', expected, measured, tolerance, explanation: `After ${detectionText}, no request went to ${step.region} until it recovered.`, evidence: [ref(evidence.files.frontDoorEvents, `requests and health events for ${step.region}`)] };
    }
    const examples = [...routedEvents.slice(0, 3).map((e) => e.ref), ...rowsAfter.slice(0, 3).map((r) => r.CorrelationId ?? ''), ...clientRouted.slice(0, 3).map((c) => moment(c.time, t0))].filter(Boolean);
    if (violations === toBackends) {
      const gateways = [...new Set(backendRowsAfter.map((r) => r.Region ?? '?'))].join(', ') || 'a surviving gateway';
      return {
        check,
        status: 'fail',
        expected,
        measured,
        tolerance,
        explanation: `The front door moved clients away from ${step.region}, but gateway ${gateways} kept sending to ${step.region}'s Azure OpenAI resources after ${detectionText}: its routing ignores the region it runs in (a region-aware choose on context.Deployment.Region, or a pool per region, keeps a region's traffic in the region); see ${evidence.files.gatewayLogs} and ${evidence.files.ledger}.`,
        evidence: [
          ref(evidence.files.gatewayLogs, `rows whose BackendUrl is in ${step.region}`, backendRowsAfter.slice(0, 3).map((r) => r.CorrelationId ?? ''), [detection, outageEnd]),
          ref(evidence.files.ledger, `requests to ${step.region}'s resources`, ledgerAfter.slice(0, 3).map((r) => r.seq), [detection, outageEnd]),
        ],
      };
    }
    return {
      check,
      status: 'fail',
      expected,
      measured,
      tolerance,
      explanation: `Requests still went to ${step.region} after ${detectionText}: the front door may not honour its health probes (origin health ignored, or the origin kept as the only candidate), or every origin was unhealthy so it round-robins across all of them; see ${evidence.files.frontDoorEvents} and ${evidence.files.client}.`,
      evidence: [ref(evidence.files.frontDoorEvents, `requests routed to ${step.region} after detection`, examples, [detection, outageEnd])],
    };
  })();

  // 3. Traffic returns after recovery.
  const returnVerdict = ((): Verdict => {
    const check = `failover.traffic-returns (${name})`;
    const expected = `requests reach ${step.region} again within ${duration(restoreBound)} of its recovery = ${fd.successfulSamplesRequired} probe intervals (${probeText})`;
    const tolerance = `${duration(tol)}`;
    if (step.clearedAt === null) {
      return { check, status: 'inconclusive', expected, measured: `${step.region} did not come back before the run ended`, tolerance, explanation: `The outage of ${step.region} lasted to the end of the run, so its return cannot be seen; give the step a "for" shorter than the rest of the scenario.`, evidence: [] };
    }
    const clearedAt = step.clearedAt;
    const before = evidence.client.filter((c) => clientStart(c) < appliedAt && c.frontDoorOrigin === step.region);
    if (before.length === 0) {
      return { check, status: 'inconclusive', expected, measured: `${step.region} served no client request before the outage`, tolerance, explanation: `${step.region} took no traffic before it went down (a standby region), so none is expected back after it recovers.`, evidence: [ref(evidence.files.client, `requests served via ${step.region}`)] };
    }
    const deadline = clearedAt + restoreBound + tol;
    const back = evidence.client.filter((c) => clientStart(c) >= clearedAt && c.frontDoorOrigin === step.region).sort((a, b) => clientStart(a) - clientStart(b))[0];
    const healthText = upEvent ? `; healthy again at ${moment(upEvent.at, t0)} (+${duration(upEvent.at - clearedAt)})` : '';
    if (!back || clientStart(back) > deadline) {
      const elsewhere = evidence.client.filter((c) => clientStart(c) > deadline && (!back || clientStart(c) < clientStart(back)));
      if (elsewhere.length < minRequests) {
        return {
          check,
          status: 'inconclusive',
          expected,
          measured: `${back ? `first request via ${step.region} ${duration(clientStart(back) - clearedAt)} after recovery` : `no request via ${step.region} after recovery`}, ${elsewhere.length} request(s) elsewhere after the bound${healthText}`,
          tolerance,
          explanation: `Too little traffic flowed after ${step.region} recovered (${elsewhere.length} requests after ${moment(deadline, t0)}) to tell whether it came back${evidence.window.end < deadline ? '; the run ended before the restore bound' : ''}.`,
          evidence: [ref(evidence.files.client, 'client requests after recovery', [], [clearedAt, evidence.window.end])],
        };
      }
      return {
        check,
        status: 'fail',
        expected,
        measured: `${back ? `first request via ${step.region} ${duration(clientStart(back) - clearedAt)} after recovery` : `no request via ${step.region} after recovery`}; ${elsewhere.length} request(s) went elsewhere after ${moment(deadline, t0)}${healthText}`,
        tolerance,
        explanation: `${step.region} came back at ${moment(clearedAt, t0)} but got no traffic within ${duration(restoreBound)}: ${upEvent ? 'the front door marked it healthy, so its routing may not prefer it (priorities, weights)' : 'the front door never marked it healthy again: its probes may still fail (health endpoint, probe path)'}; see ${evidence.files.frontDoorEvents} and ${evidence.files.client}.`,
        evidence: [ref(evidence.files.client, 'client requests after recovery', elsewhere.slice(0, 3).map((c) => moment(c.time, t0)), [clearedAt, evidence.window.end])],
      };
    }
    const returnedAt = clientStart(back);
    const measuredBase = `first request via ${step.region} ${duration(returnedAt - clearedAt)} after recovery (${moment(returnedAt, t0)})${healthText}`;
    // How much of the traffic it gets back is steady-state routing: steady-state-origins judges
    // that over every healthy stretch of the run, this one included.
    return {
      check,
      status: 'pass',
      expected,
      measured: measuredBase,
      tolerance,
      explanation: `Traffic returned to ${step.region} ${duration(returnedAt - clearedAt)} after it recovered, within the ${duration(restoreBound)} bound (plus ${duration(tol)} tolerance).`,
      evidence: [ref(evidence.files.client, `first request via ${step.region} after recovery`, [moment(back.time, t0)])],
    };
  })();

  return [windowVerdict, quietVerdict, returnVerdict];
}
