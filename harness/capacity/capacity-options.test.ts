import { describe, expect, it } from 'vitest';
import { checkCapacityFlags } from './capacity-options.ts';

describe('checkCapacityFlags', () => {
  it('fills the defaults', () => {
    expect(checkCapacityFlags({})).toMatchObject({ units: 1, peakRps: null, headroom: 0.3, sloP95Ms: 1000, errorBudget: 0.01, minRpsPerUnit: null, startRps: 50, stepRps: 50, maxRps: 400, profile: 'light', confirmSeconds: 30, maxVus: null });
    expect(checkCapacityFlags({ holdSeconds: 6, profile: 'heavy', confirmSeconds: 0 })).toMatchObject({ profile: 'heavy', confirmSeconds: 0 });
  });
  it('refuses bad input naming the flag', () => {
    const cases: [Parameters<typeof checkCapacityFlags>[0], RegExp][] = [
      [{ peakRps: 1000 }, /--peak-rps needs --units/],
      [{ units: 0 }, /--units must be a whole number from 1 to 30/],
      [{ units: 2.5 }, /--units/],
      [{ headroom: 1 }, /--headroom must be from 0/],
      [{ headroom: -0.1 }, /--headroom/],
      [{ errorBudget: 1.5 }, /--error-budget/],
      [{ sloP95Ms: 0 }, /--slo-p95-ms must be positive/],
      [{ units: 2, peakRps: -5 }, /--peak-rps must be a positive number/],
      [{ minRpsPerUnit: 0 }, /--min-rps-per-unit/],
      [{ maxRps: 1e9 }, /--max-rps 1000000000 is more than one machine/],
      [{ startRps: 500, maxRps: 400 }, /--start-rps 500 is above --max-rps 400/],
      [{ holdSeconds: 5, settleSeconds: 5 }, /--settle-seconds must be from 0 and below --hold-seconds/],
      [{ profile: 'medium' }, /--profile must be light or heavy/],
      [{ settleSeconds: 3, confirmSeconds: 2 }, /--confirm-seconds must be 0 \(no confirming hold\) or longer than --settle-seconds \(3\)/],
      [{ maxVus: 0 }, /--max-vus must be a whole number of at least 1/],
    ];
    for (const [flags, message] of cases) expect(() => checkCapacityFlags(flags), JSON.stringify(flags)).toThrow(message);
  });
});
