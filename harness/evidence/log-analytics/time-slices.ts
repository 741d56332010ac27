/**
 * Cutting a run's window into time slices whose rows a query may return whole. A query returns
 * at most 500,000 rows and 64 MB, past which the result is cut with a partial query failure
 * (learn.microsoft.com/kusto/concepts/query-limits, which apply to Azure Monitor); a 10-minute run
 * at 1,000 requests per second has 600,000 gateway rows. The poll already counts the run's rows per time bin, so the fetch knows where to cut:
 * consecutive bins are merged while their rows stay within the budget, and a single bin over it
 * is cut into equal parts (its rows assumed even). A slice that still comes back partial is
 * halved (collect-from-log-analytics.ts).
 *
 * The default budget, 50,000 rows, leaves 1.3 KB per row under 64 MB: a gateway row with the
 * contract's columns is about 0.6 KB of JSON, two URLs included.
 */
export const defaultRowBudget = 50_000;

/** The width of a count bin: 10 s, or wider so a long window has at most 2,000 bins. */
export function binSecondsFor(window: { start: number; end: number }): number {
  return Math.max(10, Math.ceil((window.end - window.start) / 2000 / 10_000) * 10);
}

export interface CountBin {
  /** The bin's start, epoch ms (KQL's bin(): a multiple of the width since the epoch). */
  start: number;
  rows: number;
}

export interface TimeSlice {
  /** Epoch ms, [start, end). */
  start: number;
  end: number;
  /** The rows the counts say it holds (an estimate for part of a bin). */
  rows: number;
}

/** Slices covering the whole window in order, each with at most `budget` rows by the counts. */
export function planSlices(window: { start: number; end: number }, bins: readonly CountBin[], binMs: number, budget: number): TimeSlice[] {
  const slices: TimeSlice[] = [];
  let start = window.start;
  let rows = 0;
  for (const bin of [...bins].sort((a, b) => a.start - b.start)) {
    const binStart = Math.max(bin.start, window.start);
    const binEnd = Math.min(bin.start + binMs, window.end);
    if (binEnd <= binStart || bin.rows === 0) continue;
    if (bin.rows > budget) {
      if (binStart > start) slices.push({ start, end: binStart, rows });
      const parts = Math.min(Math.ceil(bin.rows / budget), binEnd - binStart);
      for (let i = 0; i < parts; i++) {
        slices.push({ start: binStart + Math.floor(((binEnd - binStart) * i) / parts), end: binStart + Math.floor(((binEnd - binStart) * (i + 1)) / parts), rows: bin.rows / parts });
      }
      start = binEnd;
      rows = 0;
      continue;
    }
    if (rows + bin.rows > budget) {
      slices.push({ start, end: binStart, rows });
      start = binStart;
      rows = 0;
    }
    rows += bin.rows;
  }
  if (start < window.end) slices.push({ start, end: window.end, rows });
  return slices;
}

/** The two halves of a slice that came back partial; null when it is too short to cut. */
export function halve(slice: TimeSlice): [TimeSlice, TimeSlice] | null {
  if (slice.end - slice.start < 2) return null;
  const middle = Math.floor((slice.start + slice.end) / 2);
  return [
    { start: slice.start, end: middle, rows: slice.rows / 2 },
    { start: middle, end: slice.end, rows: slice.rows / 2 },
  ];
}
