import { describe, expect, it } from 'vitest';
import { checkCapacityFlags } from './capacity-options.ts';
import { concludeCapacity, stepTable } from './capacity-report.ts';

describe('concludeCapacity', () => {
  it('gives requests per second per unit and the recommendation from a knee', () => {
    const c = concludeCapacity({ kind: 'knee', rps: 300, firstFailingRps: 315 }, checkCapacityFlags({ units: 2, peakRps: 1000 }));
    expect(c).toMatchObject({ rpsPerUnit: 150, exitCode: 0, recommendation: { units: 10 } });
    expect(c.lines.join('\n')).toMatch(/150\.0 req\/s per unit over 2 unit/);
  });
  it('exits 1 when the capacity per unit is below --min-rps-per-unit', () => {
    expect(concludeCapacity({ kind: 'knee', rps: 300, firstFailingRps: 315 }, checkCapacityFlags({ units: 2, minRpsPerUnit: 151 })).exitCode).toBe(1);
    expect(concludeCapacity({ kind: 'knee', rps: 300, firstFailingRps: 315 }, checkCapacityFlags({ units: 2, minRpsPerUnit: 150 })).exitCode).toBe(0);
  });
  it('gives no figure, and exits 3, when the generator or the fleet was the bottleneck', () => {
    for (const cause of ['generator-saturated', 'backend-saturated'] as const) {
      const c = concludeCapacity({ kind: 'no-knee', cause, atRps: 200, reasons: ['x'] }, checkCapacityFlags({ units: 1, peakRps: 100, minRpsPerUnit: 1 }));
      expect(c).toMatchObject({ rpsPerUnit: null, recommendation: null, exitCode: 3 });
    }
  });
  it('refuses to answer (exit 2) when the SLO fails at the lowest step, and gives a lower bound when every step held', () => {
    expect(concludeCapacity({ kind: 'no-knee', cause: 'fails-at-lowest-step', atRps: 50, reasons: ['p95'] }, checkCapacityFlags({})).exitCode).toBe(2);
    const held = concludeCapacity({ kind: 'no-knee', cause: 'held-at-every-step', atRps: 400, reasons: [] }, checkCapacityFlags({ units: 2, minRpsPerUnit: 150 }));
    expect(held).toMatchObject({ rpsPerUnit: null, atLeastRpsPerUnit: 200, exitCode: 0 });
    expect(concludeCapacity({ kind: 'no-knee', cause: 'held-at-every-step', atRps: 400, reasons: [] }, checkCapacityFlags({ units: 2 })).exitCode).toBe(3);
  });
});

describe('stepTable', () => {
  it('lists the steps by offered rate with their verdicts', () => {
    const step = (offeredRps: number, gatewayHeld: boolean) => ({ step: { offeredRps, throughputRps: offeredRps, requests: 1, p95Ms: 12, errorRate: 0, generatorKeptUp: true, gatewayHeld, reasons: [] }, backend: { saturated: false, reasons: [] } });
    const table = stepTable([step(300, false), step(100, true)]);
    expect(table).toHaveLength(3);
    expect(table[1]).toMatch(/^\s+100\.0\s+100\.0\s+12\s+0\.0%\s+held$/);
    expect(table[2]).toMatch(/300\.0.*failed$/);
  });
});
