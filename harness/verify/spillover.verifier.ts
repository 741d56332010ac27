/**
 * Spillover: PTU first, PAYG only for what PTU cannot take.
 * (a) payg-only-under-pressure: PAYG receives medium (or no-priority) traffic only while every
 *     PTU backend of its region is saturated or tripped (backend-pressure.ts);
 * (b) no-429-while-payg-had-room: medium clients are not refused (429, or a 5xx the gateway
 *     answered itself: APIM's pool-exhausted 503, nginx's 502 with no live upstream) while
 *     their region's PAYG showed no pressure; token-limit refusals are the
 *     consumer's own budget and are left out;
 * (c) ptu-share (per region): the PTU share of tokens over the steady part of the run is close
 *     to min(1, PTU capacity / offered load).
 * docs/verifiers.md has the rules, tolerances and inconclusive cases.
 */
import type { RunEvidence } from '../evidence/evidence-types.ts';
import { backendPressure, type PressureOptions } from './backend-pressure.ts';
import { backendsOf, clientPriority, clientRegion, clientStart, consumerOfSubscription, indexEvidence, isTokenBudgetRefusal, knownRegions, ledgerPriority, type EvidenceIndex } from './evidence-index.ts';
import type { Expectations } from './expectations.ts';
import { faultWindows } from './fault-steps.ts';
import { contains, overlaps, subtract, totalLength, union, type Interval } from './intervals.ts';
import { describeUnjustified, judgePaygUse, paygAllowance } from './payg-justification.ts';
import { between, duration, moment, percent } from './time-format.ts';
import type { Verdict } from './verdict.ts';
import { ref, spanOf } from './verdict-helpers.ts';

export interface SpilloverOptions extends PressureOptions {
  /** Fewer medium requests than this (ledger for (a), client for (b)) is inconclusive. Default 20. */
  minRequests?: number;
  /** Share of PAYG medium requests allowed to be unjustified (timing edges). Default 0.01. */
  unjustifiedShare?: number;
  /** Share of medium client requests allowed to be refused while PAYG had room. Default 0.01. */
  refusalShare?: number;
  /** Start of the run left out of the PTU share (the PTU bucket fills). Default 15 s. */
  warmupMs?: number;
  /** Less steady time than this is inconclusive for the PTU share. Default 20 s. */
  minSteadyMs?: number;
  /** Only tokens of this deployment count toward the PTU share; default every deployment. */
  deployment?: string;
}

/** The pool's classes: medium, and no priority at all (the gateway's default for most consumers). */
const POOL_CLASSES = ['medium', 'none'];

export function verifySpillover(evidence: RunEvidence, expectations: Expectations, options: SpilloverOptions = {}): Verdict[] {
  const index = indexEvidence(evidence);
  return [paygOnlyUnderPressure(evidence, expectations, index, options), noRefusalWhilePaygHadRoom(evidence, expectations, index, options), ...ptuShare(evidence, expectations, index, options)];
}

function paygOnlyUnderPressure(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex, options: SpilloverOptions): Verdict {
  const check = 'spillover.payg-only-under-pressure';
  const minRequests = options.minRequests ?? 20;
  const share = options.unjustifiedShare ?? 0.01;
  const lookback = options.lookbackMs ?? 10_000;
  const judgement = judgePaygUse(evidence, index, expectations, POOL_CLASSES, options);
  const expected = 'PAYG serves medium/no-priority requests only while every PTU backend of its region is saturated (429/5xx) or tripped';
  const tolerance = `${percent(share, 0)} of the PAYG medium requests (at most ${paygAllowance(judgement, share)}); pressure lasts ${duration(lookback)} after a refusal, or the trip length after a modelled trip, plus ${duration(options.slackMs ?? expectations.tolerances.tripDurationMs)}`;
  if (judgement.all.length < minRequests) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured: `${judgement.all.length} medium/no-priority request(s) in the ledger`,
      tolerance,
      explanation: `Too little medium-priority traffic reached the backends (${judgement.all.length}, need ${minRequests}) to judge spillover; check that the scenario sends medium traffic and that the ledger (${evidence.files.ledger}) was collected.`,
      evidence: [ref(evidence.files.ledger, 'requests with X-Priority medium or none')],
    };
  }
  const allowance = paygAllowance(judgement, share);
  const measured = `${judgement.payg.length} of ${judgement.all.length} medium/no-priority requests reached PAYG; ${judgement.unjustified.length} of those while a PTU backend of the region showed no pressure`;
  if (judgement.unjustified.length <= allowance) {
    return {
      check,
      status: 'pass',
      expected,
      measured,
      tolerance,
      explanation:
        judgement.payg.length === 0
          ? 'No medium-priority request reached PAYG: PTU took all of it (the PTU share check judges whether it should have spilled).'
          : `Every PAYG medium request${judgement.unjustified.length > 0 ? ` but ${judgement.unjustified.length} (within the allowance)` : ''} came while the region's PTU backends were saturated or tripped.`,
      evidence: [ref(evidence.files.ledger, 'PAYG requests with X-Priority medium or none', judgement.payg.slice(0, 5).map((r) => r.seq))],
    };
  }
  const described = describeUnjustified(judgement, evidence, index, 'medium/no-priority', lookback);
  return {
    check,
    status: 'fail',
    expected,
    measured,
    tolerance,
    explanation: `${described.text}.`,
    evidence: [ref(evidence.files.ledger, 'PAYG medium requests while a PTU backend of the region showed no pressure', described.examples, described.timeRange)],
  };
}

function noRefusalWhilePaygHadRoom(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex, options: SpilloverOptions): Verdict {
  const check = 'spillover.no-429-while-payg-had-room';
  const minRequests = options.minRequests ?? 20;
  const share = options.refusalShare ?? 0.01;
  const medium = evidence.client.filter((c) => POOL_CLASSES.includes(clientPriority(c, expectations)));
  const budget = medium.filter((c) => (c.status === 429 || c.status === 403) && isTokenBudgetRefusal(c));
  // A refusal is a 429 that is not the consumer's own budget, or a 5xx the gateway answered
  // itself (no backend's answer passed through): APIM's pool-exhausted 503, or a third-party
  // gateway's own error when it has no live backend left (nginx: 502). Outside injected faults
  // only, for the generic 5xx: an outage's errors are the failover verifier's to judge.
  const disturbed = union(faultWindows(evidence, expectations));
  const gatewayGaveUp = (c: (typeof medium)[number]): boolean => c.status >= 500 && c.errorOrigin !== 'backend' && !contains(disturbed, clientStart(c));
  const refusals = medium.filter((c) => !isTokenBudgetRefusal(c) && (c.status === 429 || (c.status === 503 && c.gatewayReason === 'pool-exhausted') || gatewayGaveUp(c)));
  const allowance = Math.floor(medium.length * share);
  const expected = 'no 429 (nor a 5xx the gateway answered itself, such as a pool-exhausted 503) for medium/no-priority clients while their region\'s PAYG showed no pressure';
  const tolerance = `${percent(share, 0)} of the medium client requests (at most ${allowance}); token-limit refusals excluded`;
  const budgetNote = budget.length > 0 ? ` ${budget.length} token-limit refusal(s) were left out: they are the consumer's own budget, not spillover.` : '';
  if (medium.length < minRequests) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured: `${medium.length} medium/no-priority client request(s)`,
      tolerance,
      explanation: `Too few medium-priority client requests (${medium.length}, need ${minRequests}) to judge; check the scenario's traffic and that k6's results (${evidence.files.client}) were read.`,
      evidence: [ref(evidence.files.client, 'medium/no-priority client requests')],
    };
  }
  const regions = knownRegions(index, expectations);
  const unexcused = refusals.filter((c) => {
    const region = clientRegion(c) || regions[0] || '';
    const paygs = backendsOf(index, expectations, region, 'payg');
    if (paygs.length === 0) return false;
    const start = clientStart(c);
    return paygs.some((payg) => !overlaps(backendPressure(evidence, index, expectations, payg, options).windows, start, c.time));
  });
  const measured = `${refusals.length} of ${medium.length} medium client requests refused (429, or a 5xx from the gateway itself), ${unexcused.length} of them while PAYG showed no pressure`;
  if (unexcused.length <= allowance) {
    return {
      check,
      status: 'pass',
      expected,
      measured,
      tolerance,
      explanation: `${unexcused.length === 0 ? 'No medium client was refused while PAYG had room' : `${unexcused.length} medium refusal(s) while PAYG had room, within the allowance`}.${budgetNote}`,
      evidence: [ref(evidence.files.client, 'medium client requests answered 429 or 503', refusals.slice(0, 5).map((c) => moment(c.time, evidence.window.start)))],
    };
  }
  const bySource = {
    backend: unexcused.filter((c) => c.errorOrigin === 'backend').length,
    gateway: unexcused.filter((c) => c.errorOrigin === 'gateway').length,
  };
  const times = unexcused.map((c) => c.time);
  const span = spanOf(times) as [number, number];
  const diagnosis = diagnoseRefusals(evidence, expectations, index);
  return {
    check,
    status: 'fail',
    expected,
    measured,
    tolerance,
    explanation:
      `${unexcused.length} medium/no-priority client request(s) were refused ${between(span[0], span[1], evidence.window.start)} while the region's PAYG ledger shows no 429/5xx and no breaker open ` +
      `(${bySource.backend} passed through from a backend, ${bySource.gateway} from the gateway itself). ${diagnosis.text}` +
      `See ${evidence.files.client} at ${unexcused.slice(0, 3).map((c) => moment(c.time, evidence.window.start)).join(', ')} and the PAYG records in ${evidence.files.ledger}.${budgetNote}`,
    evidence: [
      ref(evidence.files.client, 'medium client refusals while PAYG had room', unexcused.slice(0, 5).map((c) => moment(c.time, evidence.window.start)), span),
      ref(evidence.files.ledger, 'PAYG requests around those times (no 429/5xx)'),
      ...(diagnosis.examples.length > 0 ? [ref(evidence.files.gatewayLogs, 'medium requests the gateway answered 429/503, with their attempts in the ledger', diagnosis.examples)] : []),
    ],
  };
}

/** The steady part of the run: after warm-up, away from injected faults and regional outages and their trips. */
function steadyWindows(evidence: RunEvidence, expectations: Expectations, warmupMs: number): Interval[] {
  return subtract([{ from: evidence.window.start + warmupMs, to: evidence.window.end }], faultWindows(evidence, expectations));
}

function ptuShare(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex, options: SpilloverOptions): Verdict[] {
  const tolerance = expectations.tolerances.spilloverShare;
  const steady = steadyWindows(evidence, expectations, options.warmupMs ?? 15_000);
  const steadyMs = totalLength(steady);
  const toleranceText = `±${tolerance} absolute (tolerances.spilloverShare)`;
  const expected = 'PTU share of tokens ≈ min(1, PTU capacity TPM / offered TPM)';
  if (steadyMs < (options.minSteadyMs ?? 20_000)) {
    return [
      {
        check: 'spillover.ptu-share',
        status: 'inconclusive',
        expected,
        measured: `${duration(steadyMs)} of steady traffic (after warm-up, away from faults and their trips)`,
        tolerance: toleranceText,
        explanation: `The run had too little steady time (${duration(steadyMs)}, need ${duration(options.minSteadyMs ?? 20_000)}) to measure the PTU share; lengthen the scenario or move its faults.`,
        evidence: [ref(evidence.files.ledger, 'served requests')],
      },
    ];
  }
  const minutes = steadyMs / 60_000;
  const inSteady = (t: number): boolean => contains(steady, t);
  const verdicts: Verdict[] = [];
  const regions = knownRegions(index, expectations);
  for (const region of regions) {
    const served = index.requests.filter(
      (r) => r.region === region && r.status >= 200 && r.status < 300 && inSteady(r.start) && (options.deployment === undefined || r.deployment === options.deployment) && ledgerPriority(index, r, expectations) !== 'low',
    );
    if (served.length === 0) continue;
    const tokens = (r: { promptTokens: number; completionTokens: number }): number => r.promptTokens + r.completionTokens;
    const ptuTokens = served.filter((r) => r.kind === 'ptu').reduce((s, r) => s + tokens(r), 0);
    const paygTokens = served.filter((r) => r.kind === 'payg').reduce((s, r) => s + tokens(r), 0);
    const meanTokens = (ptuTokens + paygTokens) / served.length;
    const refused = evidence.client.filter(
      (c) => (clientRegion(c) || regions[0]) === region && !(c.status >= 200 && c.status < 300) && !isTokenBudgetRefusal(c) && clientPriority(c, expectations) !== 'low' && inSteady(clientStart(c)),
    );
    const offeredTpm = (ptuTokens + paygTokens + refused.length * meanTokens) / minutes;
    const capacity = (evidence.fleet?.backends ?? []).filter((b) => b.region === region && b.kind === 'ptu').reduce((s, b) => s + b.capacityTpm, 0);
    const check = `spillover.ptu-share (${region})`;
    const offeredTokens = ptuTokens + paygTokens + refused.length * meanTokens;
    // The share of the offered load PTU served: with nothing refused it is PTU / (PTU + PAYG);
    // refused requests count in the denominator, as they were offered and PTU did not take them.
    const measuredShare = ptuTokens / Math.max(1, offeredTokens);
    const servedShare = ptuTokens / Math.max(1, ptuTokens + paygTokens);
    const ptuNames = backendsOf(index, expectations, region, 'ptu');
    const base = `offered ${Math.round(offeredTpm)} TPM over ${duration(steadyMs)} (${served.length} served, ${refused.length} refused), PTU capacity ${capacity} TPM (${ptuNames.join(', ')})`;
    if (capacity === 0 || offeredTpm <= capacity) {
      verdicts.push({
        check,
        status: 'inconclusive',
        expected,
        measured: `${base}; PTU share ${percent(servedShare)} of the served tokens`,
        tolerance: toleranceText,
        explanation:
          capacity === 0
            ? evidence.fleet === null
              ? `This run does not know its fleet's capacities (no fleet description), so there is no PTU share to expect in ${region}.`
              : `The fleet has no PTU capacity for ${evidence.fleet.deployment} in ${region}, so there is no share to expect.`
            : `The offered load in ${region} never exceeded its PTU capacity, so nothing had to spill over; raise the scenario's rate or lower the PTU capacity (k6.config.json fleet.capacityTpm).`,
        evidence: [ref(evidence.files.ledger, `served requests in ${region} during the steady part`, [], [steady[0]!.from, steady[steady.length - 1]!.to])],
      });
      continue;
    }
    const expectedShare = Math.min(1, capacity / offeredTpm);
    const error = measuredShare - expectedShare;
    // A PTU deployment admits by leaky bucket: over a window it serves at most its drain
    // (capacity x time) plus what its bucket holds, since the bucket may start a window empty
    // (after a trip, say) and end it full. Each steady segment can start empty, so the share
    // may exceed capacity/offered by one bucket per segment; below it, only by the tolerance.
    const burstTokens = (capacity / 60) * (expectations.ptuBurstSeconds ?? 10) * steady.length;
    const burstShare = Math.min(1, (capacity * minutes + burstTokens) / (offeredTpm * minutes));
    const ok = error >= -tolerance && measuredShare <= burstShare + tolerance;
    verdicts.push({
      check,
      status: ok ? 'pass' : 'fail',
      expected: `PTU share ${percent(expectedShare)} = min(1, ${capacity} / ${Math.round(offeredTpm)}), at most ${percent(burstShare)} with the PTU bucket's burst`,
      measured: `${base}; PTU ${ptuTokens} tokens, PAYG ${paygTokens} tokens, refused ≈ ${Math.round(refused.length * meanTokens)}: PTU share of the offered load ${percent(measuredShare)} (${error >= 0 ? '+' : ''}${(error * 100).toFixed(1)} points; ${percent(servedShare)} of the served tokens)`,
      tolerance: toleranceText,
      explanation: ok
        ? `PTU took ${percent(measuredShare)} of the tokens in ${region}, as its capacity allows.`
        : error < 0
          ? `PTU took only ${percent(measuredShare)} of the tokens in ${region} although its capacity covers ${percent(expectedShare)} of the offered load: traffic spills to PAYG too early (equal pool priorities, PAYG in the PTU priority group, or breakers tripping on too little) or PTU is left idle after trips; compare the PAYG records in ${evidence.files.ledger} with the PTU 429s.`
          : `PTU took ${percent(measuredShare)} of the tokens in ${region}, more than its capacity should allow (${percent(expectedShare)}): spillover is not happening (clients refused instead) or PTU admitted beyond its capacity; check the refusals in ${evidence.files.client}.`,
      evidence: [ref(evidence.files.ledger, `2xx requests in ${region} (status 200, X-Priority not low) during the steady part`, served.slice(0, 3).map((r) => r.seq), [steady[0]!.from, steady[steady.length - 1]!.to])],
    });
  }
  if (verdicts.length === 0) {
    verdicts.push({
      check: 'spillover.ptu-share',
      status: 'inconclusive',
      expected,
      measured: 'no served medium/high request in the steady part of the run',
      tolerance: toleranceText,
      explanation: `No request was served during the steady part of the run, so there is no share to measure; check ${evidence.files.ledger}.`,
      evidence: [ref(evidence.files.ledger, 'served requests')],
    });
  }
  return verdicts;
}

/**
 * Why medium requests were refused, from the gateway log and the attempts each made (ledger
 * records sharing its correlation id): spent on PTU only, never forwarded, or other.
 */
function diagnoseRefusals(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex): { text: string; examples: string[] } {
  let ptuOnly = 0;
  let neverForwarded = 0;
  let reachedPayg = 0;
  let attemptTotal = 0;
  const reasons = new Map<string, number>();
  const examples: string[] = [];
  for (const row of evidence.gatewayLogs) {
    if (row.ResponseCode !== 429 && row.ResponseCode !== 503) continue;
    if (row.LastErrorReason === 'TokenLimitExceeded' || row.LastErrorReason === 'TokenQuotaExceeded') continue;
    const attempts = row.CorrelationId ? (index.attempts.get(row.CorrelationId) ?? []) : [];
    const priority = attempts[0] ? ledgerPriority(index, attempts[0], expectations) : (expectations.consumers[consumerOfSubscription(row.ApimSubscriptionId, expectations.consumers) ?? '']?.priority ?? 'none');
    if (!POOL_CLASSES.includes(priority)) continue;
    if (attempts.length === 0) neverForwarded++;
    else if (attempts.some((a) => a.kind === 'payg')) reachedPayg++;
    else {
      ptuOnly++;
      attemptTotal += attempts.length;
      for (const a of attempts) {
        const key = `${a.status} ${a.reason}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
      if (row.CorrelationId) examples.push(row.CorrelationId);
    }
  }
  if (ptuOnly + neverForwarded + reachedPayg === 0) {
    return { text: 'The pool may not list PAYG, PAYG may sit in a priority group the pool never reaches, or the retry policy may give up before reaching it. ', examples: [] };
  }
  const parts: string[] = [];
  if (ptuOnly > 0) {
    parts.push(
      `the gateway log shows ${ptuOnly} medium request(s) refused after ${(attemptTotal / ptuOnly).toFixed(1)} attempts on average, every one on a PTU backend that refused (${[...reasons].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}× ${k}`).join(', ')}) and none on PAYG: ` +
        'a pool falls back to PAYG only once every PTU breaker is open, so while the PTU breakers are closed (or closed again after a trip as short as a PTU Retry-After) the retries are spent on PTU; ' +
        'raise the retry count, make the PTU breakers trip for longer (acceptRetryAfter false) or on fewer 429s, or send 429s to PAYG explicitly',
    );
  }
  if (neverForwarded > 0) parts.push(`${neverForwarded} were answered by the gateway without reaching any backend (every pool member tripped, or a limit policy): check that PAYG is in the pool and that no rate limit applies to medium traffic`);
  if (reachedPayg > 0) parts.push(`${reachedPayg} reached PAYG and were still refused`);
  const text = parts.join('; ');
  return { text: `${text.charAt(0).toUpperCase()}${text.slice(1)}. `, examples };
}
