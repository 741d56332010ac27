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

/**
 * The knee once confirming holds are counted. A knee found by short steps is held once more,
 * longer (capacity-run.ts), since a queue can absorb a rate above capacity for one short step. A
 * hold that fails shows its rate is not sustainable: it counts as a failing step there, and
 * every step at or above it is set aside, so the knee is sought below it; a hold that passes marks
 * its rate as sustained, and a knee at a sustained rate is confirmed. Steps the search ran after a
 * hold (a bisection below a failed one) count like the others. A hold in which the generator fell
 * behind or the fleet was saturated ends the search without a knee, as a step would.
 */
export interface SettledKnee {
  knee: KneeOutcome;
  /** true: the knee was held and held; false: holds were tried and none confirmed it; null: none was tried. */
  confirmed: boolean | null;
  /** The rate to hold next, or null when there is nothing (more) to confirm. */
  nextToConfirm: number | null;
}

export function settleKnee(steps: readonly JudgedStep[], holds: readonly JudgedStep[], maxHolds: number): SettledKnee {
  let considered = [...steps];
  const sustained = new Set<number>();
  for (const hold of holds) {
    if (!hold.step.generatorKeptUp) return { knee: { kind: 'no-knee', cause: 'generator-saturated', atRps: hold.step.offeredRps, reasons: hold.step.reasons }, confirmed: false, nextToConfirm: null };
    if (hold.backend.saturated) return { knee: { kind: 'no-knee', cause: 'backend-saturated', atRps: hold.step.offeredRps, reasons: hold.backend.reasons }, confirmed: false, nextToConfirm: null };
    if (hold.step.gatewayHeld) sustained.add(hold.step.offeredRps);
    else considered = [...considered.filter((s) => s.step.offeredRps < hold.step.offeredRps), hold];
  }
  const knee = findKnee(considered);
  const tried = holds.length > 0 ? false : null;
  if (knee.kind !== 'knee') return { knee, confirmed: tried, nextToConfirm: null };
  if (sustained.has(knee.rps)) return { knee, confirmed: true, nextToConfirm: null };
  return { knee, confirmed: tried, nextToConfirm: holds.length < maxHolds ? knee.rps : null };
}
