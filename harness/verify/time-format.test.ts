import { describe, expect, it } from 'vitest';
import { between, clockTime, duration, moment, percent } from './time-format.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('time formatting', () => {
  it('writes the UTC clock to the millisecond', () => {
    expect(clockTime(T0 + 5123)).toBe('12:00:05.123');
  });
  it('writes durations in ms below a second and in seconds above', () => {
    expect(duration(850)).toBe('850 ms');
    expect(duration(12_340)).toBe('12.3 s');
  });
  it('adds the offset from the run start', () => {
    expect(moment(T0 + 5100, T0)).toBe('12:00:05.100 (t+5.1 s)');
    expect(moment(T0 - 2000, T0)).toBe('11:59:58.000 (t-2.0 s)');
    expect(between(T0, T0 + 1000, T0)).toBe('between 12:00:00.000 (t+0.0 s) and 12:00:01.000 (t+1.0 s)');
  });
  it('writes shares as percentages', () => {
    expect(percent(0.4204)).toBe('42.0%');
  });
});
