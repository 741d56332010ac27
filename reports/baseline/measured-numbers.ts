/**
 * The numbers of a verdict's measured text, compared between a baseline and a run. A verdict's
 * `measured` is a sentence ("18 of 187 medium requests reached PAYG; 0 of those while ..."),
 * not a number, so its numbers are compared only when both sentences have the same shape, the
 * same words around other numbers; otherwise the two texts say different things (a different
 * branch of the check) and are shown side by side, not paired.
 */
export interface NumberChange {
  /** Which number of the sentence, from 1, with the words before it for a reader. */
  position: number;
  context: string;
  baseline: number;
  current: number;
  /** In percent of the baseline; null when the baseline is 0. */
  changePercent: number | null;
}

const numberPattern = /-?\d+(?:\.\d+)?/g;

/** The numbers that changed, when both texts have the same shape; null when they differ in shape. */
export function compareMeasured(baseline: string, current: string): NumberChange[] | null {
  if (shape(baseline) !== shape(current)) return null;
  const before = [...baseline.matchAll(numberPattern)];
  const after = [...current.matchAll(numberPattern)];
  const changes: NumberChange[] = [];
  before.forEach((match, i) => {
    const [b, c] = [Number(match[0]), Number(after[i]![0])];
    if (b === c) return;
    const preceding = current.slice(0, after[i]!.index).split(/[;,(]/).at(-1)!.trim();
    changes.push({ position: i + 1, context: preceding.split(/\s+/).slice(-4).join(' '), baseline: b, current: c, changePercent: b === 0 ? null : ((c - b) / b) * 100 });
  });
  return changes;
}

/** The text with each number replaced by a placeholder. */
function shape(text: string): string {
  return text.replace(numberPattern, '#');
}
