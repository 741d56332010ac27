import type { BackendVerdict } from './backend-saturation.ts';
import type { StepJudgement } from './judge-step.ts';

/**
 * The knee of a capacity run: the highest offered rate at which the gateway held, below the
 * lowest at which it did not. A knee is reported only when every step up to and including that
 * lowest failing one was offered in full by the generator and found the fleet with room;
 * otherwise the failure may be the generator's or the fleet's, and the answer is "no knee", with
 * the cause, rather than a false knee. No failing step means the gateway held at every rate
 * tried: its capacity is above the highest, which is a lower bound, not a knee.
 */
export interface JudgedStep {
  step: StepJudgement;
  backend: BackendVerdict;
}

export type KneeOutcome =
  | { kind: 'knee'; rps: number; firstFailingRps: number }
  | { kind: 'no-knee'; cause: 'generator-saturated' | 'backend-saturated'; atRps: number; reasons: string[] }
  | { kind: 'no-knee'; cause: 'fails-at-lowest-step'; atRps: number; reasons: string[] }
  | { kind: 'no-knee'; cause: 'held-at-every-step'; atRps: number; reasons: string[] };

export function findKnee(judged: readonly JudgedStep[]): KneeOutcome {
  if (judged.length === 0) throw new RangeError('a knee needs at least one judged step');
  const ordered = [...judged].sort((a, b) => a.step.offeredRps - b.step.offeredRps);
  for (const { step, backend } of ordered) {
    if (!step.generatorKeptUp) return { kind: 'no-knee', cause: 'generator-saturated', atRps: step.offeredRps, reasons: step.reasons };
    if (backend.saturated) return { kind: 'no-knee', cause: 'backend-saturated', atRps: step.offeredRps, reasons: backend.reasons };
    if (step.gatewayHeld) continue;
    const passing = ordered.filter((j) => j.step.offeredRps < step.offeredRps && j.step.gatewayHeld);
    const knee = passing.at(-1);
    if (!knee) return { kind: 'no-knee', cause: 'fails-at-lowest-step', atRps: step.offeredRps, reasons: step.reasons };
    return { kind: 'knee', rps: knee.step.offeredRps, firstFailingRps: step.offeredRps };
  }
  const highest = ordered.at(-1)!.step.offeredRps;
  return { kind: 'no-knee', cause: 'held-at-every-step', atRps: highest, reasons: [`the gateway held at every rate up to ${highest} req/s`] };
}
