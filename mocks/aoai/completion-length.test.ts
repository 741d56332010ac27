import { describe, expect, it } from 'vitest';
import { seededRng } from '../shared/rng.ts';
import type { Rng } from '../shared/rng.ts';
import { resolveCompletionLength, sampleCompletionLength } from './completion-length.ts';

/** An rng that replays the given uniforms, so each draw's outcome can be worked out by hand. */
function scriptedRng(...values: number[]): Rng {
  let i = 0;
  return {
    next(): number {
      const value = values[i++];
      if (value === undefined) throw new Error('scripted rng ran out of values');
      return value;
    },
  };
}

// gaussian() is sqrt(-2 ln u) · cos(2πv): u = e^-2 gives a radius of exactly 2,
// v = 0 points it up (+2) and v = 0.5 down (-2).
const U_RADIUS_2 = Math.exp(-2);
const PLUS_TWO_SIGMA = [U_RADIUS_2, 0] as const;
const MINUS_TWO_SIGMA = [U_RADIUS_2, 0.5] as const;

describe('sampleCompletionLength fixed', () => {
  it('returns the fixed length, including 0, without drawing', () => {
    const rng = scriptedRng();
    expect(sampleCompletionLength({ kind: 'fixed', tokens: 42 }, rng)).toBe(42);
    expect(sampleCompletionLength({ kind: 'fixed', tokens: 0 }, rng)).toBe(0);
  });

  it('rejects a negative or fractional length', () => {
    expect(() => sampleCompletionLength({ kind: 'fixed', tokens: -1 }, seededRng(1))).toThrow(RangeError);
    expect(() => sampleCompletionLength({ kind: 'fixed', tokens: 2.5 }, seededRng(1))).toThrow(RangeError);
  });
});

describe('sampleCompletionLength uniform', () => {
  it('maps the unit interval onto whole numbers min..max inclusive', () => {
    const dist = { kind: 'uniform', min: 10, max: 13 } as const;
    expect(sampleCompletionLength(dist, scriptedRng(0))).toBe(10);
    expect(sampleCompletionLength(dist, scriptedRng(0.24))).toBe(10);
    expect(sampleCompletionLength(dist, scriptedRng(0.25))).toBe(11);
    expect(sampleCompletionLength(dist, scriptedRng(0.5))).toBe(12);
    expect(sampleCompletionLength(dist, scriptedRng(0.999_999))).toBe(13);
  });

  it('never gives 0 even when min is 0', () => {
    expect(sampleCompletionLength({ kind: 'uniform', min: 0, max: 3 }, scriptedRng(0))).toBe(1);
  });

  it('covers every value evenly over many seeded draws', () => {
    const rng = seededRng(31);
    const counts = new Map<number, number>();
    for (let i = 0; i < 6_000; i++) {
      const n = sampleCompletionLength({ kind: 'uniform', min: 5, max: 10 }, rng);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10]);
    // Expected 1000 each; binomial spread ≈ 29.
    for (const count of counts.values()) expect(Math.abs(count - 1_000)).toBeLessThan(150);
  });

  it('rejects max below min', () => {
    expect(() => sampleCompletionLength({ kind: 'uniform', min: 10, max: 9 }, seededRng(1))).toThrow(RangeError);
  });
});

describe('sampleCompletionLength normal', () => {
  it('is mean + stdDev × standard normal, rounded', () => {
    const dist = { kind: 'normal', mean: 100, stdDev: 10 } as const;
    expect(sampleCompletionLength(dist, scriptedRng(...PLUS_TWO_SIGMA))).toBe(120);
    expect(sampleCompletionLength(dist, scriptedRng(...MINUS_TWO_SIGMA))).toBe(80);
    expect(sampleCompletionLength({ kind: 'normal', mean: 100, stdDev: 0.3 }, scriptedRng(...PLUS_TWO_SIGMA))).toBe(101);
  });

  it('clamps to min and max when given', () => {
    const dist = { kind: 'normal', mean: 100, stdDev: 10, min: 90, max: 110 } as const;
    expect(sampleCompletionLength(dist, scriptedRng(...PLUS_TWO_SIGMA))).toBe(110);
    expect(sampleCompletionLength(dist, scriptedRng(...MINUS_TWO_SIGMA))).toBe(90);
  });

  it('never gives less than 1 without a min', () => {
    expect(sampleCompletionLength({ kind: 'normal', mean: 5, stdDev: 10 }, scriptedRng(...MINUS_TWO_SIGMA))).toBe(1);
  });

  it('averages the mean over many seeded draws', () => {
    const rng = seededRng(99);
    let sum = 0;
    const draws = 10_000;
    for (let i = 0; i < draws; i++) sum += sampleCompletionLength({ kind: 'normal', mean: 200, stdDev: 40 }, rng);
    // Standard error 40 / 100 = 0.4; the clamp at 1 is 5 standard deviations away.
    expect(Math.abs(sum / draws - 200)).toBeLessThan(2);
  });

  it('rejects min above max and a negative stdDev', () => {
    expect(() => sampleCompletionLength({ kind: 'normal', mean: 5, stdDev: 1, min: 10, max: 9 }, seededRng(1))).toThrow(RangeError);
    expect(() => sampleCompletionLength({ kind: 'normal', mean: 5, stdDev: -1 }, seededRng(1))).toThrow(RangeError);
  });
});

describe('resolveCompletionLength', () => {
  it('keeps a sampled length that fits and reports stop', () => {
    expect(resolveCompletionLength({ sampled: 50, maxTokens: 100 })).toEqual({ tokens: 50, finishReason: 'stop' });
    expect(resolveCompletionLength({ sampled: 50 })).toEqual({ tokens: 50, finishReason: 'stop' });
  });

  it('treats a length exactly at max_tokens as finished, not cut', () => {
    expect(resolveCompletionLength({ sampled: 100, maxTokens: 100 })).toEqual({ tokens: 100, finishReason: 'stop' });
  });

  it('caps at max_tokens and reports length', () => {
    expect(resolveCompletionLength({ sampled: 101, maxTokens: 100 })).toEqual({ tokens: 100, finishReason: 'length' });
  });

  it('lets a forced length win over the sampled one', () => {
    expect(resolveCompletionLength({ sampled: 500, forced: 7, maxTokens: 100 })).toEqual({ tokens: 7, finishReason: 'stop' });
    expect(resolveCompletionLength({ sampled: 3, forced: 0 })).toEqual({ tokens: 0, finishReason: 'stop' });
  });

  it('still caps a forced length at max_tokens', () => {
    expect(resolveCompletionLength({ sampled: 5, forced: 300, maxTokens: 256 })).toEqual({ tokens: 256, finishReason: 'length' });
  });

  it('rejects a negative or fractional forced length', () => {
    expect(() => resolveCompletionLength({ sampled: 5, forced: -1 })).toThrow(RangeError);
    expect(() => resolveCompletionLength({ sampled: 5, forced: 1.5 })).toThrow(RangeError);
  });
});
