import { describe, expect, it } from 'vitest';
import { gaussian, seededRng } from '../shared/rng.ts';
import { paygLatencyProfile, planLatency, ptuLatencyProfile } from './latency-model.ts';
import type { LatencyProfile } from './latency-model.ts';

const STEADY: LatencyProfile = {
  timeToFirstTokenMs: { mean: 100, stdDev: 0 },
  perTokenMs: { mean: 10, stdDev: 0 },
};

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function stdDevOf(values: readonly number[]): number {
  const mean = meanOf(values);
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

describe('planLatency shape', () => {
  it('gives one gap per token after the first and sums them into the total', () => {
    expect(planLatency(STEADY, 5, seededRng(1))).toEqual({
      timeToFirstTokenMs: 100,
      interTokenMs: [10, 10, 10, 10],
      totalMs: 140,
    });
  });

  it('has no gaps for zero or one token', () => {
    expect(planLatency(STEADY, 1, seededRng(1))).toEqual({ timeToFirstTokenMs: 100, interTokenMs: [], totalMs: 100 });
    expect(planLatency(STEADY, 0, seededRng(1))).toEqual({ timeToFirstTokenMs: 100, interTokenMs: [], totalMs: 100 });
  });

  it('multiplies every delay by scale', () => {
    expect(planLatency(STEADY, 3, seededRng(1), 2.5)).toEqual({
      timeToFirstTokenMs: 250,
      interTokenMs: [25, 25],
      totalMs: 300,
    });
  });

  it('is instant at scale 0 and draws nothing from the rng', () => {
    const rng = seededRng(42);
    const plan = planLatency(paygLatencyProfile, 4, rng, 0);
    expect(plan).toEqual({ timeToFirstTokenMs: 0, interTokenMs: [0, 0, 0], totalMs: 0 });
    expect(rng.next()).toBe(seededRng(42).next());
  });

  it('totalMs is the first-token time plus every gap', () => {
    const plan = planLatency(paygLatencyProfile, 50, seededRng(9));
    let expected = plan.timeToFirstTokenMs;
    for (const gap of plan.interTokenMs) expected += gap;
    expect(plan.interTokenMs).toHaveLength(49);
    expect(plan.totalMs).toBeCloseTo(expected, 9);
  });

  it('rejects a fractional or negative token count and a negative scale', () => {
    expect(() => planLatency(STEADY, 1.5, seededRng(1))).toThrow(RangeError);
    expect(() => planLatency(STEADY, -1, seededRng(1))).toThrow(RangeError);
    expect(() => planLatency(STEADY, 1, seededRng(1), -1)).toThrow(RangeError);
  });
});

describe('planLatency draws', () => {
  it('draws TTFT then each gap from the rng in order, as mean + stdDev × standard normal', () => {
    const profile: LatencyProfile = {
      timeToFirstTokenMs: { mean: 1_000, stdDev: 10 },
      perTokenMs: { mean: 100, stdDev: 5 },
    };
    // Small spreads keep every draw far inside the clamp, so the values are unclamped.
    const reference = seededRng(7);
    const expectedTtft = 1_000 + 10 * gaussian(reference);
    const expectedGaps = [100 + 5 * gaussian(reference), 100 + 5 * gaussian(reference)];

    const plan = planLatency(profile, 3, seededRng(7));
    expect(plan.timeToFirstTokenMs).toBe(expectedTtft);
    expect(plan.interTokenMs).toEqual(expectedGaps);
  });

  it('is repeatable with the same seed and differs with another', () => {
    const a = planLatency(paygLatencyProfile, 20, seededRng(123));
    const b = planLatency(paygLatencyProfile, 20, seededRng(123));
    const c = planLatency(paygLatencyProfile, 20, seededRng(124));
    expect(b).toEqual(a);
    expect(c.totalMs).not.toBe(a.totalMs);
  });

  it('clamps every draw to within 70% of the mean, and the clamp is reached', () => {
    const wild: LatencyProfile = {
      timeToFirstTokenMs: { mean: 100, stdDev: 1_000 },
      perTokenMs: { mean: 10, stdDev: 100 },
    };
    const plan = planLatency(wild, 2_000, seededRng(5));
    expect(Math.min(...plan.interTokenMs)).toBe(3);
    expect(Math.max(...plan.interTokenMs)).toBe(17);

    const ttfts = new Set<number>();
    const rng = seededRng(6);
    for (let i = 0; i < 200; i++) ttfts.add(planLatency(wild, 1, rng).timeToFirstTokenMs);
    // With a spread ten times the mean, nearly every draw lands on a bound.
    expect(Math.min(...ttfts)).toBe(30);
    expect(Math.max(...ttfts)).toBe(170);
  });
});

describe('planLatency statistics with a fixed seed', () => {
  // The clamp is symmetric about the mean, so it leaves the mean unchanged.
  it('PTU per-token gaps average 20 ms with a spread of about 2 ms', () => {
    const gaps = planLatency(ptuLatencyProfile, 20_001, seededRng(2024)).interTokenMs;
    // Standard error of the mean: 2 / sqrt(20 000) ≈ 0.014 ms.
    expect(Math.abs(meanOf(gaps) - 20)).toBeLessThan(0.1);
    expect(Math.abs(stdDevOf(gaps) - 2)).toBeLessThan(0.1);
  });

  it('PAYG per-token gaps average 30 ms', () => {
    const gaps = planLatency(paygLatencyProfile, 20_001, seededRng(2025)).interTokenMs;
    // Standard error ≈ 12 / sqrt(20 000) ≈ 0.085 ms.
    expect(Math.abs(meanOf(gaps) - 30)).toBeLessThan(0.5);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(9);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(51);
  });

  it('TTFT averages its mean over many requests', () => {
    const rng = seededRng(77);
    const ptu: number[] = [];
    const payg: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      ptu.push(planLatency(ptuLatencyProfile, 1, rng).timeToFirstTokenMs);
      payg.push(planLatency(paygLatencyProfile, 1, rng).timeToFirstTokenMs);
    }
    // Standard errors ≈ 0.3 ms (PTU) and ≈ 2.8 ms (PAYG).
    expect(Math.abs(meanOf(ptu) - 150)).toBeLessThan(2);
    expect(Math.abs(meanOf(payg) - 400)).toBeLessThan(12);
  });
});

describe('default profiles', () => {
  it('PTU is faster and steadier than PAYG', () => {
    const cv = (d: { mean: number; stdDev: number }): number => d.stdDev / d.mean;
    expect(ptuLatencyProfile.timeToFirstTokenMs.mean).toBeLessThan(paygLatencyProfile.timeToFirstTokenMs.mean);
    expect(ptuLatencyProfile.perTokenMs.mean).toBeLessThan(paygLatencyProfile.perTokenMs.mean);
    expect(cv(ptuLatencyProfile.timeToFirstTokenMs)).toBeLessThan(cv(paygLatencyProfile.timeToFirstTokenMs));
    expect(cv(ptuLatencyProfile.perTokenMs)).toBeLessThan(cv(paygLatencyProfile.perTokenMs));
  });

  it('PTU never drops below the gpt-4o target of 25 tokens per second', () => {
    // The clamp ceiling is the slowest possible gap.
    expect(ptuLatencyProfile.perTokenMs.mean * 1.7).toBeLessThan(1_000 / 25);
  });
});
