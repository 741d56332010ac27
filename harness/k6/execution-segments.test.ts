import { describe, expect, it } from 'vitest';
import { executionSegment, executionSegmentArgs } from './execution-segments.ts';

describe('executionSegment', () => {
  it('splits the test into N exact, adjacent segments of one shared sequence', () => {
    expect([0, 1, 2].map((i) => executionSegment(i, 3))).toEqual([
      { segment: '0:1/3', sequence: '0,1/3,2/3,1' },
      { segment: '1/3:2/3', sequence: '0,1/3,2/3,1' },
      { segment: '2/3:1', sequence: '0,1/3,2/3,1' },
    ]);
  });

  it('writes fractions unreduced, as k6-operator does', () => {
    expect(executionSegment(1, 4)).toEqual({ segment: '1/4:2/4', sequence: '0,1/4,2/4,3/4,1' });
  });

  it('covers 0 to 1 without gaps for any N', () => {
    for (const count of [1, 2, 5, 7, 16]) {
      const segments = Array.from({ length: count }, (_, i) => executionSegment(i, count).segment.split(':'));
      expect(segments[0]![0]).toBe('0');
      expect(segments.at(-1)![1]).toBe('1');
      for (let i = 1; i < count; i++) expect(segments[i]![0]).toBe(segments[i - 1]![1]);
    }
  });

  it('gives one generator the whole test and no arguments', () => {
    expect(executionSegment(0, 1)).toEqual({ segment: '0:1', sequence: '0,1' });
    expect(executionSegmentArgs(0, 1)).toEqual([]);
    expect(executionSegmentArgs(1, 2)).toEqual(['--execution-segment', '1/2:1', '--execution-segment-sequence', '0,1/2,1']);
  });

  it('refuses an index or count out of range', () => {
    expect(() => executionSegment(2, 2)).toThrow(/from 0 to 1, got 2/);
    expect(() => executionSegment(0, 0)).toThrow(/at least 1, got 0/);
    expect(() => executionSegment(0.5, 2)).toThrow(/generator index/);
  });
});
