/**
 * Circuit breaker: for each injected fleet fault of kind status (429 or 5xx) on a backend that
 * has a breaker rule, per gateway instance that sent the backend traffic during the fault:
 * 1. opens-after-count: the backend received at most `count` failures within the interval
 *    (plus those already in flight) before the instance stopped sending, and not fewer: while
 *    the reference breaker was closed, the backend kept its usual share of the instance's
 *    requests (an exact binomial test), and no silence followed fewer failures than the count;
 * 2. stays-open: nothing reached it for the trip duration (tripDuration, or the Retry-After with
 *    acceptRetryAfter), within tolerance; the measured trip is reported, and a pass needs the
 *    silences to be improbable for a closed breaker (the chance is stated);
 * 3. resumes: traffic came back once the trip ended (judged only while the instance still had
 *    traffic for its other backends, so a region that went quiet is not a failure).
 * A resource behind several backend entities (a dedicated lane) has one breaker per entity;
 * each is judged on the requests routed through it (breaker-lanes.ts).
 * The trips are the reference breaker's (breaker-model.ts) for the rule's counting: APIM's
 * sliding window, or nginx's passive ejection, where a server ejected before is ejected again
 * by one failure and each ejection lasts whole seconds.
 * Decided from the ledger (the oracle), so it holds against a real APIM too; breaker events are
 * only a cross-check. Every judgement that rests on chance (which backend a pool drew) states
 * the probability of what it saw. docs/verifiers.md has the rules, tolerances and the power of
 * each scenario.
 */
import type { FaultRule } from '../contracts/fault-rule.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { RunEvidence } from '../evidence/evidence-types.ts';
import { binomialCdf, binomialSf } from './binomial.ts';
import { breakerLanes, type BreakerLane } from './breaker-lanes.ts';
import { expectedTripMs, isBreakerFailure, modelTripMs, nextTrip, nginxCountAfter, type ModelTrip, type RetryAfterMode } from './breaker-model.ts';
import { indexEvidence, instanceOf, type EvidenceIndex } from './evidence-index.ts';
import { poolRefusals } from './pool-refusals.ts';
import type { BreakerExpectation, Expectations } from './expectations.ts';
import { faultTargets, fleetFaultSteps, type FleetFaultStep } from './fault-steps.ts';
import { duration, moment } from './time-format.ts';
import type { Verdict, VerdictStatus } from './verdict.ts';
import { combine, joinParts, listExamples, ref } from './verdict-helpers.ts';

export interface CircuitBreakerOptions {
  /**
   * A request that reached the backend up to this long after the count was completed was
   * already on its way (the gateway chose the backend before the failure's answer arrived).
   * Default 250 ms.
   */
  inFlightSlackMs?: number;
  /** How a Retry-After shorter than tripDuration is applied; default 'replace' (the emulator's choice). */
  retryAfterMode?: RetryAfterMode;
  /**
   * "Traffic did not resume" fails only when, with the backend's usual share of the instance's
   * traffic, seeing none of the instance's later requests go to it would have had less than
   * this probability. Default 0.001.
   */
  resumeConfidence?: number;
  /** A gap in the backend's traffic at least this long (or the trip length, if shorter) is the breaker's silence. Default 3 s. */
  minSilenceMs?: number;
  /**
   * "Opened before the count" fails only when, while the reference breaker was closed during
   * the fault, the backend got so few of the instance's requests that a breaker opening at the
   * count leaves that few with less than this probability. Default 0.001.
   */
  earlyConfidence?: number;
  /**
   * stays-open passes only when a closed breaker would have left the trips' silences with at
   * most this probability (else the silence proves nothing: inconclusive). Default 0.05: a
   * breaker that never opened passes at most 1 run in 20.
   */
  silenceConfidence?: number;
}

interface TripObservation {
  trip: ModelTrip;
  tripMs: number | null;
  tripSource: string;
  /** First request to the backend from the instance after the count completed (plus slack). */
  resumed: RequestRecord | undefined;
}

interface Context {
  evidence: RunEvidence;
  expectations: Expectations;
  index: EvidenceIndex;
  slack: number;
  tol: number;
  mode: RetryAfterMode;
  resumeConfidence: number;
  minSilence: number;
  earlyConfidence: number;
  silenceConfidence: number;
  /** Every applied fleet fault, start to end: no baseline share is taken from them. */
  faultWindows: { from: number; to: number }[];
}

export function verifyCircuitBreaker(evidence: RunEvidence, expectations: Expectations, options: CircuitBreakerOptions = {}): Verdict[] {
  const index = indexEvidence(evidence);
  const ctx: Context = {
    evidence,
    expectations,
    index,
    slack: options.inFlightSlackMs ?? 250,
    tol: expectations.tolerances.tripDurationMs,
    mode: options.retryAfterMode ?? 'replace',
    resumeConfidence: options.resumeConfidence ?? 0.001,
    minSilence: options.minSilenceMs ?? 3_000,
    earlyConfidence: options.earlyConfidence ?? 0.001,
    silenceConfidence: options.silenceConfidence ?? 0.05,
    faultWindows: fleetFaultSteps(evidence)
      .filter((s) => s.appliedAt !== null)
      .map((s) => ({ from: s.appliedAt as number, to: s.clearedAt ?? evidence.window.end })),
  };
  const known = new Map<string, { name: string; region: string }>();
  for (const b of expectations.backends) known.set(b.name, { name: b.name, region: b.region });
  for (const [name, info] of index.backendInfo) if (!known.has(name)) known.set(name, { name, region: info.region });

  const verdicts: Verdict[] = [];
  for (const step of fleetFaultSteps(evidence)) {
    if (step.appliedAt === null) {
      verdicts.push(notApplied(ctx, step));
      continue;
    }
    if (step.rule === null) {
      verdicts.push({
        check: `circuit-breaker (step ${step.id})`,
        status: 'inconclusive',
        expected: 'a fleet fault record for the step in the ledger',
        measured: `the timeline says step ${step.id} applied at ${moment(step.appliedAt, evidence.window.start)}, but the ledger has no fault record for it`,
        tolerance: 'none',
        explanation: `Step ${step.id} applied according to the timeline but the fleet ledger holds no matching inject record (label "${step.id}"), so its kind, status and target are unknown; check that the harness labels fleet faults with the step id and that ${evidence.files.ledger} is complete.`,
        evidence: [ref(evidence.files.ledger, 'fault records (type "fault")')],
      });
      continue;
    }
    const rule = step.rule;
    if (rule.kind !== 'status' || rule.status === undefined || !(rule.status === 429 || rule.status >= 500)) continue;
    for (const backend of faultTargets(rule, [...known.values()])) {
      const breaker = expectations.breakers[backend];
      if (!breaker || !isBreakerFailure({ status: rule.status, reason: 'fault:status' }, breaker)) continue;
      verdicts.push(...judgeBackend(ctx, step, rule, backend, breaker));
    }
  }
  if (verdicts.length === 0) {
    verdicts.push({
      check: 'circuit-breaker',
      status: 'inconclusive',
      expected: 'a fleet fault of kind status (429 or 5xx) on a backend with a breaker rule',
      measured: `${evidence.timeline.length} timeline step(s), ${evidence.faultChanges.length} fault record(s), none of them a status fault on a backend with a breaker rule`,
      tolerance: 'none',
      explanation: 'The run injected no 429/5xx status fault on a backend whose breaker rule counts it, so there is no trip to judge; add a fleet step { kind: "status", status: 500, target: { backend } } to the scenario.',
      evidence: [ref(evidence.files.ledger, 'fault records (type "fault")')],
    });
  }
  return verdicts;
}

function notApplied(ctx: Context, step: FleetFaultStep): Verdict {
  return {
    check: `circuit-breaker (step ${step.id})`,
    status: 'inconclusive',
    expected: `fault step ${step.id} applied`,
    measured: step.error ? `not applied: ${step.error}` : 'not applied',
    tolerance: 'none',
    explanation: `The fault step ${step.id} never applied${step.error ? ` (${step.error})` : ''}, so there is nothing for a breaker to react to; fix the timeline runner or the fleet's control API and rerun.`,
    evidence: [ref(ctx.evidence.files.ledger, 'fault records (type "fault")')],
  };
}

function label(stepId: string, backend: string, instance: string, lane: BreakerLane | null = null): string {
  return `step ${stepId}, ${backend}${lane?.entity ? ` via ${lane.entity}` : ''}, gateway ${instance}`;
}

function judgeBackend(ctx: Context, step: FleetFaultStep, rule: FaultRule, backend: string, breaker: BreakerExpectation): Verdict[] {
  const { evidence, index } = ctx;
  const faultStart = step.appliedAt as number;
  const faultEnd = step.clearedAt ?? evidence.window.end;
  const { lanes, unattributed } = breakerLanes(index, ctx.expectations, backend, breaker);
  const unattributedDuring = unattributed.filter((r) => r.start >= faultStart && r.start <= faultEnd).length;
  const laneNote =
    unattributedDuring > 0
      ? ` (${unattributedDuring} request(s) to ${backend} during the fault had no gateway log row naming the backend entity they went through, so they were left out of every lane)`
      : '';
  const verdicts: Verdict[] = [];
  for (const lane of lanes) {
    const records = (index.byBackend.get(backend) ?? []).filter((r) => lane.has(r));
    const byInstance = new Map<string, RequestRecord[]>();
    let attributedByRegion = 0;
    for (const record of records) {
      const instance = instanceOf(index, record);
      if (!instance.fromLog) attributedByRegion++;
      const list = byInstance.get(instance.region);
      if (list) list.push(record);
      else byInstance.set(instance.region, [record]);
    }
    // Without gateway log rows at all (a gateway that keeps none), every instance is known
    // only by its backends' region: the gateway is judged as one instance per region.
    const attributionNote =
      (!index.gatewayLogs
        ? ' (this run has no gateway log rows, so the gateway is judged as one instance per region of its backends: the ledger alone cannot tell its instances apart)'
        : attributedByRegion > 0
          ? ` (${attributedByRegion} of ${records.length} ledger records had no gateway log row for their correlation id and were attributed to the backend's own region)`
          : '') + laneNote;
    for (const [instance, recs] of [...byInstance].sort((a, b) => a[0].localeCompare(b[0]))) {
      const during = recs.filter((r) => r.start >= faultStart && r.start <= faultEnd);
      if (during.length === 0) continue;
      // Each entity trips by its own rule (the sample's lanes differ in trip length and Retry-After).
      const laneBreaker: BreakerExpectation = (lane.entity ? breaker.entityRules?.[lane.entity] : undefined) ?? breaker;
      if (!isBreakerFailure({ status: rule.status ?? 0, reason: 'fault:status' }, laneBreaker)) continue;
      verdicts.push(...judgeInstance(ctx, step, rule, backend, laneBreaker, lane, instance, recs, attributionNote));
    }
  }
  if (unattributedDuring > 0) {
    // A request left out of its lane can hide a failure (an early stop that was not) or a
    // request sent during a trip; neither a pass nor a fail can rest on an incomplete lane.
    for (const verdict of verdicts) {
      if (verdict.status !== 'fail') continue;
      verdict.status = 'inconclusive';
      verdict.explanation = `Not judged as a failure because the lanes are incomplete: ${verdict.explanation} Check that every request has its gateway log row (Log Analytics ingestion can lag) and rerun.`;
    }
  }
  if (verdicts.length === 0 && unattributedDuring > 0) {
    // The resource is behind several backend entities (lanes), each its own breaker, and the
    // ledger names only the resource: without the gateway rows naming the entity, no lane can
    // be judged (lumping them together would judge a breaker nobody configured).
    verdicts.push({
      check: `circuit-breaker.opens-after-count (${label(step.id, backend, 'any')})`,
      status: 'inconclusive',
      expected: `the requests to ${backend} during step ${step.id} told apart by the breaker lane they went through (${(breaker.entities ?? []).join(', ')})`,
      measured: `${unattributedDuring} request(s) reached ${backend} ${moment(faultStart, evidence.window.start)} – ${moment(faultEnd, evidence.window.start)}, none with a gateway log row naming its backend entity`,
      tolerance: 'none',
      explanation: `The expectations put ${backend} behind ${(breaker.entities ?? []).length} backend entities, each with its own breaker, and which one a request went through is only in the gateway log row (its BackendId, through entityRoutes)${index.gatewayLogs ? '' : ', which this run does not have'}; give expectations with one breaker per resource for a gateway that keeps no such rows, or collect its logs.`,
      evidence: [ref(evidence.files.ledger, `requests to ${backend}`, unattributed.slice(0, 5).map((r) => r.seq), [faultStart, faultEnd])],
    });
  }
  if (verdicts.length === 0) {
    verdicts.push({
      check: `circuit-breaker.opens-after-count (${label(step.id, backend, 'any')})`,
      status: 'inconclusive',
      expected: `traffic to ${backend} while step ${step.id} applied`,
      measured: `no request reached ${backend} ${moment(faultStart, evidence.window.start)} – ${moment(faultEnd, evidence.window.start)}`,
      tolerance: 'none',
      explanation: `The fault on ${backend} applied, but no gateway sent it a request while it lasted, so no breaker could trip; check that the scenario's traffic reaches ${backend} (region, priority class) during step ${step.id}.`,
      evidence: [ref(evidence.files.ledger, `requests to ${backend}`, [], [faultStart, faultEnd])],
    });
  }
  return verdicts;
}

function judgeInstance(
  ctx: Context,
  step: FleetFaultStep,
  rule: FaultRule,
  backend: string,
  breaker: BreakerExpectation,
  lane: BreakerLane,
  instance: string,
  recs: RequestRecord[],
  attributionNote: string,
): Verdict[] {
  const { evidence } = ctx;
  const faultStart = step.appliedAt as number;
  const faultEnd = step.clearedAt ?? evidence.window.end;
  const byStart = recs.slice().sort((a, b) => a.start - b.start || a.seq - b.seq);
  const name = label(step.id, backend, instance, lane);

  const { trips, openWindows } = replay(ctx, recs, byStart, breaker, rule, faultStart, faultEnd);
  const share = baselineShare(ctx, backend, lane, instance, faultStart, openWindows, breaker.tripDurationMs);
  const early = earlyOpening(ctx, recs, byStart, breaker, rule, backend, share, faultStart, faultEnd, openWindows);
  const earlyFails = early.silences.length > 0 && early.chance < ctx.earlyConfidence;
  if (trips.length === 0 && !earlyFails) return [neverCounted(ctx, step, early, breaker, name, backend, instance, share.p, faultStart, faultEnd, recs, attributionNote)];

  const entity = lane.entity ?? backend;
  const events = evidence.breakerEvents.filter((e) => e.region === instance && (e.data.backendName === entity || e.subject.includes(`/backends/${entity}/`)));
  if (!earlyFails) {
    const count = judgeCount(ctx, trips, byStart, breaker, name, backend, instance, early, share, attributionNote);
    return [count, judgeOpen(ctx, trips, breaker, byStart, name, backend, instance, events, share, attributionNote), judgeResume(ctx, trips, name, backend, instance, share, lane)];
  }
  // It opened early: the trips modelled at the rule's count are not the gateway's, so the trip
  // length and the return are judged on trips modelled at the count it was seen to open at.
  const seenCount = Math.max(1, Math.min(...early.silences.map((e) => e.sinceReset)));
  const seen = replay(ctx, recs, byStart, { ...breaker, count: seenCount }, rule, faultStart, faultEnd).trips;
  const verdicts = [earlyVerdict(ctx, early, breaker, name, backend, instance, share.p, attributionNote)];
  if (seen.length === 0) return verdicts;
  const note = ` (trips modelled at the ${seenCount} failure(s) it was seen to open at, not the rule's ${breaker.count}: opens-after-count judges that)`;
  for (const v of [judgeOpen(ctx, seen, breaker, byStart, name, backend, instance, events, share, attributionNote), judgeResume(ctx, seen, name, backend, instance, share, lane)]) {
    verdicts.push({ ...v, explanation: v.explanation.replace(/\.$/, `${note}.`) });
  }
  return verdicts;
}

/**
 * Replays the reference breaker over one instance's requests to the backend from the start of
 * the run, re-anchoring each cycle where the gateway really started sending again (or where the
 * trip should have ended, if earlier). Returns the trips within the fault and every modelled
 * open window (from the trip to the gateway's first request after it).
 */
function replay(
  ctx: Context,
  recs: RequestRecord[],
  byStart: RequestRecord[],
  breaker: BreakerExpectation,
  rule: FaultRule,
  faultStart: number,
  faultEnd: number,
): { trips: TripObservation[]; openWindows: { from: number; to: number }[] } {
  const trips: TripObservation[] = [];
  const openWindows: { from: number; to: number }[] = [];
  let from = Number.NEGATIVE_INFINITY;
  for (let guard = 0; guard < 10_000; guard++) {
    const trip = nextTrip(recs, breaker, from);
    if (!trip || trip.at > faultEnd) break;
    const expected = modelTripMs(breaker, trip, rule, ctx.mode);
    const resumed = firstStartingAfter(byStart, trip.at + ctx.slack);
    if (trip.at >= faultStart) trips.push({ trip, tripMs: expected.ms, tripSource: expected.source, resumed });
    openWindows.push({ from: trip.at, to: resumed?.start ?? Number.POSITIVE_INFINITY });
    if (!resumed) break;
    const next = expected.ms !== null ? Math.min(resumed.start, trip.at + expected.ms) : resumed.start;
    from = Math.max(next, trip.at + 1);
  }
  return { trips, openWindows };
}

/**
 * The instance's requests to the backend's region (in its lane) while the reference breaker was
 * closed during the fault, and how many reached the backend: every such request was a pool draw
 * the backend could have won.
 */
function closedDraws(share: Share, faultStart: number, faultEnd: number, openWindows: readonly { from: number; to: number }[]): RequestRecord[] {
  return share.fromInstance.filter((r) => r.start >= faultStart && r.start <= faultEnd && !openWindows.some((w) => r.start >= w.from && r.start < w.to));
}

/**
 * When no trip was modelled: why. With enough traffic for a breaker counting `count` to reach
 * it, the backend's few failures are the gateway's own doing (it sent the backend less than its
 * share) and the verdict says so with the chance; only when the traffic itself made reaching
 * the count unlikely does it ask for more traffic.
 */
function neverCounted(
  ctx: Context,
  step: FleetFaultStep,
  early: EarlyOpening,
  breaker: BreakerExpectation,
  name: string,
  backend: string,
  instance: string,
  p: number,
  faultStart: number,
  faultEnd: number,
  recs: RequestRecord[],
  attributionNote: string,
): Verdict {
  const failures = recs.filter((r) => r.end >= faultStart && r.end <= faultEnd && isBreakerFailure(r, breaker));
  // nginx forgets no failure on a timer, so every draw of the fault can add to its count.
  const reach = binomialSf(breaker.count, nginx(breaker) ? early.draws : early.windowDraws, p);
  const drawsText = nginx(breaker)
    ? `${early.draws} request(s) from gateway ${instance} to the region during the fault, ${early.hits} of them to ${backend}`
    : `${early.draws} request(s) from gateway ${instance} to the region during the fault (at most ${early.windowDraws} within ${duration(breaker.intervalMs)}), ${early.hits} of them to ${backend}`;
  const chanceText = `a breaker counting ${breaker.count} leaves it ${early.hits} or fewer with probability ${chanceOf(early.chance)} at its usual ${percentOf(p)} share`;
  const silenceText = early.silences.length > 0 ? ` It went silent after ${early.silences.map((s) => s.sinceReset).join(', ')} failure(s) (${early.silences.length} silence(s)), as a breaker that opens early would.` : '';
  const explanation =
    reach >= 0.5
      ? `Gateway ${instance} sent ${backend} only ${failures.length} failure(s) during step ${step.id} although its traffic would have brought a breaker counting ${countText(breaker)} to its count with probability ${chanceOf(reach)}: ${drawsText}, and ${chanceText}.${silenceText} The gateway sent it less than its share, but not improbably enough to call the breaker early (that needs < ${ctx.earlyConfidence}); rerun the circuit-breaker scenario, whose traffic decides it.${attributionNote}`
      : `Gateway ${instance} sent ${backend} too little traffic during step ${step.id} for its rule of ${countText(breaker)} to trip: ${drawsText}, so even a correct breaker reaches the count with probability ${chanceOf(reach)}; the breaker was never put to the test: raise the traffic or lengthen the fault.${silenceText}${attributionNote}`;
  return {
    check: `circuit-breaker.opens-after-count (${name})`,
    status: 'inconclusive',
    expected: `${countText(breaker, 'failures')} from gateway ${instance}, then a trip`,
    measured: `${failures.length} failure(s) from ${instance} while the fault applied, never ${countText(breaker)}; ${drawsText}`,
    tolerance: `an early opening fails when ${backend}'s share of the draws has probability < ${ctx.earlyConfidence} under a breaker counting ${breaker.count}`,
    explanation,
    evidence: [ref(ctx.evidence.files.ledger, `failed requests to ${backend} from ${instance}`, failures.map((r) => r.seq), [faultStart, faultEnd])],
  };
}

function nginx(breaker: BreakerExpectation): boolean {
  return breaker.counting === 'nginx-passive';
}

/**
 * The count rule in words: "3 within 10.0 s" (a sliding window), or nginx's, whose count has
 * no window: "3 (max_fails; nginx resets its count only on a success more than 10 s after the
 * last failure)". `noun` goes after the number.
 */
function countText(breaker: BreakerExpectation, noun = ''): string {
  const count = noun ? `${breaker.count} ${noun}` : `${breaker.count}`;
  return nginx(breaker)
    ? `${count} (max_fails; nginx resets its count only on a success more than ${duration(breaker.tripDurationMs)} after the last failure)`
    : `${count} within ${duration(breaker.intervalMs)}`;
}

function chanceOf(chance: number): string {
  if (chance >= 0.01) return chance.toFixed(2);
  return chance.toExponential(1);
}

function percentOf(p: number): string {
  return `${(p * 100).toFixed(0)}%`;
}

interface Share {
  /** The backend's share of the instance's requests to its region, clamped to [5%, 95%]. */
  p: number;
  region: string;
  /** The instance's requests to backends of that region. */
  fromInstance: RequestRecord[];
}

/**
 * The backend's usual share of this instance's regional traffic (in the breaker's lane), before
 * the fault, while the reference breaker was closed (a trip by real 429s before the fault would
 * otherwise lower it) and away from every earlier fault and the trips it caused (a peer tripped
 * by an earlier fault leaves the backend all of the traffic: a share of 100% that is no
 * backend's usual one).
 */
function baselineShare(ctx: Context, backend: string, lane: BreakerLane, instance: string, faultStart: number, openWindows: readonly { from: number; to: number }[], tripMs: number): Share {
  const { index } = ctx;
  const region = index.backendInfo.get(backend)?.region ?? ctx.expectations.backends.find((b) => b.name === backend)?.region ?? instance;
  const fromInstance = index.requests.filter((r) => r.region === region && instanceOf(index, r).region === instance && lane.has(r));
  const disturbed = [...openWindows, ...ctx.faultWindows.map((w) => ({ from: w.from, to: w.to + tripMs + ctx.tol }))];
  const before = fromInstance.filter((r) => r.start < faultStart && !disturbed.some((w) => r.start >= w.from && r.start < w.to));
  const used = new Set(fromInstance.map((r) => r.backend));
  const share = before.length >= 10 ? before.filter((r) => r.backend === backend).length / before.length : 1 / Math.max(2, used.size);
  return { p: Math.min(0.95, Math.max(0.05, share)), region, fromInstance };
}

interface EarlySilence {
  failure: RequestRecord;
  /** Failures since the last silence (the breaker's reset) within the interval when it went silent: the count it opened at. */
  sinceReset: number;
  silentMs: number;
}

interface EarlyOpening {
  /** The instance's requests to the region while the reference breaker was closed during the fault. */
  draws: number;
  /** Of those, the requests to the backend. */
  hits: number;
  /** The most draws within any `interval` of the fault. */
  windowDraws: number;
  /** P(hits or fewer) for a breaker that opens at the count: Binomial(draws, p). */
  chance: number;
  /** Silences that began after fewer failures than the count: the signature of an early opening. */
  silences: EarlySilence[];
}

/**
 * Did the breaker open before the count? While the reference breaker (opening at `count`) was
 * closed during the fault, every request the instance sent to the region was a draw the
 * backend wins with its usual share p; a breaker that opened earlier takes the backend out, so
 * it wins far fewer. The chance of so few hits is exact (Binomial(draws, p) ≤ hits), chosen
 * before looking at the evidence, not fitted to the silences seen. The silences after fewer
 * failures than the count (at least min(minSilence, trip − tolerance), broken by any request
 * to the backend, a retry sent 4 ms later included) say what count it opened at.
 */
function earlyOpening(
  ctx: Context,
  recs: RequestRecord[],
  byStart: RequestRecord[],
  breaker: BreakerExpectation,
  rule: FaultRule,
  backend: string,
  share: Share,
  faultStart: number,
  faultEnd: number,
  openWindows: { from: number; to: number }[],
): EarlyOpening {
  const draws = closedDraws(share, faultStart, faultEnd, openWindows);
  const hits = draws.filter((r) => r.backend === backend).length;
  let windowDraws = 0;
  for (let i = 0, j = 0; j < draws.length; j++) {
    while ((draws[j] as RequestRecord).start - (draws[i] as RequestRecord).start >= breaker.intervalMs) i++;
    windowDraws = Math.max(windowDraws, j - i + 1);
  }
  const failures = recs.filter((r) => isBreakerFailure(r, breaker)).sort((a, b) => a.end - b.end);
  const silences: EarlySilence[] = [];
  let resetAt = Number.NEGATIVE_INFINITY;
  for (const f of failures) {
    if (f.end < faultStart || f.end > faultEnd) continue;
    if (openWindows.some((w) => f.end >= w.from && f.end < w.to)) continue;
    // A failure that ended inside the silence already found (it was in flight) is part of it.
    if (f.end < resetAt) continue;
    // Every failure within the interval counts for whether this silence qualifies, even from
    // before a reset: fewer silences qualify, so only a breaker that plainly opened short of its
    // count is named. nginx's count has no interval: the replay's count is the one it keeps.
    const within = nginx(breaker) ? nginxCountAfter(recs, breaker, f) : failures.filter((g) => g.end > f.end - breaker.intervalMs && g.end <= f.end).length;
    if (within >= breaker.count) continue;
    const next = byStart.find((r) => r.start > f.end);
    const until = next?.start ?? ctx.evidence.window.end;
    const tripMs = expectedTripMs(breaker, f, rule, ctx.mode).ms ?? breaker.tripDurationMs;
    const gap = Math.max(250, Math.min(ctx.minSilence, tripMs - ctx.tol));
    if (until - f.end < gap) continue;
    const sinceReset = nginx(breaker) ? within : failures.filter((g) => g.end > Math.max(f.end - breaker.intervalMs, resetAt) && g.end <= f.end).length;
    silences.push({ failure: f, sinceReset, silentMs: until - f.end });
    resetAt = until;
  }
  return { draws: draws.length, hits, windowDraws, chance: binomialCdf(hits, draws.length, share.p), silences };
}

function earlyVerdict(ctx: Context, early: EarlyOpening, breaker: BreakerExpectation, name: string, backend: string, instance: string, p: number, attributionNote: string): Verdict {
  const first = early.silences[0] as EarlySilence;
  const t0 = ctx.evidence.window.start;
  const counts = early.silences.map((s) => s.sinceReset);
  return {
    check: `circuit-breaker.opens-after-count (${name})`,
    status: 'fail',
    expected: nginx(breaker) ? `nginx ejects the server once its count of failures reaches ${breaker.count} (max_fails), not before` : `the breaker opens once ${breaker.count} failures fall within ${duration(breaker.intervalMs)}, not before`,
    measured:
      `opened after ${counts.join(', ')} failure(s) (${early.silences.length} silence(s); the first from ${moment(first.failure.end, t0)} for ${duration(first.silentMs)}); ` +
      `while a breaker counting ${breaker.count} would have been closed, ${backend} got ${early.hits} of the gateway's ${early.draws} requests to the region: probability ${chanceOf(early.chance)} at its usual ${percentOf(p)} share`,
    tolerance: `an early opening fails when that probability is below ${ctx.earlyConfidence} (exact binomial) and a silence of min(${duration(ctx.minSilence)}, trip − tolerance) followed fewer than ${breaker.count} failures`,
    explanation:
      `Gateway ${instance} stopped sending to ${backend} after only ${first.sinceReset} failure(s) ${nginx(breaker) ? "by nginx's count" : `within ${duration(breaker.intervalMs)}`} (at ${moment(first.failure.end, t0)}, seq ${first.failure.seq}), although its rule needs ${breaker.count}: ` +
      `a breaker that waits for ${breaker.count} would have let ${backend} win about ${percentOf(p)} of the ${early.draws} requests, not ${early.hits} (chance ${chanceOf(early.chance)}); ` +
      `${nginx(breaker) ? 'max_fails may be lower than expected' : "the breaker's count may be lower than expected"}, or the pool may take the backend out on its own; see ${ctx.evidence.files.ledger} ${listExamples(early.silences.map((e) => e.failure.seq))}.${attributionNote}`,
    evidence: [ref(ctx.evidence.files.ledger, `the failures after which ${backend} went silent`, early.silences.map((e) => e.failure.seq))],
  };
}

function silenceStart(byStart: readonly RequestRecord[], after: number, gap: number, runEnd: number): number | null {
  let prev = after;
  for (const r of byStart) {
    if (r.start <= after) continue;
    if (r.start - prev >= gap) return prev;
    prev = r.start;
  }
  return runEnd - prev >= gap ? prev : null;
}

function judgeCount(
  ctx: Context,
  trips: TripObservation[],
  byStart: RequestRecord[],
  breaker: BreakerExpectation,
  name: string,
  backend: string,
  instance: string,
  early: EarlyOpening,
  share: Share,
  attributionNote: string,
): Verdict {
  const { evidence } = ctx;
  const t0 = evidence.window.start;
  const statuses: VerdictStatus[] = [];
  const parts: string[] = [];
  const examples: number[] = [];
  let failingText = '';
  // Chance statements: how probable the backend's draws while closed were for a breaker that
  // opens at the count (an early opening would make them improbable).
  const earlyText = `while closed it got ${early.hits} of ${early.draws} requests to the region (probability of so few ${chanceOf(early.chance)} at its ${percentOf(share.p)} share, fails below ${ctx.earlyConfidence})`;
  for (const [i, obs] of trips.entries()) {
    const T = obs.trip.at;
    const inFlight = byStart.filter((r) => r.start <= T + ctx.slack && r.end > T);
    const inFlightFailures = inFlight.filter((r) => isBreakerFailure(r, breaker));
    const gap = Math.max(250, Math.min(ctx.minSilence, (obs.tripMs ?? ctx.minSilence) - ctx.tol));
    const silentFrom = silenceStart(byStart, T + ctx.slack, gap, evidence.window.end);
    const lastSent = silentFrom ?? Number.POSITIVE_INFINITY;
    const after = byStart.filter((r) => r.start > T + ctx.slack && r.start <= lastSent && isBreakerFailure(r, breaker));
    const received = obs.trip.counted.length + inFlightFailures.length + after.length;
    // A sliding window counts `count` anew each cycle; nginx re-ejects on one failure once an
    // ejection ended with its count still at max_fails: what the model counted is what it allows.
    const allowed = obs.trip.counted.length + inFlight.length;
    const tripText = `trip ${i + 1} (count reached ${moment(T, t0)}, ${listExamples(obs.trip.counted.map((r) => r.seq))})`;
    if (after.length === 0) {
      statuses.push('pass');
      parts.push(`${tripText}: ${received} failures (${obs.trip.counted.length} counted + ${inFlightFailures.length} in flight), allowed ${allowed}`);
    } else {
      statuses.push('fail');
      examples.push(...after.map((r) => r.seq));
      parts.push(`${tripText}: ${received} failures, ${after.length} sent after the count${silentFrom === null ? ', never went silent' : ''}`);
      if (!failingText) {
        failingText =
          `${backend} received ${received} failed requests from gateway ${instance} before it stopped sending (${nginx(breaker) ? `nginx's count reached max_fails ${breaker.count} with ${obs.trip.counted.length} failure(s) at ${moment(T, t0)}` : `${breaker.count} within ${duration(breaker.intervalMs)} completed the count at ${moment(T, t0)}`}, ` +
          `${inFlightFailures.length} were already in flight, ${after.length} were sent afterwards${silentFrom === null ? ' and the backend never went quiet' : ''}); the breaker rule allows ${obs.trip.counted.length} plus those in flight: ` +
          (nginx(breaker)
            ? `the server's max_fails may be 0 (no ejection) or higher than ${breaker.count}, or proxy_next_upstream may not list these answers; see ${evidence.files.ledger} ${listExamples(after.map((r) => r.seq))}.`
            : `the rule may be missing on this backend, its count or status ranges may differ from the expected ${breaker.count} / 429 and 5xx, or the gateway may not count these answers; see ${evidence.files.ledger} ${listExamples(after.map((r) => r.seq))}.`);
      }
    }
  }
  const status = combine(statuses);
  return {
    check: `circuit-breaker.opens-after-count (${name})`,
    status,
    expected: nginx(breaker)
      ? `at most ${breaker.count} failures since nginx's count was last reset (max_fails), or 1 once an ejection ended with the count still at max_fails, plus requests already in flight, then nothing`
      : `at most ${breaker.count} failures within ${duration(breaker.intervalMs)} plus requests already in flight, then nothing`,
    measured: `${joinParts(parts)}; ${earlyText}`,
    tolerance: `requests reaching the backend up to ${duration(ctx.slack)} after the count completed count as in flight`,
    explanation:
      status === 'fail'
        ? failingText + attributionNote
        : `Gateway ${instance} stopped sending to ${backend} once ${nginx(breaker) ? `nginx's count of failures reached max_fails ${breaker.count}` : `${breaker.count} failures fell within ${duration(breaker.intervalMs)}`} (${trips.length} trip(s) during the fault), and not before: ${earlyText}.${attributionNote}`,
    evidence: [ref(evidence.files.ledger, `requests to ${backend} from gateway ${instance} around each trip`, status === 'fail' ? examples : trips.flatMap((t) => t.trip.counted.map((r) => r.seq)), [trips[0]!.trip.counted[0]!.start, trips[trips.length - 1]!.trip.at])],
  };
}

function eventNote(ctx: Context, events: RunEvidence['breakerEvents'], T: number, tripMs: number | null): string {
  if (ctx.evidence.breakerEvents.length === 0) return 'no breaker events recorded';
  const t0 = ctx.evidence.window.start;
  const at = (e: RunEvidence['breakerEvents'][number]): number => Date.parse(e.eventTime);
  const within = ctx.tol + ctx.slack;
  const opened = events.filter((e) => e.eventType.endsWith('Opened')).sort((a, b) => Math.abs(at(a) - T) - Math.abs(at(b) - T))[0];
  if (!opened || Math.abs(at(opened) - T) > within) {
    return `breaker events disagree (${opened ? `nearest Opened at ${moment(at(opened), t0)}` : 'no Opened event for this backend and gateway'}; the ledger decides)`;
  }
  const closed = events.filter((e) => e.eventType.endsWith('Closed') && at(e) >= at(opened)).sort((a, b) => at(a) - at(b))[0];
  const closedText = closed ? `, Closed ${moment(at(closed), t0)} after ${duration(at(closed) - at(opened))}` : ', no Closed event';
  const agree = tripMs === null || (closed !== undefined && Math.abs(at(closed) - (T + tripMs)) <= within);
  return `breaker events ${agree ? 'agree' : 'disagree'} (Opened ${moment(at(opened), t0)}${closedText}${agree ? '' : '; the ledger decides'})`;
}

function judgeOpen(
  ctx: Context,
  trips: TripObservation[],
  breaker: BreakerExpectation,
  byStart: RequestRecord[],
  name: string,
  backend: string,
  instance: string,
  events: RunEvidence['breakerEvents'],
  share: Share,
  attributionNote: string,
): Verdict {
  const { evidence, index } = ctx;
  const t0 = evidence.window.start;
  const statuses: VerdictStatus[] = [];
  // How likely the silences of the trips that passed were for a breaker that never opened:
  // each of the instance's requests to the backend's peers during a trip was a draw the backend
  // would have won with its usual share.
  let silenceChance = 1;
  let silentDraws = 0;
  const parts: string[] = [];
  const notes: string[] = [];
  const examples: number[] = [];
  let failingText = '';
  const expectedParts: string[] = [];
  for (const [i, obs] of trips.entries()) {
    const T = obs.trip.at;
    const note = eventNote(ctx, events, T, obs.tripMs);
    if (obs.tripMs === null) {
      statuses.push('inconclusive');
      parts.push(`trip ${i + 1} at ${moment(T, t0)}: length unknown`);
      notes.push(`trip ${i + 1} was completed by a real 429 (${obs.trip.completing.reason}, seq ${obs.trip.completing.seq}) whose Retry-After the ledger does not record`);
      continue;
    }
    expectedParts.push(`${duration(obs.tripMs)} (${obs.tripSource})`);
    const lower = T + obs.tripMs - ctx.tol;
    const early = byStart.filter((r) => r.start > T + ctx.slack && r.start < lower);
    const silentUntil = obs.resumed?.start;
    const measuredMs = (silentUntil ?? evidence.window.end) - T;
    const measuredText = `trip ${i + 1}: silent ${moment(T, t0)} → ${silentUntil !== undefined ? moment(silentUntil, t0) : 'end of run'} = ${duration(measuredMs)}${silentUntil === undefined ? '+' : ''}, ${note}`;
    parts.push(measuredText);
    if (early.length > 0) {
      statuses.push('fail');
      examples.push(...early.map((r) => r.seq));
      if (!failingText) {
        failingText =
          `${backend} received ${early.length} request(s) from gateway ${instance} during what should have been a ${duration(obs.tripMs)} trip (${obs.tripSource}) starting ${moment(T, t0)}; the first came ${duration(early[0]!.start - T)} after the count completed: ` +
          `${nginx(breaker) ? "fail_timeout may be shorter than configured, or nginx may not eject the server at all (max_fails=0)" : 'the trip duration may be shorter than configured, a Retry-After may be shortening it, or the breaker may not open at all'}; see ${evidence.files.ledger} ${listExamples(early.map((r) => r.seq))}.`;
      }
      continue;
    }
    if (silentUntil === undefined && evidence.window.end < lower) {
      statuses.push('inconclusive');
      notes.push(`trip ${i + 1}: the run ended ${duration(evidence.window.end - T)} into the trip`);
      continue;
    }
    const peers = index.requests.filter((r) => r.backend !== backend && r.start > T && r.start < Math.min(lower, silentUntil ?? lower) && instanceOf(index, r).region === instance);
    if (peers.length === 0) {
      statuses.push('inconclusive');
      notes.push(`trip ${i + 1}: gateway ${instance} sent no request to any backend during the trip, so its silence proves nothing`);
      continue;
    }
    const draws = share.fromInstance.filter((r) => r.backend !== backend && r.start > T + ctx.slack && r.start < Math.min(lower, silentUntil ?? lower)).length;
    silentDraws += draws;
    silenceChance *= Math.pow(1 - share.p, draws);
    statuses.push('pass');
  }
  let status = combine(statuses);
  const silenceText = `${silentDraws} request(s) to its regional peers during the silences; a breaker that never opened leaves them all elsewhere with probability ${chanceOf(silenceChance)} at its ${percentOf(share.p)} share`;
  if (status === 'pass' && silenceChance > ctx.silenceConfidence) {
    // The silence is what a stays-open pass rests on: too few draws during the trips and a
    // breaker that never opened would have passed just as well.
    status = 'inconclusive';
    notes.push(`the trips' silence proves little: ${silenceText}, above ${ctx.silenceConfidence}`);
  }
  return {
    check: `circuit-breaker.stays-open (${name})`,
    status,
    expected: `no request to ${backend} from gateway ${instance} for ${[...new Set(expectedParts)].join(' / ') || 'the trip duration'} after the count completed`,
    measured: joinParts(parts),
    tolerance: `${duration(ctx.tol)} (tolerances.tripDurationMs) before the trip's end; requests up to ${duration(ctx.slack)} after the count are in flight; a pass needs the silences' chance for a closed breaker ≤ ${ctx.silenceConfidence}`,
    explanation:
      status === 'fail'
        ? failingText + attributionNote
        : status === 'pass'
          ? `Gateway ${instance} left ${backend} alone for the whole trip (${silenceText})${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`
          : `The trip length could not be judged: ${notes.join('; ')}; raise the traffic of this lane so that more of its requests fall within the trips.`,
    evidence: [
      ref(evidence.files.ledger, `requests to ${backend} from gateway ${instance}`, status === 'fail' ? examples : trips.map((t) => t.trip.completing.seq)),
      ...(evidence.breakerEvents.length > 0 ? [ref(evidence.files.breakerEvents, `Opened/Closed events for ${backend} in ${instance} (cross-check only)`)] : []),
    ],
  };
}

function judgeResume(ctx: Context, trips: TripObservation[], name: string, backend: string, instance: string, share: Share, lane: BreakerLane): Verdict {
  const { evidence } = ctx;
  const t0 = evidence.window.start;
  const { p, region, fromInstance } = share;
  const statuses: VerdictStatus[] = [];
  const parts: string[] = [];
  const notes: string[] = [];
  let failingText = '';
  const examples: (number | string)[] = [];
  const refused: string[] = [];
  for (const [i, obs] of trips.entries()) {
    const T = obs.trip.at;
    if (obs.tripMs === null) {
      statuses.push('inconclusive');
      notes.push(`trip ${i + 1}: length unknown (a real 429's Retry-After)`);
      continue;
    }
    const deadline = T + obs.tripMs + ctx.tol;
    const resumed = obs.resumed;
    if (resumed && resumed.start <= deadline) {
      statuses.push('pass');
      const relative = resumed.start - (T + obs.tripMs);
      parts.push(
        relative >= 0
          ? `trip ${i + 1}: first request ${duration(relative)} after the trip's end (seq ${resumed.seq})`
          : `trip ${i + 1}: first request already ${duration(resumed.start - T)} into the trip (seq ${resumed.seq}; stays-open judges that)`,
      );
      continue;
    }
    const until = resumed?.start ?? evidence.window.end;
    const peers = fromInstance.filter((r) => r.backend !== backend && r.start > deadline && r.start < until);
    const chance = Math.pow(1 - p, peers.length);
    // The pool's own refusals speak where the peers cannot (they may be open too): a request
    // of this lane refused for want of any member, after the trip should have ended and before
    // the backend got anything that could trip it again, found this breaker still open.
    const refusals = poolRefusals(evidence, ctx.index, ctx.expectations, backend, lane, instance, deadline, until);
    parts.push(
      `trip ${i + 1}: ${resumed ? `first request ${duration(resumed.start - (T + obs.tripMs))} after the trip's end (seq ${resumed.seq})` : 'no request after the trip'}, ${peers.length} request(s) to its peers in between` +
        (refusals.length > 0 ? `, ${refusals.length} of its pool's requests refused with no member available (503)` : ''),
    );
    if (refusals.length > 0) {
      statuses.push('fail');
      refused.push(...refusals.map((r) => r.correlationId));
      if (!failingText) {
        const first = refusals[0]!;
        failingText =
          `${backend}${lane.entity ? ` (through ${lane.entity})` : ''} was still unavailable to gateway ${instance} ${duration(first.at - (T + obs.tripMs))} after its ${duration(obs.tripMs)} trip should have ended (${moment(T + obs.tripMs, t0)}): the gateway answered ${refusals.length} request(s) routed through ${first.backendId} with a 503 before reaching any backend, which a pool does only when every member's breaker is open, while ${backend} had received nothing since the trip that could open it again; ` +
          `the breaker may stay open longer than configured (or ignore a Retry-After it should take); see ${evidence.files.gatewayLogs} ${listExamples(refusals.map((r) => r.correlationId))}.`;
      }
    } else if (chance < ctx.resumeConfidence) {
      statuses.push('fail');
      examples.push(...peers.map((r) => r.seq));
      if (!failingText) {
        failingText =
          `${backend} got nothing from gateway ${instance} for ${duration(until - (T + obs.tripMs))} after its ${duration(obs.tripMs)} trip should have ended (${moment(T + obs.tripMs, t0)}), while the gateway sent ${peers.length} requests to its other ${region} backends; ` +
          `with its usual ${(p * 100).toFixed(0)}% share that is a chance of ${chance.toExponential(1)}: the breaker may stay open longer than configured, or the pool may no longer list ${backend}; see ${evidence.files.ledger} ${listExamples(peers.map((r) => r.seq))}.`;
      }
    } else if (resumed) {
      // It came back; the requests before it went to its peers by the pool's own draw, a
      // silence that is plausible at the backend's share: a late-looking but healthy return.
      statuses.push('pass');
      notes.push(`trip ${i + 1}: the ${peers.length} request(s) after the trip's end that went elsewhere first are a ${percentText(chance)} chance at its ${(p * 100).toFixed(0)}% share`);
    } else {
      statuses.push('inconclusive');
      notes.push(`trip ${i + 1}: too little traffic from ${instance} after the trip (${peers.length} requests to other backends) to tell`);
    }
  }
  const status = combine(statuses);
  return {
    check: `circuit-breaker.resumes (${name})`,
    status,
    expected: `requests to ${backend} from gateway ${instance} again once the trip ends (by trip end + ${duration(ctx.tol)})`,
    measured: joinParts(parts) || joinParts(notes),
    tolerance: `${duration(ctx.tol)} after the trip's end; later counts as not resumed only if the gateway's other traffic makes silence improbable (< ${ctx.resumeConfidence}, with the backend's pre-fault share ${(p * 100).toFixed(0)}%)`,
    explanation:
      status === 'fail'
        ? failingText
        : status === 'pass'
          ? `Traffic from gateway ${instance} came back to ${backend} after the trip${notes.length > 0 ? ` (${notes.join('; ')})` : ''}.`
          : `Whether traffic resumed could not be judged: ${notes.join('; ')}.`,
    evidence: [
      ref(evidence.files.ledger, `requests from gateway ${instance} after each trip`, examples.length > 0 ? examples : trips.flatMap((t) => (t.resumed ? [t.resumed.seq] : []))),
      ...(refused.length > 0 ? [ref(evidence.files.gatewayLogs, `503s from gateway ${instance} that reached no backend after the trip's end`, refused.slice(0, 5))] : []),
    ],
  };
}

function percentText(chance: number): string {
  return chance >= 0.01 ? `${(chance * 100).toFixed(0)}%` : `${(chance * 100).toFixed(2)}%`;
}

/** The first request (of a list sorted by start) that started after `t`: a binary search, since a replay asks once per trip. */
function firstStartingAfter(byStart: readonly RequestRecord[], t: number): RequestRecord | undefined {
  let low = 0;
  let high = byStart.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((byStart[middle] as RequestRecord).start <= t) low = middle + 1;
    else high = middle;
  }
  return byStart[low];
}
