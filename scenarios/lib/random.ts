import type { Distribution } from './plan.ts';

/**
 * Deterministic randomness: a request's prompt and max_tokens depend only on the scenario,
 * its traffic class and the iteration number, never on timing or which VU ran it, so two runs
 * of one plan send the same requests in the same order.
 */
export type Random = () => number;

/** FNV-1a, 32 bits: a seed from any text. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast and good enough for filler text; values in [0, 1). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The random source of one request: scenario, traffic class and iteration. */
export function requestRandom(scenario: string, classIndex: number, iteration: number): Random {
  return seededRandom(hashSeed(`${scenario}/${classIndex}/${iteration}`));
}

/** A whole number from the distribution (uniform: min and max included). */
export function sample(distribution: Distribution, random: Random): number {
  if (distribution.kind === 'fixed') return distribution.value;
  return distribution.min + Math.floor(random() * (distribution.max - distribution.min + 1));
}
