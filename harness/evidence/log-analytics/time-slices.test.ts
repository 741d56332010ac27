import { describe, expect, it } from 'vitest';
import { binSecondsFor, halve, planSlices } from './time-slices.ts';

const window = { start: 1_000, end: 61_000 };

/** Every slice follows the one before without gap or overlap, from the window's start to its end. */
function expectCovering(slices: { start: number; end: number }[]): void {
  expect(slices[0]!.start).toBe(window.start);
  expect(slices[slices.length - 1]!.end).toBe(window.end);
  for (let i = 1; i < slices.length; i++) expect(slices[i]!.start).toBe(slices[i - 1]!.end);
  for (const slice of slices) expect(slice.end).toBeGreaterThan(slice.start);
}

describe('cutting a window into slices', () => {
  it('merges consecutive bins while their rows stay within the budget, and covers the window', () => {
    const bins = [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000].map((start) => ({ start, rows: 30 }));
    const slices = planSlices(window, bins, 10_000, 70);
    expectCovering(slices);
    expect(slices.map((s) => s.rows)).toEqual([60, 60, 60, 30]);
    expect(slices.map((s) => [s.start, s.end])).toEqual([[1_000, 20_000], [20_000, 40_000], [40_000, 60_000], [60_000, 61_000]]);
  });

  it('cuts a bin over the budget into equal parts', () => {
    const slices = planSlices(window, [{ start: 10_000, rows: 10 }, { start: 20_000, rows: 250 }, { start: 30_000, rows: 10 }], 10_000, 100);
    expectCovering(slices);
    expect(slices.map((s) => [s.start, s.end, Math.round(s.rows)])).toEqual([[1_000, 20_000, 10], [20_000, 23_333, 83], [23_333, 26_666, 83], [26_666, 30_000, 83], [30_000, 61_000, 10]]);
  });

  it('is one slice for a window with no rows counted yet, and halves a slice on demand', () => {
    expect(planSlices(window, [], 10_000, 100)).toEqual([{ start: 1_000, end: 61_000, rows: 0 }]);
    expect(halve({ start: 0, end: 9, rows: 10 })).toEqual([{ start: 0, end: 4, rows: 5 }, { start: 4, end: 9, rows: 5 }]);
    expect(halve({ start: 0, end: 1, rows: 10 })).toBeNull();
  });

  it('bins by 10 s, wider for windows over 5.5 hours (at most 2,000 bins)', () => {
    expect(binSecondsFor({ start: 0, end: 3_600_000 })).toBe(10);
    expect(binSecondsFor({ start: 0, end: 20_000_000 })).toBe(10);
    expect(binSecondsFor({ start: 0, end: 36_000_000 })).toBe(20);
  });
});
