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
    // A lower bound still answers a peak, with units that are enough (perhaps more than needed).
    const bounded = concludeCapacity({ kind: 'no-knee', cause: 'held-at-every-step', atRps: 400, reasons: [] }, checkCapacityFlags({ units: 2, peakRps: 1000 }));
    expect(bounded.recommendation).toMatchObject({ units: 8 });
    expect(bounded.lines.join('\n')).toMatch(/at most 8 unit\(s\), from the lower bound/);
  });
});

describe('concludeCapacity: unfinished and unconfirmed runs', () => {
  it('answers nothing (exit 2) for a run that could not finish', () => {
    const c = concludeCapacity({ kind: 'knee', rps: 300, firstFailingRps: 315 }, checkCapacityFlags({ units: 2, peakRps: 1000 }), { kneeConfirmed: null, problem: 'k6 did not complete the 300 req/s step' });
    expect(c).toMatchObject({ rpsPerUnit: null, recommendation: null, exitCode: 2 });
    expect(c.lines[0]).toMatch(/could not finish \(k6 did not complete/);
  });
  it('gives no figure (exit 3) for a knee no hold confirmed, and says whether a knee was held', () => {
    expect(concludeCapacity({ kind: 'knee', rps: 300, firstFailingRps: 315 }, checkCapacityFlags({ units: 2 }), { kneeConfirmed: false, problem: null })).toMatchObject({ rpsPerUnit: null, exitCode: 3 });
    expect(concludeCapacity({ kind: 'knee', rps: 300, firstFailingRps: 315 }, checkCapacityFlags({ units: 2 }), { kneeConfirmed: true, problem: null }).lines[0]).toMatch(/held 30 s to confirm it/);
  });
});

describe('stepTable', () => {
  it('lists the steps by offered rate with their verdicts', () => {
    const step = (offeredRps: number, gatewayHeld: boolean) => ({ step: { offeredRps, throughputRps: offeredRps, requests: 1, p95Ms: 12, latencyMs: { p50: 5, p90: 10, p95: 12, p99: 20 }, errorRate: 0, generatorKeptUp: true, gatewayHeld, reasons: [] }, backend: { saturated: false, reasons: [] } });
    const table = stepTable([step(300, false), step(100, true)]);
    expect(table).toHaveLength(3);
    expect(table[1]).toMatch(/^\s+100\.0\s+100\.0\s+5\s+12\s+20\s+0\.0%\s+-\s+held$/);
    expect(table[2]).toMatch(/300\.0.*failed$/);
  });
  it("shows k6's cores and the gateway's utilisation when measured, with the confirming hold last", () => {
    const step = (offeredRps: number, phase: string) => ({ phase, cpu: { processCores: 0.42, cores: 2 }, utilisation: { name: 'capacity model', average: offeredRps / 3 }, step: { offeredRps, throughputRps: offeredRps, requests: 1, p95Ms: 12, latencyMs: { p50: 5, p90: 10, p95: 12, p99: 20 }, errorRate: 0, generatorKeptUp: true, gatewayHeld: true, reasons: [] }, backend: { saturated: false, reasons: [] } });
    const table = stepTable([step(300, 'hold'), step(600, 'ramp'), step(150, 'ramp')]);
    expect(table[0]).toMatch(/k6 cores\s+capacity model %\s+verdict/);
    expect(table[1]).toMatch(/150\.0 .* 0\.42\s+50\s+held$/);
    expect(table[3]).toMatch(/300\.0 .* 100\s+held \(confirming hold\)$/);
  });
});
