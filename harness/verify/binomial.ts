/**
 * Exact binomial tails, for checks whose evidence is a count of independent draws: how many of
 * a gateway's pool picks went to one backend, how many of a front door's requests went to one
 * origin. Exact rather than the normal approximation because the samples are often small and
 * the shares near 0 or 1, where the approximation is worst.
 */

/** ln(n!) by summation for small n, Stirling's series beyond (error < 1e-10 there). */
function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n < 256) {
    let sum = 0;
    for (let i = 2; i <= n; i++) sum += Math.log(i);
    return sum;
  }
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += binomialPmf(i, n, p);
  return Math.min(1, sum);
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let sum = 0;
  for (let i = k; i <= n; i++) sum += binomialPmf(i, n, p);
  return Math.min(1, sum);
}

/**
 * The counts a Binomial(n, p) draw falls outside with probability at most `alpha` (half on each
 * side): the smallest `low` with P(X < low) ≤ alpha/2 maximal, the largest `high` with
 * P(X > high) ≤ alpha/2 maximal. A count outside [low, high] is improbable at that level.
 */
export function binomialBand(n: number, p: number, alpha: number): { low: number; high: number } {
  let low = 0;
  let below = 0;
  while (low < n && below + binomialPmf(low, n, p) <= alpha / 2) below += binomialPmf(low++, n, p);
  let high = n;
  let above = 0;
  while (high > 0 && above + binomialPmf(high, n, p) <= alpha / 2) above += binomialPmf(high--, n, p);
  return { low, high: Math.max(low, high) };
}
