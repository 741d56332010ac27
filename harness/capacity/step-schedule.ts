/**
 * Which offered rates a capacity run tries, in requests per second. Open-model rates (k6's
 * constant-arrival-rate) climb in even steps until one fails, then bisection narrows the edge
 * between the highest passing and the lowest failing rate to within `resolution` of it: coarse
 * steps find the region cheaply, bisection gives the precision without holding many steps near
 * saturation. Pure, so the search can be checked without load.
 */
export interface RampOptions {
  startRps: number;
  stepRps: number;
  maxRps: number;
}

/** The ramp's rates, start, start + step, ... up to and including max (max itself always last). */
export function rampRates(options: RampOptions): number[] {
  const { startRps, stepRps, maxRps } = options;
  if (!(startRps > 0 && stepRps > 0 && maxRps >= startRps)) throw new RangeError(`a ramp needs 0 < start (${startRps}), 0 < step (${stepRps}) and start <= max (${maxRps})`);
  const rates: number[] = [];
  for (let rate = startRps; rate < maxRps; rate += stepRps) rates.push(round(rate));
  rates.push(round(maxRps));
  return rates;
}

/**
 * The next rate to try between a passing and a failing rate, or null when the gap is within
 * `resolution` (a fraction of the passing rate), which ends the search.
 */
export function nextBisectionRate(passingRps: number, failingRps: number, resolution: number): number | null {
  if (!(failingRps > passingRps)) throw new RangeError(`bisection needs the failing rate (${failingRps}) above the passing one (${passingRps})`);
  if (failingRps - passingRps <= resolution * passingRps) return null;
  return round((passingRps + failingRps) / 2);
}

/** Rates are kept to 0.1 req/s: finer than any step a gateway's capacity can be told apart by. */
function round(rate: number): number {
  return Math.round(rate * 10) / 10;
}
