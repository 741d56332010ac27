import { describe, expect, it } from 'vitest';
import { parseFlexibleDuration, parseIsoDateTime, parseTimeSpan } from './durations.ts';

describe('durations', () => {
  // The ISO 8601 parser itself is tested in mocks/shared/iso-duration.test.ts; here, that a
  // policy attribute reaches it, and that what it refuses comes back as "not a duration".
  it('parses ISO 8601 durations without years or months, through the shared parser', () => {
    expect(parseFlexibleDuration('PT30S')).toBe(30_000);
    expect(parseFlexibleDuration('P1DT2H3M4.5S')).toBe(((26 * 60 + 3) * 60 + 4.5) * 1000);
    expect(parseFlexibleDuration('P1W')).toBe(7 * 86_400_000);
    for (const bad of ['P', 'PT', 'P1M', 'P1Y', 'PT1H1H', 'PT1.5H30M', 'pt1s']) expect(parseFlexibleDuration(bad), bad).toBeUndefined();
  });

  it('parses .NET TimeSpans', () => {
    expect(parseTimeSpan('00:05:00')).toBe(300_000);
    expect(parseTimeSpan('1.02:00:00.5')).toBe((26 * 3600 + 0.5) * 1000);
    expect(parseTimeSpan('-00:00:01')).toBe(-1000);
    expect(parseTimeSpan('00:60:00')).toBeUndefined();
    expect(parseTimeSpan('5')).toBeUndefined();
  });

  it('accepts seconds, TimeSpans and ISO durations where APIM is loose', () => {
    expect([parseFlexibleDuration('60'), parseFlexibleDuration('00:01:00'), parseFlexibleDuration('PT1M'), parseFlexibleDuration('1m')]).toEqual([60_000, 60_000, 60_000, undefined]);
  });

  it('parses ISO date-times strictly', () => {
    expect(parseIsoDateTime('0001-01-01T00:00:00Z')).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(parseIsoDateTime('2024-02-29T12:00:00+01:00')).toBe(Date.UTC(2024, 1, 29, 11));
    for (const bad of ['2023-02-29T00:00:00Z', '2024-01-01', 'March 7', '2024-01-01T00:00:00']) expect(parseIsoDateTime(bad)).toBeUndefined();
  });
});
