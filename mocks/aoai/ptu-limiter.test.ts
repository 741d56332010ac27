import { describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.ts';
import { PtuLimiter, ptuAdmissionCost } from './ptu-limiter.ts';
import type { PtuAdmission, PtuTicket } from './ptu-limiter.ts';

// 60 000 TPM drains exactly 1 token per ms; 10 s of it is a 10 000-token bucket.
const ONE_TOKEN_PER_MS = { capacityTpm: 60_000, bucketSeconds: 10 };

function ticketOf(admission: PtuAdmission): PtuTicket {
  if (!admission.admitted) throw new Error('expected the request to be admitted');
  return admission.ticket;
}

function retryAfterOf(admission: PtuAdmission): number {
  if (admission.admitted) throw new Error('expected the request to be rejected');
  return admission.retryAfterMs;
}

describe('PtuLimiter fill and drain', () => {
  it('sizes 100% as capacityTpm * bucketSeconds / 60 tokens', () => {
    expect(new PtuLimiter({ capacityTpm: 60_000, bucketSeconds: 10 }, new ManualClock()).bucketTokens).toBe(10_000);
    expect(new PtuLimiter({ capacityTpm: 150_000, bucketSeconds: 4 }, new ManualClock()).bucketTokens).toBe(10_000);
  });

  it('adds the cost on admission and drains continuously at capacityTpm / 60 000 per ms', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    expect(limiter.utilizationPercent()).toBe(0);

    const admission = limiter.tryAdmit(5_000);
    expect(admission).toMatchObject({ admitted: true, utilizationPercent: 50 });

    clock.advance(1_000); // 5000 - 1000 = 4000 tokens
    expect(limiter.utilizationPercent()).toBe(40);
    clock.advance(2_500); // 1500 tokens
    expect(limiter.utilizationPercent()).toBe(15);
    clock.advance(1_500); // exactly empty
    expect(limiter.utilizationPercent()).toBe(0);
    clock.advance(60_000); // never below empty
    expect(limiter.utilizationPercent()).toBe(0);
    // An empty bucket has no stored credit: the next request starts from zero.
    expect(limiter.tryAdmit(2_000)).toMatchObject({ admitted: true, utilizationPercent: 20 });
  });

  it('drains at a fractional rate per ms', () => {
    const clock = new ManualClock();
    // 150 000 TPM = 2.5 tokens per ms; bucket 25 000 tokens.
    const limiter = new PtuLimiter({ capacityTpm: 150_000, bucketSeconds: 10 }, clock);
    limiter.tryAdmit(10_000);
    clock.advance(1_001); // 10 000 - 2502.5 = 7497.5 tokens
    expect(limiter.utilizationPercent()).toBe(29.99);
  });

  it('does not refill when the clock steps backwards', () => {
    const clock = new ManualClock(1_000_000);
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    limiter.tryAdmit(5_000);
    clock.set(990_000);
    expect(limiter.utilizationPercent()).toBe(50);
    clock.set(1_001_000);
    expect(limiter.utilizationPercent()).toBe(40);
  });
});

describe('PtuLimiter admission around 100%', () => {
  it('admits at exactly 100% and lets that request burst past it, then rejects', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    expect(limiter.tryAdmit(10_000)).toMatchObject({ admitted: true, utilizationPercent: 100 });
    // Exactly 100% is not "over 100%", so this one is admitted and bursts to 130%.
    expect(limiter.tryAdmit(3_000)).toMatchObject({ admitted: true, utilizationPercent: 130 });
    // Over 100%: rejected until 3000 excess tokens have drained at 1 token per ms.
    expect(limiter.tryAdmit(1)).toEqual({ admitted: false, retryAfterMs: 3_000, utilizationPercent: 130 });
  });

  it('a rejected request adds nothing to the level', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    limiter.tryAdmit(12_000);
    for (let i = 0; i < 5; i++) limiter.tryAdmit(1_000);
    expect(limiter.utilizationPercent()).toBe(120);
  });

  it('retryAfterMs is exactly the time until utilization is back to 100%', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    limiter.tryAdmit(10_000);
    limiter.tryAdmit(3_000);
    clock.advance(2_999);
    expect(retryAfterOf(limiter.tryAdmit(1))).toBe(1);
    clock.advance(1);
    expect(limiter.utilizationPercent()).toBe(100);
    expect(limiter.tryAdmit(500)).toMatchObject({ admitted: true, utilizationPercent: 105 });
  });

  it('rounds retryAfterMs up when the drain rate is fractional, and the wait is enough', () => {
    const clock = new ManualClock();
    // 2.5 tokens per ms, bucket 25 000 tokens.
    const limiter = new PtuLimiter({ capacityTpm: 150_000, bucketSeconds: 10 }, clock);
    limiter.tryAdmit(25_000);
    limiter.tryAdmit(1_001); // 1001 tokens over: 400.4 ms of drain
    const wait = retryAfterOf(limiter.tryAdmit(1));
    expect(wait).toBe(401);
    clock.advance(wait - 1); // 1 token over still: 0.4 ms, rounded up to 1
    expect(retryAfterOf(limiter.tryAdmit(1))).toBe(1);
    clock.advance(1);
    expect(limiter.tryAdmit(1).admitted).toBe(true);
  });

  it('never asks for less than 1 ms', () => {
    const clock = new ManualClock();
    // 600 000 TPM = 10 tokens per ms; 1 token over drains in 0.1 ms.
    const limiter = new PtuLimiter({ capacityTpm: 600_000, bucketSeconds: 1 }, clock);
    limiter.tryAdmit(10_000);
    limiter.tryAdmit(1);
    expect(retryAfterOf(limiter.tryAdmit(1))).toBe(1);
  });
});

describe('PtuLimiter settle and release', () => {
  it('settling below the estimate removes the difference', () => {
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, new ManualClock());
    const ticket = ticketOf(limiter.tryAdmit(4_000));
    expect(ticket.estimatedCost).toBe(4_000);
    limiter.settle(ticket, 1_000);
    expect(limiter.utilizationPercent()).toBe(10);
  });

  it('settling above the estimate adds the difference', () => {
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, new ManualClock());
    const ticket = ticketOf(limiter.tryAdmit(2_000));
    limiter.settle(ticket, 5_000);
    expect(limiter.utilizationPercent()).toBe(50);
  });

  it('settling a second time does nothing', () => {
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, new ManualClock());
    const ticket = ticketOf(limiter.tryAdmit(4_000));
    limiter.settle(ticket, 1_000);
    limiter.settle(ticket, 9_000);
    limiter.release(ticket);
    expect(limiter.utilizationPercent()).toBe(10);
  });

  it('an over-estimate settled after draining stops at empty', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    const ticket = ticketOf(limiter.tryAdmit(5_000));
    clock.advance(4_000); // 1000 tokens left
    limiter.settle(ticket, 0); // -5000 would go to -4000; it stops at 0
    expect(limiter.utilizationPercent()).toBe(0);
    // No negative credit carried over: the next 3000 tokens read as 30%, not -10%.
    expect(limiter.tryAdmit(3_000)).toMatchObject({ admitted: true, utilizationPercent: 30 });
  });

  it('release takes back the whole estimate', () => {
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, new ManualClock());
    limiter.tryAdmit(3_000);
    const ticket = ticketOf(limiter.tryAdmit(6_000));
    limiter.release(ticket);
    expect(limiter.utilizationPercent()).toBe(30);
  });

  it('releasing a request re-opens admission that was blocked', () => {
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, new ManualClock());
    const ticket = ticketOf(limiter.tryAdmit(11_000));
    expect(limiter.tryAdmit(100).admitted).toBe(false);
    limiter.release(ticket);
    expect(limiter.tryAdmit(100)).toMatchObject({ admitted: true, utilizationPercent: 1 });
  });
});

describe('PtuLimiter under sustained overload', () => {
  // Saturated, the level stays near 100%, so over a window the tokens admitted equal the
  // tokens drained (capacity) plus the change in level, which is at most one request.
  it('admits about one minute of capacity per minute when offered twice that', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock); // 60 000 TPM
    const cost = 1_000;
    const intervalMs = 500; // 120 requests/min × 1000 = 120 000 TPM offered, 2× capacity

    let admittedTokens = 0;
    let rejected = 0;
    // First minute warms the bucket up to 100%; the second minute is measured.
    for (let t = 0; t < 120_000; t += intervalMs) {
      const admission = limiter.tryAdmit(cost);
      if (t >= 60_000) {
        if (admission.admitted) admittedTokens += cost;
        else rejected += 1;
      }
      clock.advance(intervalMs);
    }
    expect(Math.abs(admittedTokens - 60_000)).toBeLessThanOrEqual(cost);
    expect(rejected).toBeGreaterThan(0);
  });

  it('admits about capacity in actual tokens when requests settle below their estimate', () => {
    const clock = new ManualClock();
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, clock);
    const estimate = 1_000;
    const actual = 400;
    const intervalMs = 200; // 300 requests/min: 120 000 actual TPM offered, 2× capacity

    let admittedActual = 0;
    for (let t = 0; t < 120_000; t += intervalMs) {
      const admission = limiter.tryAdmit(estimate);
      // Each request completes at once, so its estimate is corrected before the next one.
      if (admission.admitted) {
        limiter.settle(admission.ticket, actual);
        if (t >= 60_000) admittedActual += actual;
      }
      clock.advance(intervalMs);
    }
    expect(Math.abs(admittedActual - 60_000)).toBeLessThanOrEqual(estimate);
  });
});

describe('ptuAdmissionCost', () => {
  it('is prompt plus max_tokens', () => {
    expect(ptuAdmissionCost(2_000, 500, 0)).toBe(2_500);
  });

  it('ignores cached tokens below 1024', () => {
    expect(ptuAdmissionCost(2_000, 500, 1_023)).toBe(2_500);
  });

  it('subtracts cached tokens from 1024 up', () => {
    expect(ptuAdmissionCost(2_000, 500, 1_024)).toBe(1_476);
    expect(ptuAdmissionCost(3_000, 100, 2_048)).toBe(1_052);
  });
});

describe('PtuLimiter options', () => {
  it('rejects non-positive capacity or bucket size', () => {
    expect(() => new PtuLimiter({ capacityTpm: 0, bucketSeconds: 10 }, new ManualClock())).toThrow(RangeError);
    expect(() => new PtuLimiter({ capacityTpm: 1_000, bucketSeconds: 0 }, new ManualClock())).toThrow(RangeError);
    expect(() => new PtuLimiter({ capacityTpm: Number.NaN, bucketSeconds: 10 }, new ManualClock())).toThrow(RangeError);
  });

  it('rejects a negative cost', () => {
    const limiter = new PtuLimiter(ONE_TOKEN_PER_MS, new ManualClock());
    expect(() => limiter.tryAdmit(-1)).toThrow(RangeError);
  });
});
