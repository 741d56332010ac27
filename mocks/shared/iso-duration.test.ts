import { describe, expect, it } from 'vitest';
import { formatHms, IsoDurationError, parseIsoDuration } from './iso-duration.ts';

describe('parseIsoDuration', () => {
  it.each([
    ['PT10S', 10_000],
    ['PT30S', 30_000],
    ['PT1M', 60_000],
    ['PT1H', 3_600_000],
    ['P1D', 86_400_000],
    ['PT0.5S', 500],
    ['PT0,25S', 250],
    ['P1DT2H', 93_600_000],
    ['P1W', 604_800_000],
    ['PT1H30M15S', 5_415_000],
    ['PT1.5H', 5_400_000],
    ['PT0S', 0],
    ['  PT10S  ', 10_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'does not match'],
    ['10S', 'does not match'],
    ['P', 'no components'],
    ['PT', '"T" must be followed'],
    ['P1DT', '"T" must be followed'],
    ['P1Y', 'years'],
    ['P2M', 'months'],
    ['-PT1S', 'negative'],
    ['pt10s', 'does not match'],
    ['PT1.5H30M', 'only the last component'],
    ['PT10S5M', 'does not match'],
    ['PT1H1H', 'does not match'],
  ])('rejects %j naming the text', (text, reason) => {
    let thrown: unknown;
    try {
      parseIsoDuration(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IsoDurationError);
    const error = thrown as IsoDurationError;
    expect(error.message).toContain(`"${text}"`);
    expect(error.message).toContain(reason);
    expect(error.text).toBe(text);
  });
});

describe('formatHms', () => {
  it.each([
    [1_000, '00:00:01'],
    [30_000, '00:00:30'],
    [0, '00:00:00'],
    [3_600_000, '01:00:00'],
    [86_399_000, '23:59:59'],
    [86_400_000, '1.00:00:00'],
    [93_600_000, '1.02:00:00'],
    [500, '00:00:00.5000000'],
    [61_001, '00:01:01.0010000'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatHms(ms)).toBe(text);
  });

  it('round-trips the seed trip duration', () => {
    expect(formatHms(parseIsoDuration('PT30S'))).toBe('00:00:30');
  });

  it('rejects negative input', () => {
    expect(() => formatHms(-1)).toThrow(RangeError);
  });
});
