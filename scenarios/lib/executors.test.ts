import { describe, expect, it } from 'vitest';
import { arrivalRate, classIndexOf, classScenarioName, classScenarios, EXEC_FUNCTION, k6Duration, MAX_PREALLOCATED_VUS, MAX_VUS, vuSizing } from './executors.ts';
import { testPlan, trafficClass } from './test-support.ts';

describe('arrivalRate', () => {
  it('expresses a rate as whole iterations per time unit', () => {
    expect(arrivalRate(2)).toEqual({ rate: 2, timeUnit: '1s' });
    expect(arrivalRate(0.15)).toEqual({ rate: 3, timeUnit: '20s' });
    expect(arrivalRate(0.3)).toEqual({ rate: 3, timeUnit: '10s' });
    expect(arrivalRate(2.5)).toEqual({ rate: 5, timeUnit: '2s' });
    expect(arrivalRate(0.5 * 3)).toEqual({ rate: 3, timeUnit: '2s' });
    expect(arrivalRate(1 / 120)).toEqual({ rate: 1, timeUnit: '120s' });
  });

  it('rounds rates with no small exact form to a whole number per 1000 s', () => {
    const { rate, timeUnit } = arrivalRate(Math.PI);
    expect(timeUnit).toBe('1000s');
    expect(Math.abs(rate / 1000 - Math.PI)).toBeLessThan(0.0005);
  });

  it('refuses rates that are not positive', () => {
    expect(() => arrivalRate(0)).toThrow(RangeError);
    expect(() => arrivalRate(Number.NaN)).toThrow(RangeError);
  });
});

describe('k6 scenarios', () => {
  it('names one per class and maps the name back to the class', () => {
    expect(classScenarioName(3, 'user-facing')).toBe('t3_user-facing');
    expect(classIndexOf('t3_user-facing')).toBe(3);
    expect(classIndexOf('t12_batch')).toBe(12);
    expect(() => classIndexOf('default')).toThrow(/not a Spillway traffic class/);
  });

  it('writes durations as k6 strings', () => {
    expect(k6Duration(75)).toBe('75s');
    expect(k6Duration(0)).toBe('0s');
    expect(k6Duration(2.5)).toBe('2500ms');
  });

  it('sizes VUs for the expected latency, within caps', () => {
    expect(vuSizing(2)).toEqual({ preAllocatedVUs: 10, maxVUs: 120 });
    expect(vuSizing(0.15)).toEqual({ preAllocatedVUs: 1, maxVUs: 9 });
    expect(vuSizing(1000)).toEqual({ preAllocatedVUs: MAX_PREALLOCATED_VUS, maxVUs: MAX_VUS });
  });

  it("lowers both to a class's own cap, and leaves a rate that needs fewer alone", () => {
    expect(vuSizing(1000, 2)).toEqual({ preAllocatedVUs: 2, maxVUs: 2 });
    expect(vuSizing(0.15, 50)).toEqual(vuSizing(0.15));
  });

  it('builds a constant-arrival-rate scenario per class with its window, exec and consumer tag', () => {
    const plan = testPlan({ durationSeconds: 75, traffic: [trafficClass({ rate: 2, endSeconds: 75 }), trafficClass({ consumer: 'batch', rate: 0.15, startSeconds: 10, endSeconds: 40 })] });
    expect(classScenarios(plan)).toEqual({
      't0_user-facing': {
        executor: 'constant-arrival-rate',
        rate: 2,
        timeUnit: '1s',
        startTime: '0s',
        duration: '75s',
        preAllocatedVUs: 10,
        maxVUs: 120,
        gracefulStop: '65s',
        exec: EXEC_FUNCTION,
        tags: { consumer: 'user-facing' },
      },
      t1_batch: {
        executor: 'constant-arrival-rate',
        rate: 3,
        timeUnit: '20s',
        startTime: '10s',
        duration: '30s',
        preAllocatedVUs: 1,
        maxVUs: 9,
        gracefulStop: '65s',
        exec: EXEC_FUNCTION,
        tags: { consumer: 'batch' },
      },
    });
  });

  it('keeps keys out of the options', () => {
    const plan = testPlan({ traffic: [trafficClass({ key: 'very-secret' })] });
    expect(JSON.stringify(classScenarios(plan))).not.toContain('very-secret');
  });
});
