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

describe('token-limit.admitted-within-limit', () => {
  it('passes a gateway that holds the budget and reports the relative error', () => {
    const verdicts = run();
    const v = get(verdicts, 'token-limit.admitted-within-limit (dev-test @ East US)');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/^at most 950 tokens admitted in a sliding 60\.0 s window .*: relative error -5\.0%/);
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

  it('is inconclusive when no consumer exceeded its budget', () => {
    const verdicts = run({ every: 20_000 });
    expect(verdicts[0]).toMatchObject({ check: 'token-limit.admitted-within-limit', status: 'inconclusive' });
    expect(get(verdicts, 'token-limit.retry-after').status).toBe('inconclusive');
  });
});

describe('token-limit.no-refusal-below-limit', () => {
  it('fails refusals far below the budget', () => {
    const v = get(run({ enforced: 500 }), 'token-limit.no-refusal-below-limit');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/dev-test was refused with a token-limit 429 at .* after only 380 tokens in the preceding minute/);
  });

  it('passes refusals near the budget', () => {
    expect(get(run(), 'token-limit.no-refusal-below-limit').status).toBe('pass');
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
