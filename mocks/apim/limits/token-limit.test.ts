import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.ts';
import { quotaPeriodWindow, TokenLimit } from './token-limit.ts';
import type { TokenAdmission, TokenAdmitted, TokenLimitOptions } from './token-limit.ts';

const at = (iso: string): number => Date.parse(iso);
const T0 = at('2026-01-07T10:00:00Z'); // a Wednesday

function setup(options: TokenLimitOptions, start = T0) {
  const clock = new ManualClock(start);
  return { clock, limit: new TokenLimit(options, clock) };
}

function admitted(admission: TokenAdmission): TokenAdmitted {
  if (!admission.ok) throw new Error(`expected admission, got ${JSON.stringify(admission)}`);
  return admission;
}

describe('TokenLimit: tokens-per-minute with estimate-prompt-tokens=true', () => {
  it('charges estimates at admission and rejects a prompt that would not fit, with Retry-After to when it fits', () => {
    const { clock, limit } = setup({ tokensPerMinute: 1000, estimatePromptTokens: true });
    expect(limit.admit('k', 400)).toEqual({ ok: true, chargedPromptTokens: 400, promptCharged: true, remainingTokens: 600 });
    clock.advance(10_000);
    expect(limit.admit('k', 400)).toEqual({ ok: true, chargedPromptTokens: 400, promptCharged: true, remainingTokens: 200 });
    clock.advance(10_000); // t = 20 s; 800 used, 400 does not fit until the t=0 charge leaves at 60 s
    expect(limit.admit('k', 400)).toEqual({ ok: false, rejected: 'tokens-per-minute', status: 429, retryAfterSeconds: 40 });
    expect(limit.admit('k', 200)).toEqual({ ok: true, chargedPromptTokens: 200, promptCharged: true, remainingTokens: 0 });
    // remaining 0 means the very next request is rejected, even a 1-token one.
    expect(limit.admit('k', 1)).toMatchObject({ ok: false, rejected: 'tokens-per-minute', retryAfterSeconds: 40 });
    clock.set(T0 + 60_000);
    expect(limit.admit('k', 400)).toEqual({ ok: true, chargedPromptTokens: 400, promptCharged: true, remainingTokens: 0 });
  });

  it('adds completion tokens after the response, so they count against the next request', () => {
    const { limit } = setup({ tokensPerMinute: 1000, estimatePromptTokens: true });
    const first = admitted(limit.admit('k', 300));
    expect(limit.settle('k', first, { promptTokens: 310, completionTokens: 500 })).toBe(500);
    expect(limit.remaining('k')).toEqual({ remainingTokens: 200 });
    expect(limit.admit('k', 201)).toMatchObject({ ok: false, rejected: 'tokens-per-minute' });
    expect(limit.admit('k', 200)).toMatchObject({ ok: true, remainingTokens: 0 });
  });

  it('never passes a prompt estimated above the whole limit', () => {
    const { clock, limit } = setup({ tokensPerMinute: 1000, estimatePromptTokens: true });
    expect(limit.admit('k', 5000)).toEqual({ ok: false, rejected: 'tokens-per-minute', status: 429, retryAfterSeconds: 60 });
    clock.advance(120_000);
    expect(limit.admit('k', 5000).ok).toBe(false);
    expect(limit.admit('k', 1000).ok).toBe(true);
  });

  it('keeps counters per key', () => {
    const { limit } = setup({ tokensPerMinute: 100, estimatePromptTokens: true });
    expect(limit.admit('a', 100).ok).toBe(true);
    expect(limit.admit('a', 1).ok).toBe(false);
    expect(limit.admit('b', 100).ok).toBe(true);
  });
});

describe('TokenLimit: estimate-prompt-tokens=false', () => {
  it('lets a prompt over the limit pass once, then blocks until the window frees', () => {
    const { clock, limit } = setup({ tokensPerMinute: 1000, estimatePromptTokens: false });
    const first = limit.admit('k', 5000); // the estimate is ignored: nothing is charged
    expect(first).toEqual({ ok: true, chargedPromptTokens: 0, promptCharged: false, remainingTokens: 1000 });
    clock.advance(2_000);
    expect(limit.settle('k', admitted(first), { promptTokens: 4800, completionTokens: 200 })).toBe(5000);
    expect(limit.remaining('k')).toEqual({ remainingTokens: 0 });
    clock.advance(1_000);
    expect(limit.admit('k', 10)).toEqual({ ok: false, rejected: 'tokens-per-minute', status: 429, retryAfterSeconds: 59 });
    clock.set(T0 + 61_999);
    expect(limit.admit('k', 10).ok).toBe(false);
    clock.set(T0 + 62_000); // the 1 s bucket charged at t=2 s leaves the window
    expect(limit.admit('k', 10)).toMatchObject({ ok: true, remainingTokens: 1000 });
  });

  it('admits while any tokens remain, whatever the request size', () => {
    const { limit } = setup({ tokensPerMinute: 1000, estimatePromptTokens: false });
    limit.record('k', 999);
    expect(limit.admit('k', 900)).toMatchObject({ ok: true, remainingTokens: 1 });
    limit.record('k', 1);
    // Exactly at the limit: rejected until everything leaves the window (both charges at t=0).
    expect(limit.admit('k', 0)).toEqual({ ok: false, rejected: 'tokens-per-minute', status: 429, retryAfterSeconds: 60 });
  });

  it('charges the estimate at admission for streaming requests (prompt always estimated)', () => {
    const { limit } = setup({ tokensPerMinute: 1000, estimatePromptTokens: false });
    const admission = admitted(limit.admit('k', 300, { streaming: true }));
    expect(admission).toEqual({ ok: true, chargedPromptTokens: 300, promptCharged: true, remainingTokens: 700 });
    expect(limit.settle('k', admission, { promptTokens: 300, completionTokens: 100 })).toBe(100);
    expect(limit.remaining('k').remainingTokens).toBe(600);
  });
});

describe('TokenLimit: token quota', () => {
  it('403s once the daily quota is spent, with Retry-After to midnight UTC', () => {
    const { clock, limit } = setup({ tokenQuota: 10_000, tokenQuotaPeriod: 'Daily', estimatePromptTokens: false });
    const admission = admitted(limit.admit('k', 0));
    expect(admission.remainingQuotaTokens).toBe(10_000);
    expect(admission.remainingTokens).toBeUndefined();
    limit.settle('k', admission, { promptTokens: 6_000, completionTokens: 4_000 });
    expect(limit.admit('k', 0)).toEqual({ ok: false, rejected: 'quota', status: 403, retryAfterSeconds: 14 * 3600 });
    clock.set(at('2026-01-07T23:59:59.200Z'));
    expect(limit.admit('k', 0)).toMatchObject({ rejected: 'quota', retryAfterSeconds: 1 });
    clock.set(at('2026-01-08T00:00:00Z'));
    expect(limit.admit('k', 0)).toMatchObject({ ok: true, remainingQuotaTokens: 10_000 });
  });

  it('checks estimates against the quota when estimating', () => {
    const { limit } = setup({ tokenQuota: 1_000, tokenQuotaPeriod: 'Hourly', estimatePromptTokens: true });
    expect(limit.admit('k', 700)).toMatchObject({ ok: true, remainingQuotaTokens: 300 });
    expect(limit.admit('k', 301)).toEqual({ ok: false, rejected: 'quota', status: 403, retryAfterSeconds: 3600 });
    expect(limit.admit('k', 300)).toMatchObject({ ok: true, remainingQuotaTokens: 0 });
  });

  it('reports the quota (403) before tokens-per-minute (429) when both are exceeded', () => {
    const { limit } = setup({ tokensPerMinute: 100, tokenQuota: 100, tokenQuotaPeriod: 'Monthly', estimatePromptTokens: false });
    limit.record('k', 100);
    expect(limit.admit('k', 0)).toMatchObject({ ok: false, rejected: 'quota', status: 403 });
  });

  it('rejects on TPM while quota remains, and reports both remaining figures', () => {
    const { limit } = setup({ tokensPerMinute: 100, tokenQuota: 1_000, tokenQuotaPeriod: 'Weekly', estimatePromptTokens: true });
    expect(limit.admit('k', 60)).toEqual({ ok: true, chargedPromptTokens: 60, promptCharged: true, remainingTokens: 40, remainingQuotaTokens: 940 });
    expect(limit.admit('k', 60)).toMatchObject({ ok: false, rejected: 'tokens-per-minute', status: 429 });
  });

  it('starts weekly quotas on Monday 00:00 UTC', () => {
    const { clock, limit } = setup({ tokenQuota: 10, tokenQuotaPeriod: 'Weekly', estimatePromptTokens: false });
    limit.record('k', 10);
    // Wednesday 10:00 -> Monday 12 January 00:00 is 4 days 14 hours away.
    expect(limit.admit('k', 0)).toMatchObject({ rejected: 'quota', retryAfterSeconds: (4 * 24 + 14) * 3600 });
    clock.set(at('2026-01-11T23:59:59Z')); // Sunday: same ISO week
    expect(limit.admit('k', 0).ok).toBe(false);
    clock.set(at('2026-01-12T00:00:00Z'));
    expect(limit.admit('k', 0).ok).toBe(true);
  });
});

describe('quotaPeriodWindow', () => {
  const now = at('2026-01-07T10:42:17.500Z'); // Wednesday
  it.each([
    ['Hourly', '2026-01-07T10:00:00Z', '2026-01-07T11:00:00Z'],
    ['Daily', '2026-01-07T00:00:00Z', '2026-01-08T00:00:00Z'],
    ['Weekly', '2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z'],
    ['Monthly', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
    ['Yearly', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
  ] as const)('%s truncates in UTC', (period, start, end) => {
    expect(quotaPeriodWindow(period, now)).toEqual({ start: at(start), end: at(end) });
  });

  it('handles Sundays, month ends, leap years and year-crossing weeks', () => {
    expect(quotaPeriodWindow('Weekly', at('2026-01-11T23:59:59Z')).start).toBe(at('2026-01-05T00:00:00Z'));
    expect(quotaPeriodWindow('Weekly', at('2026-01-12T00:00:00Z')).start).toBe(at('2026-01-12T00:00:00Z'));
    expect(quotaPeriodWindow('Weekly', at('2027-01-01T12:00:00Z'))).toEqual({ start: at('2026-12-28T00:00:00Z'), end: at('2027-01-04T00:00:00Z') });
    expect(quotaPeriodWindow('Monthly', at('2028-02-29T23:00:00Z'))).toEqual({ start: at('2028-02-01T00:00:00Z'), end: at('2028-03-01T00:00:00Z') });
    expect(quotaPeriodWindow('Monthly', at('2026-12-31T23:59:59Z'))).toEqual({ start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
    expect(quotaPeriodWindow('Yearly', at('2028-12-31T23:59:59Z')).end - quotaPeriodWindow('Yearly', at('2028-06-01T00:00:00Z')).start).toBe(366 * 86_400_000);
  });
});

describe('TokenLimit: validation and memory', () => {
  it('rejects invalid options', () => {
    const clock = new ManualClock(0);
    expect(() => new TokenLimit({ estimatePromptTokens: true }, clock)).toThrow(/tokens-per-minute or token-quota/);
    expect(() => new TokenLimit({ tokenQuota: 10, estimatePromptTokens: true }, clock)).toThrow(/token-quota-period/);
    expect(() => new TokenLimit({ tokenQuota: 10, tokenQuotaPeriod: 'Fortnightly' as 'Weekly', estimatePromptTokens: true }, clock)).toThrow(/"Fortnightly"/);
    expect(() => new TokenLimit({ tokensPerMinute: -1, estimatePromptTokens: true }, clock)).toThrow(/tokens-per-minute/);
    expect(() => new TokenLimit({ tokensPerMinute: 10 } as TokenLimitOptions, clock)).toThrow(/estimate-prompt-tokens/);
    const limit = new TokenLimit({ tokensPerMinute: 10, estimatePromptTokens: true }, clock);
    expect(() => limit.admit('k', -5)).toThrow(RangeError);
    expect(() => limit.record('k', 1.5)).toThrow(RangeError);
  });

  it('drops idle keys and past quota windows', () => {
    const { clock, limit } = setup({ tokensPerMinute: 1000, tokenQuota: 1000, tokenQuotaPeriod: 'Hourly', estimatePromptTokens: false });
    for (let i = 0; i < 2_000; i++) limit.record(`k${i}`, 1);
    expect(limit.trackedKeys()).toEqual({ tokensPerMinute: 2_000, quota: 2_000 });
    clock.advance(3_600_000);
    for (let i = 0; i < 1_100; i++) limit.record('live', 1);
    expect(limit.trackedKeys()).toEqual({ tokensPerMinute: 1, quota: 1 });
  });
});
