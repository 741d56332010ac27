import { describe, expect, it } from 'vitest';
import { combine, joinParts, listExamples, ref, spanOf } from './verdict-helpers.ts';

describe('verdict helpers', () => {
  it('combines statuses: any fail fails, else any pass passes', () => {
    expect(combine(['pass', 'inconclusive', 'fail'])).toBe('fail');
    expect(combine(['inconclusive', 'pass'])).toBe('pass');
    expect(combine(['inconclusive'])).toBe('inconclusive');
    expect(combine([])).toBe('inconclusive');
  });
  it('keeps at most five distinct examples', () => {
    expect(ref('f', 'd', [1, 1, 2, 3, 4, 5, 6]).examples).toEqual([1, 2, 3, 4, 5]);
    expect(ref('f', 'd').examples).toBeUndefined();
    expect(listExamples([1, 2, 3, 4, 5, 6])).toBe('seq 1, 2, 3, 4, 5, …');
  });
  it('shortens long lists and spans times', () => {
    expect(joinParts(['a', 'b', 'c', 'd', 'e'])).toBe('a; b; c; and 2 more');
    expect(spanOf([5, 1, 9])).toEqual([1, 9]);
    expect(spanOf([])).toBeUndefined();
  });
});
