import { gaussian } from '../shared/rng.ts';
import type { Rng } from '../shared/rng.ts';

/**
 * How many tokens a mock completion would produce if nothing cut it short. Existing
 * simulators always answer with max_tokens (aoai-api-simulator #10); a distribution makes
 * the PTU estimate-versus-actual correction and PAYG token accounting behave as they do
 * against real traffic.
 */
export type LengthDistribution =
  | { kind: 'fixed'; tokens: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stdDev: number; min?: number; max?: number };

export type CompletionFinishReason = 'stop' | 'length';

export interface ResolvedCompletionLength {
  tokens: number;
  finishReason: CompletionFinishReason;
}

/**
 * A whole number of tokens, at least 1. Only `fixed` may give 0 (e.g. to test an empty
 * completion); a drawn length is never empty.
 */
export function sampleCompletionLength(dist: LengthDistribution, rng: Rng): number {
  switch (dist.kind) {
    case 'fixed':
      if (!Number.isInteger(dist.tokens) || dist.tokens < 0) {
        throw new RangeError(`fixed length must be a whole number >= 0, got ${dist.tokens}`);
      }
      return dist.tokens;
    case 'uniform': {
      const low = Math.max(1, Math.ceil(dist.min));
      const high = Math.floor(dist.max);
      if (!(high >= low)) throw new RangeError(`uniform length needs 1 <= min <= max, got ${dist.min}..${dist.max}`);
      // Every whole number in [low, high] equally likely, both ends included.
      return low + Math.floor(rng.next() * (high - low + 1));
    }
    case 'normal': {
      const low = Math.max(1, Math.ceil(dist.min ?? 1));
      const high = dist.max === undefined ? Number.POSITIVE_INFINITY : Math.floor(dist.max);
      if (!(high >= low)) throw new RangeError(`normal length needs min <= max with max >= 1, got ${dist.min}..${dist.max}`);
      if (!(dist.stdDev >= 0)) throw new RangeError(`normal length needs stdDev >= 0, got ${dist.stdDev}`);
      const drawn = Math.round(dist.mean + dist.stdDev * gaussian(rng));
      return Math.min(high, Math.max(low, drawn));
    }
  }
}

/**
 * Decides the length actually sent. A forced length (from a test request header) replaces
 * the sampled one, so a test can ask for an exact size; max_tokens then caps either. Only a
 * length that had to be cut reports finish_reason 'length': one that fits, including one
 * exactly equal to max_tokens, ended on its own and reports 'stop'.
 */
export function resolveCompletionLength(args: {
  sampled: number;
  maxTokens?: number;
  forced?: number;
}): ResolvedCompletionLength {
  const { sampled, maxTokens, forced } = args;
  if (forced !== undefined && (!Number.isInteger(forced) || forced < 0)) {
    throw new RangeError(`forced length must be a whole number >= 0, got ${forced}`);
  }
  const wanted = forced ?? sampled;
  if (maxTokens !== undefined && wanted > maxTokens) return { tokens: maxTokens, finishReason: 'length' };
  return { tokens: wanted, finishReason: 'stop' };
}
