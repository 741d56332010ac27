import { describe, expect, it } from 'vitest';
import { binomialBand, binomialCdf, binomialPmf, binomialSf } from './binomial.ts';

describe('binomial tails', () => {
  it('match exact values', () => {
    // P(X ≤ 2) for 18 fair draws = (1 + 18 + 153) / 2^18.
    expect(binomialCdf(2, 18, 0.5)).toBeCloseTo(172 / 262_144, 12);
    expect(binomialSf(16, 18, 0.5)).toBeCloseTo(172 / 262_144, 12);
    expect(binomialPmf(0, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    expect(binomialCdf(5, 5, 0.3)).toBe(1);
    expect(binomialSf(0, 5, 0.3)).toBe(1);
    expect(binomialCdf(0, 4, 0)).toBe(1);
    expect(binomialSf(1, 4, 0)).toBe(0);
  });

  it('stay accurate for large n (Stirling beyond 256)', () => {
    // Mean 500 of 1000 fair draws: the pmf peak is 1/sqrt(pi * 500 / 2) to within 0.1%.
    expect(binomialPmf(500, 1000, 0.5)).toBeCloseTo(0.025225, 5);
    expect(binomialCdf(499, 1000, 0.5) + binomialSf(500, 1000, 0.5)).toBeCloseTo(1, 9);
  });

  it('give a band outside which each tail holds at most alpha / 2', () => {
    const { low, high } = binomialBand(240, 0.75, 0.001);
    expect(binomialCdf(low - 1, 240, 0.75)).toBeLessThanOrEqual(0.0005);
    expect(binomialCdf(low, 240, 0.75)).toBeGreaterThan(0.0005);
    expect(binomialSf(high + 1, 240, 0.75)).toBeLessThanOrEqual(0.0005);
    expect(binomialSf(high, 240, 0.75)).toBeGreaterThan(0.0005);
    expect(low).toBeLessThan(180);
    expect(high).toBeGreaterThan(180);
    // A fair split is symmetric.
    const fair = binomialBand(20, 0.5, 0.001);
    expect(fair.low + fair.high).toBe(20);
    // A share of 0 allows nothing, a share of 1 everything.
    expect(binomialBand(50, 0, 0.001)).toEqual({ low: 0, high: 0 });
    expect(binomialBand(50, 1, 0.001)).toEqual({ low: 50, high: 50 });
  });
});
