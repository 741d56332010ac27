import { describe, expect, it } from 'vitest';
import { newest, pushBounded } from './bounded-window.ts';

describe('pushBounded', () => {
  it('keeps at least the newest items and never more than twice as many', () => {
    const list: number[] = [];
    for (let i = 1; i <= 25; i++) {
      pushBounded(list, i, 5);
      expect(list.length).toBeLessThan(10);
      expect(list.at(-1)).toBe(i);
    }
    expect(newest(list, 5)).toEqual([21, 22, 23, 24, 25]);
  });

  it('returns everything while under the limit', () => {
    const list: number[] = [];
    pushBounded(list, 1, 5);
    pushBounded(list, 2, 5);
    expect(newest(list, 5)).toEqual([1, 2]);
  });
});
