import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkLoadGeneratorCount } from '../run/load-generator-count.ts';
import { defaultHeadroom } from './recommend-units.ts';
import type { CapacityProfileName } from './capacity-gateway-config.ts';

/**
 * `spillway capacity`'s options, checked together before anything starts: each flag's own
 * range is checked as it is parsed (harness/cli/option-parsers.ts); what depends on several
 * flags is checked here, naming them, so bad input is refused (exit 2) with nothing started.
 */
export interface CapacityFlags {
  units?: number;
  peakRps?: number;
  headroom?: number;
  sloP95Ms?: number;
  errorBudget?: number;
  minRpsPerUnit?: number;
  startRps?: number;
  stepRps?: number;
  maxRps?: number;
  holdSeconds?: number;
  settleSeconds?: number;
  profile?: string;
  confirmSeconds?: number;
  maxVus?: number;
  loadGenerators?: number;
  oversubscribeGenerators?: boolean;
}

export interface CapacitySettings {
  units: number;
  peakRps: number | null;
  headroom: number;
  sloP95Ms: number;
  errorBudget: number;
  minRpsPerUnit: number | null;
  startRps: number;
  stepRps: number;
  maxRps: number;
  holdSeconds: number;
  settleSeconds: number;
  profile: CapacityProfileName;
  /** How long the knee is held to confirm it (0: not confirmed). */
  confirmSeconds: number;
  /** A cap on k6's VUs per step; null: sized from each step's rate. */
  maxVus: number | null;
  /** k6 processes per step, each its execution segment (harness/run/k6-generators.ts). */
  loadGenerators: number;
  oversubscribeGenerators: boolean;
}

export const capacityProfileNames = ['light', 'heavy'] as const;

export class CapacityInputError extends UserFacingError {}

/**
 * The most a capacity run offers on loopback: what one machine's k6 can drive with room to spare
 * (the benchmark is to measure it; docs/capacity.md). Anything above is refused as absurd.
 */
export const maxLoopbackRps = 5000;

export function checkCapacityFlags(flags: CapacityFlags): CapacitySettings {
  const fail = (message: string): never => {
    throw new CapacityInputError(message);
  };
  if (flags.peakRps !== undefined && flags.units === undefined) {
    fail('--peak-rps needs --units: the knee is measured for the gateway as configured with that many units, and the recommendation is per unit');
  }
  const units = flags.units ?? 1;
  if (!Number.isInteger(units) || units < 1 || units > 30) fail(`--units must be a whole number from 1 to 30 (APIM's largest unit count per region), got ${units}`);
  const headroom = flags.headroom ?? defaultHeadroom;
  if (!(headroom >= 0 && headroom < 1)) fail(`--headroom must be from 0 up to (not including) 1, the share of capacity kept free at peak; got ${headroom}`);
  const errorBudget = flags.errorBudget ?? 0.01;
  if (!(errorBudget >= 0 && errorBudget < 1)) fail(`--error-budget must be from 0 up to (not including) 1, the share of requests allowed to fail; got ${errorBudget}`);
  const sloP95Ms = flags.sloP95Ms ?? 1000;
  if (!(sloP95Ms > 0)) fail(`--slo-p95-ms must be positive, got ${sloP95Ms}`);
  for (const [flag, value] of [['--peak-rps', flags.peakRps], ['--min-rps-per-unit', flags.minRpsPerUnit], ['--start-rps', flags.startRps], ['--step-rps', flags.stepRps], ['--max-rps', flags.maxRps]] as const) {
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) fail(`${flag} must be a positive number of requests per second, got ${value}`);
  }
  const startRps = flags.startRps ?? 50;
  const stepRps = flags.stepRps ?? 50;
  const maxRps = flags.maxRps ?? 400;
  if (maxRps > maxLoopbackRps) fail(`--max-rps ${maxRps} is more than one machine's k6 can offer the embedded gateway (at most ${maxLoopbackRps} req/s here)`);
  if (startRps > maxRps) fail(`--start-rps ${startRps} is above --max-rps ${maxRps}: the ramp would have no step`);
  const holdSeconds = flags.holdSeconds ?? 10;
  const settleSeconds = flags.settleSeconds ?? 3;
  if (!(holdSeconds > 0)) fail(`--hold-seconds must be positive, got ${holdSeconds}`);
  if (!(settleSeconds >= 0 && settleSeconds < holdSeconds)) fail(`--settle-seconds must be from 0 and below --hold-seconds (${holdSeconds}), so each step keeps a window to judge; got ${settleSeconds}`);
  const profile = flags.profile ?? 'light';
  if (!(capacityProfileNames as readonly string[]).includes(profile)) fail(`--profile must be ${capacityProfileNames.join(' or ')} (plain pass-through policies, or the sample's AI policies), got "${profile}"`);
  // By default the knee is held three steps long: a rate a queue absorbs for one step may not last.
  const confirmSeconds = flags.confirmSeconds ?? holdSeconds * 3;
  if (!(confirmSeconds === 0 || (confirmSeconds > settleSeconds && Number.isFinite(confirmSeconds)))) fail(`--confirm-seconds must be 0 (no confirming hold) or longer than --settle-seconds (${settleSeconds}), got ${confirmSeconds}`);
  if (flags.maxVus !== undefined && !(Number.isInteger(flags.maxVus) && flags.maxVus >= 1)) fail(`--max-vus must be a whole number of at least 1, got ${flags.maxVus}`);
  const loadGenerators = flags.loadGenerators ?? 1;
  checkLoadGeneratorCount(loadGenerators, { oversubscribe: flags.oversubscribeGenerators === true });
  return { loadGenerators, oversubscribeGenerators: flags.oversubscribeGenerators === true, units, peakRps: flags.peakRps ?? null, headroom, sloP95Ms, errorBudget, minRpsPerUnit: flags.minRpsPerUnit ?? null, startRps, stepRps, maxRps, holdSeconds, settleSeconds, profile: profile as CapacityProfileName, confirmSeconds, maxVus: flags.maxVus ?? null };
}
