import { describe, expect, it } from 'vitest';
import { quotaWindow, verifyTokenLimit } from './token-limit.verifier.ts';
import { EAST, EvidenceBuilder, sampleExpectations, WEST } from './test-evidence.ts';
import type { Verdict } from './verdict.ts';

function get(verdicts: Verdict[], prefix: string): Verdict {
  const v = verdicts.find((x) => x.check.startsWith(prefix));
  if (!v) throw new Error(`no ${prefix} in ${verdicts.map((x) => x.check).join(', ')}`);
  return v;
}

interface Traffic {
  consumer?: string;
  region?: string;
  /** The limit the simulated gateway enforces (tokens per sliding minute). */
  enforced?: number;
  every?: number;
  tokens?: number;
  from?: number;
  to?: number;
  retryAfter?: (i: number) => string;
  remaining?: 'right' | 'rising' | 'over-limit' | 'none';
  /** A quota the simulated gateway enforces, refusing with this status. */
  quota?: { tokens: number; status: number };
  llm?: boolean;
  /** Requests the gateway answers 503 (pool exhausted) before its token limit decides anything. */
  failing?: (i: number) => boolean;
  /**
   * Requests that fail otherwise: 'backend' passes the limit, which charges its 40-token prompt
   * (and keeps it: no usage comes back), then the backend answers 429; 'pool-exhausted' passes
   * the limit likewise, then finds no backend (503); 'front-door' never reaches the gateway (a
   * front door 503); 'absent' is not sent at all.
   */
  fails?: (i: number) => 'backend' | 'pool-exhausted' | 'front-door' | 'absent' | undefined;
}

/** One consumer's traffic through a gateway that enforces `enforced` tokens per sliding 60 s. */
function traffic(b: EvidenceBuilder, options: Traffic = {}): void {
  const consumer = options.consumer ?? 'dev-test';
  const region = options.region ?? EAST;
  const enforced = options.enforced ?? 1000;
  const tokens = options.tokens ?? 190;
  const admitted: { at: number; tokens: number }[] = [];
  let quotaUsed = 0;
  let i = 0;
  for (let t = options.from ?? 0; t < (options.to ?? 130_000); t += options.every ?? 2000, i++) {
    const used = admitted.filter((a) => a.at > t - 60_000).reduce((s, a) => s + a.tokens, 0);
    const fd = { frontDoorOrigin: region, consumer, priority: 'medium' };
    if (options.failing?.(i)) {
      b.gatewayRequest({ at: t, region, subscription: consumer, status: 503 });
      b.clientRequest({ at: t, ...fd, status: 503, gatewayReason: 'pool-exhausted' });
      continue;
    }
    const fails = options.fails?.(i);
    if (fails === 'absent') continue;
    if (fails === 'front-door') {
      b.clientRequest({ at: t, consumer, priority: 'medium', frontDoorOrigin: '', status: 503, errorOrigin: 'frontdoor' });
      continue;
    }
    if (options.quota && quotaUsed + tokens > options.quota.tokens) {
      b.gatewayRequest({ at: t, region, subscription: consumer, status: options.quota.status });
      b.clientRequest({ at: t, ...fd, status: options.quota.status, gatewayReason: 'token-quota', retryAfter: '3000' });
      continue;
    }
    if (used + tokens > enforced) {
      b.gatewayRequest({ at: t, region, subscription: consumer, status: 429 });
      b.clientRequest({ at: t, ...fd, status: 429, gatewayReason: 'token-limit', retryAfter: options.retryAfter?.(i) ?? '12', remainingTokens: options.remaining === 'none' ? '' : '0' });
      continue;
    }
    if (fails === 'backend' || fails === 'pool-exhausted') {
      // Passed the limit, so its prompt was charged; the error brings no usage to settle it.
      admitted.push({ at: t, tokens: 40 });
      const remainingAfter = options.remaining === 'none' ? '' : String(enforced - used - 40);
      if (fails === 'backend') {
        b.gatewayRequest({ at: t, region, subscription: consumer, attempts: [{ backend: region === EAST ? 'aoai-eastus-ptu1' : 'aoai-westus-ptu1', status: 429 }] });
        b.clientRequest({ at: t, ...fd, status: 429, errorOrigin: 'backend', retryAfter: '3', remainingTokens: remainingAfter, servedRegion: region });
      } else {
        b.gatewayRequest({ at: t, region, subscription: consumer, status: 503 });
        b.clientRequest({ at: t, ...fd, status: 503, gatewayReason: 'pool-exhausted', remainingTokens: remainingAfter });
      }
      continue;
    }
    admitted.push({ at: t, tokens });
    quotaUsed += tokens;
    const remaining = options.remaining === 'none' ? '' : options.remaining === 'rising' ? String(used + tokens) : options.remaining === 'over-limit' ? String(enforced + 500) : String(enforced - used - tokens);
    b.gatewayRequest({ at: t, region, subscription: consumer, attempts: [{ backend: region === EAST ? 'aoai-eastus-ptu1' : 'aoai-westus-ptu1', promptTokens: 40, completionTokens: tokens - 40 }], ...(options.llm === false ? { llm: false } : {}) });
    b.clientRequest({ at: t, ...fd, remainingTokens: remaining, promptTokens: 40, completionTokens: tokens - 40 });
  }
}

function run(options: Traffic = {}, more?: (b: EvidenceBuilder) => void, expectations = sampleExpectations()): Verdict[] {
  const b = new EvidenceBuilder({ durationMs: 130_000 });
  traffic(b, options);
  more?.(b);
  return verifyTokenLimit(b.build(), expectations);
}

/** The sample's expectations with a second subscription of the dev-test class (its own 1,000 TPM budget). */
function withPeer(): ReturnType<typeof sampleExpectations> {
  const x = sampleExpectations();
  x.consumers['dev-test-ci'] = { tokensPerMinute: 1_000, priority: 'low' };
  return x;
}

/**
 * Several subscriptions through one gateway that counts them all on ONE counter of `enforced`
 * tokens per sliding 60 s (a counter-key that is not the subscription). Each sends `tokens`
 * every `every` ms in [from, to); the remaining-tokens header is the shared counter's.
 */
function sharedTraffic(b: EvidenceBuilder, senders: { consumer: string; from?: number; to?: number; every?: number; tokens?: number; backendFails?: (i: number) => boolean }[], enforced = 1000): void {
  const arrivals: { at: number; consumer: string; tokens: number; backendFails: boolean }[] = [];
  for (const s of senders) {
    let i = 0;
    for (let t = s.from ?? 0; t < (s.to ?? 130_000); t += s.every ?? 2000, i++) arrivals.push({ at: t, consumer: s.consumer, tokens: s.tokens ?? 190, backendFails: s.backendFails?.(i) ?? false });
  }
  arrivals.sort((a, c) => a.at - c.at);
  const admitted: { at: number; tokens: number }[] = [];
  for (const { at, consumer, tokens, backendFails } of arrivals) {
    const used = admitted.filter((a) => a.at > at - 60_000).reduce((sum, a) => sum + a.tokens, 0);
    const fd = { frontDoorOrigin: EAST, consumer, priority: 'medium' };
    if (used + tokens > enforced) {
      b.gatewayRequest({ at, region: EAST, subscription: consumer, status: 429 });
      b.clientRequest({ at, ...fd, status: 429, gatewayReason: 'token-limit', retryAfter: '12', remainingTokens: '0' });
      continue;
    }
    if (backendFails) {
      // Passed the shared counter, which keeps its 40-token prompt; the backend answers 429.
      admitted.push({ at, tokens: 40 });
      b.gatewayRequest({ at, region: EAST, subscription: consumer, attempts: [{ backend: 'aoai-eastus-ptu1', status: 429 }] });
      b.clientRequest({ at, ...fd, status: 429, errorOrigin: 'backend', retryAfter: '3', remainingTokens: String(enforced - used - 40), servedRegion: EAST });
      continue;
    }
    admitted.push({ at, tokens });
    b.gatewayRequest({ at, region: EAST, subscription: consumer, attempts: [{ backend: 'aoai-eastus-ptu1', promptTokens: 40, completionTokens: tokens - 40 }] });
    b.clientRequest({ at, ...fd, remainingTokens: String(enforced - used - tokens), promptTokens: 40, completionTokens: tokens - 40 });
  }
}

describe('token-limit.admitted-within-limit', () => {
  it('passes a gateway that holds the budget and reports the relative error', () => {
    const verdicts = run();
    const v = get(verdicts, 'token-limit.admitted-within-limit (dev-test @ East US)');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/^at most 950 tokens admitted in a sliding 59\.0 s window .*: relative error -5\.0%/);
    expect(verdicts.map((x) => x.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('fails a gateway that lets twice the budget through', () => {
    const v = get(run({ enforced: 2000 }), 'token-limit.admitted-within-limit');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/dev-test got 1900 tokens through the East US gateway in the minute from .*, 90\.0% over its 1000 TPM budget/);
  });

  it('allows one request plus the tolerance of overshoot', () => {
    expect(get(run({ enforced: 1280 }), 'token-limit.admitted-within-limit').status).toBe('pass');
    expect(get(run({ enforced: 1400 }), 'token-limit.admitted-within-limit').status).toBe('fail');
  });

  it("allows the limiter's 1 s bucket: tokens may leave the count up to a second early", () => {
    // A counter in 1 s buckets: five requests at t+0.9 s sit in the bucket [0, 1 s) and leave at
    // t+60 s, so the five at t+60 s are admitted 59.1 s after them, legitimately.
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    for (const at of [900, 60_000]) {
      for (let i = 0; i < 5; i++) {
        b.gatewayRequest({ at: at + i, region: EAST, subscription: 'dev-test', attempts: [{ backend: 'aoai-eastus-ptu1', promptTokens: 40, completionTokens: 150 }] });
        b.clientRequest({ at: at + i, frontDoorOrigin: EAST, consumer: 'dev-test' });
      }
      b.clientRequest({ at: at + 10_000, frontDoorOrigin: EAST, consumer: 'dev-test', status: 429, gatewayReason: 'token-limit', retryAfter: '50' });
    }
    const v = get(verifyTokenLimit(b.build(), sampleExpectations()), 'token-limit.admitted-within-limit (dev-test @ East US)');
    expect(v.status).toBe('pass');
    expect(v.tolerance).toMatch(/windows of 59\.0 s, the 60\.0 s less the limiter's 1\.0 s bucket/);
    // A limiter that kept them all in the count for 60 s would not have admitted the second five.
    expect(get(verifyTokenLimit(b.build(), sampleExpectations(), { bucketMs: 1 }), 'token-limit.admitted-within-limit (dev-test @ East US)').status).toBe('fail');
  });

  it('counts each gateway instance on its own', () => {
    const verdicts = run({ enforced: 1000 }, (b) => traffic(b, { region: WEST, enforced: 1000 }));
    expect(get(verdicts, 'token-limit.admitted-within-limit (dev-test @ East US)').status).toBe('pass');
    expect(get(verdicts, 'token-limit.admitted-within-limit (dev-test @ West US)').status).toBe('pass');
  });

  it('counts only the subscription named after the class when the class has several', () => {
    // critical-ops-orchestrator is a critical-ops subscription with its own counter (counter-key is the subscription id).
    const verdicts = run({ consumer: 'critical-ops', enforced: 50_000, tokens: 5_000, every: 3_000 }, (b) => traffic(b, { consumer: 'critical-ops-orchestrator', enforced: 50_000, tokens: 5_000, every: 3_000 }));
    const v = get(verdicts, 'token-limit.admitted-within-limit (critical-ops @ East US)');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/^at most 50000 tokens/);
  });

  it('falls back to the ledger without LLM log rows', () => {
    const v = get(run({ llm: false, enforced: 2000 }), 'token-limit.admitted-within-limit');
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/fleet-ledger\.jsonl \(2xx records; no LLM log rows\)/);
  });

  it('fails a consumer admitted beyond its budget by a gateway that never refuses it (a limit that does not apply)', () => {
    const verdicts = run({ enforced: Number.POSITIVE_INFINITY });
    const v = get(verdicts, 'token-limit.admitted-within-limit (dev-test @ East US)');
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/at most 5700 tokens admitted .*; 65 admitted, 0 token-limit 429s/);
    expect(v.explanation).toMatch(/470\.0% over its 1000 TPM budget, and the gateway never refused it by a token limit: no limit seems to apply to its subscription/);
    // Nothing else fails for it, and nothing blames the traffic.
    expect(get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)')).toMatchObject({ status: 'pass', explanation: 'dev-test was never refused by its token limit via East US, so never below its budget.' });
    const retry = get(verdicts, 'token-limit.retry-after');
    expect(retry.status).toBe('inconclusive');
    expect(retry.explanation).toMatch(/^The gateway refused no request by a token budget although dev-test via East US got more than its budget allows/);
    expect(verdicts.some((x) => x.check === 'token-limit.admitted-within-limit')).toBe(false);
    // Without a limit there is no remaining-tokens header either; the explanation says why.
    const header = get(run({ enforced: Number.POSITIVE_INFINITY, remaining: 'none' }), 'token-limit.remaining-tokens');
    expect(header.status).toBe('inconclusive');
    expect(header.explanation).toMatch(/nor did it refuse dev-test by a token limit although each got more than its budget .*: no limit seems to apply/);
  });

  it('passes a consumer that was sent beyond its budget and refused, whatever the tolerance-free error', () => {
    // 1,100 TPM offered (one request more than the budget every minute): refused, judged, within the bound.
    const verdicts = run({ every: 10_000, tokens: 183 });
    expect(get(verdicts, 'token-limit.admitted-within-limit (dev-test @ East US)').status).toBe('pass');
    expect(get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)').status).toBe('pass');
  });

  it('is inconclusive, naming the load sent, when no consumer sent more than its budget allows', () => {
    const verdicts = run({ every: 20_000 });
    expect(verdicts[0]).toMatchObject({ check: 'token-limit.admitted-within-limit', status: 'inconclusive' });
    expect(verdicts[0]!.explanation).toMatch(/^No consumer sent more than its budget allows \(plus the tolerance\), so the gateway never had to refuse one .*: dev-test via East US: at most about 570 tokens sent in a minute \(at most 570 admitted\) against the 1290 its 1000 TPM budget allows; send a budgeted consumer \(dev-test: 1000 TPM, batch: 5000 TPM\) above its rate/);
    expect(get(verdicts, 'token-limit.retry-after').status).toBe('inconclusive');
  });

  it('is inconclusive, blaming the gateway and not the traffic, when its own errors kept a consumer from the limit', () => {
    // 30 requests a minute (5,700 tokens) sent; the gateway fails 5 of every 6 with 503, so 950 are admitted.
    const verdicts = run({ failing: (i) => i % 6 !== 0 });
    expect(verdicts[0]).toMatchObject({ check: 'token-limit.admitted-within-limit', status: 'inconclusive' });
    expect(verdicts[0]!.explanation).toMatch(/^The gateway's own errors kept the token limit from being tested: dev-test sent about 5700 tokens in the 59\.0 s from .* via East US, more than the 1290 its 1000 TPM budget allows, but only 950 were admitted: the gateway answered 54 of its requests with errors other than its token limit \(54 × 503 pool-exhausted\)/);
    expect(verdicts[0]!.explanation).not.toMatch(/send a budgeted consumer/);
  });

  it('is inconclusive when no budgeted consumer sent anything', () => {
    const verdicts = verifyTokenLimit(new EvidenceBuilder().build(), sampleExpectations());
    expect(verdicts[0]).toMatchObject({ check: 'token-limit.admitted-within-limit', status: 'inconclusive' });
    expect(verdicts[0]!.explanation).toMatch(/^No request of a consumer with a token budget reached a gateway/);
  });

  it('judges only the consumers that reached their budget, leaving the others out', () => {
    const verdicts = run({}, (b) => traffic(b, { consumer: 'batch', enforced: 5_000, every: 10_000 }));
    expect(verdicts.filter((x) => x.check.includes('(batch')).map((x) => x.check)).toEqual([]);
    expect(verdicts.filter((x) => x.status !== 'pass').map((x) => x.check)).toEqual([]);
  });
});

describe('token-limit.no-refusal-below-limit', () => {
  it('fails refusals far below the budget', () => {
    const v = get(run({ enforced: 500 }), 'token-limit.no-refusal-below-limit');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/dev-test was refused with a token-limit 429 at .* after only 380 of its own tokens in the preceding minute \(\d+ such refusals, at 380 of its own tokens; the most it got in a minute was 380\), well below its 1000 TPM budget; the cause may be a tokens-per-minute set lower than the class's, or a gateway that charges more than the tokens used/);
  });

  it('fails a subscription refused because another subscription of the class filled a shared counter, and names it', () => {
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    // One counter for both: dev-test fills it from t+0 and stops at t+70 s; dev-test-ci, sending
    // from t+30.5 s, gets nothing until dev-test's tokens leave the window at t+120 s.
    sharedTraffic(b, [
      { consumer: 'dev-test', to: 70_000 },
      { consumer: 'dev-test-ci', from: 30_500, every: 1000, tokens: 100 },
    ]);
    const verdicts = verifyTokenLimit(b.build(), withPeer());
    const ci = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test-ci @ East US)');
    expect(ci.status).toBe('fail');
    expect(ci.explanation).toMatch(/^dev-test-ci was refused with a token-limit 429 at .* \(t\+30\.5 s\) after only 0 of its own tokens in the preceding minute \(90 such refusals, at 0 of its own tokens; the most it got in a minute was 1000\), well below its 1000 TPM budget; at every one of them, dev-test \(a subscription of the same 1000 TPM budget\) had made up the rest of the budget through East US \(e\.g\. 0 \+ 950 \(dev-test\) = 950 at .*\): consistent with one counter shared between them \(a counter-key that is not the subscription id/);
    // dev-test stopped at t+70 s; once its tokens had left the window, dev-test-ci got its whole
    // budget: a lower limit of its own would have refused it at 0 then too.
    expect(ci.explanation).toMatch(/the other explanation, a tokens-per-minute set lower than the class's, .*, would have refused it at those levels also while dev-test was idle, yet it was admitted up to 1000 of its own tokens in a minute then\./);
    // dev-test itself was refused only once its own tokens filled the counter.
    expect(get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)').status).toBe('pass');
    // The one deviation is reported once: neither got more than its budget, and the header is
    // consistent with the counter that enforced (it rises as dev-test's tokens leave the window).
    expect(get(verdicts, 'token-limit.admitted-within-limit (dev-test @ East US)').status).toBe('pass');
    expect(get(verdicts, 'token-limit.admitted-within-limit (dev-test-ci @ East US)').status).toBe('pass');
    const remaining = get(verdicts, 'token-limit.remaining-tokens');
    expect(remaining.status).toBe('pass');
    expect(remaining.measured).toMatch(/compared with a counter shared as no-refusal-below-limit found possible: dev-test-ci via East US with dev-test$/);
  });

  it('names a shared counter also when the subscription never got anything through it', () => {
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    sharedTraffic(b, [{ consumer: 'dev-test' }, { consumer: 'dev-test-ci', from: 30_000 }]);
    const verdicts = verifyTokenLimit(b.build(), withPeer());
    expect(get(verdicts, 'token-limit.no-refusal-below-limit (dev-test-ci @ East US)').explanation).toMatch(/consistent with one counter shared between them .*; the other explanation, .*, cannot be ruled out: dev-test-ci was admitted nothing while dev-test was idle/);
    expect(get(verdicts, 'token-limit.admitted-within-limit (dev-test-ci @ East US)').measured).toMatch(/^no request admitted; 50 token-limit 429s/);
  });

  it('passes two subscriptions of one class near their budgets at once, each on its own counter', () => {
    const verdicts = run({}, (b) => traffic(b, { consumer: 'dev-test-ci', from: 30_000 }), withPeer());
    expect(verdicts.map((x) => `${x.check}: ${x.status}`)).toEqual([
      'token-limit.admitted-within-limit (dev-test-ci @ East US): pass',
      'token-limit.no-refusal-below-limit (dev-test-ci @ East US): pass',
      'token-limit.admitted-within-limit (dev-test @ East US): pass',
      'token-limit.no-refusal-below-limit (dev-test @ East US): pass',
      'token-limit.retry-after: pass',
      'token-limit.remaining-tokens: pass',
    ]);
  });

  it('tells a limit set too low from a shared counter by the refusals while the other subscription is idle, and says when it cannot', () => {
    // Two subscriptions, each on its own counter of 500 (half the budget); dev-test-ci from t+30 s.
    const verdicts = run({ enforced: 500 }, (b) => traffic(b, { consumer: 'dev-test-ci', from: 30_000, enforced: 500 }), withPeer());
    const devTest = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)');
    expect(devTest.status).toBe('fail');
    expect(devTest.explanation).toMatch(/; \d+ of them came when dev-test-ci \(the same budget\) had made up the rest of the budget \(e\.g\. 380 \+ 380 \(dev-test-ci\) = 760 at .*\), as a counter shared between subscriptions would; the other 15 came without them, which a shared counter does not explain: a tokens-per-minute set lower than the class's/);
    // dev-test-ci only ever sent while dev-test was busy: the sums alone cannot tell, and it says so.
    const ci = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test-ci @ East US)');
    expect(ci.status).toBe('fail');
    expect(ci.explanation).toMatch(/consistent with one counter shared between them .*; the other explanation, a tokens-per-minute set lower than the class's, .*, cannot be ruled out: dev-test-ci was admitted nothing while dev-test was idle \(a plan that starts the second subscription of a class later tells them apart\)/);
  });

  it('passes refusals near the budget', () => {
    expect(get(run(), 'token-limit.no-refusal-below-limit').status).toBe('pass');
  });

  // Three of every four requests pass the limit (charged their 40-token prompt) and then fail:
  // a backend 429, a pool-exhausted 503, a backend 429. The counter fills with 3 admissions (570
  // tokens) and 9 kept prompts (360), so the next request is refused at 930 of its 1,000.
  const failingAfterAdmission = (i: number): 'backend' | 'pool-exhausted' | undefined => (i % 4 === 0 ? undefined : i % 4 === 2 ? 'pool-exhausted' : 'backend');

  it('passes, with a note, refusals that the prompts kept for requests failed after admission bring up to the budget', () => {
    // From the LLM log rows (PromptTokens) and, without them, from the ledger's 2xx records (promptTokens).
    for (const llm of [true, false]) {
      const verdicts = run({ fails: failingAfterAdmission, llm });
      const v = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)');
      expect(v.status).toBe('pass');
      expect(v.measured).toMatch(/^40 token-limit 429\(s\); the fewest tokens admitted in the 60\.0 s before one was 570; with the prompt estimates the limit kept for its 18 request\(s\) through this gateway that passed it and then failed \(40 tokens each\), the fewest was 850 \(/);
      expect(v.explanation).toMatch(
        /^Every token-limit 429 for dev-test via East US came once its budget was \(nearly\) used, counting the prompt tokens the limit kept for its requests that failed after admission: 40 token-limit 429\(s\) came after fewer than 710 of dev-test's admitted tokens \(e\.g\. 570 at .* \(t\+20\.0 s\)\), yet not early: .*\(7 before that one; 12 × 429, 6 × 503 pool-exhausted through East US in the run\), .* Counted at dev-test's median admitted prompt of 40 tokens, 570 \+ 7 × 40 = 850 reaches the 710 floor\. APIM documents no refund of that charge when the answer is an error, and Spillway's emulator keeps it/,
      );
      expect(verdicts.filter((x) => x.status !== 'pass').map((x) => x.check)).toEqual([]);
    }
  });

  it('fails the refusals the kept prompts do not explain, and says which ones they do', () => {
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    const admit = (at: number): void => {
      b.gatewayRequest({ at, region: EAST, subscription: 'dev-test', attempts: [{ backend: 'aoai-eastus-ptu1', promptTokens: 40, completionTokens: 150 }] });
      b.clientRequest({ at, frontDoorOrigin: EAST, consumer: 'dev-test', promptTokens: 40, completionTokens: 150 });
    };
    const refuse = (at: number): void => void b.clientRequest({ at, frontDoorOrigin: EAST, consumer: 'dev-test', status: 429, gatewayReason: 'token-limit', retryAfter: '12' });
    // 570 admitted and 9 requests failed at the backend, then a refusal at 930 of the counter...
    for (const at of [0, 2_000, 4_000]) admit(at);
    for (let i = 0; i < 9; i++) {
      b.gatewayRequest({ at: 5_000 + i * 1_000, region: EAST, subscription: 'dev-test', attempts: [{ backend: 'aoai-eastus-ptu1', status: 500 }] });
      b.clientRequest({ at: 5_000 + i * 1_000, frontDoorOrigin: EAST, consumer: 'dev-test', status: 500, errorOrigin: 'backend' });
    }
    refuse(14_000);
    // ...and a minute later 570 admitted and nothing else, then a refusal all the same.
    for (const at of [70_000, 72_000, 74_000]) admit(at);
    refuse(76_000);
    const v = get(verifyTokenLimit(b.build(), sampleExpectations()), 'token-limit.no-refusal-below-limit (dev-test @ East US)');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/^dev-test was refused with a token-limit 429 at .* \(t\+76\.0 s\) after only 570 of its own tokens in the preceding minute \(1 such refusals, .*; the cause may be a tokens-per-minute set lower than the class's/);
    expect(v.explanation).toMatch(/ Not counted as early: 1 token-limit 429\(s\) came after fewer than 710 of dev-test's admitted tokens \(e\.g\. 570 at .* \(t\+14\.0 s\)\), yet not early: .*\(9 before that one; 9 × 500 through East US in the run\), .* 570 \+ 9 × 40 = 930 reaches the 710 floor\./);
  });

  it('still fails the same refusal level without requests failed after admission (the excuse is not blanket)', () => {
    // The same successful requests, the failed ones never sent, and a gateway whose limit of
    // 600 refuses at the same 570 admitted tokens: nothing the counter kept explains it.
    const v = get(run({ enforced: 600, fails: (i) => (i % 4 === 0 ? undefined : 'absent') }), 'token-limit.no-refusal-below-limit (dev-test @ East US)');
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/^10 token-limit 429\(s\); the fewest tokens admitted in the 60\.0 s before one was 570 \(/);
    expect(v.explanation).toMatch(/after only 570 of its own tokens in the preceding minute \(10 such refusals, at 570 of its own tokens; .*; the cause may be a tokens-per-minute set lower than the class's/);
    expect(v.explanation).not.toMatch(/Not counted as early|kept/);
  });

  it('still names a shared counter when the prompts kept for failed requests do not reach the budget, counting them on both sides', () => {
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    // One counter for both, sending alternately from t+0 and t+1 s; dev-test-ci's first two
    // requests pass it (charged 40 each) and fail at the backend.
    sharedTraffic(b, [
      { consumer: 'dev-test' },
      { consumer: 'dev-test-ci', from: 1_000, backendFails: (i) => i < 2 },
    ]);
    const verdicts = verifyTokenLimit(b.build(), withPeer());
    const ci = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test-ci @ East US)');
    expect(ci.status).toBe('fail');
    expect(ci.explanation).toMatch(
      /^dev-test-ci was refused with a token-limit 429 at .* \(t\+7\.0 s\) after only 190 of its own tokens in the preceding minute and about 80 the limit kept for 2 of its requests that failed after admission \(58 such refusals, .*; at every one of them, dev-test \(a subscription of the same 1000 TPM budget\) had made up the rest of the budget through East US \(e\.g\. 190 \+ 80 \(kept for 2 of its requests that failed after admission\) \+ 570 \(dev-test\) = 840 at .*\): consistent with one counter shared between them/,
    );
    expect(ci.explanation).not.toMatch(/Not counted as early/);
    // And on the other side of the sum, as a peer's.
    const devTest = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)');
    expect(devTest.status).toBe('fail');
    expect(devTest.explanation).toMatch(/\(e\.g\. 570 \+ 190 \(dev-test-ci\) \+ 80 \(kept for 2 of dev-test-ci's requests that failed after admission\) = 840 at .*\): consistent with one counter shared between them/);
  });

  it('counts neither token-limit refusals nor front door errors as requests failed after admission', () => {
    // A limit of 600; every other request is a front door 503 that never reached the gateway,
    // and the limit refuses every 4 s. Counted at 40 tokens, either would bring later refusals
    // over the 710 floor.
    const verdicts = run({ enforced: 600, fails: (i) => (i % 2 === 1 ? 'front-door' : undefined) });
    const v = get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)');
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/^24 token-limit 429\(s\); the fewest tokens admitted in the 60\.0 s before one was 570 \(/);
    expect(v.explanation).toMatch(/after only 570 of its own tokens in the preceding minute \(24 such refusals, at 570 of its own tokens;/);
    expect(v.explanation).not.toMatch(/Not counted as early|kept/);
  });
});

describe('token-limit.retry-after', () => {
  it('fails refusals without a usable Retry-After', () => {
    const v = get(run({ retryAfter: (i) => (i % 2 === 0 ? '' : '12') }), 'token-limit.retry-after');
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/do not \(e\.g\. ""\)/);
    expect(get(run({ retryAfter: () => '120' }), 'token-limit.retry-after').status).toBe('fail');
    expect(get(run({ retryAfter: () => '1.5' }), 'token-limit.retry-after').status).toBe('fail');
  });
});

describe('token-limit.remaining-tokens', () => {
  it('passes a header that falls between refills', () => {
    const v = get(run(), 'token-limit.remaining-tokens');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/[1-9]\d* consecutive pair\(s\) without a refill compared, 0 rose/);
  });

  it('fails a header that rises with no tokens leaving the window', () => {
    const v = get(run({ remaining: 'rising' }), 'token-limit.remaining-tokens');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/rise\(s\) with no tokens leaving the window, e\.g\. dev-test 190 at .* then 380 at/);
  });

  it('fails values above the limit', () => {
    const v = get(run({ remaining: 'over-limit' }), 'token-limit.remaining-tokens');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/not a whole number within \[0, limit\] \(e\.g\. "1500"/);
  });

  it('is inconclusive without the header', () => {
    expect(get(run({ remaining: 'none' }), 'token-limit.remaining-tokens').status).toBe('inconclusive');
  });

  /**
   * dev-test through East US on a counter of 1,000 per sliding minute that keeps the 40-token
   * prompt of each request that passed it and then failed: admissions of 190 tokens at t+0, 30,
   * 63 and 80 s, and nine requests of `failedBy` failed at the backend every 2 s from
   * `failedFrom` (another subscription's on a counter of its own). Every answer carries its
   * counter's remaining tokens after its charge, unless `reported` (by start time) says otherwise.
   */
  function keptThenAdmitted(failedFrom: number, reported: Record<number, number> = {}, failedBy = 'dev-test'): Verdict {
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    const charged: { at: number; tokens: number }[] = [];
    const requests = [...[0, 30_000, 63_000, 80_000].map((at) => ({ at, failed: false })), ...Array.from({ length: 9 }, (_, i) => ({ at: failedFrom + i * 2_000, failed: true }))].sort((x, y) => x.at - y.at);
    for (const { at, failed } of requests) {
      if (!failed || failedBy === 'dev-test') charged.push({ at, tokens: failed ? 40 : 190 });
      const remainingTokens = String(reported[at] ?? 1000 - charged.filter((c) => c.at > at - 60_000).reduce((sum, c) => sum + c.tokens, 0));
      if (failed) {
        b.gatewayRequest({ at, region: EAST, subscription: failedBy, attempts: [{ backend: 'aoai-eastus-ptu1', status: 500 }] });
        b.clientRequest({ at, frontDoorOrigin: EAST, consumer: failedBy, status: 500, errorOrigin: 'backend', remainingTokens: failedBy === 'dev-test' ? remainingTokens : '' });
      } else {
        b.gatewayRequest({ at, region: EAST, subscription: 'dev-test', attempts: [{ backend: 'aoai-eastus-ptu1', promptTokens: 40, completionTokens: 150 }] });
        b.clientRequest({ at, frontDoorOrigin: EAST, consumer: 'dev-test', remainingTokens, promptTokens: 40, completionTokens: 150 });
      }
    }
    return get(verifyTokenLimit(b.build(), withPeer()), 'token-limit.remaining-tokens');
  }

  it('passes a header that rises when only prompts kept for requests failed after admission leave the window', () => {
    // Failed at t+5 to 21 s: 360 kept tokens. The header reads 260 at t+63 s (the t+0 admission
    // has left, the kept prompts have not) and 390 at t+80 s, once eight of them have left (at
    // t+65 to 79 s, between the two readings); no admission left the window in between.
    const v = keptThenAdmitted(5_000);
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/, 1 consecutive pair\(s\) without a refill compared, 0 rose \(1 other pair\(s\) not compared: only prompts the limit kept for requests that failed after admission left the window between them\)$/);
  });

  it('passes the header of a run whose first requests failed at the backend once their kept prompts leave the window', () => {
    // The first nine requests (t+0 to 16 s) pass the limit and fail at the backend, then every
    // request succeeds: a minute on, their 360 kept tokens leave the window while the admissions
    // that followed them stay, and the header rises with no admission leaving.
    const verdicts = run({ fails: (i) => (i < 9 ? 'backend' : undefined) });
    const v = get(verdicts, 'token-limit.remaining-tokens');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/ 0 rose \([1-9]\d* other pair\(s\) not compared: only prompts the limit kept for requests that failed after admission left the window between them\)$/);
    expect(verdicts.filter((x) => x.status !== 'pass').map((x) => x.check)).toEqual([]);
  });

  it("counts the prompts kept for a subscription found to share the counter leaving the window as a refill", () => {
    // One counter of 1,000 for both: dev-test-ci's requests at t+2 to 18 s pass it (40 kept each)
    // and fail at the backend, then it is admitted 190 at t+19 s; dev-test is admitted at t+20
    // and 22 s and refused at t+24 s with 380 of its own (the shared counter the refusal check
    // reports). dev-test's header reads 70 at t+22 s and 160 at t+75 s: between them only
    // dev-test-ci's kept prompts left the window.
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    const charged: { at: number; tokens: number }[] = [];
    const remainingAfter = (at: number, tokens: number): string => {
      charged.push({ at, tokens });
      return String(1000 - charged.filter((c) => c.at > at - 60_000).reduce((sum, c) => sum + c.tokens, 0));
    };
    const admit = (at: number, consumer: string): void => {
      b.gatewayRequest({ at, region: EAST, subscription: consumer, attempts: [{ backend: 'aoai-eastus-ptu1', promptTokens: 40, completionTokens: 150 }] });
      b.clientRequest({ at, frontDoorOrigin: EAST, consumer, remainingTokens: remainingAfter(at, 190), promptTokens: 40, completionTokens: 150 });
    };
    for (let at = 2_000; at <= 18_000; at += 2_000) {
      b.gatewayRequest({ at, region: EAST, subscription: 'dev-test-ci', attempts: [{ backend: 'aoai-eastus-ptu1', status: 500 }] });
      b.clientRequest({ at, frontDoorOrigin: EAST, consumer: 'dev-test-ci', status: 500, errorOrigin: 'backend', remainingTokens: remainingAfter(at, 40) });
    }
    admit(19_000, 'dev-test-ci');
    admit(20_000, 'dev-test');
    admit(22_000, 'dev-test');
    b.gatewayRequest({ at: 24_000, region: EAST, subscription: 'dev-test', status: 429 });
    b.clientRequest({ at: 24_000, frontDoorOrigin: EAST, consumer: 'dev-test', status: 429, gatewayReason: 'token-limit', retryAfter: '12', remainingTokens: '0' });
    admit(75_000, 'dev-test');
    const verdicts = verifyTokenLimit(b.build(), withPeer());
    expect(get(verdicts, 'token-limit.no-refusal-below-limit (dev-test @ East US)').explanation).toMatch(/380 \+ 190 \(dev-test-ci\) \+ 360 \(kept for 9 of dev-test-ci's requests that failed after admission\) = 930 at .*: consistent with one counter shared between them/);
    const v = get(verdicts, 'token-limit.remaining-tokens');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/, 1 consecutive pair\(s\) without a refill compared, 0 rose \(1 other pair\(s\) not compared: only prompts the limit kept for requests that failed after admission left the window between them\); compared with a counter shared as no-refusal-below-limit found possible: dev-test via East US with dev-test-ci$/);
  });

  it('still fails a header that rises while neither admissions nor kept prompts leave the window', () => {
    // The same readings at t+63 and 80 s (260, then 390), but the requests failed at t+35 to
    // 51 s: their prompts stay in the window until after t+95 s, so nothing left it in between.
    const v = keptThenAdmitted(35_000, { 80_000: 390 });
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/, 2 consecutive pair\(s\) without a refill compared, 1 rose$/);
    expect(v.explanation).toMatch(/1 rise\(s\) with no tokens leaving the window, e\.g\. dev-test 260 at .* \(t\+63\.0 s\) then 390 at .* \(t\+80\.0 s\)/);
    // Nor do the prompts kept for another subscription, not found to share dev-test's counter,
    // excuse a rise of dev-test's header (620 at t+63 s, its own counter's, then 700).
    const other = keptThenAdmitted(5_000, { 80_000: 700 }, 'dev-test-ci');
    expect(other.status).toBe('fail');
    expect(other.explanation).toMatch(/1 rise\(s\) with no tokens leaving the window, e\.g\. dev-test 620 at .* \(t\+63\.0 s\) then 700 at .* \(t\+80\.0 s\)/);
  });
});

describe('token-limit.quota', () => {
  const withQuota = (): ReturnType<typeof sampleExpectations> => {
    const x = sampleExpectations();
    x.consumers['dev-test'] = { ...x.consumers['dev-test']!, tokenQuota: { tokens: 2000, period: 'Hourly' } };
    return x;
  };

  it('passes a quota that holds with 403s', () => {
    const v = get(run({ quota: { tokens: 2000, status: 403 } }, undefined, withQuota()), 'token-limit.quota (dev-test)');
    expect(v.status).toBe('pass');
  });

  it('fails quota refusals that are not 403', () => {
    const v = get(run({ quota: { tokens: 2000, status: 429 } }, undefined, withQuota()), 'token-limit.quota (dev-test)');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/token-quota refusal\(s\) answered 429 instead of 403/);
  });

  it('fails admissions beyond the quota', () => {
    const v = get(run({ quota: { tokens: 4000, status: 403 } }, undefined, withQuota()), 'token-limit.quota (dev-test)');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/East US admitted 2850 tokens in one Hourly period against a quota of 2000/);
  });

  it('is inconclusive when the quota was never approached, and absent without one', () => {
    const x = withQuota();
    x.consumers['dev-test']!.tokenQuota = { tokens: 1_000_000, period: 'Daily' };
    expect(get(run({}, undefined, x), 'token-limit.quota (dev-test)').status).toBe('inconclusive');
    expect(run().some((v) => v.check.startsWith('token-limit.quota'))).toBe(false);
  });

  it('truncates quota periods to UTC calendar units', () => {
    const t = Date.UTC(2026, 2, 18, 13, 45, 10); // a Wednesday
    expect(quotaWindow('Hourly', t)).toEqual({ start: Date.UTC(2026, 2, 18, 13), end: Date.UTC(2026, 2, 18, 14) });
    expect(quotaWindow('Weekly', t).start).toBe(Date.UTC(2026, 2, 16));
    expect(quotaWindow('Monthly', t)).toEqual({ start: Date.UTC(2026, 2, 1), end: Date.UTC(2026, 3, 1) });
  });
});
