import { describe, expect, it } from 'vitest';
import { atLeast, wilson, maxOf, minOf } from './statistics.ts';

describe('wilson', () => {
  it('matches the textbook interval for 8 of 10', () => {
    const [lo, hi] = wilson(8, 10);
    expect(lo).toBeCloseTo(0.4902, 3);
    expect(hi).toBeCloseTo(0.9433, 3);
  });
  it('stays inside [0, 1] and is [0, 1] for no sample', () => {
    expect(wilson(0, 5)[0]).toBe(0);
    expect(wilson(5, 5)[1]).toBeCloseTo(1, 10);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});

describe('atLeast', () => {
  it('does not fail equal rates with sampling noise', () => {
    expect(atLeast(45, 50, 48, 50).violated).toBe(false);
  });
  it('fails a clear inversion', () => {
    const test = atLeast(30, 100, 90, 100);
    expect(test.violated).toBe(true);
    expect(test.lower - test.higher).toBeCloseTo(0.6, 10);
  });
  it('never fails inside the minimum margin, even with huge samples', () => {
    expect(atLeast(9_800, 10_000, 9_990, 10_000, 0.03).violated).toBe(false);
    expect(atLeast(9_500, 10_000, 9_990, 10_000, 0.03).violated).toBe(true);
  });
});

describe('maxOf and minOf', () => {
  it('find the extremes of a list too long to spread into Math.max', () => {
    const many = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_000);
    expect(maxOf(many)).toBe(299_999);
    expect(minOf(many)).toBe(0);
    expect(maxOf([], 0)).toBe(0);
    expect(minOf([], 5)).toBe(5);
    expect(maxOf([-3, -1])).toBe(-1);
  });
});
