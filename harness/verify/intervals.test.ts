import { describe, expect, it } from 'vitest';
import { contains, overlaps, subtract, totalLength, union } from './intervals.ts';

describe('intervals', () => {
  it('merges overlapping and touching intervals and drops empty ones', () => {
    expect(union([{ from: 5, to: 8 }, { from: 0, to: 2 }, { from: 2, to: 4 }, { from: 7, to: 10 }, { from: 20, to: 19 }])).toEqual([
      { from: 0, to: 4 },
      { from: 5, to: 10 },
    ]);
  });
  it('finds points inside merged intervals, edges included', () => {
    const merged = union([{ from: 0, to: 4 }, { from: 10, to: 12 }]);
    expect([0, 4, 5, 9.9, 10, 12, 13].map((t) => contains(merged, t))).toEqual([true, true, false, false, true, true, false]);
    expect(overlaps(merged, 5, 9)).toBe(false);
    expect(overlaps(merged, 5, 10)).toBe(true);
    expect(overlaps(merged, -5, -1)).toBe(false);
    expect(overlaps(merged, 13, 20)).toBe(false);
    expect(overlaps(merged, -5, 20)).toBe(true);
    expect(overlaps(merged, 11, 11)).toBe(true);
    expect(overlaps([], 0, 1)).toBe(false);
  });
  it('subtracts cuts from a base', () => {
    expect(subtract([{ from: 0, to: 100 }], [{ from: 10, to: 20 }, { from: 90, to: 120 }])).toEqual([
      { from: 0, to: 10 },
      { from: 20, to: 90 },
    ]);
    expect(totalLength(subtract([{ from: 0, to: 100 }], [{ from: -5, to: 200 }]))).toBe(0);
  });
});
