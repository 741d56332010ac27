import { describe, expect, it } from 'vitest';
import {
  ClrDateTime,
  ClrGuid,
  ClrTimeSpan,
  doubleToInteger,
  formatDateTime,
  formatDouble,
  formatGuid,
  formatNumber,
  formatTimeSpan,
  parseBool,
  parseDouble,
  parseInteger,
  roundToEven,
  truncateToInteger,
} from './clr-values.ts';
import { ExpressionRuntimeError } from './errors.ts';

function thrown(fn: () => unknown): ExpressionRuntimeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExpressionRuntimeError) return e;
    throw e;
  }
  throw new Error('expected an ExpressionRuntimeError');
}

describe('formatDouble (double.ToString())', () => {
  it('prints shortest round-trip digits like .NET Core 3+', () => {
    expect(formatDouble(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatDouble(1.5)).toBe('1.5');
    expect(formatDouble(3)).toBe('3');
    expect(formatDouble(-2.25)).toBe('-2.25');
  });

  it('switches to E notation for exponents of 15 and above or below -4', () => {
    expect(formatDouble(1e14)).toBe('100000000000000');
    expect(formatDouble(1e15)).toBe('1E+15');
    expect(formatDouble(1.2345e20)).toBe('1.2345E+20');
    expect(formatDouble(0.0001)).toBe('0.0001');
    expect(formatDouble(0.00001)).toBe('1E-05');
  });

  it('uses the invariant names for NaN and infinities', () => {
    expect([formatDouble(NaN), formatDouble(Infinity), formatDouble(-Infinity)]).toEqual(['NaN', 'Infinity', '-Infinity']);
  });
});

describe('formatNumber (ToString(format))', () => {
  it('supports D, F, N, X and G', () => {
    expect(formatNumber(5, 'D3', true)).toBe('005');
    expect(formatNumber(-5, 'D3', true)).toBe('-005');
    expect(formatNumber(2.345, 'F2', false)).toBe('2.35');
    expect(formatNumber(1234567.891, 'N2', false)).toBe('1,234,567.89');
    expect(formatNumber(255, 'X', true)).toBe('FF');
    expect(formatNumber(255, 'x4', true)).toBe('00ff');
    expect(formatNumber(1.5, 'G', false)).toBe('1.5');
  });

  it('rounds midpoints away from zero, as .NET formatting does', () => {
    expect(formatNumber(0.125, 'F2', false)).toBe('0.13');
    expect(formatNumber(-0.125, 'F2', false)).toBe('-0.13');
  });

  it('rejects unsupported or type-inappropriate formats with FormatException', () => {
    expect(thrown(() => formatNumber(1.5, 'D2', false)).exceptionType).toBe('FormatException');
    expect(thrown(() => formatNumber(1, 'Q', true)).message).toBe('Format specifier was invalid.');
  });
});

describe('date, time span and guid formatting', () => {
  const instant = new ClrDateTime(Date.UTC(2026, 2, 5, 14, 7, 9, 45));

  it('formats standard DateTime formats with the invariant culture', () => {
    expect(formatDateTime(instant)).toBe('03/05/2026 14:07:09');
    expect(formatDateTime(instant, 'o')).toBe('2026-03-05T14:07:09.0450000Z');
    expect(formatDateTime(instant, 's')).toBe('2026-03-05T14:07:09');
    expect(formatDateTime(instant, 'u')).toBe('2026-03-05 14:07:09Z');
    expect(formatDateTime(instant, 'R')).toBe('Thu, 05 Mar 2026 14:07:09 GMT');
  });

  it('formats custom patterns, quoted literals and 12-hour clocks', () => {
    expect(formatDateTime(instant, 'yyyy-MM-dd HH:mm:ss.fff')).toBe('2026-03-05 14:07:09.045');
    expect(formatDateTime(instant, "dddd, MMMM d 'at' h:mm tt")).toBe('Thursday, March 5 at 2:07 PM');
    expect(formatDateTime(instant, 'yy/M/d')).toBe('26/3/5');
  });

  it('rejects an unknown single-letter format', () => {
    expect(thrown(() => formatDateTime(instant, 'q')).exceptionType).toBe('FormatException');
  });

  it('formats TimeSpan in the constant format', () => {
    expect(formatTimeSpan(new ClrTimeSpan(90_000))).toBe('00:01:30');
    expect(formatTimeSpan(new ClrTimeSpan(1500))).toBe('00:00:01.5000000');
    expect(formatTimeSpan(new ClrTimeSpan(-(86_400_000 + 3_600_000)))).toBe('-1.01:00:00');
  });

  it('formats Guids in N, D, B and P forms', () => {
    const g = new ClrGuid('0F8FAD5B-D9CB-469F-A165-70867728950E');
    expect(formatGuid(g)).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(formatGuid(g, 'N')).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(formatGuid(g, 'B')).toBe('{0f8fad5b-d9cb-469f-a165-70867728950e}');
    expect(formatGuid(g, 'P')).toBe('(0f8fad5b-d9cb-469f-a165-70867728950e)');
  });
});

describe('parsing', () => {
  it('int.Parse accepts surrounding whitespace and a sign, nothing else', () => {
    expect(parseInteger(' -42 ', 32)).toBe(-42);
    expect(parseInteger('+7', 32)).toBe(7);
    expect(thrown(() => parseInteger('4.2', 32)).message).toBe('Input string was not in a correct format.');
    expect(thrown(() => parseInteger('', 32)).exceptionType).toBe('FormatException');
    expect(thrown(() => parseInteger('1e3', 32)).exceptionType).toBe('FormatException');
  });

  it('int.Parse overflows beyond Int32 while long.Parse does not', () => {
    const e = thrown(() => parseInteger('2147483648', 32));
    expect(e.exceptionType).toBe('OverflowException');
    expect(e.message).toBe('Value was either too large or too small for an Int32.');
    expect(parseInteger('2147483648', 64)).toBe(2147483648);
  });

  it('int.Parse(null) throws ArgumentNullException naming the parameter', () => {
    const e = thrown(() => parseInteger(null, 32));
    expect(e.exceptionType).toBe('ArgumentNullException');
    expect(e.message).toBe("Value cannot be null. (Parameter 's')");
  });

  it('double.Parse accepts decimals, exponents and thousands separators', () => {
    expect(parseDouble('1.5')).toBe(1.5);
    expect(parseDouble(' -2e3 ')).toBe(-2000);
    expect(parseDouble('1,234.5')).toBe(1234.5);
    expect(parseDouble('.5')).toBe(0.5);
    expect(thrown(() => parseDouble('abc')).exceptionType).toBe('FormatException');
    expect(thrown(() => parseDouble('.')).exceptionType).toBe('FormatException');
  });

  it('bool.Parse is case-insensitive and names the bad value', () => {
    expect(parseBool('TRUE')).toBe(true);
    expect(parseBool(' false ')).toBe(false);
    expect(thrown(() => parseBool('yes')).message).toBe("String 'yes' was not recognized as a valid Boolean.");
  });
});

describe('numeric conversions', () => {
  it('Math.Round rounds half to even', () => {
    expect([roundToEven(2.5), roundToEven(3.5), roundToEven(-2.5), roundToEven(2.4)]).toEqual([2, 4, -2, 2]);
    expect(roundToEven(1.005 * 100) / 100).toBeCloseTo(1, 2);
  });

  it('Convert.ToInt32(double) rounds to even and overflows with an exception', () => {
    expect(doubleToInteger(2.5, 32)).toBe(2);
    expect(doubleToInteger(3.5, 32)).toBe(4);
    expect(thrown(() => doubleToInteger(3e9, 32)).exceptionType).toBe('OverflowException');
  });

  it('the (int) cast truncates toward zero and wraps', () => {
    expect(truncateToInteger(3.9, 32)).toBe(3);
    expect(truncateToInteger(-3.9, 32)).toBe(-3);
    expect(truncateToInteger(4294967297, 32)).toBe(1);
    expect(truncateToInteger(3e9, 64)).toBe(3e9);
  });
});
