/**
 * Steady-state origin selection of the front door (`failover.steady-state-origins`): while every
 * origin is healthy, traffic reaches only the origins of the best (lowest) priority, split in
 * proportion to their weights [DOC AFD-RM; docs/frontdoor.md, Routing]. Judged over the whole run
 * minus every moment some origin was (or may have been) unhealthy: the front door's health
 * events, and each regionDown step until the restore bound has passed.
 *
 * The counts are binomial: each steady-state request goes to origin i with its weight share
 * πᵢ = wᵢ / Σw among the best-priority origins. An origin whose count falls outside the exact
 * binomial band of probability 1 − alpha fails; lower-priority origins may take at most
 * `strayShare` of the requests (the band of a zero share is zero; the allowance covers real AFD,
 * whose POPs each keep their own health view). docs/verifiers.md has the rule.
 */
import type { ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import type { HealthEvent } from '../contracts/front-door-events.ts';
import { binomialBand } from './binomial.ts';
import { clientStart } from './evidence-index.ts';
import { contains, subtract, totalLength, union, type Interval } from './intervals.ts';
import { duration, percent } from './time-format.ts';
import type { Verdict } from './verdict.ts';
import { ref } from './verdict-helpers.ts';

/**
 * One front door origin as the gateway's configuration defines it (deploy/apim/emulator.json
 * `frontDoor.origins`, or the AFD origin group): the region it serves (its origin name, which
 * the front door reports in x-fd-origin), its priority (1-5, lower preferred) and weight (1-1000).
 * Only enabled origins belong in the list.
 */
export interface OriginExpectation {
  region: string;
  priority: number;
  weight: number;
}

export interface SteadyStateOptions {
  /** Probability of an honest count falling outside its band (two-sided). Default 0.001. */
  alpha?: number;
  /** Fewer steady-state requests than this is inconclusive. Default 20. */
  minRequests?: number;
  /** Share of steady-state requests lower-priority origins may take. Default 0.01. */
  strayShare?: number;
  /** Requests starting this close to a health change may have been routed by the state before it. Default 500 ms. */
  inFlightSlackMs?: number;
}

export const STEADY_STATE_CHECK = 'failover.steady-state-origins';

/**
 * Intervals during which some origin was unhealthy, from the front door's health events. An
 * origin's state before its first event is the opposite of that event (events are changes), so
 * an origin whose first event says healthy was unhealthy from the start of the run.
 */
export function unhealthyIntervals(evidence: RunEvidence): Interval[] {
  const byOrigin = new Map<string, { at: number; healthy: boolean }[]>();
  for (const e of evidence.frontDoorEvents) {
    if (e.type !== 'health') continue;
    const list = byOrigin.get(e.origin) ?? [];
    list.push({ at: Date.parse((e as HealthEvent).time), healthy: e.healthy });
    byOrigin.set(e.origin, list);
  }
  const intervals: Interval[] = [];
  for (const events of byOrigin.values()) {
    events.sort((a, b) => a.at - b.at);
    let downSince: number | null = events[0]?.healthy ? evidence.window.start : null;
    for (const e of events) {
      if (!e.healthy && downSince === null) downSince = e.at;
      else if (e.healthy && downSince !== null) {
        intervals.push({ from: downSince, to: e.at });
        downSince = null;
      }
    }
    if (downSince !== null) intervals.push({ from: downSince, to: evidence.window.end });
  }
  return union(intervals);
}

interface OriginCount {
  origin: OriginExpectation;
  expectedShare: number;
  count: number;
  band: { low: number; high: number };
}

/**
 * Judges where the front door sent client requests while every origin was healthy.
 * `excluded`: further intervals that are not steady state (each regionDown step from its start
 * to its end plus the restore bound). `assumption`: said in the verdict when the origins were
 * not given but inferred.
 */
export function judgeSteadyStateOrigins(
  evidence: RunEvidence,
  origins: readonly OriginExpectation[],
  excluded: readonly Interval[],
  options: SteadyStateOptions = {},
  assumption = '',
): Verdict {
  const alpha = options.alpha ?? 0.001;
  const minRequests = options.minRequests ?? 20;
  const strayShare = options.strayShare ?? 0.01;
  const slack = options.inFlightSlackMs ?? 500;
  const check = STEADY_STATE_CHECK;
  const files = evidence.files;
  if (origins.length === 0) {
    return {
      check,
      status: 'inconclusive',
      expected: 'the front door origins with their priorities and weights',
      measured: 'no origin expectations',
      tolerance: 'none',
      explanation: 'Without the origins\' priorities and weights there is no routing to hold the front door to; give the origins (deploy/apim/emulator.json frontDoor.origins).',
      evidence: [],
    };
  }
  const best = Math.min(...origins.map((o) => o.priority));
  const top = origins.filter((o) => o.priority === best);
  const totalWeight = top.reduce((sum, o) => sum + o.weight, 0);
  const expectedText = `while every origin is healthy, only priority ${best} (${top.map((o) => `${o.region} weight ${o.weight}`).join(', ')}) gets traffic${top.length > 1 ? `, split ${top.map((o) => percent(o.weight / totalWeight, 0)).join(' / ')} by weight` : ''}${assumption ? ` (${assumption})` : ''}`;

  const unsteady = union([...unhealthyIntervals(evidence).map((i) => ({ from: i.from - slack, to: i.to + slack })), ...excluded]);
  const steady = subtract([{ from: evidence.window.start, to: evidence.window.end }], unsteady);
  const routed = (c: ClientRecord): boolean => c.frontDoorOrigin !== '';
  const requests = evidence.client.filter((c) => routed(c) && contains(steady, clientStart(c)));
  const n = requests.length;
  const steadyText = `${duration(totalLength(steady))} of steady state (${duration(totalLength(union(unsteady.filter((i) => i.to > evidence.window.start && i.from < evidence.window.end))))} excluded: origin health changes and region outages until their restore bound)`;
  if (n < minRequests) {
    return {
      check,
      status: 'inconclusive',
      expected: expectedText,
      measured: `${n} client request(s) with a front door origin in ${steadyText}`,
      tolerance: `binomial band at ${1 - alpha} per origin`,
      explanation: evidence.client.some(routed)
        ? `Too little steady-state traffic (${n} requests, need ${minRequests}) to judge the front door's origin selection; lengthen the part of the scenario where every region is up.`
        : 'No client record names a front door origin (x-fd-origin): the run did not go through a front door (entry "primary-region"?), so its routing cannot be judged.',
      evidence: [ref(files.client, 'client requests in steady state (frontDoorOrigin)')],
    };
  }

  const counts = new Map<string, number>();
  for (const c of requests) counts.set(c.frontDoorOrigin, (counts.get(c.frontDoorOrigin) ?? 0) + 1);
  const judged: OriginCount[] = top.map((origin) => {
    const expectedShare = origin.weight / totalWeight;
    return { origin, expectedShare, count: counts.get(origin.region) ?? 0, band: binomialBand(n, expectedShare, alpha) };
  });
  const topNames = new Set(top.map((o) => o.region));
  const strays = requests.filter((c) => !topNames.has(c.frontDoorOrigin));
  const strayAllowed = Math.floor(strayShare * n);
  const outOfBand = top.length > 1 ? judged.filter((j) => j.count < j.band.low || j.count > j.band.high) : [];
  const measured = [
    ...judged.map((j) => `${j.origin.region} ${j.count} of ${n} (${percent(j.count / n)}${top.length > 1 ? `, band ${j.band.low}–${j.band.high}` : ''})`),
    ...[...counts].filter(([name]) => !topNames.has(name)).map(([name, count]) => `${name} ${count} of ${n} (${percent(count / n)})`),
  ].join(', ');
  const tolerance =
    `lower-priority origins: at most ${percent(strayShare, 0)} of the requests (${strayAllowed} of ${n})` +
    (top.length > 1 ? `; each priority-${best} origin within the exact binomial band of its weight share for ${n} requests, outside which an honest front door falls with probability ≤ ${alpha}` : '');
  const failures: string[] = [];
  if (strays.length > strayAllowed) {
    const where = [...new Set(strays.map((c) => c.frontDoorOrigin))];
    failures.push(`${strays.length} of ${n} steady-state requests (${percent(strays.length / n)}) went to ${where.join(', ')}, of a lower priority than ${top.map((o) => o.region).join(', ')}: the origins' priorities may be equal, the front door may ignore priority (weights only), or it may treat the primary as unhealthy`);
  }
  for (const j of outOfBand) {
    failures.push(`${j.origin.region} got ${j.count} of ${n} (${percent(j.count / n)}) where its weight ${j.origin.weight} of ${totalWeight} gives ${percent(j.expectedShare)}, outside the band ${j.band.low}–${j.band.high}: the weights may differ from the configuration, or the latency band may send everything to the fastest origin`);
  }
  const strayExamples = strays.slice(0, 3).map((c) => new Date(c.time).toISOString());
  if (failures.length > 0) {
    return {
      check,
      status: 'fail',
      expected: expectedText,
      measured: `${measured} in ${steadyText}`,
      tolerance,
      explanation: `While every origin was healthy, ${failures.join('; ')}; see ${files.client} (frontDoorOrigin) and ${files.frontDoorEvents}.`,
      evidence: [ref(files.client, 'steady-state requests that went to a lower-priority origin', strayExamples), ref(files.frontDoorEvents, 'health events (steady state is when every origin is healthy)')],
    };
  }
  return {
    check,
    status: 'pass',
    expected: expectedText,
    measured: `${measured} in ${steadyText}`,
    tolerance,
    explanation: `While every origin was healthy, the front door sent ${top.length > 1 ? 'its traffic to the priority-' + best + ' origins in proportion to their weights' : `all but ${strays.length} of ${n} requests to ${top[0]!.region}`}.`,
    evidence: [ref(files.client, 'steady-state requests (frontDoorOrigin)')],
  };
}
