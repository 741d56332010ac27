/**
 * "did you mean ...?" hints for unknown element and attribute names. A typo such as
 * `set-heder` should read differently from a real APIM policy the emulator lacks, and the
 * closest known name is the quickest way to say so.
 */

/** The candidate closest to `name` when it is close enough to be a plausible typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Allow one edit for short names (so they do not match everything), two from five
  // characters, and roughly one per four characters beyond that.
  return best !== undefined && bestDistance <= Math.max(name.length >= 5 ? 2 : 1, Math.floor(name.length / 4)) ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const hint = closest(name, candidates);
  return hint === undefined ? '' : ` (did you mean '${hint}'?)`;
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions ("cxt" → "ctx" is 1). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
