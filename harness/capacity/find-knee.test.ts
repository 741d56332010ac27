import { describe, expect, it } from 'vitest';
import type { BackendVerdict } from './backend-saturation.ts';
import { findKnee, settleKnee, type JudgedStep } from './find-knee.ts';

const room: BackendVerdict = { saturated: false, reasons: [] };
function step(offeredRps: number, gatewayHeld: boolean, generatorKeptUp = true, backend = room): JudgedStep {
  const reasons = [...(generatorKeptUp ? [] : ['the generator dropped iterations']), ...(gatewayHeld ? [] : ['p95 above the SLO'])];
  return { step: { offeredRps, throughputRps: offeredRps, requests: 1, p95Ms: 1, latencyMs: { p50: 1, p90: 1, p95: 1, p99: 1 }, errorRate: 0, generatorKeptUp, gatewayHeld, reasons }, backend };
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

describe('settleKnee', () => {
  const steps = [step(100, true), step(200, true), step(300, true), step(400, false)];
  it('asks for a hold at the knee, and confirms it when the hold passes', () => {
    expect(settleKnee(steps, [], 2)).toEqual({ knee: { kind: 'knee', rps: 300, firstFailingRps: 400 }, confirmed: null, nextToConfirm: 300 });
    expect(settleKnee(steps, [step(300, true)], 2)).toMatchObject({ knee: { kind: 'knee', rps: 300 }, confirmed: true, nextToConfirm: null });
  });
  it('moves the knee below a hold that failed, and holds that one in turn', () => {
    expect(settleKnee(steps, [step(300, false)], 2)).toEqual({ knee: { kind: 'knee', rps: 200, firstFailingRps: 300 }, confirmed: false, nextToConfirm: 200 });
    expect(settleKnee(steps, [step(300, false), step(200, true)], 2)).toMatchObject({ knee: { kind: 'knee', rps: 200, firstFailingRps: 300 }, confirmed: true });
    // Out of holds: the knee stands, unconfirmed, and nothing more is asked.
    expect(settleKnee(steps, [step(300, false), step(200, false)], 2)).toMatchObject({ knee: { kind: 'knee', rps: 100 }, confirmed: false, nextToConfirm: null });
  });
  it('ends without a knee when a hold finds the generator behind or the fleet saturated', () => {
    expect(settleKnee(steps, [step(300, true, false)], 2).knee).toMatchObject({ kind: 'no-knee', cause: 'generator-saturated', atRps: 300 });
    expect(settleKnee(steps, [step(300, true, true, { saturated: true, reasons: ['PTU answered 429'] })], 2).knee).toMatchObject({ kind: 'no-knee', cause: 'backend-saturated' });
  });
  it('asks for nothing when there is no knee, or no holds are allowed', () => {
    expect(settleKnee([step(100, true)], [], 2)).toMatchObject({ knee: { cause: 'held-at-every-step' }, confirmed: null, nextToConfirm: null });
    expect(settleKnee(steps, [], 0)).toMatchObject({ confirmed: null, nextToConfirm: null });
  });
  it('counts steps run after a failed hold, wherever the knee then lands', () => {
    // The hold at 300 failed, and the bisection below it failed at 250 too: the knee is 200, to be held.
    expect(settleKnee([...steps, step(250, false)], [step(300, false)], 3)).toEqual({ knee: { kind: 'knee', rps: 200, firstFailingRps: 250 }, confirmed: false, nextToConfirm: 200 });
    // ...and passed at 250 and 275: the knee is 275.
    expect(settleKnee([...steps, step(250, true), step(275, true)], [step(300, false)], 3)).toMatchObject({ knee: { rps: 275, firstFailingRps: 300 }, nextToConfirm: 275 });
    expect(settleKnee([...steps, step(250, true), step(275, true)], [step(300, false), step(275, true)], 3)).toMatchObject({ knee: { rps: 275 }, confirmed: true, nextToConfirm: null });
  });
});
