/**
 * Origin choice for one request, in the order the AFD routing docs give [DOC AFD-RM, AFD-HP]:
 *   1. enabled origins only;
 *   2. healthy by probe;
 *   3. lowest priority value (1-5; priority 2 gets traffic only when every priority-1 origin
 *      is unhealthy);
 *   4. (latency band: not modelled, see below);
 *   5. weighted round-robin by weight (1-1000, default 50).
 * When every enabled origin is unhealthy, AFD "considers all origins unhealthy and routes
 * traffic in a round robin distribution across all of them" [DOC AFD-HP]: plain round-robin
 * over every enabled origin, ignoring priority and weight.
 *
 * Choices where the docs are silent (see docs/frontdoor.md):
 * - The latency-sensitivity band is not modelled: the emulator is one POP with equal latency to
 *   every origin, so all origins of the best priority tie and weights decide. (Real AFD with the
 *   default 0 ms band sends everything to the single fastest origin.)
 * - Weighted round-robin is the smooth weighted round-robin of nginx, with no randomness, so a
 *   sequence of choices is exact and repeatable: weights 5/1/1 give A A B A C A A, then repeat.
 *   Ties go to the origin listed first.
 * - The rotation restarts whenever the set of candidates changes (an origin leaves or rejoins),
 *   so the sequence after a failover or a return is predictable from the new set alone.
 */

export interface SelectableOrigin {
  name: string;
  /** 1-5, lower is preferred. */
  priority: number;
  /** 1-1000. */
  weight: number;
  enabled: boolean;
}

/** `healthy`: normal routing. `all-unhealthy`: every enabled origin failed its probes. */
export type SelectionMode = 'healthy' | 'all-unhealthy';

export interface OriginChoice {
  origin: string;
  mode: SelectionMode;
}

export interface OriginSelector {
  /** The origin for the next request, or undefined when no origin is enabled. */
  select(origins: readonly SelectableOrigin[], isHealthy: (name: string) => boolean): OriginChoice | undefined;
}

export function createOriginSelector(): OriginSelector {
  // Smooth weighted round-robin state for the current healthy candidate set.
  let weightedKey = '';
  let currentWeights = new Map<string, number>();
  // Plain round-robin state for the all-unhealthy case.
  let roundRobinKey = '';
  let roundRobinNext = 0;

  function weighted(candidates: readonly SelectableOrigin[]): string {
    const key = candidates.map((o) => `${o.name}\u0000${o.weight}`).join('\u0001');
    if (key !== weightedKey) {
      weightedKey = key;
      currentWeights = new Map(candidates.map((o) => [o.name, 0]));
    }
    let total = 0;
    let best: SelectableOrigin | undefined;
    let bestWeight = Number.NEGATIVE_INFINITY;
    for (const origin of candidates) {
      const current = (currentWeights.get(origin.name) ?? 0) + origin.weight;
      currentWeights.set(origin.name, current);
      total += origin.weight;
      // Strictly greater: ties go to the origin listed first.
      if (current > bestWeight) {
        best = origin;
        bestWeight = current;
      }
    }
    const chosen = best as SelectableOrigin;
    currentWeights.set(chosen.name, bestWeight - total);
    return chosen.name;
  }

  function roundRobin(candidates: readonly SelectableOrigin[]): string {
    const key = candidates.map((o) => o.name).join('\u0001');
    if (key !== roundRobinKey) {
      roundRobinKey = key;
      roundRobinNext = 0;
    }
    const chosen = candidates[roundRobinNext % candidates.length] as SelectableOrigin;
    roundRobinNext = (roundRobinNext + 1) % candidates.length;
    return chosen.name;
  }

  return {
    select(origins, isHealthy) {
      const enabled = origins.filter((o) => o.enabled);
      if (enabled.length === 0) return undefined;
      const healthy = enabled.filter((o) => isHealthy(o.name));
      if (healthy.length === 0) return { origin: roundRobin(enabled), mode: 'all-unhealthy' };
      const best = Math.min(...healthy.map((o) => o.priority));
      return { origin: weighted(healthy.filter((o) => o.priority === best)), mode: 'healthy' };
    },
  };
}
