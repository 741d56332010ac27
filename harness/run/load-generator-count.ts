import { availableParallelism } from 'node:os';
import { vuSizing } from '../../scenarios/lib/executors.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * How many k6 load generators a run may start (`--load-generators`), checked before anything
 * starts; `spillway run` and the capacity command share these rules.
 */
export class LoadGeneratorCountError extends UserFacingError {}

/**
 * A whole number of at least 1, and no more than the machine's cores unless the command says
 * to oversubscribe: k6 processes sharing a core slow each other down, and a generator starved of
 * CPU sends late and measures its own queueing as the gateway's latency.
 */
export function checkLoadGeneratorCount(count: number, options: { oversubscribe?: boolean; cores?: number; flag?: string; oversubscribeFlag?: string } = {}): void {
  const flag = options.flag ?? '--load-generators';
  if (!Number.isInteger(count) || count < 1) throw new LoadGeneratorCountError(`${flag} must be a whole number of at least 1, got ${String(count)}`);
  const cores = options.cores ?? availableParallelism();
  if (count > cores && !options.oversubscribe) {
    throw new LoadGeneratorCountError(
      `${flag} ${count}: more load generators than this machine's ${cores} core${cores === 1 ? '' : 's'} (os.availableParallelism()); k6 processes sharing cores delay each other's requests and would report that delay as the gateway's latency. Use ${flag} ${cores} or fewer, or add ${options.oversubscribeFlag ?? '--oversubscribe-generators'} to run them anyway`,
    );
  }
}

/**
 * The traffic class with the fewest VUs at these units (k6's maxVUs for its rate,
 * scenarios/lib/executors.ts vuSizing), or null for a plan without traffic. Execution segments
 * split each class's VUs among the generators (or k6-operator's runners) as they split its
 * arrivals: a generator given none of a class's VUs drops its share of that class's arrivals,
 * an artefact of the split, so no class may have fewer VUs than there are generators.
 */
export function classWithFewestVUs(traffic: readonly { consumer: string; ratePerUnit: number }[], units: number): { consumer: string; rate: number; maxVUs: number } | null {
  let fewest: { consumer: string; rate: number; maxVUs: number } | null = null;
  for (const t of traffic) {
    const rate = t.ratePerUnit * units;
    const { maxVUs } = vuSizing(rate);
    if (!fewest || maxVUs < fewest.maxVUs) fewest = { consumer: t.consumer, rate, maxVUs };
  }
  return fewest;
}

/** Refuses more generators than the VUs of the plan's smallest class (classWithFewestVUs). */
export function checkClassesCoverGenerators(traffic: readonly { consumer: string; ratePerUnit: number }[], units: number, count: number, flag = '--load-generators'): void {
  const fewest = classWithFewestVUs(traffic, units);
  if (fewest && count > fewest.maxVUs) {
    throw new LoadGeneratorCountError(
      `${flag} ${count}: more load generators than the ${fewest.maxVUs} VUs of the ${fewest.consumer} class (${fewest.rate} requests/s at --units ${units}), so some generators would have none of its VUs and drop their share of its requests; use ${flag} ${fewest.maxVUs} or less`,
    );
  }
}
