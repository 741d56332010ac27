import { describe, expect, it } from 'vitest';
import { nextBisectionRate, rampRates } from './step-schedule.ts';

describe('rampRates', () => {
  it('climbs in even steps and ends at the maximum', () => {
    expect(rampRates({ startRps: 50, stepRps: 100, maxRps: 400 })).toEqual([50, 150, 250, 350, 400]);
    expect(rampRates({ startRps: 100, stepRps: 100, maxRps: 300 })).toEqual([100, 200, 300]);
  });
  it('refuses a ramp that cannot climb', () => {
    expect(() => rampRates({ startRps: 0, stepRps: 10, maxRps: 100 })).toThrow(/start/);
    expect(() => rampRates({ startRps: 10, stepRps: 0, maxRps: 100 })).toThrow(/step/);
    expect(() => rampRates({ startRps: 200, stepRps: 10, maxRps: 100 })).toThrow(/max/);
  });
});

describe('nextBisectionRate', () => {
  it('halves the gap until it is within the resolution', () => {
    expect(nextBisectionRate(250, 350, 0.05)).toBe(300);
    expect(nextBisectionRate(300, 330, 0.05)).toBe(315);
    expect(nextBisectionRate(300, 314, 0.05)).toBeNull();
  });
  it('refuses a failing rate at or below the passing one', () => {
    expect(() => nextBisectionRate(300, 300, 0.05)).toThrow(/above/);
  });
});
