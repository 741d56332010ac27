import { backendRoomAdvice } from './backend-saturation.ts';
import type { CapacitySettings } from './capacity-options.ts';
import type { JudgedStep, KneeOutcome } from './find-knee.ts';
import { recommendUnits, type UnitRecommendation } from './recommend-units.ts';

/**
 * What a capacity run concludes and how it ends: requests per second per unit (only from a
 * knee), the recommendation for --peak-rps, and the exit code. 0: a knee (at or above
 * --min-rps-per-unit when given); 1: a knee below --min-rps-per-unit; 2: the SLO cannot be met
 * even at the lowest step (bad input: no answer is pretended); 3: no knee, because the generator
 * or the fleet was the bottleneck, or the gateway held at every rate tried (only a lower bound,
 * which still passes --min-rps-per-unit when it is above it).
 */
export interface CapacityConclusion {
  rpsPerUnit: number | null;
  /** A lower bound per unit when the gateway held at every rate tried. */
  atLeastRpsPerUnit: number | null;
  recommendation: UnitRecommendation | null;
  exitCode: 0 | 1 | 2 | 3;
  lines: string[];
}

export function concludeCapacity(knee: KneeOutcome | null, settings: CapacitySettings, run: { kneeConfirmed: boolean | null; problem: string | null } = { kneeConfirmed: null, problem: null }): CapacityConclusion {
  const lines: string[] = [];
  const perUnit = (rps: number): number => rps / settings.units;
  if (run.problem !== null || knee === null) {
    lines.push(`no answer: the run could not finish (${run.problem ?? 'no step was judged'}); the steps judged so far are in the journal`);
    return { rpsPerUnit: null, atLeastRpsPerUnit: null, recommendation: null, exitCode: 2, lines };
  }
  if (knee.kind === 'knee' && run.kneeConfirmed === false) {
    lines.push(`no confirmed knee: the highest passing rate, ${knee.rps} req/s, was not sustained when held ${settings.confirmSeconds} s, nor was the knee below it (see the holds in the journal); the gateway's capacity is below the short steps' figure. Rerun with longer --hold-seconds`);
    return { rpsPerUnit: null, atLeastRpsPerUnit: null, recommendation: null, exitCode: 3, lines };
  }
  if (knee.kind === 'knee') {
    const rpsPerUnit = perUnit(knee.rps);
    lines.push(`knee: ${knee.rps} req/s (the gateway failed at ${knee.firstFailingRps} req/s${run.kneeConfirmed ? `; held ${settings.confirmSeconds} s to confirm it` : '; not confirmed by a longer hold (--confirm-seconds 0)'}) = ${rpsPerUnit.toFixed(1)} req/s per unit over ${settings.units} unit(s)`);
    const recommendation = settings.peakRps !== null ? recommendUnits({ rpsPerUnit, peakRps: settings.peakRps, headroom: settings.headroom }) : null;
    if (recommendation) lines.push(`recommendation for a peak of ${settings.peakRps} req/s: ${recommendation.units} unit(s): ${recommendation.explanation}`);
    const below = settings.minRpsPerUnit !== null && rpsPerUnit < settings.minRpsPerUnit;
    if (settings.minRpsPerUnit !== null) lines.push(`${below ? 'BELOW' : 'at or above'} --min-rps-per-unit ${settings.minRpsPerUnit}`);
    return { rpsPerUnit, atLeastRpsPerUnit: null, recommendation, exitCode: below ? 1 : 0, lines };
  }
  const why = knee.reasons.join('; ');
  switch (knee.cause) {
    case 'generator-saturated':
      lines.push(`no knee: the load generator could not keep up at ${knee.atRps} req/s (${why}); the gateway's capacity is not known from this run. Run k6 with more room (fewer other processes, more cores, or several generators)`);
      return { rpsPerUnit: null, atLeastRpsPerUnit: null, recommendation: null, exitCode: 3, lines };
    case 'backend-saturated':
      lines.push(`no gateway knee: the fleet was the bottleneck at ${knee.atRps} req/s (${why}); ${backendRoomAdvice}`);
      return { rpsPerUnit: null, atLeastRpsPerUnit: null, recommendation: null, exitCode: 3, lines };
    case 'fails-at-lowest-step':
      lines.push(`no knee: the gateway failed already at the lowest step, ${knee.atRps} req/s (${why}); the SLO (--slo-p95-ms ${settings.sloP95Ms}, --error-budget ${settings.errorBudget}) cannot be met here, or --start-rps is too high`);
      return { rpsPerUnit: null, atLeastRpsPerUnit: null, recommendation: null, exitCode: 2, lines };
    case 'held-at-every-step': {
      const atLeast = perUnit(knee.atRps);
      lines.push(`no knee: the gateway held at every rate tried, up to ${knee.atRps} req/s: at least ${atLeast.toFixed(1)} req/s per unit (raise --max-rps to find the knee)`);
      // From a lower bound the units are an upper bound: enough whatever the true capacity, perhaps more than needed.
      const recommendation = settings.peakRps !== null ? recommendUnits({ rpsPerUnit: atLeast, peakRps: settings.peakRps, headroom: settings.headroom }) : null;
      if (recommendation) lines.push(`recommendation for a peak of ${settings.peakRps} req/s: at most ${recommendation.units} unit(s), from the lower bound (the true capacity may need fewer): ${recommendation.explanation}`);
      const passes = settings.minRpsPerUnit !== null && atLeast >= settings.minRpsPerUnit;
      if (passes) lines.push(`at or above --min-rps-per-unit ${settings.minRpsPerUnit} (a lower bound)`);
      return { rpsPerUnit: null, atLeastRpsPerUnit: atLeast, recommendation, exitCode: passes ? 0 : 3, lines };
    }
  }
}

/** What the table shows of a step beyond its judgement, when the run measured it. */
export interface StepExtras {
  phase?: string;
  cpu?: { processCores: number | null; cores: number };
  /** The gateway's utilisation over the step, percent (the emulator's model, or Azure Monitor's metric). */
  utilisation?: { name: string; average: number | null } | null;
}

/**
 * The table of offered load against throughput, latency percentiles, errors, k6's CPU and the
 * gateway's utilisation, in the order the rates rise (confirming holds last).
 */
export function stepTable(steps: readonly (JudgedStep & StepExtras)[]): string[] {
  // The ramp and bisection by rate; the holds after them, in the order they ran (each decided the next).
  const rows = [...steps.filter((s) => s.phase !== 'hold').sort((a, b) => a.step.offeredRps - b.step.offeredRps), ...steps.filter((s) => s.phase === 'hold')];
  const utilisationName = steps.find((s) => s.utilisation)?.utilisation?.name;
  return [
    `${'offered req/s'.padStart(13)} ${'served req/s'.padStart(12)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)} ${'k6 cores'.padStart(8)}${utilisationName ? ` ${`${utilisationName} %`.padStart(14)}` : ''}  verdict`,
    ...rows.map(({ step, backend, phase, cpu, utilisation }) => {
      const verdict = !step.generatorKeptUp ? 'generator behind' : backend.saturated ? 'fleet saturated' : step.gatewayHeld ? 'held' : 'failed';
      const k6Cores = cpu?.processCores != null ? cpu.processCores.toFixed(2) : '-';
      const used = utilisationName ? ` ${(utilisation?.average != null ? utilisation.average.toFixed(0) : '-').padStart(14)}` : '';
      const ms = (value: number | null | undefined): string => (value == null ? '-' : value.toFixed(0)).padStart(7);
      return `${step.offeredRps.toFixed(1).padStart(13)} ${step.throughputRps.toFixed(1).padStart(12)} ${ms(step.latencyMs?.p50)} ${ms(step.p95Ms)} ${ms(step.latencyMs?.p99)} ${`${(step.errorRate * 100).toFixed(1)}%`.padStart(7)} ${k6Cores.padStart(8)}${used}  ${verdict}${phase === 'hold' ? ' (confirming hold)' : ''}`;
    }),
  ];
}
