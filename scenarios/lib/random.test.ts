import { describe, expect, it } from 'vitest';
import { hashSeed, requestRandom, sample, seededRandom } from './random.ts';

describe('deterministic randomness', () => {
  it('repeats the same sequence for the same scenario, class and iteration', () => {
    const a = requestRandom('smoke', 0, 7);
    const b = requestRandom('smoke', 0, 7);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
    expect(requestRandom('smoke', 0, 8)()).not.toBe(requestRandom('smoke', 0, 7)());
    expect(requestRandom('smoke', 1, 7)()).not.toBe(requestRandom('smoke', 0, 7)());
  });

  it('stays in [0, 1)', () => {
    const random = seededRandom(hashSeed('x'));
    for (let i = 0; i < 10_000; i++) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
    }
  });

  it('samples fixed and uniform sizes, bounds included', () => {
    const random = seededRandom(1);
    expect(sample({ kind: 'fixed', value: 40 }, random)).toBe(40);
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) seen.add(sample({ kind: 'uniform', min: 3, max: 6 }, random));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
});
