/**
 * Token-limit accuracy (llm-token-limit per subscription, counted per gateway instance):
 * - admitted-within-limit (per consumer and gateway): the most tokens admitted in any sliding
 *   window of 60 s less the limiter's 1 s bucket stays within tokensPerMinute, plus one
 *   request's worth (the documented concurrency overshoot) plus the relative tolerance; the
 *   relative error is reported. Judged for every consumer and gateway whose limit was put to
 *   the test: the gateway refused it by its token limit, or admitted more than the bound (a
 *   limit that never applies refuses nobody, and is a failure all the same). A consumer that
 *   never sent more than the bound is not judged; when no consumer was judged, one
 *   inconclusive verdict says why (the load sent, or the gateway's own errors that kept it
 *   from the limit);
 * - no-refusal-below-limit (per judged consumer and gateway): a token-limit 429 only comes once
 *   the consumer's own tokens in the preceding 60 s are near its limit: admitted, plus the prompt
 *   estimates the limit kept for its requests that passed it and then failed (a backend error, a
 *   pool-exhausted 503: token-limit.kept-charges.ts), each counted at its median admitted prompt;
 *   a refusal those bring up to the limit passes, and the explanation says so with the numbers.
 *   When other subscriptions of the same budget filled the counter instead, the counter is
 *   shared (the counter-key is not the subscription) and the explanation says so;
 * - retry-after: every token-limit 429 (and token-quota 403) carries a Retry-After in seconds;
 * - remaining-tokens: the remaining-tokens header is an integer within [0, limit] and does not
 *   rise between two admissions unless tokens left the window in between (admitted tokens, or
 *   prompts the limit kept for requests that passed it and then failed; of the consumer, or of
 *   the subscriptions no-refusal-below-limit found may share its counter: the sharing is
 *   reported there, once);
 * - quota (only for consumers whose expectations give one): admitted tokens per quota period
 *   stay within it and the refusal is a 403.
 * Admitted tokens come from the ApiManagementGatewayLlmLog rows (TotalTokens, joined to the
 * gateway log for the subscription), else from the ledger's 2xx records (the subscription the
 * backend received). When some admissions name no subscription (a gateway without log rows that
 * forwards no subscription id), each consumer's count is a lower bound: a limit exceeded still
 * fails, but nothing passes on it. docs/verifiers.md has the rules, tolerances and inconclusive cases.
 */
import type { ClientRecord, RunEvidence } from '../evidence/evidence-types.ts';
import { clientRegion, clientStart, consumerOfSubscription, indexEvidence, instanceOf, knownRegions, type EvidenceIndex } from './evidence-index.ts';
import { sourceOf } from './evidence-sources.ts';
import type { Expectations, TokenQuotaPeriod } from './expectations.ts';
import { duration, moment, percent } from './time-format.ts';
import { maxOf, minOf } from './statistics.ts';
import { failedAfterAdmission, keptCharges, type KeptCharge } from './token-limit.kept-charges.ts';
import type { Verdict } from './verdict.ts';
import { combine, joinParts, ref } from './verdict-helpers.ts';

export interface TokenLimitOptions {
  /** The sliding window the limit is judged over. Default 60 s (tokens per minute). */
  windowMs?: number;
  /**
   * The limiter's counting granularity. A counter that sums in buckets lets a bucket's tokens
   * leave the window up to one bucket early, so two admissions a little less than a minute
   * apart may both be legitimate: admitted tokens are judged over windows of windowMs − bucketMs.
   * Default 1 s (the emulator's buckets; APIM documents none).
   */
  bucketMs?: number;
  /** Two remaining-tokens readings closer than this are not ordered (concurrent admissions). Default 200 ms. */
  concurrencyMs?: number;
  /** Margin around the 60 s horizon within which tokens may leave the window (the limiter's buckets). Default 2 s. */
  refillMarginMs?: number;
}

interface Admission {
  at: number;
  tokens: number;
  /** Its prompt tokens, when the source gives them: what a failed request of the consumer is estimated at (kept charges). */
  promptTokens: number | undefined;
  consumer: string;
  /** The APIM subscription id, when known: the sample's counter key. */
  subscription: string;
  region: string;
  ref: string | number;
}

/** Something that used (or would have used) tokens at a moment. */
interface TokenEvent {
  at: number;
  tokens: number;
}

/** One consumer class through one gateway instance: what the gateway admitted, refused and failed. */
interface Pair {
  key: string;
  consumer: string;
  region: string;
  limit: number;
  /** Admissions of the consumer's own subscription through this gateway, by time. */
  admitted: Admission[];
  /** Its token-limit 429s. */
  refusals: ClientRecord[];
  /** Its requests the gateway (or a backend behind it) answered with another error: neither admitted nor refused by the limit. */
  otherFailures: ClientRecord[];
  /** Those of them that passed the token limit and then failed (token-limit.kept-charges.ts): the counter kept their prompt estimates. */
  failedAfterAdmission: ClientRecord[];
  /** The consumer's median admitted prompt tokens (its own subscription, every gateway): what each such request is counted at; undefined when none is known. */
  promptEstimate: number | undefined;
  /** The charges kept for failedAfterAdmission, at promptEstimate each, by time (none without an estimate). */
  kept: KeptCharge[];
  /** The largest admitted request (tokens): the concurrency overshoot allowed on top of the limit. */
  oneRequest: number;
  /** limit × (1 + tolerance) + one request: the most a minute may admit. */
  bound: number;
  /** The fullest sliding window of admitted tokens. */
  fullest: { total: number; from: number; count: number };
  /** The fullest window of the load the consumer sent, admitted tokens plus each other request at the consumer's median admitted size; undefined when nothing of it was admitted (size unknown). */
  sent: { total: number; from: number } | undefined;
  /** Whether the limit was put to the test: refused by it, or admitted beyond the bound. */
  judged: boolean;
}

const WINDOW_MS = 60_000;
const BUCKET_MS = 1_000;

export function verifyTokenLimit(evidence: RunEvidence, expectations: Expectations, options: TokenLimitOptions = {}): Verdict[] {
  const windowMs = options.windowMs ?? WINDOW_MS;
  const admitWindowMs = windowMs - (options.bucketMs ?? BUCKET_MS);
  if (!(admitWindowMs > 0)) throw new RangeError(`token-limit options: bucketMs (${options.bucketMs}) must be shorter than windowMs (${windowMs})`);
  const index = indexEvidence(evidence);
  const { admissions, source, uncounted } = collectAdmissions(evidence, expectations, index);
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
    pushTo(byKey, `${a.consumer}|${a.region}`, a);
  }
  for (const list of byKey.values()) list.sort((a, b) => a.at - b.at);
  // What each consumer sent through each gateway, as k6 saw it (the front door's own error
  // pages never reached a gateway, so they are left out).
  const sentByKey = new Map<string, ClientRecord[]>();
  for (const c of evidence.client) if (expectations.consumers[c.consumer] && c.errorOrigin !== 'frontdoor') pushTo(sentByKey, clientKey(c), c);
  // Its requests that passed the token limit of that gateway and then failed: the limit kept their prompts.
  const failedByKey = new Map<string, ClientRecord[]>();
  for (const c of evidence.client) if (expectations.consumers[c.consumer] && failedAfterAdmission(c)) pushTo(failedByKey, clientKey(c), c);

  // What a request of a consumer that passed the limit and then failed is counted at: the
  // median prompt of its own subscription's admissions at every gateway (its plan sends alike requests).
  const promptsOf = new Map<string, number[]>();
  for (const [key, list] of byKey) for (const a of list) if (a.promptTokens !== undefined) pushTo(promptsOf, key.slice(0, key.indexOf('|')), a.promptTokens);
  const keys = [...new Set([...byKey.keys(), ...sentByKey.keys(), ...refusals.map(clientKey)])].filter((k) => expectations.consumers[k.split('|')[0]!]).sort();
  const pairs = keys.map((key) => assessPair(key, expectations, byKey.get(key) ?? [], sentByKey.get(key) ?? [], failedByKey.get(key) ?? [], admissions, admitWindowMs, median(promptsOf.get(key.slice(0, key.indexOf('|'))) ?? [])));
  // The charges kept for each consumer's requests that failed after admission, per gateway, by
  // consumer (lower case): k6 sends each consumer class with one key, so a peer subscription's
  // client records are those of the class named like it.
  const keptAt = new Map<string, Map<string, readonly KeptCharge[]>>();
  for (const p of pairs) {
    let byConsumer = keptAt.get(p.region);
    if (!byConsumer) keptAt.set(p.region, (byConsumer = new Map()));
    byConsumer.set(p.consumer.toLowerCase(), p.kept);
  }
  const judged = pairs.filter((p) => p.judged);

  const verdicts: Verdict[] = [];
  if (judged.length === 0) {
    const verdict = notTested(evidence, expectations, pairs, admissions.length, source, admitWindowMs);
    verdicts.push(uncounted ? { ...verdict, explanation: `${verdict.explanation} Note that ${uncounted}, so a consumer admitted beyond its budget may not show.` } : verdict);
  }
  const sharing = new Map<string, string[]>();
  for (const pair of judged) {
    // Admitted tokens that could not be counted for their consumer make each consumer's count a
    // lower bound: enough to fail a limit exceeded, never to pass one kept or to call a refusal early.
    verdicts.push(onlyIfCounted(withinLimit(evidence, expectations, pair, source, windowMs, admitWindowMs), 'pass', uncounted));
    const atGateway = admissions.filter((a) => a.region === pair.region);
    const { verdict, sharedWith } = noRefusalBelowLimit(evidence, expectations, pair, atGateway, keptAt.get(pair.region) ?? new Map(), source, windowMs);
    verdicts.push(onlyIfCounted(verdict, 'fail', uncounted));
    if (sharedWith.length > 0) sharing.set(pair.key, sharedWith);
  }
  verdicts.push(retryAfter(evidence, judged));
  verdicts.push(remainingTokens(evidence, expectations, byKey, admissions, pairs, sharing, judged, clientKey, options, uncounted));
  for (const [consumer, settings] of Object.entries(expectations.consumers)) {
    if (settings.tokenQuota) verdicts.push(onlyIfCounted(quota(evidence, expectations, consumer, settings.tokenQuota, byKey, options), 'pass', uncounted));
  }
  return verdicts;
}

/** A verdict of `unsafe` status made inconclusive when some admitted tokens could not be counted for their consumer. */
function onlyIfCounted(verdict: Verdict, unsafe: 'pass' | 'fail', uncounted: string | null): Verdict {
  if (uncounted === null || verdict.status !== unsafe) return verdict;
  return { ...verdict, status: 'inconclusive', explanation: `Not judged as a ${unsafe}: ${uncounted}, so the tokens counted for each consumer are a lower bound. ${verdict.explanation}` };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function assessPair(key: string, expectations: Expectations, admitted: Admission[], sent: ClientRecord[], failed: ClientRecord[], all: readonly Admission[], admitWindowMs: number, promptEstimate: number | undefined): Pair {
  const [consumer, region] = key.split('|') as [string, string];
  const limit = expectations.consumers[consumer]!.tokensPerMinute;
  const isRefusal = (c: ClientRecord): boolean => c.status === 429 && c.gatewayReason === 'token-limit';
  const refusals = sent.filter(isRefusal);
  const otherFailures = sent.filter((c) => !(c.status >= 200 && c.status < 300) && !isRefusal(c) && (c.errorOrigin === 'gateway' || c.errorOrigin === 'backend'));
  const oneRequest = maxOf(admitted.map((a) => a.tokens), 0);
  const bound = limit * (1 + expectations.tolerances.tokenLimitRelative) + oneRequest;
  const fullest = maxSliding(admitted, admitWindowMs);
  // A request that was not admitted is counted at the consumer's median admitted size (its
  // plan sends alike requests); the estimate only explains, it never decides a pass or a fail.
  const typical = median(all.filter((a) => a.consumer === consumer).map((a) => a.tokens));
  let sentLoad: Pair['sent'];
  if (typical !== undefined) {
    const events: TokenEvent[] = [...admitted, ...[...refusals, ...otherFailures].map((c) => ({ at: clientStart(c), tokens: typical }))].sort((a, b) => a.at - b.at);
    const best = maxSliding(events, admitWindowMs);
    sentLoad = { total: Math.round(best.total), from: best.from };
  }
  const kept = keptCharges(failed, promptEstimate);
  return { key, consumer, region, limit, admitted, refusals, otherFailures, failedAfterAdmission: failed, promptEstimate, kept, oneRequest, bound, fullest, sent: sentLoad, judged: refusals.length > 0 || fullest.total > bound };
}

/**
 * Admitted requests: LLM log rows joined to the gateway log (which names the subscription),
 * else the ledger's 2xx records (one per correlation id), whose subscription is the one the
 * backend received (x-subscription-id), else the gateway row's. `uncounted` says, when some
 * admissions carry no subscription at all (a gateway that keeps no log rows and forwards no
 * subscription id) or there is no record of admissions in the run, why the consumers' counts
 * are only lower bounds; null when every admission was counted.
 */
function collectAdmissions(evidence: RunEvidence, expectations: Expectations, index: EvidenceIndex): { admissions: Admission[]; source: string; uncounted: string | null } {
  const admissions: Admission[] = [];
  const hasLedger = sourceOf(evidence, 'ledger').status === 'collected';
  if (!hasLedger && (evidence.llmLogs.length === 0 || !index.gatewayLogs)) {
    return { admissions, source: 'no record of admitted requests', uncounted: "this run has neither the gateway's LLM log rows with its log rows nor the fleet ledger, so no admitted token was counted" };
  }
  let anonymous = 0;
  if (evidence.llmLogs.length > 0 && index.gatewayLogs) {
    for (const row of evidence.llmLogs) {
      if ((row.SequenceNumber ?? 0) !== 0 || !row.TimeGenerated) continue;
      const gw = row.CorrelationId ? index.gatewayRows.get(row.CorrelationId) : undefined;
      if (!gw?.ApimSubscriptionId) anonymous++;
      const consumer = consumerOfSubscription(gw?.ApimSubscriptionId, expectations.consumers);
      if (!consumer) continue;
      admissions.push({ at: Date.parse(row.TimeGenerated), tokens: row.TotalTokens ?? (row.PromptTokens ?? 0) + (row.CompletionTokens ?? 0), promptTokens: row.PromptTokens ?? undefined, consumer, subscription: gw?.ApimSubscriptionId ?? '', region: row.Region ?? gw?.Region ?? '', ref: row.CorrelationId ?? '' });
    }
    const source = `${evidence.files.llmLogs} joined to ${evidence.files.gatewayLogs}`;
    return { admissions, source, uncounted: anonymous > 0 ? `${anonymous} LLM log row(s) have no gateway log row naming their subscription` : null };
  }
  const seen = new Set<string>();
  for (const r of index.requests) {
    if (r.status < 200 || r.status >= 300) continue;
    if (r.correlationId) {
      if (seen.has(r.correlationId)) continue;
      seen.add(r.correlationId);
    }
    const gw = r.correlationId ? index.gatewayRows.get(r.correlationId) : undefined;
    if (!(r.subscription ?? gw?.ApimSubscriptionId)) anonymous++;
    const consumer = consumerOfSubscription(r.subscription ?? gw?.ApimSubscriptionId, expectations.consumers);
    if (!consumer) continue;
    admissions.push({ at: gw?.TimeGenerated ? Date.parse(gw.TimeGenerated) : r.start, tokens: r.promptTokens + r.completionTokens, promptTokens: r.promptTokens, consumer, subscription: r.subscription ?? gw?.ApimSubscriptionId ?? '', region: instanceOf(index, r).region, ref: r.seq });
  }
  const uncounted =
    anonymous > 0
      ? `${anonymous} admitted request(s) in the ledger carry no subscription (the backend received no x-subscription-id${index.gatewayLogs ? ' and no gateway log row names one' : ', and this run has no gateway log rows to name one'})`
      : null;
  return { admissions, source: `${evidence.files.ledger} (2xx records; no LLM log rows)`, uncounted };
}

/** Sorted admissions with prefix sums, for token totals and counts over time ranges in O(log n). */
class AdmissionSeries {
  readonly #times: number[];
  readonly #prefix: number[];
  constructor(list: readonly TokenEvent[]) {
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
  /** Admissions at times in [from, to). */
  countIn(from: number, to: number): number {
    return this.#bound(to, false) - this.#bound(from, false);
  }
  /** Admissions at times in (from, to]. */
  count(fromExclusive: number, toInclusive: number): number {
    return Math.max(0, this.#bound(toInclusive, true) - this.#bound(fromExclusive, true));
  }
}

/** The largest total over windows [t, t + windowMs) starting at each event (events sorted by time). */
function maxSliding(list: readonly TokenEvent[], windowMs: number): { total: number; from: number; count: number } {
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

/** "a", "a and b", "a, b and c" (at most four named). */
function listed(items: readonly string[]): string {
  const shown = items.length > 4 ? [...items.slice(0, 3), `${items.length - 3} more`] : [...items];
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** "3 × 503 pool-exhausted, 1 × 500" for a set of failed client requests. */
function failureSummary(records: readonly ClientRecord[]): string {
  const counts = new Map<string, number>();
  for (const c of records) {
    const label = `${c.status === 0 ? 'no answer' : c.status}${c.gatewayReason && c.gatewayReason !== 'other' ? ` ${c.gatewayReason}` : ''}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${n} × ${label}`).join(', ');
}

/**
 * The one verdict when no consumer's limit was put to the test. It says why: the gateway's own
 * errors kept a consumer that sent more than its budget from ever reaching the limit (the
 * gateway's behaviour, not the traffic), or no consumer sent more than its budget allows.
 */
function notTested(evidence: RunEvidence, expectations: Expectations, pairs: readonly Pair[], admittedCount: number, source: string, admitWindowMs: number): Verdict {
  const tol = expectations.tolerances.tokenLimitRelative;
  const t0 = evidence.window.start;
  const base = {
    check: 'token-limit.admitted-within-limit',
    status: 'inconclusive' as const,
    expected: 'at least one consumer sends more than its tokens-per-minute allows, so the gateway must refuse it',
    tolerance: `${percent(tol, 0)} of the limit plus one request`,
    evidence: [ref(evidence.files.llmLogs, 'admitted requests'), ref(evidence.files.client, 'client requests per consumer and gateway')],
  };
  const measured = `${admittedCount} admitted request(s) (${source}) for ${pairs.length} consumer/gateway pair(s): none refused by its token limit, none admitted beyond its budget`;
  // A consumer whose requests the gateway failed (or never admitted) although it sent more than
  // its budget allows: the gateway's own errors explain why the limit was never reached.
  const blocked = pairs.filter((p) => p.otherFailures.length > 0 && (p.sent === undefined || p.sent.total > p.bound));
  if (blocked.length > 0) {
    const parts = blocked.map((p) =>
      p.sent === undefined
        ? `the gateway admitted none of ${p.consumer}'s requests via ${p.region} (${failureSummary(p.otherFailures)})`
        : `${p.consumer} sent about ${p.sent.total} tokens in the ${duration(admitWindowMs)} from ${moment(p.sent.from, t0)} via ${p.region}, more than the ${Math.round(p.bound)} its ${p.limit} TPM budget allows, but only ${p.fullest.total} were admitted: the gateway answered ${p.otherFailures.length} of its requests with errors other than its token limit (${failureSummary(p.otherFailures)})`,
    );
    return { ...base, measured, explanation: `The gateway's own errors kept the token limit from being tested: ${joinParts(parts)}. Those errors are the gateway's (or its backends'), not the traffic's; see the other verdicts and ${evidence.files.client}.` };
  }
  // The cheapest budgets to exceed: one consumer of each of the two smallest budgets.
  const byBudget = new Map<number, string>();
  for (const [name, c] of Object.entries(expectations.consumers).sort((a, b) => a[1].tokensPerMinute - b[1].tokensPerMinute)) if (!byBudget.has(c.tokensPerMinute)) byBudget.set(c.tokensPerMinute, name);
  const budgeted = [...byBudget].slice(0, 2).map(([tpm, name]) => `${name}: ${tpm} TPM`).join(', ');
  if (pairs.length === 0) {
    return { ...base, measured, explanation: `No request of a consumer with a token budget reached a gateway, so the limit was never tested; send a budgeted consumer (${budgeted}) above its rate.` };
  }
  const closest = pairs
    .slice()
    .sort((a, b) => (b.sent?.total ?? b.fullest.total) / b.bound - (a.sent?.total ?? a.fullest.total) / a.bound)
    .slice(0, 3)
    .map((p) => `${p.consumer} via ${p.region}: at most about ${p.sent?.total ?? p.fullest.total} tokens sent in a minute (at most ${p.fullest.total} admitted${p.otherFailures.length > 0 ? `; ${p.otherFailures.length} request(s) failed otherwise` : ''}) against the ${Math.round(p.bound)} its ${p.limit} TPM budget allows`);
  return { ...base, measured, explanation: `No consumer sent more than its budget allows (plus the tolerance), so the gateway never had to refuse one and the limit was never tested: ${joinParts(closest)}; send a budgeted consumer (${budgeted}) above its rate for a minute.` };
}

function withinLimit(evidence: RunEvidence, expectations: Expectations, pair: Pair, source: string, windowMs: number, admitWindowMs: number): Verdict {
  const { consumer, region, limit, admitted: list, refusals, oneRequest, bound, fullest: best } = pair;
  const tol = expectations.tolerances.tokenLimitRelative;
  const error = (best.total - limit) / limit;
  const check = `token-limit.admitted-within-limit (${consumer} @ ${region})`;
  const t0 = evidence.window.start;
  const measured =
    list.length === 0
      ? `no request admitted; ${refusals.length} token-limit 429s (${source})`
      : `at most ${best.total} tokens admitted in a sliding ${duration(admitWindowMs)} window (${best.count} requests from ${moment(best.from, t0)}): relative error ${error >= 0 ? '+' : ''}${percent(error)}; ${list.length} admitted, ${refusals.length} token-limit 429s (${source})`;
  const ok = best.total <= bound;
  const causes =
    refusals.length === 0
      ? `and the gateway never refused it by a token limit: no limit seems to apply to its subscription (a policy branch that misses its class, a limit placed on another API, product or operation, or a condition that skips it)`
      : `: the token limit may be configured higher (tokens-per-minute), keyed so that the consumer's requests use several counters (counter-key), not estimating prompts so large prompts pass, or applied to only some operations`;
  return {
    check,
    status: ok ? 'pass' : 'fail',
    expected: `at most ${limit} tokens per ${duration(windowMs)} (tokensPerMinute of ${consumer}, counted by the ${region} gateway)`,
    measured,
    tolerance: `+${percent(tol, 0)} of the limit plus one request's worth (${oneRequest} tokens, the largest admitted) for concurrent admissions: ≤ ${Math.round(bound)}; windows of ${duration(admitWindowMs)}, the ${duration(windowMs)} less the limiter's ${duration(windowMs - admitWindowMs)} bucket (a bucket's tokens may leave the count that much early)`,
    explanation: ok
      ? `${consumer} got at most ${best.total} tokens per minute through the ${region} gateway against its ${limit} TPM budget${refusals.length > 0 ? `, and was refused ${refusals.length} time(s) by its token limit` : ''}.`
      : `${consumer} got ${best.total} tokens through the ${region} gateway in the minute from ${moment(best.from, t0)}, ${percent(error)} over its ${limit} TPM budget${refusals.length === 0 ? ', ' : ''}${causes}; see ${evidence.files.llmLogs} from ${moment(best.from, t0)}.`,
    evidence: [ref(evidence.files.llmLogs, `admitted requests of ${consumer} via ${region} in the fullest minute`, list.filter((a) => a.at >= best.from && a.at < best.from + admitWindowMs).slice(0, 5).map((a) => a.ref), [best.from, best.from + admitWindowMs])],
  };
}

interface EarlyRefusal {
  refusal: ClientRecord;
  /** The consumer's own admitted tokens in the window before the refusal. */
  own: number;
  /**
   * The prompt tokens the counter may still hold for the consumer's own requests that passed the
   * limit in that window and then failed (their number × its prompt estimate, rounded), and their number.
   */
  kept: number;
  keptCount: number;
  /** Tokens of other subscriptions of the same budget through the same gateway in that window, by subscription: admitted, and kept for their requests that failed after admission. */
  peers: Map<string, { admitted: number; kept: number; keptCount: number }>;
}

/** A peer subscription's tokens in a window: its admissions, and the charges kept for its failed requests. */
interface PeerSeries {
  admitted: AdmissionSeries;
  kept: AdmissionSeries;
}

/**
 * Every token-limit 429 must come once the consumer's own tokens in the preceding window are
 * near its limit: its admitted tokens, plus the prompt estimates the limit kept for its requests
 * that passed it and then failed (token-limit.kept-charges.ts). A refusal that reaches the
 * floor only with those is not early, and the explanation says so with the numbers. A refusal
 * far below it is a deviation whatever its cause. The explanation gives the evidence for the two
 * causes: other subscriptions of the same budget making up the rest of it at those refusals (a
 * counter shared between subscriptions), or refusals while they were idle (a limit set lower, or
 * overcharging). `sharedWith` lists the subscriptions whose tokens made up the rest at some such
 * refusal, for the remaining-tokens check.
 */
function noRefusalBelowLimit(
  evidence: RunEvidence,
  expectations: Expectations,
  pair: Pair,
  atGateway: readonly Admission[],
  keptAtGateway: ReadonlyMap<string, readonly KeptCharge[]>,
  source: string,
  windowMs: number,
): { verdict: Verdict; sharedWith: string[] } {
  const { consumer, region, limit, admitted: list, refusals: keyRefusals, oneRequest, kept: ownKept, promptEstimate } = pair;
  const tol = expectations.tolerances.tokenLimitRelative;
  const floor = limit * (1 - tol) - oneRequest;
  const t0 = evidence.window.start;
  const check = `token-limit.no-refusal-below-limit (${consumer} @ ${region})`;
  // Other subscriptions through this gateway whose class has the same budget: the ones a
  // counter-key that is not the subscription would put on the same counter.
  const own = new Set([consumer.toLowerCase(), ...list.map((a) => a.subscription.toLowerCase())]);
  const samePeerBudget = (subscription: string): boolean => {
    if (!subscription || own.has(subscription.toLowerCase())) return false;
    const peerClass = consumerOfSubscription(subscription, expectations.consumers);
    return peerClass !== undefined && expectations.consumers[peerClass]?.tokensPerMinute === limit;
  };
  const peerAdmissions = new Map<string, Admission[]>();
  for (const a of atGateway) if (samePeerBudget(a.subscription)) pushTo(peerAdmissions, a.subscription, a);
  // A peer whose requests all failed after admission has no admission, but its charges count too.
  for (const [name, kept] of keptAtGateway) if (kept.length > 0 && samePeerBudget(name) && ![...peerAdmissions.keys()].some((s) => s.toLowerCase() === name)) peerAdmissions.set(name, []);
  const peerSeries = new Map<string, PeerSeries>();
  for (const [subscription, admissions] of peerAdmissions) peerSeries.set(subscription, { admitted: new AdmissionSeries(admissions), kept: new AdmissionSeries(keptAtGateway.get(subscription.toLowerCase()) ?? []) });
  const peerTokens = (peer: PeerSeries, from: number, to: number): number => peer.admitted.tokens(from, to) + peer.kept.tokens(from, to);

  const early: EarlyRefusal[] = [];
  // Refusals below the floor by admitted tokens alone, that the charges kept for the consumer's failed requests bring up to it.
  const excused: EarlyRefusal[] = [];
  let lowest = Number.POSITIVE_INFINITY;
  let lowestWithKept = Number.POSITIVE_INFINITY;
  const series = new AdmissionSeries(list);
  const keptSeries = new AdmissionSeries(ownKept);
  const ownLevel = (from: number, to: number): number => series.tokens(from, to) + keptSeries.tokens(from, to);
  for (const refusal of keyRefusals) {
    const s = clientStart(refusal);
    const admitted = series.tokens(s - windowMs, s);
    const kept = Math.round(keptSeries.tokens(s - windowMs, s));
    lowest = Math.min(lowest, admitted);
    lowestWithKept = Math.min(lowestWithKept, admitted + kept);
    if (admitted >= floor) continue;
    const peers: EarlyRefusal['peers'] = new Map();
    for (const [subscription, peer] of peerSeries) {
      const peerAdmitted = peer.admitted.tokens(s - windowMs, s);
      const peerKept = Math.round(peer.kept.tokens(s - windowMs, s));
      if (peerAdmitted + peerKept > 0) peers.set(subscription, { admitted: peerAdmitted, kept: peerKept, keptCount: peer.kept.countIn(s - windowMs, s) });
    }
    const entry: EarlyRefusal = { refusal, own: admitted, kept, keptCount: keptSeries.countIn(s - windowMs, s), peers };
    if (admitted + kept >= floor) excused.push(entry);
    else early.push(entry);
  }
  const keptMeasured =
    ownKept.length > 0
      ? `; with the prompt estimates the limit kept for its ${ownKept.length} request(s) through this gateway that passed it and then failed (${promptEstimate} tokens each), the fewest was ${Number.isFinite(lowestWithKept) ? lowestWithKept : 'n/a'}`
      : pair.failedAfterAdmission.length > 0
        ? `; ${pair.failedAfterAdmission.length} request(s) failed after passing the limit, not counted: no admitted prompt of ${consumer} to estimate them by`
        : '';
  const measured = `${keyRefusals.length} token-limit 429(s); the fewest tokens admitted in the ${duration(windowMs)} before one was ${Number.isFinite(lowest) ? lowest : 'n/a'}${keptMeasured} (${source})`;
  const expected = `a token-limit 429 only once ${consumer}'s own tokens in the preceding ${duration(windowMs)} reach its ${limit} TPM budget (each subscription has its own counter): those admitted, plus the prompt estimates the limit charged for its requests that passed it and then failed`;
  const tolerance = `${percent(tol, 0)} of the limit plus one request's worth (${oneRequest} tokens) below it: refusals above ${Math.round(floor)} of its own tokens are accepted`;
  // Why the excused refusals are not early, with the numbers (their first as the example).
  const excuse = (): string => {
    const e = excused[0]!;
    const estimate = Number(promptEstimate!.toFixed(1));
    return `${excused.length} token-limit 429(s) came after fewer than ${Math.round(floor)} of ${consumer}'s admitted tokens (e.g. ${e.own} at ${moment(clientStart(e.refusal), t0)}), yet not early: in the minute before ${excused.length > 1 ? 'each' : 'it'}, requests of ${consumer} had passed the limit through ${region} and then failed (${e.keptCount} before that one; ${failureSummary(pair.failedAfterAdmission)} through ${region} in the run), and the limit charged each its prompt estimate when it admitted it. Counted at ${consumer}'s median admitted prompt of ${estimate} tokens, ${e.own} + ${e.keptCount} × ${estimate} = ${e.own + e.kept} reaches the ${Math.round(floor)} floor. APIM documents no refund of that charge when the answer is an error, and Spillway's emulator keeps it (only a response's usage settles a charge), so these refusals count the consumer's own requests`;
  };
  if (early.length === 0) {
    const explanation =
      keyRefusals.length === 0
        ? `${consumer} was never refused by its token limit via ${region}, so never below its budget.`
        : excused.length > 0
          ? `Every token-limit 429 for ${consumer} via ${region} came once its budget was (nearly) used, counting the prompt tokens the limit kept for its requests that failed after admission: ${excuse()}.`
          : `Every token-limit 429 for ${consumer} via ${region} came once its budget was (nearly) used.`;
    return { verdict: { check, status: 'pass', expected, measured, tolerance, explanation, evidence: [ref(evidence.files.client, `token-limit 429s of ${consumer}`)] }, sharedWith: [] };
  }
  const first = early[0]!;
  const sum = (m: EarlyRefusal['peers']): number => [...m.values()].reduce((a, b) => a + b.admitted + b.kept, 0);
  const owns = early.map((e) => e.own);
  const ownRange = minOf(owns) === maxOf(owns) ? `${owns[0]}` : `${minOf(owns)} to ${maxOf(owns)}`;
  const firstKept = first.kept > 0 ? ` and about ${first.kept} the limit kept for ${first.keptCount} of its requests that failed after admission` : '';
  const headline = `${consumer} was refused with a token-limit 429 at ${moment(clientStart(first.refusal), t0)} after only ${first.own} of its own tokens in the preceding minute${firstKept} (${early.length} such refusals, at ${ownRange} of its own tokens; the most it got in a minute was ${pair.fullest.total}), well below its ${limit} TPM budget`;
  const lowerLimit = `a tokens-per-minute set lower than the class's, or a gateway that charges more than the tokens used (max_tokens instead of the prompt estimate)`;
  // Refusals where other subscriptions of the same budget made up the rest of it, as they would
  // on one shared counter (the charges kept for failed requests count on both sides). The sums
  // cannot tell that from a limit set lower for each (two subscriptions held to half the budget
  // add up to it too); refusals while the others are idle can, and the plans start a class's
  // second subscription later for that reason.
  const filledByPeers = early.filter((e) => e.own + e.kept + sum(e.peers) >= floor);
  const contribution = new Map<string, number>();
  for (const e of filledByPeers) for (const [subscription, tokens] of e.peers) contribution.set(subscription, (contribution.get(subscription) ?? 0) + tokens.admitted + tokens.kept);
  const sharers = [...contribution].sort((a, b) => b[1] - a[1]).map(([subscription]) => subscription);
  const example = filledByPeers[0];
  const keptPart = (tokens: number, count: number, whose: string): string => (tokens > 0 ? ` + ${tokens} (kept for ${count} of ${whose} requests that failed after admission)` : '');
  const sumText = example
    ? `${example.own}${keptPart(example.kept, example.keptCount, 'its')} + ${[...example.peers].map(([s, t]) => `${t.admitted} (${s})${keptPart(t.kept, t.keptCount, `${s}'s`)}`).join(' + ')} = ${example.own + example.kept + sum(example.peers)} at ${moment(clientStart(example.refusal), t0)}`
    : '';
  const shared = `one counter shared between them (a counter-key that is not the subscription id, such as a constant or the product), so one subscription's traffic uses up another's budget`;
  let diagnosis: string;
  if (filledByPeers.length === early.length) {
    // A limit of the consumer's own, set lower, refuses it at those levels whether or not the
    // others are busy; a shared counter lets it have more while they are idle. So the lower limit
    // is ruled out only when, with those subscriptions idle, the consumer got more of its own
    // tokens (more than one request more) than at any of the refusals. Its own tokens are the
    // counter's view: admitted, plus the charges kept for its failed requests.
    const peersIdle = (t: number): boolean =>
      sharers.every((sub) => {
        const peer = peerSeries.get(sub);
        return peer === undefined || peerTokens(peer, t - windowMs, t) === 0;
      });
    const idleAdmissions = list.filter((a) => peersIdle(a.at));
    const idleBest = Math.round(maxOf(idleAdmissions.map((a) => ownLevel(a.at - windowMs, a.at + 1)), 0));
    const levels = early.map((e) => e.own + e.kept);
    const whileIdle = `while ${sharers.length > 1 ? 'they were' : `${sharers[0]} was`} idle`;
    const telling =
      idleBest > maxOf(levels) + oneRequest
        ? `would have refused it at those levels also ${whileIdle}, yet it was admitted up to ${idleBest} of its own tokens in a minute then`
        : idleAdmissions.length > 0
          ? `cannot be ruled out: ${whileIdle}, ${consumer} never got much more of its own tokens (${idleBest}) than at those refusals (a plan that starts the second subscription of a class later tells them apart)`
          : `cannot be ruled out: ${consumer} was admitted nothing ${whileIdle} (a plan that starts the second subscription of a class later tells them apart)`;
    diagnosis = `at every one of them, ${sharers.join(', ')} (${sharers.length > 1 ? 'subscriptions' : 'a subscription'} of the same ${limit} TPM budget) had made up the rest of the budget through ${region} (e.g. ${sumText}): consistent with ${shared}; the other explanation, ${lowerLimit}, ${telling}`;
  } else if (filledByPeers.length > 0) {
    diagnosis = `${filledByPeers.length} of them came when ${sharers.join(', ')} (the same budget) had made up the rest of the budget (e.g. ${sumText}), as a counter shared between subscriptions would; the other ${early.length - filledByPeers.length} came without them, which a shared counter does not explain: ${lowerLimit}`;
  } else if (peerSeries.size > 0) {
    diagnosis = `${[...peerSeries.keys()].join(', ')} (the same budget, through ${region}) never made up the rest of the budget at those moments, so a counter shared with them does not explain it: ${lowerLimit}`;
  } else {
    diagnosis = `the cause may be ${lowerLimit}`;
  }
  const excusedNote = excused.length > 0 ? ` Not counted as early: ${excuse()}.` : '';
  return {
    verdict: {
      check,
      status: 'fail',
      expected,
      measured,
      tolerance,
      explanation: `${headline}; ${diagnosis}.${excusedNote} See ${evidence.files.client} at ${early.slice(0, 3).map((e) => moment(e.refusal.time, t0)).join(', ')}.`,
      evidence: [ref(evidence.files.client, `token-limit 429s of ${consumer} far below its budget`, early.slice(0, 5).map((e) => moment(e.refusal.time, t0)))],
    },
    // The counter that refused may hold these subscriptions' tokens too: remaining-tokens then
    // compares the header with that counter.
    sharedWith: sharers,
  };
}

function retryAfter(evidence: RunEvidence, judged: readonly Pair[]): Verdict {
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
    // Judged pairs without any refusal are consumers admitted beyond their budget: the gateway's
    // limit did not act, which is why there is nothing to check (not the traffic).
    const over = judged.map((p) => `${p.consumer} via ${p.region}`);
    const explanation =
      over.length > 0
        ? `The gateway refused no request by a token budget although ${listed(over)} got more than ${over.length > 1 ? 'their budgets allow' : 'its budget allows'} (see token-limit.admitted-within-limit), so there is no Retry-After to check.`
        : 'No consumer was refused by its token budget, so there is no Retry-After to check (token-limit.admitted-within-limit says whether any consumer sent enough to be refused).';
    return { check, status: 'inconclusive', expected, measured: 'no token-limit refusal in the client records', tolerance: 'none', explanation, evidence: [ref(evidence.files.client, 'client 429s')] };
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

/**
 * The remaining-tokens header against the counter that enforces: the consumer's own, or, for a
 * consumer refused below its budget while other subscriptions of the same budget made up the
 * rest (no-refusal-below-limit's `sharedWith`), a counter they may share (their tokens leaving
 * the window raise the header too). The deviation itself is reported once, by
 * no-refusal-below-limit. Tokens leave the counter's window as admissions and as the prompts it
 * kept for requests that passed it and then failed (token-limit.kept-charges.ts): either raises
 * the header. Only 2xx readings are ordered; a failed request's reading is range-checked only.
 */
function remainingTokens(
  evidence: RunEvidence,
  expectations: Expectations,
  byKey: Map<string, Admission[]>,
  admissions: readonly Admission[],
  pairs: readonly Pair[],
  sharing: ReadonlyMap<string, string[]>,
  judged: readonly Pair[],
  clientKey: (c: ClientRecord) => string,
  options: TokenLimitOptions,
  uncounted: string | null,
): Verdict {
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
      explanation: judged.some((p) => p.refusals.length === 0)
        ? `The gateway sent no remaining-tokens header, so it cannot be checked; nor did it refuse ${listed(judged.filter((p) => p.refusals.length === 0).map((p) => p.consumer))} by a token limit although each got more than its budget (see token-limit.admitted-within-limit): no limit seems to apply, which would explain the missing header.`
        : 'The gateway sent no remaining-tokens header, so it cannot be checked; set remaining-tokens-header-name on llm-token-limit (the sample uses x-gateway-remaining-tokens) if clients should see it.',
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
  // Pairs left out because only prompts kept for failed requests left the window between them.
  let refilledByKept = 0;
  const sharedCompared: string[] = [];
  const rises: { a: ClientRecord; b: ClientRecord }[] = [];
  const groups = new Map<string, ClientRecord[]>();
  // Only admissions' (2xx) readings are ordered. A request that passed the limit and then failed
  // may carry the header too (the limit sets it when it admits): its value is range-checked
  // above and never ordered (APIM documents nothing of the header on an error answer), so its
  // own reading can neither fail nor excuse a rise; its kept charge counts below.
  for (const c of withHeader) {
    if (!(c.status >= 200 && c.status < 300) || !/^\d+$/.test(c.remainingTokens.trim())) continue;
    const key = clientKey(c);
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  // Whether tokens left the window between two readings needs every admission counted: with
  // some uncounted, a refill would be missed and an honest rise called a fault.
  for (const [key, list] of uncounted === null ? groups : new Map<string, ClientRecord[]>()) {
    list.sort((a, b) => clientStart(a) - clientStart(b));
    const sharers = new Set((sharing.get(key) ?? []).map((s) => s.toLowerCase()));
    const region = key.slice(key.indexOf('|') + 1);
    const counted = [...(byKey.get(key) ?? []), ...(sharers.size > 0 ? admissions.filter((a) => a.region === region && sharers.has(a.subscription.toLowerCase())) : [])];
    if (sharers.size > 0) sharedCompared.push(`${key.slice(0, key.indexOf('|'))} via ${region} with ${[...(sharing.get(key) ?? [])].join(', ')}`);
    const admitted = new AdmissionSeries(counted);
    // The prompts the counter kept for requests of the consumer (and of the subscriptions that may
    // share its counter) that passed the limit and then failed leave the window a minute after
    // those requests started, and raise the header as an admission's tokens do. Only the moment
    // counts here, so a failed request counts even when no admitted prompt gives its size.
    const keptMoments = pairs
      .filter((p) => p.region === region && (p.key === key || sharers.has(p.consumer.toLowerCase())))
      .flatMap((p) => p.failedAfterAdmission.map((c) => ({ at: clientStart(c), tokens: p.promptEstimate ?? 0 })));
    const kept = new AdmissionSeries(keptMoments);
    for (let i = 0; i + 1 < list.length; i++) {
      const a = list[i]!;
      const b = list[i + 1]!;
      const sa = clientStart(a);
      const sb = clientStart(b);
      if (sb - sa < concurrency) continue;
      const refill = admitted.count(sa - windowMs - margin, sb - windowMs + margin) > 0;
      if (refill) continue;
      if (kept.count(sa - windowMs - margin, sb - windowMs + margin) > 0) {
        refilledByKept++;
        continue;
      }
      compared++;
      if (Number(b.remainingTokens) > Number(a.remainingTokens)) rises.push({ a, b });
    }
  }
  if (rises.length > 0) {
    const { a, b } = rises[0]!;
    problems.push(`${rises.length} rise(s) with no tokens leaving the window, e.g. ${a.consumer} ${a.remainingTokens} at ${moment(clientStart(a), t0)} then ${b.remainingTokens} at ${moment(clientStart(b), t0)}`);
    examples.push(...rises.slice(0, 3).map((r) => moment(r.b.time, t0)));
  }
  const measured = `${withHeader.length} response(s) with the header, ${outOfRange.length} out of range, ${uncounted === null ? `${compared} consecutive pair(s) without a refill compared, ${rises.length} rose${refilledByKept > 0 ? ` (${refilledByKept} other pair(s) not compared: only prompts the limit kept for requests that failed after admission left the window between them)` : ''}` : `rises not compared (${uncounted})`}${sharedCompared.length > 0 ? `; compared with a counter shared as no-refusal-below-limit found possible: ${joinParts(sharedCompared)}` : ''}`;
  if (problems.length === 0) {
    return {
      check,
      // The range alone passes nothing when the rises could not be looked at for want of counts.
      status: uncounted === null ? 'pass' : 'inconclusive',
      expected,
      measured,
      tolerance,
      explanation:
        uncounted !== null
          ? `The remaining-tokens header stayed within [0, limit], but whether it rose without a refill could not be judged: ${uncounted}, so a refill cannot be told from a fault.`
          : `The remaining-tokens header stayed within [0, limit]${compared > 0 ? ' and never rose without a refill' : ' (no pair of readings without a refill in between, so its monotony could not be compared)'}.`,
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
    const oneRequest = maxOf(list.map((a) => a.tokens), 0);
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
