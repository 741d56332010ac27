/**
 * Proportions from small samples: the Wilson score interval (reported with success rates) and
 * the one-sided comparison the priority verifier uses to order success rates without failing
 * on noise.
 */

/** z for a two-sided 95% interval. */
export const Z95 = 1.96;
/** z for a one-sided 95% test. */
export const Z95_ONE_SIDED = 1.645;

/** Wilson score interval for `successes` out of `n`; [0, 1] when n is 0. */
export function wilson(successes: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface OrderTest {
  /** Success rate of the class that should be at least as high. */
  higher: number;
  lower: number;
  /** How far `lower` may exceed `higher` before the order counts as broken. */
  margin: number;
  /** True when `lower` exceeds `higher` by more than the margin. */
  violated: boolean;
}

/**
 * Is rate A (a successes of na) at least rate B (b of nb)? Broken only when B exceeds A by
 * more than margin = max(minMargin, z · sqrt(p̄(1 − p̄)(1/na + 1/nb))), p̄ the pooled rate: a
 * one-sided two-proportion test at 95% with a floor of a few points, so equal rates with
 * sampling noise never fail and a real inversion of more than a few points does.
 */
export function atLeast(a: number, na: number, b: number, nb: number, minMargin = 0.03, z = Z95_ONE_SIDED): OrderTest {
  const higher = a / na;
  const lower = b / nb;
  const pooled = (a + b) / (na + nb);
  const margin = Math.max(minMargin, z * Math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb)));
  return { higher, lower, margin, violated: lower - higher > margin };
}

/**
 * The largest and smallest of many numbers. `Math.max(...list)` passes every element as an
 * argument and overflows the stack past about 120,000 (a busy consumer's admissions over a
 * 10-minute run: bench:analysis found it); these loop instead. Empty: `empty`.
 */
export function maxOf(values: readonly number[], empty = Number.NEGATIVE_INFINITY): number {
  let max = empty;
  for (const value of values) if (value > max) max = value;
  return values.length === 0 ? empty : max;
}

export function minOf(values: readonly number[], empty = Number.POSITIVE_INFINITY): number {
  let min = Number.POSITIVE_INFINITY;
  for (const value of values) if (value < min) min = value;
  return values.length === 0 ? empty : min;
}
