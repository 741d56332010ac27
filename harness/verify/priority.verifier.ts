/**
 * Priority routing, from the ledger (where each class's requests went) and the client records
 * (what each class got back):
 * - high-ptu-only: high-priority requests reach PTU backends only;
 * - low-payg-only: low-priority requests reach PAYG backends only;
 * - medium-uses-pool: medium (or no-priority) requests reach PTU, and PAYG only while every PTU
 *   backend of the region is saturated or tripped (the spillover rule);
 * - success-order: while PTU is saturated, client success rates order high ≥ medium ≥ low, with
 *   a statistical margin (statistics.ts) so small samples do not fail on noise.
 * docs/verifiers.md has the rules, tolerances and inconclusive cases.
 */
import type { RequestRecord } from '../contracts/ledger-record.ts';
import type { ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import { backendPressure, type PressureOptions } from './backend-pressure.ts';
import { backendsOf, clientPriority, clientRegion, clientStart, indexEvidence, isTokenBudgetRefusal, knownRegions, ledgerPriority, type EvidenceIndex } from './evidence-index.ts';
import type { Expectations } from './expectations.ts';
import { faultWindows } from './fault-steps.ts';
import { overlaps } from './intervals.ts';
import { describeUnjustified, judgePaygUse, paygAllowance } from './payg-justification.ts';
import { atLeast, wilson } from './statistics.ts';
import { between, duration, percent } from './time-format.ts';
import type { Verdict, VerdictStatus } from './verdict.ts';
import { combine, listExamples, ref, spanOf } from './verdict-helpers.ts';

export interface PriorityOptions extends PressureOptions {
  /** Fewer requests than this in a class is inconclusive for that class. Default 20. */
  minRequests?: number;
  /** Smallest success-rate inversion (absolute) that can fail the order. Default 0.03. */
  minMargin?: number;
  /** Share of PAYG medium requests allowed to be unjustified (timing edges). Default 0.01. */
  unjustifiedShare?: number;
}

export function verifyPriority(evidence: RunEvidence, expectations: Expectations, options: PriorityOptions = {}): Verdict[] {
  const index = indexEvidence(evidence);
  return [
    onlyKind(evidence, expectations, index, 'high', 'ptu', options),
    onlyKind(evidence, expectations, index, 'low', 'payg', options),
    mediumUsesPool(evidence, expectations, index, options),
    successOrder(evidence, expectations, index, options),
  ];
}

function onlyKind(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex, priority: 'high' | 'low', kind: 'ptu' | 'payg', options: PriorityOptions): Verdict {
  const check = `priority.${priority}-${kind}-only`;
  const records = index.requests.filter((r) => ledgerPriority(index, r, expectations) === priority);
  const wrong = records.filter((r) => r.kind !== kind);
  const expected = `every ${priority}-priority backend request reaches a ${kind.toUpperCase()} backend`;
  const tolerance = 'none: a single request elsewhere fails';
  if (records.length < Math.min(options.minRequests ?? 20, 5)) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured: `${records.length} ${priority}-priority request(s) in the ledger`,
      tolerance,
      explanation: `Too little ${priority}-priority traffic reached the backends (${records.length}) to judge its routing; check that the scenario sends a ${priority}-priority consumer and that the gateway forwards X-Priority (or the subscription) to the backends.`,
      evidence: [ref(evidence.files.ledger, `requests with X-Priority ${priority}`)],
    };
  }
  const measured = `${records.length - wrong.length} of ${records.length} ${priority}-priority requests on ${kind.toUpperCase()}, ${wrong.length} elsewhere`;
  if (wrong.length === 0) {
    return { check, status: 'pass', expected, measured, tolerance, explanation: `All ${priority}-priority requests stayed on ${kind.toUpperCase()} backends.`, evidence: [ref(evidence.files.ledger, `requests with X-Priority ${priority}`, records.slice(0, 3).map((r) => r.seq))] };
  }
  const byBackend = new Map<string, RequestRecord[]>();
  for (const r of wrong) {
    const list = byBackend.get(r.backend);
    if (list) list.push(r);
    else byBackend.set(r.backend, [r]);
  }
  const span = spanOf(wrong.map((r) => r.start)) as [number, number];
  const detail = [...byBackend].map(([backend, list]) => `${backend} (${list[0]!.kind.toUpperCase()}) received ${list.length}`).join(', ');
  const hint =
    priority === 'high'
      ? 'high priority must never spill to PAYG: the routing policy may send high to the full pool (PTU + PAYG) instead of the PTU-only pool, or the PTU-only pool may list a PAYG backend'
      : 'low priority must stay on PAYG to keep PTU for the others: the routing policy may send low to the full pool or a PTU backend, or treat an unknown X-Priority as medium';
  return {
    check,
    status: 'fail',
    expected,
    measured,
    tolerance,
    explanation: `${detail} ${priority}-priority request(s) ${between(span[0], span[1], evidence.window.start)}: ${hint}; see ${evidence.files.ledger} ${listExamples(wrong.map((r) => r.seq))}.`,
    evidence: [ref(evidence.files.ledger, `${priority}-priority requests on ${kind === 'ptu' ? 'PAYG' : 'PTU'} backends`, wrong.map((r) => r.seq), span)],
  };
}

function mediumUsesPool(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex, options: PriorityOptions): Verdict {
  const check = 'priority.medium-uses-pool';
  const minRequests = options.minRequests ?? 20;
  const lookback = options.lookbackMs ?? 10_000;
  const share = options.unjustifiedShare ?? 0.01;
  const judgement = judgePaygUse(evidence, index, expectations, ['medium', 'none'], options);
  const allowance = paygAllowance(judgement, share);
  const expected = 'medium/no-priority requests reach PTU while any PTU backend is healthy, and PAYG only while every PTU backend of the region is saturated or tripped';
  const tolerance = `${percent(share, 0)} of the PAYG medium requests (at most ${allowance}) may lack evidence of PTU pressure`;
  if (judgement.all.length < minRequests) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured: `${judgement.all.length} medium/no-priority request(s) in the ledger`,
      tolerance,
      explanation: `Too little medium-priority traffic reached the backends (${judgement.all.length}, need ${minRequests}) to judge its routing.`,
      evidence: [ref(evidence.files.ledger, 'requests with X-Priority medium or none')],
    };
  }
  const problems: string[] = [];
  const examples: number[] = [];
  for (const region of knownRegions(index, expectations)) {
    const inRegion = judgement.all.filter((r) => r.region === region);
    if (inRegion.length === 0 || backendsOf(index, expectations, region, 'ptu').length === 0) continue;
    if (!inRegion.some((r) => r.kind === 'ptu')) {
      problems.push(`none of the ${inRegion.length} medium requests in ${region} reached a PTU backend: medium may be routed like low (straight to PAYG)`);
      examples.push(...inRegion.slice(0, 3).map((r) => r.seq));
    }
  }
  let timeRange: [number, number] | undefined;
  if (judgement.unjustified.length > allowance) {
    const described = describeUnjustified(judgement, evidence, index, 'medium/no-priority', lookback);
    problems.push(described.text);
    examples.push(...described.examples);
    timeRange = described.timeRange;
  }
  const measured = `${judgement.all.length - judgement.payg.length} of ${judgement.all.length} medium requests on PTU, ${judgement.payg.length} on PAYG (${judgement.unjustified.length} of them without PTU pressure)`;
  if (problems.length === 0) {
    return { check, status: 'pass', expected, measured, tolerance, explanation: 'Medium traffic used PTU first and PAYG only while PTU was saturated or tripped.', evidence: [ref(evidence.files.ledger, 'medium requests', judgement.payg.slice(0, 3).map((r) => r.seq))] };
  }
  return { check, status: 'fail', expected, measured, tolerance, explanation: `${problems.join('. ')}.`, evidence: [ref(evidence.files.ledger, 'medium requests routed against the pool rule', examples, timeRange)] };
}

const CLASSES = ['high', 'medium', 'low'] as const;

function successOrder(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex, options: PriorityOptions): Verdict {
  const check = 'priority.success-order';
  const minRequests = options.minRequests ?? 20;
  const minMargin = options.minMargin ?? 0.03;
  const expected = 'while PTU is saturated, client success rate (2xx) high ≥ medium ≥ low';
  const tolerance = `a lower class may beat a higher one by at most max(${percent(minMargin, 0)}, one-sided 95% two-proportion margin); classes with fewer than ${minRequests} requests are not compared; token-limit refusals, front door/connection failures and requests during injected faults (plus the longest trip each can cause) are left out`;
  const regions = knownRegions(index, expectations);
  const ptuWindows = new Map<string, ReturnType<typeof backendPressure>['windows'][]>();
  for (const region of regions) ptuWindows.set(region, backendsOf(index, expectations, region, 'ptu').map((ptu) => backendPressure(evidence, index, expectations, ptu, options).windows));
  const saturated = (c: ClientRecord): boolean => {
    const region = clientRegion(c);
    const lists = region ? (ptuWindows.get(region) ?? []) : [...ptuWindows.values()].flat();
    return lists.some((windows) => overlaps(windows, clientStart(c), c.time));
  };
  const anyPressure = [...ptuWindows.values()].flat().some((w) => w.length > 0);
  if (!anyPressure) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured: 'no PTU backend answered 429/5xx or tripped during the run',
      tolerance,
      explanation: 'PTU was never saturated, and the order of success rates is only required under saturation; raise the scenario\'s rate or lower the PTU capacity (k6.config.json fleet.capacityTpm).',
      evidence: [ref(evidence.files.ledger, 'PTU requests (no 429 or 5xx)')],
    };
  }
  const budgetExcluded = evidence.client.filter((c) => isTokenBudgetRefusal(c)).length;
  // Failures of the front door (a region down) or of the connection are about the region, not the priority.
  const regional = (c: ClientRecord): boolean => c.status === 0 || c.errorOrigin === 'frontdoor';
  const regionalExcluded = evidence.client.filter(regional).length;
  // An injected outage (a failing PTU, a region down, and the trips they cause) is not
  // saturation: high has no PTU fallback by design, so the order is judged outside them.
  const disturbed = faultWindows(evidence, expectations);
  const duringFault = (c: ClientRecord): boolean => overlaps(disturbed, clientStart(c), c.time);
  const faultExcluded = evidence.client.filter((c) => !isTokenBudgetRefusal(c) && !regional(c) && saturated(c) && duringFault(c)).length;
  const sample = evidence.client.filter((c) => !isTokenBudgetRefusal(c) && !regional(c) && saturated(c) && !duringFault(c));
  const stats = new Map<string, { n: number; ok: number; failures: ClientRecord[] }>();
  for (const cls of CLASSES) stats.set(cls, { n: 0, ok: 0, failures: [] });
  for (const c of sample) {
    const s = stats.get(clientPriority(c, expectations));
    if (!s) continue;
    s.n++;
    if (c.status >= 200 && c.status < 300) s.ok++;
    else s.failures.push(c);
  }
  const describe = (cls: string): string => {
    const s = stats.get(cls)!;
    if (s.n === 0) return `${cls}: no requests`;
    const [lo, hi] = wilson(s.ok, s.n);
    return `${cls} ${percent(s.ok / s.n)} of ${s.n} (95% ${percent(lo, 0)}–${percent(hi, 0)})`;
  };
  const measured = `under PTU saturation: ${CLASSES.map(describe).join(', ')}${budgetExcluded > 0 ? `; ${budgetExcluded} token-limit refusal(s) left out` : ''}${regionalExcluded > 0 ? `; ${regionalExcluded} front door or connection failure(s) left out` : ''}${faultExcluded > 0 ? `; ${faultExcluded} request(s) during injected faults and their trips left out` : ''}`;
  const enough = CLASSES.filter((cls) => stats.get(cls)!.n >= minRequests);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < enough.length; i++) pairs.push([enough[i]!, enough[i + 1]!]);
  const missing = CLASSES.filter((cls) => !enough.includes(cls));
  if (pairs.length === 0) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured,
      tolerance,
      explanation: `Fewer than two priority classes had ${minRequests} requests while PTU was saturated (${missing.map((cls) => `${cls} ${stats.get(cls)!.n}`).join(', ')}), so there is no order to compare; send every class at a rate that gives ${minRequests} requests each.`,
      evidence: [ref(evidence.files.client, 'client requests while PTU was saturated')],
    };
  }
  const statuses: VerdictStatus[] = [];
  const failures: string[] = [];
  for (const [higher, lower] of pairs) {
    const h = stats.get(higher)!;
    const l = stats.get(lower)!;
    const test = atLeast(h.ok, h.n, l.ok, l.n, minMargin);
    if (!test.violated) {
      statuses.push('pass');
      continue;
    }
    statuses.push('fail');
    failures.push(
      `${lower} succeeded ${percent(test.lower)} against ${higher} ${percent(test.higher)} (margin ${percent(test.margin)}); ${higher}'s failures: ${breakdown(h.failures)}: ` +
        (higher === 'high'
          ? 'high may share the saturated PTU pool without a fallback of its own while medium spills to PAYG, or a limit policy may apply to high'
          : 'medium may be throttled by a policy meant for low, or low may be routed to PTU'),
    );
  }
  const status = combine(statuses);
  const note = missing.length > 0 ? ` (${missing.map((cls) => `${cls}: ${stats.get(cls)!.n} requests`).join(', ')}: not compared)` : '';
  return {
    check,
    status,
    expected,
    measured,
    tolerance,
    explanation: status === 'fail' ? `Under PTU saturation ${failures.join('; ')}; see ${evidence.files.client}.${note}` : `Success rates follow the priorities under PTU saturation${note}.`,
    evidence: [ref(evidence.files.client, 'client requests while a PTU backend of their region was saturated or tripped (429/5xx within ' + duration(options.lookbackMs ?? 10_000) + ', or a trip)')],
  };
}

function breakdown(failures: readonly ClientRecord[]): string {
  const counts = new Map<string, number>();
  for (const c of failures) {
    const key = `${c.status === 0 ? 'no response' : c.status}${c.errorOrigin ? ` from ${c.errorOrigin}` : ''}${c.gatewayReason ? ` (${c.gatewayReason})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${n}× ${key}`).join(', ') || 'none';
}
