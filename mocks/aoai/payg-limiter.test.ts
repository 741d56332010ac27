import { describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.ts';
import { PaygLimiter, defaultRpmForTpm } from './payg-limiter.ts';
import type { PaygAdmission } from './payg-limiter.ts';

// A minute boundary (Date.UTC(2026, 0, 1) is a whole number of minutes since the epoch).
const MINUTE_START = Date.UTC(2026, 0, 1);

function rejection(admission: PaygAdmission): Extract<PaygAdmission, { admitted: false }> {
  if (admission.admitted) throw new Error('expected the request to be rejected');
  return admission;
}

describe('PaygLimiter request budget defaults', () => {
  it('gives 6 RPM per 1000 TPM, at least 1', () => {
    expect(defaultRpmForTpm(10_000)).toBe(60);
    expect(defaultRpmForTpm(1_000)).toBe(6);
    expect(defaultRpmForTpm(1_500)).toBe(9);
    expect(defaultRpmForTpm(100)).toBe(1);
  });

  it('allows ceil(rpm * window / 60) requests per window, at least 1', () => {
    const clock = new ManualClock(MINUTE_START);
    expect(new PaygLimiter({ tpm: 10_000 }, clock).requestsPerWindow).toBe(10);
    expect(new PaygLimiter({ tpm: 1_000 }, clock).requestsPerWindow).toBe(1); // 6 rpm: 1 per 10 s
    expect(new PaygLimiter({ tpm: 10_000, rpm: 100 }, clock).requestsPerWindow).toBe(17);
    // The quota.md example: 600 RPM throttles above 10 requests in one second.
    expect(new PaygLimiter({ tpm: 100_000, rpm: 600, requestWindowSeconds: 1 }, clock).requestsPerWindow).toBe(10);
    expect(new PaygLimiter({ tpm: 100, requestWindowSeconds: 1 }, clock).requestsPerWindow).toBe(1);
  });
});

describe('PaygLimiter token budget', () => {
  it('charges the estimate on arrival and reports what remains', () => {
    const limiter = new PaygLimiter({ tpm: 10_000 }, new ManualClock(MINUTE_START));
    expect(limiter.tryAdmit(6_000)).toEqual({
      admitted: true,
      limitTokens: 10_000,
      remainingTokens: 4_000,
      limitRequests: 60,
      remainingRequests: 59,
    });
    expect(limiter.tryAdmit(4_000)).toEqual({
      admitted: true,
      limitTokens: 10_000,
      remainingTokens: 0,
      limitRequests: 60,
      remainingRequests: 58,
    });
  });

  it('rejects a request that does not fit, without charging it', () => {
    const clock = new ManualClock(MINUTE_START);
    const limiter = new PaygLimiter({ tpm: 10_000 }, clock);
    limiter.tryAdmit(6_000);
    clock.advance(15_500);
    expect(limiter.tryAdmit(5_000)).toEqual({
      admitted: false,
      reason: 'tpm',
      retryAfterSeconds: 45, // 44.5 s left in the minute, rounded up
      resetTokensSeconds: 45,
      resetRequestsSeconds: 5, // 10-second window [10 s, 20 s): 4.5 s left
      limitTokens: 10_000,
      remainingTokens: 4_000,
      limitRequests: 60,
      remainingRequests: 59,
    });
    // The rejected 5000 was not charged, so 4000 still fits.
    expect(limiter.tryAdmit(4_000)).toMatchObject({ admitted: true, remainingTokens: 0 });
  });

  it('rejects an estimate larger than the whole TPM, even in a fresh minute', () => {
    const limiter = new PaygLimiter({ tpm: 10_000 }, new ManualClock(MINUTE_START));
    const result = rejection(limiter.tryAdmit(10_001));
    expect(result.reason).toBe('tpm');
    expect(result.retryAfterSeconds).toBe(60);
    expect(result.remainingTokens).toBe(10_000);
  });

  it('resets the token count at the epoch minute boundary', () => {
    const clock = new ManualClock(MINUTE_START + 30_000);
    const limiter = new PaygLimiter({ tpm: 10_000 }, clock);
    limiter.tryAdmit(10_000);
    clock.set(MINUTE_START + 59_999);
    expect(rejection(limiter.tryAdmit(1))).toMatchObject({ reason: 'tpm', retryAfterSeconds: 1, resetTokensSeconds: 1 });
    clock.set(MINUTE_START + 60_000);
    expect(limiter.tryAdmit(1)).toMatchObject({ admitted: true, remainingTokens: 9_999, remainingRequests: 59 });
  });

  it('counts minutes from the epoch, not from the first request', () => {
    // First request 50 s into a minute: the budget refills 10 s later, not 60 s later.
    const clock = new ManualClock(MINUTE_START + 50_000);
    const limiter = new PaygLimiter({ tpm: 1_000 }, clock);
    limiter.tryAdmit(1_000);
    expect(rejection(limiter.tryAdmit(1)).retryAfterSeconds).toBe(10);
    clock.advance(10_000);
    expect(limiter.tryAdmit(1_000).admitted).toBe(true);
  });
});

describe('PaygLimiter request budget', () => {
  it('rejects past the per-window count with reason rpm until the window resets', () => {
    const clock = new ManualClock(MINUTE_START);
    const limiter = new PaygLimiter({ tpm: 10_000 }, clock); // 60 rpm, 10 per 10 s
    for (let i = 0; i < 10; i++) expect(limiter.tryAdmit(1).admitted).toBe(true);
    clock.advance(3_200);
    expect(limiter.tryAdmit(1)).toEqual({
      admitted: false,
      reason: 'rpm',
      retryAfterSeconds: 7, // 6.8 s left in the window [0 s, 10 s)
      resetTokensSeconds: 57, // 56.8 s left in the minute
      resetRequestsSeconds: 7,
      limitTokens: 10_000,
      remainingTokens: 9_990,
      limitRequests: 60,
      remainingRequests: 50,
    });
    clock.set(MINUTE_START + 9_999);
    expect(rejection(limiter.tryAdmit(1))).toMatchObject({ reason: 'rpm', retryAfterSeconds: 1 });
    clock.set(MINUTE_START + 10_000);
    expect(limiter.tryAdmit(1)).toMatchObject({ admitted: true, remainingTokens: 9_989, remainingRequests: 49 });
  });

  it('uses an explicit rpm and window length', () => {
    const clock = new ManualClock(MINUTE_START);
    const limiter = new PaygLimiter({ tpm: 100_000, rpm: 600, requestWindowSeconds: 1 }, clock);
    for (let i = 0; i < 10; i++) limiter.tryAdmit(1);
    clock.advance(400);
    expect(rejection(limiter.tryAdmit(1))).toMatchObject({
      reason: 'rpm',
      retryAfterSeconds: 1,
      resetRequestsSeconds: 1,
      limitRequests: 600,
      remainingRequests: 590,
    });
    clock.advance(600);
    expect(limiter.tryAdmit(1)).toMatchObject({ admitted: true, remainingRequests: 589 });
  });

  it('reports remaining requests per minute, floored at 0 when windows add up past rpm', () => {
    const clock = new ManualClock(MINUTE_START);
    // 100 rpm in 10-second windows: 17 per window, so 6 windows allow 102 in a minute.
    const limiter = new PaygLimiter({ tpm: 1_000_000, rpm: 100 }, clock);
    let last: PaygAdmission | undefined;
    let admitted = 0;
    for (let window = 0; window < 6; window++) {
      clock.set(MINUTE_START + window * 10_000);
      for (let i = 0; i < 17; i++) {
        last = limiter.tryAdmit(1);
        if (last.admitted) admitted += 1;
      }
    }
    expect(admitted).toBe(102);
    expect(last).toMatchObject({ admitted: true, limitRequests: 100, remainingRequests: 0 });
  });

  it('does not count rejected requests against the request budget', () => {
    const clock = new ManualClock(MINUTE_START);
    const limiter = new PaygLimiter({ tpm: 10_000 }, clock);
    limiter.tryAdmit(10_000);
    for (let i = 0; i < 20; i++) expect(rejection(limiter.tryAdmit(1)).reason).toBe('tpm');
    clock.advance(60_000);
    // All 10 of the new window's requests are still there.
    for (let i = 0; i < 10; i++) expect(limiter.tryAdmit(1).admitted).toBe(true);
    expect(rejection(limiter.tryAdmit(1)).reason).toBe('rpm');
  });
});

describe('PaygLimiter with both budgets spent', () => {
  it('names tpm when the minute outlasts the request window', () => {
    const clock = new ManualClock(MINUTE_START + 5_000);
    const limiter = new PaygLimiter({ tpm: 10_000 }, clock);
    for (let i = 0; i < 10; i++) limiter.tryAdmit(1_000);
    expect(rejection(limiter.tryAdmit(1))).toMatchObject({
      reason: 'tpm',
      retryAfterSeconds: 55,
      resetTokensSeconds: 55,
      resetRequestsSeconds: 5,
    });
  });

  it('names rpm when the request window outlasts the minute', () => {
    // 7-second windows do not divide the minute: [56 s, 63 s) straddles the boundary at 60 s.
    const clock = new ManualClock(56_000);
    const limiter = new PaygLimiter({ tpm: 7_000, rpm: 60, requestWindowSeconds: 7 }, clock); // 7 per window
    for (let i = 0; i < 7; i++) expect(limiter.tryAdmit(1_000).admitted).toBe(true);
    const result = rejection(limiter.tryAdmit(1_000));
    expect(result).toMatchObject({ reason: 'rpm', retryAfterSeconds: 7, resetTokensSeconds: 4, resetRequestsSeconds: 7 });
  });
});

describe('PaygLimiter options', () => {
  it('rejects nonsense', () => {
    const clock = new ManualClock(MINUTE_START);
    expect(() => new PaygLimiter({ tpm: 0 }, clock)).toThrow(RangeError);
    expect(() => new PaygLimiter({ tpm: 1_000, rpm: 0 }, clock)).toThrow(RangeError);
    expect(() => new PaygLimiter({ tpm: 1_000, requestWindowSeconds: -1 }, clock)).toThrow(RangeError);
    expect(() => new PaygLimiter({ tpm: 1_000 }, clock).tryAdmit(-5)).toThrow(RangeError);
  });
});
