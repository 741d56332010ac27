import { describe, expect, it } from 'vitest';
import type { BackendVerdict } from './backend-saturation.ts';
import { findKnee, type JudgedStep } from './find-knee.ts';

const room: BackendVerdict = { saturated: false, reasons: [] };
function step(offeredRps: number, gatewayHeld: boolean, generatorKeptUp = true, backend = room): JudgedStep {
  const reasons = [...(generatorKeptUp ? [] : ['the generator dropped iterations']), ...(gatewayHeld ? [] : ['p95 above the SLO'])];
  return { step: { offeredRps, throughputRps: offeredRps, requests: 1, p95Ms: 1, errorRate: 0, generatorKeptUp, gatewayHeld, reasons }, backend };
}

describe('findKnee', () => {
  it('is the highest passing rate below the lowest failing one, whatever order the steps ran in', () => {
    expect(findKnee([step(100, true), step(400, false), step(200, true), step(300, true), step(350, false)])).toEqual({ kind: 'knee', rps: 300, firstFailingRps: 350 });
  });
  it('ignores a passing step above the first failure (noise is not capacity)', () => {
    expect(findKnee([step(100, true), step(200, false), step(300, true)])).toMatchObject({ kind: 'knee', rps: 100 });
  });
  it('reports generator saturation, not a knee, when the generator fell behind at or below the failure', () => {
    expect(findKnee([step(100, true), step(200, true, false), step(300, false)])).toMatchObject({ kind: 'no-knee', cause: 'generator-saturated', atRps: 200 });
    expect(findKnee([step(100, true), step(200, false, false)])).toMatchObject({ kind: 'no-knee', cause: 'generator-saturated', atRps: 200 });
  });
  it('reports backend saturation, not a gateway knee, when the fleet was the bottleneck', () => {
    const saturated = { saturated: true, reasons: ["the fleet's PTU deployments answered 429"] };
    expect(findKnee([step(100, true), step(200, false, true, saturated)])).toEqual({ kind: 'no-knee', cause: 'backend-saturated', atRps: 200, reasons: saturated.reasons });
  });
  it('says so when the lowest step already fails, or when no step failed', () => {
    expect(findKnee([step(100, false), step(200, false)])).toMatchObject({ kind: 'no-knee', cause: 'fails-at-lowest-step', atRps: 100 });
    expect(findKnee([step(100, true), step(200, true)])).toMatchObject({ kind: 'no-knee', cause: 'held-at-every-step', atRps: 200 });
  });
});
