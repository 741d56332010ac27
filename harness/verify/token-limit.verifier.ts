/**
 * Token-limit accuracy (llm-token-limit per subscription, counted per gateway instance):
 * - admitted-within-limit (per consumer and gateway): the most tokens admitted in any sliding
 *   60 s window stays within tokensPerMinute, plus one request's worth (the documented
 *   concurrency overshoot) plus the relative tolerance; the relative error is reported;
 * - no-refusal-below-limit (per consumer and gateway): a token-limit 429 only comes once the
 *   consumer's admitted tokens in the preceding 60 s are near its limit;
 * - retry-after: every token-limit 429 (and token-quota 403) carries a Retry-After in seconds;
 * - remaining-tokens: the remaining-tokens header is an integer within [0, limit] and does not
 *   rise between two admissions unless tokens left the window in between;
 * - quota (only for consumers whose expectations give one): admitted tokens per quota period
 *   stay within it and the refusal is a 403.
 * Admitted tokens come from the ApiManagementGatewayLlmLog rows (TotalTokens, joined to the
 * gateway log for the subscription), else from the ledger's 2xx records. docs/verifiers.md
 * has the rules, tolerances and inconclusive cases.
 */
import type { ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import { clientRegion, clientStart, consumerOfSubscription, indexEvidence, instanceOf, knownRegions, type EvidenceIndex } from './evidence-index.ts';
import type { Expectations, TokenQuotaPeriod } from './expectations.ts';
import { duration, moment, percent } from './time-format.ts';
import type { Verdict } from './verdict.ts';
import { combine, joinParts, ref } from './verdict-helpers.ts';

export interface TokenLimitOptions {
  /** The sliding window the limit is judged over. Default 60 s (tokens per minute). */
  windowMs?: number;
  /** Two remaining-tokens readings closer than this are not ordered (concurrent admissions). Default 200 ms. */
  concurrencyMs?: number;
  /** Margin around the 60 s horizon within which tokens may leave the window (the limiter's buckets). Default 2 s. */
  refillMarginMs?: number;
}

interface Admission {
  at: number;
  tokens: number;
  consumer: string;
  /** The APIM subscription id, when known: the sample's counter key. */
  subscription: string;
  region: string;
  ref: string | number;
}

const WINDOW_MS = 60_000;

export function verifyTokenLimit(evidence: RunEvidence, expectations: Expectations, options: TokenLimitOptions = {}): Verdict[] {
  const index = indexEvidence(evidence);
  const { admissions, source } = collectAdmissions(evidence, expectations, index);
  const regions = knownRegions(index, expectations);
  const clientKey = (c: ClientRecord): string => `${c.consumer}|${clientRegion(c) || regions[0] || ''}`;
  const refusals = evidence.client.filter((c) => c.status === 429 && c.gatewayReason === 'token-limit');
  // The limit counts per subscription (the sample's counter key). k6 sends each consumer class
  // with one key; when a class has a subscription named after it, only that one is the class's
  // traffic (another subscription of the class, such as an orchestrator, has its own counter).
  const named = new Set(admissions.filter((a) => a.subscription.toLowerCase() === a.consumer.toLowerCase()).map((a) => a.consumer));
  const byKey = new Map<string, Admission[]>();
  for (const a of admissions) {
    if (named.has(a.consumer) && a.subscription.toLowerCase() !== a.consumer.toLowerCase()) continue;
    const key = `${a.consumer}|${a.region}`;
    const list = byKey.get(key);
    if (list) list.push(a);
    else byKey.set(key, [a]);
  }
  for (const c of refusals) if (!byKey.has(clientKey(c)) && expectations.consumers[c.consumer]) byKey.set(clientKey(c), []);

  const verdicts: Verdict[] = [];
  const keys = [...byKey.keys()].filter((k) => expectations.consumers[k.split('|')[0]!]).sort();
  const limited = keys.filter((k) => refusals.some((c) => clientKey(c) === k));
  if (limited.length === 0) {
    verdicts.push({
      check: 'token-limit.admitted-within-limit',
      status: 'inconclusive',
      expected: 'at least one consumer sends more than its tokens-per-minute',
      measured: `${admissions.length} admitted request(s) (${source}) for ${keys.length} consumer/gateway pair(s), no token-limit 429`,
      tolerance: `${percent(expectations.tolerances.tokenLimitRelative, 0)} of the limit plus one request`,
      explanation: `No consumer exceeded its token budget, so the limit was never tested; send a budgeted consumer (dev-test: ${expectations.consumers['dev-test']?.tokensPerMinute ?? '?'} TPM, batch: ${expectations.consumers['batch']?.tokensPerMinute ?? '?'} TPM) above its rate.`,
      evidence: [ref(evidence.files.llmLogs, 'admitted requests'), ref(evidence.files.client, 'client 429s with a token-limit message')],
    });
  }
  for (const key of limited) {
    const [consumer, region] = key.split('|') as [string, string];
    const limit = expectations.consumers[consumer]!.tokensPerMinute;
    const list = (byKey.get(key) ?? []).sort((a, b) => a.at - b.at);
    const keyRefusals = refusals.filter((c) => clientKey(c) === key);
    verdicts.push(withinLimit(evidence, expectations, consumer, region, limit, list, keyRefusals, source, options));
    verdicts.push(noRefusalBelowLimit(evidence, expectations, consumer, region, limit, list, keyRefusals, source, options));
  }
  verdicts.push(retryAfter(evidence));
  verdicts.push(remainingTokens(evidence, expectations, byKey, clientKey, options));
  for (const [consumer, settings] of Object.entries(expectations.consumers)) {
    if (settings.tokenQuota) verdicts.push(quota(evidence, expectations, consumer, settings.tokenQuota, byKey, options));
  }
  return verdicts;
}

/** Admitted requests: LLM log rows joined to the gateway log, else the ledger's 2xx records (one per correlation id). */
function collectAdmissions(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex): { admissions: Admission[]; source: string } {
  const admissions: Admission[] = [];
  if (evidence.llmLogs.length > 0) {
    for (const row of evidence.llmLogs) {
      if ((row.SequenceNumber ?? 0) !== 0 || !row.TimeGenerated) continue;
      const gw = row.CorrelationId ? index.gatewayRows.get(row.CorrelationId) : undefined;
      const consumer = consumerOfSubscription(gw?.ApimSubscriptionId, expectations.consumers);
      if (!consumer) continue;
      admissions.push({ at: Date.parse(row.TimeGenerated), tokens: row.TotalTokens ?? (row.PromptTokens ?? 0) + (row.CompletionTokens ?? 0), consumer, subscription: gw?.ApimSubscriptionId ?? '', region: row.Region ?? gw?.Region ?? '', ref: row.CorrelationId ?? '' });
    }
    return { admissions, source: `${evidence.files.llmLogs} joined to ${evidence.files.gatewayLogs}` };
  }
  const seen = new Set<string>();
  for (const r of index.requests) {
    if (r.status < 200 || r.status >= 300) continue;
    if (r.correlationId) {
      if (seen.has(r.correlationId)) continue;
      seen.add(r.correlationId);
    }
    const gw = r.correlationId ? index.gatewayRows.get(r.correlationId) : undefined;
    const consumer = consumerOfSubscription(r.subscription ?? gw?.ApimSubscriptionId, expectations.consumers);
    if (!consumer) continue;
    admissions.push({ at: gw?.TimeGenerated ? Date.parse(gw.TimeGenerated) : r.start, tokens: r.promptTokens + r.completionTokens, consumer, subscription: r.subscription ?? gw?.ApimSubscriptionId ?? '', region: instanceOf(index, r).region, ref: r.seq });
  }
  return { admissions, source: `${evidence.files.ledger} (2xx records; no LLM log rows)` };
}

/** Sorted admissions with prefix sums, for token totals and counts over time ranges in O(log n). */
class AdmissionSeries {
  readonly #times: number[];
  readonly #prefix: number[];
  constructor(list: readonly Admission[]) {
    const sorted = list.slice().sort((a, b) => a.at - b.at);
    this.#times = sorted.map((a) => a.at);
    this.#prefix = [0];
    for (const a of sorted) this.#prefix.push(this.#prefix[this.#prefix.length - 1]! + a.tokens);
  }
  /** Index of the first admission at or after t (strict: after t). */
  #bound(t: number, strict: boolean): number {
    let lo = 0;
    let hi = this.#times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = this.#times[mid]!;
      if (v < t || (strict && v === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** Tokens admitted at times in [from, to). */
  tokens(from: number, to: number): number {
    return this.#prefix[this.#bound(to, false)]! - this.#prefix[this.#bound(from, false)]!;
  }
  /** Admissions at times in (from, to]. */
  count(fromExclusive: number, toInclusive: number): number {
    return Math.max(0, this.#bound(toInclusive, true) - this.#bound(fromExclusive, true));
  }
}

/** The largest total over windows [t, t + windowMs) starting at each admission. */
function maxSliding(list: readonly Admission[], windowMs: number): { total: number; from: number; count: number } {
  let best = { total: 0, from: list[0]?.at ?? 0, count: 0 };
  let j = 0;
  let sum = 0;
  for (let i = 0; i < list.length; i++) {
    while (j < list.length && list[j]!.at < list[i]!.at + windowMs) sum += list[j++]!.tokens;
    if (sum > best.total) best = { total: sum, from: list[i]!.at, count: j - i };
    sum -= list[i]!.tokens;
  }
  return best;
}

function withinLimit(evidence: RunEvidence, expectations: Expectations, consumer: string, region: string, limit: number, list: Admission[], keyRefusals: ClientRecord[], source: string, options: TokenLimitOptions): Verdict {
  const windowMs = options.windowMs ?? WINDOW_MS;
  const tol = expectations.tolerances.tokenLimitRelative;
  const oneRequest = Math.max(0, ...list.map((a) => a.tokens));
  const bound = limit * (1 + tol) + oneRequest;
  const best = maxSliding(list, windowMs);
  const error = (best.total - limit) / limit;
  const check = `token-limit.admitted-within-limit (${consumer} @ ${region})`;
  const t0 = evidence.window.start;
  const measured = `at most ${best.total} tokens admitted in a sliding ${duration(windowMs)} window (${best.count} requests from ${moment(best.from, t0)}): relative error ${error >= 0 ? '+' : ''}${percent(error)}; ${list.length} admitted, ${keyRefusals.length} token-limit 429s (${source})`;
  const ok = best.total <= bound;
  return {
    check,
    status: ok ? 'pass' : 'fail',
    expected: `at most ${limit} tokens per ${duration(windowMs)} (tokensPerMinute of ${consumer}, counted by the ${region} gateway)`,
    measured,
    tolerance: `+${percent(tol, 0)} of the limit plus one request's worth (${oneRequest} tokens, the largest admitted) for concurrent admissions: ≤ ${Math.round(bound)}`,
    explanation: ok
      ? `${consumer} got at most ${best.total} tokens per minute through the ${region} gateway against its ${limit} TPM budget.`
      : `${consumer} got ${best.total} tokens through the ${region} gateway in the minute from ${moment(best.from, t0)}, ${percent(error)} over its ${limit} TPM budget: the token limit may be configured higher (tokens-per-minute), keyed so that the consumer's requests use several counters (counter-key), not estimating prompts so large prompts pass, or applied to only some operations; see ${evidence.files.llmLogs} from ${moment(best.from, t0)}.`,
    evidence: [ref(evidence.files.llmLogs, `admitted requests of ${consumer} via ${region} in the fullest minute`, list.filter((a) => a.at >= best.from && a.at < best.from + windowMs).slice(0, 5).map((a) => a.ref), [best.from, best.from + windowMs])],
  };
}

function noRefusalBelowLimit(evidence: RunEvidence, expectations: Expectations, consumer: string, region: string, limit: number, list: Admission[], keyRefusals: ClientRecord[], source: string, options: TokenLimitOptions): Verdict {
  const windowMs = options.windowMs ?? WINDOW_MS;
  const tol = expectations.tolerances.tokenLimitRelative;
  const oneRequest = Math.max(0, ...list.map((a) => a.tokens));
  const floor = limit * (1 - tol) - oneRequest;
  const t0 = evidence.window.start;
  const check = `token-limit.no-refusal-below-limit (${consumer} @ ${region})`;
  const early: { refusal: ClientRecord; admitted: number }[] = [];
  let lowest = Number.POSITIVE_INFINITY;
  const series = new AdmissionSeries(list);
  for (const refusal of keyRefusals) {
    const s = clientStart(refusal);
    const admitted = series.tokens(s - windowMs, s);
    lowest = Math.min(lowest, admitted);
    if (admitted < floor) early.push({ refusal, admitted });
  }
  const measured = `${keyRefusals.length} token-limit 429(s); the fewest tokens admitted in the ${duration(windowMs)} before one was ${Number.isFinite(lowest) ? lowest : 'n/a'} (${source})`;
  const expected = `a token-limit 429 only once ${consumer}'s admitted tokens in the preceding ${duration(windowMs)} reach its ${limit} TPM budget`;
  const tolerance = `${percent(tol, 0)} of the limit plus one request's worth (${oneRequest} tokens) below it: refusals above ${Math.round(floor)} admitted tokens are accepted`;
  if (early.length === 0) {
    return { check, status: 'pass', expected, measured, tolerance, explanation: `Every token-limit 429 for ${consumer} via ${region} came once its budget was (nearly) used.`, evidence: [ref(evidence.files.client, `token-limit 429s of ${consumer}`)] };
  }
  const first = early[0]!;
  return {
    check,
    status: 'fail',
    expected,
    measured,
    tolerance,
    explanation: `${consumer} was refused with a token-limit 429 at ${moment(clientStart(first.refusal), t0)} after only ${first.admitted} tokens in the preceding minute (${early.length} such refusals), well below its ${limit} TPM budget: the gateway's tokens-per-minute may be set lower than the consumer class's, the counter may be shared with other subscriptions (counter-key), or it may charge more than the tokens used (max_tokens instead of the prompt estimate); see ${evidence.files.client} at ${early.slice(0, 3).map((e) => moment(e.refusal.time, t0)).join(', ')}.`,
    evidence: [ref(evidence.files.client, `token-limit 429s of ${consumer} far below its budget`, early.slice(0, 5).map((e) => moment(e.refusal.time, t0)))],
  };
}

function retryAfter(evidence: RunEvidence): Verdict {
  const check = 'token-limit.retry-after';
  const t0 = evidence.window.start;
  const refusals = evidence.client.filter((c) => (c.status === 429 && c.gatewayReason === 'token-limit') || (c.status === 403 && c.gatewayReason === 'token-quota'));
  const bad = refusals.filter((c) => {
    if (!/^\d+$/.test(c.retryAfter.trim())) return true;
    const seconds = Number(c.retryAfter.trim());
    return seconds < 1 || (c.status === 429 && seconds > 60);
  });
  const expected = 'every token-limit 429 (and token-quota 403) carries Retry-After: whole seconds, 1–60 for a per-minute limit';
  if (refusals.length === 0) {
    return { check, status: 'inconclusive', expected, measured: 'no token-limit refusal in the client records', tolerance: 'none', explanation: 'No consumer was refused by its token budget, so there is no Retry-After to check.', evidence: [ref(evidence.files.client, 'client 429s')] };
  }
  const measured = `${refusals.length - bad.length} of ${refusals.length} token-budget refusals carry a valid Retry-After${bad.length > 0 ? `; ${bad.length} do not (e.g. ${JSON.stringify(bad[0]!.retryAfter)})` : ''}`;
  if (bad.length === 0) return { check, status: 'pass', expected, measured, tolerance: 'none', explanation: 'Every token-budget refusal told the client when to retry.', evidence: [ref(evidence.files.client, 'token-limit 429s', refusals.slice(0, 3).map((c) => moment(c.time, t0)))] };
  return {
    check,
    status: 'fail',
    expected,
    measured,
    tolerance: 'none',
    explanation: `${bad.length} token-budget refusal(s) came without a usable Retry-After: the policy may rename it (retry-after-header-name), an outbound policy may strip it, or a front door may drop it; clients cannot back off correctly. See ${evidence.files.client} at ${bad.slice(0, 3).map((c) => moment(c.time, t0)).join(', ')}.`,
    evidence: [ref(evidence.files.client, 'token-limit 429s without a valid Retry-After', bad.slice(0, 5).map((c) => moment(c.time, t0)))],
  };
}

function remainingTokens(evidence: RunEvidence, expectations: Expectations, byKey: Map<string, Admission[]>, clientKey: (c: ClientRecord) => string, options: TokenLimitOptions): Verdict {
  const check = 'token-limit.remaining-tokens';
  const t0 = evidence.window.start;
  const concurrency = options.concurrencyMs ?? 200;
  const margin = options.refillMarginMs ?? 2_000;
  const windowMs = options.windowMs ?? WINDOW_MS;
  const withHeader = evidence.client.filter((c) => c.remainingTokens.trim() !== '');
  const expected = 'the remaining-tokens header is a whole number in [0, limit], and between two admissions of a consumer at one gateway it does not rise unless tokens left the window in between';
  const tolerance = `readings less than ${duration(concurrency)} apart are not ordered; tokens within ${duration(margin)} of the ${duration(windowMs)} horizon may have left the window`;
  if (withHeader.length === 0) {
    return {
      check,
      status: 'inconclusive',
      expected,
      measured: 'no client response carried a remaining-tokens header',
      tolerance,
      explanation: 'The gateway sent no remaining-tokens header, so it cannot be checked; set remaining-tokens-header-name on llm-token-limit (the sample uses x-gateway-remaining-tokens) if clients should see it.',
      evidence: [ref(evidence.files.client, 'client records (remainingTokens)')],
    };
  }
  const problems: string[] = [];
  const examples: string[] = [];
  const outOfRange = withHeader.filter((c) => {
    const value = c.remainingTokens.trim();
    const limit = expectations.consumers[c.consumer]?.tokensPerMinute;
    return !/^\d+$/.test(value) || (limit !== undefined && Number(value) > limit);
  });
  if (outOfRange.length > 0) {
    problems.push(`${outOfRange.length} value(s) not a whole number within [0, limit] (e.g. ${JSON.stringify(outOfRange[0]!.remainingTokens)} for ${outOfRange[0]!.consumer} at ${moment(outOfRange[0]!.time, t0)})`);
    examples.push(...outOfRange.slice(0, 3).map((c) => moment(c.time, t0)));
  }
  let compared = 0;
  const rises: { a: ClientRecord; b: ClientRecord }[] = [];
  const groups = new Map<string, ClientRecord[]>();
  for (const c of withHeader) {
    if (!(c.status >= 200 && c.status < 300) || !/^\d+$/.test(c.remainingTokens.trim())) continue;
    const key = clientKey(c);
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  for (const [key, list] of groups) {
    list.sort((a, b) => clientStart(a) - clientStart(b));
    const admitted = new AdmissionSeries(byKey.get(key) ?? []);
    for (let i = 0; i + 1 < list.length; i++) {
      const a = list[i]!;
      const b = list[i + 1]!;
      const sa = clientStart(a);
      const sb = clientStart(b);
      if (sb - sa < concurrency) continue;
      const refill = admitted.count(sa - windowMs - margin, sb - windowMs + margin) > 0;
      if (refill) continue;
      compared++;
      if (Number(b.remainingTokens) > Number(a.remainingTokens)) rises.push({ a, b });
    }
  }
  if (rises.length > 0) {
    const { a, b } = rises[0]!;
    problems.push(`${rises.length} rise(s) with no tokens leaving the window, e.g. ${a.consumer} ${a.remainingTokens} at ${moment(clientStart(a), t0)} then ${b.remainingTokens} at ${moment(clientStart(b), t0)}`);
    examples.push(...rises.slice(0, 3).map((r) => moment(r.b.time, t0)));
  }
  const measured = `${withHeader.length} response(s) with the header, ${outOfRange.length} out of range, ${compared} consecutive pair(s) without a refill compared, ${rises.length} rose`;
  if (problems.length === 0) {
    return {
      check,
      status: 'pass',
      expected,
      measured,
      tolerance,
      explanation: `The remaining-tokens header stayed within [0, limit]${compared > 0 ? ' and never rose without a refill' : ' (no pair of readings without a refill in between, so its monotony could not be compared)'}.`,
      evidence: [ref(evidence.files.client, 'responses with a remaining-tokens header', withHeader.slice(0, 3).map((c) => moment(c.time, t0)))],
    };
  }
  return {
    check,
    status: 'fail',
    expected,
    measured,
    tolerance,
    explanation: `The remaining-tokens header is inconsistent: ${problems.join('; ')}: ${outOfRange.some((c) => /^\d+$/.test(c.remainingTokens.trim())) ? "a value above the consumer's limit means the gateway enforces a larger tokens-per-minute than k6.config.json gives the class; otherwise " : ''}it may come from another counter (a different counter-key or limit than the one enforcing), or be computed before earlier requests were charged; see ${evidence.files.client}.`,
    evidence: [ref(evidence.files.client, 'inconsistent remaining-tokens readings', examples)],
  };
}

/**
 * The fixed UTC window of a token-quota period containing `t` (the policy's calendar windows).
 * Deliberately not imported from the emulator's limits: the verifier is the oracle, and an
 * oracle that shared the gateway's own window code would agree with a bug in it.
 */
export function quotaWindow(period: TokenQuotaPeriod, t: number): { start: number; end: number } {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (period) {
    case 'Hourly': {
      const start = Date.UTC(y, m, day, d.getUTCHours());
      return { start, end: start + 3_600_000 };
    }
    case 'Daily': {
      const start = Date.UTC(y, m, day);
      return { start, end: start + 86_400_000 };
    }
    case 'Weekly': {
      const start = Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7));
      return { start, end: start + 7 * 86_400_000 };
    }
    case 'Monthly':
      return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
    case 'Yearly':
      return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
  }
}

function quota(evidence: RunEvidence, expectations: Expectations, consumer: string, settings: { tokens: number; period: TokenQuotaPeriod }, byKey: Map<string, Admission[]>, options: TokenLimitOptions): Verdict {
  void options;
  const check = `token-limit.quota (${consumer})`;
  const t0 = evidence.window.start;
  const tol = expectations.tolerances.tokenLimitRelative;
  const expected = `${consumer} gets at most ${settings.tokens} tokens per ${settings.period} period (per gateway), and is then refused with 403`;
  const statuses: ('pass' | 'fail' | 'inconclusive')[] = [];
  const parts: string[] = [];
  const problems: string[] = [];
  let reached = false;
  for (const [key, list] of byKey) {
    if (!key.startsWith(`${consumer}|`)) continue;
    const region = key.slice(consumer.length + 1);
    const oneRequest = Math.max(0, ...list.map((a) => a.tokens));
    const totals = new Map<number, number>();
    for (const a of list) {
      const w = quotaWindow(settings.period, a.at).start;
      totals.set(w, (totals.get(w) ?? 0) + a.tokens);
    }
    for (const [start, total] of totals) {
      parts.push(`${region}: ${total} tokens in the ${settings.period} period from ${new Date(start).toISOString()}`);
      if (total >= settings.tokens * (1 - tol) - oneRequest) reached = true;
      if (total > settings.tokens * (1 + tol) + oneRequest) {
        statuses.push('fail');
        problems.push(`${region} admitted ${total} tokens in one ${settings.period} period against a quota of ${settings.tokens}`);
      } else statuses.push('pass');
    }
  }
  const quotaRefusals = evidence.client.filter((c) => c.consumer === consumer && c.gatewayReason === 'token-quota');
  const wrongStatus = quotaRefusals.filter((c) => c.status !== 403);
  if (wrongStatus.length > 0) {
    statuses.push('fail');
    problems.push(`${wrongStatus.length} token-quota refusal(s) answered ${wrongStatus[0]!.status} instead of 403 (e.g. at ${moment(wrongStatus[0]!.time, t0)})`);
  }
  if (quotaRefusals.length > 0) reached = true;
  const measured = `${joinParts(parts) || 'no admitted request'}; ${quotaRefusals.length} token-quota refusal(s), ${wrongStatus.length} not 403`;
  const tolerance = `${percent(tol, 0)} of the quota plus one request`;
  if (problems.length > 0) {
    return { check, status: 'fail', expected, measured, tolerance, explanation: `The token quota of ${consumer} did not hold: ${problems.join('; ')}: check token-quota and token-quota-period on its llm-token-limit policy; see ${evidence.files.llmLogs} and ${evidence.files.client}.`, evidence: [ref(evidence.files.client, 'token-quota refusals', wrongStatus.slice(0, 3).map((c) => moment(c.time, t0)))] };
  }
  if (!reached) {
    return { check, status: 'inconclusive', expected, measured, tolerance, explanation: `${consumer} never came near its ${settings.tokens}-token ${settings.period} quota, so the quota was not tested.`, evidence: [ref(evidence.files.llmLogs, `admitted requests of ${consumer}`)] };
  }
  return { check, status: combine(statuses) === 'fail' ? 'fail' : 'pass', expected, measured, tolerance, explanation: `${consumer}'s quota held and its refusals were 403s.`, evidence: [ref(evidence.files.client, 'token-quota refusals', quotaRefusals.slice(0, 3).map((c) => moment(c.time, t0)))] };
}
