/**
 * Closed time intervals [from, to] in epoch ms, and the few set operations the verifiers need
 * (when a backend was under pressure, which part of a run was steady).
 */
export interface Interval {
  from: number;
  to: number;
}

/** Sorted, merged intervals (overlapping or touching ones become one). Empty ones are dropped. */
export function union(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.to >= i.from).sort((a, b) => a.from - b.from);
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (last && next.from <= last.to) last.to = Math.max(last.to, next.to);
    else merged.push({ from: next.from, to: next.to });
  }
  return merged;
}

/** Whether `t` falls in one of the merged intervals (binary search). */
export function contains(merged: readonly Interval[], t: number): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const interval = merged[mid] as Interval;
    if (t < interval.from) hi = mid - 1;
    else if (t > interval.to) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Whether any point of [from, to] falls in the merged (sorted, disjoint) intervals (binary search). */
export function overlaps(merged: readonly Interval[], from: number, to: number): boolean {
  // The first interval ending at or after `from`; it overlaps iff it starts at or before `to`.
  let lo = 0;
  let hi = merged.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((merged[mid] as Interval).to < from) lo = mid + 1;
    else hi = mid;
  }
  const first = merged[lo];
  return first !== undefined && first.from <= to;
}

/** `base` minus `cut`: the parts of the base intervals no cut interval covers. */
export function subtract(base: readonly Interval[], cut: readonly Interval[]): Interval[] {
  let pieces = union(base);
  for (const c of union(cut)) {
    const next: Interval[] = [];
    for (const p of pieces) {
      if (c.to < p.from || c.from > p.to) {
        next.push(p);
        continue;
      }
      if (c.from > p.from) next.push({ from: p.from, to: c.from });
      if (c.to < p.to) next.push({ from: c.to, to: p.to });
    }
    pieces = next;
  }
  return pieces.filter((p) => p.to > p.from);
}

/** Total length in ms of merged intervals. */
export function totalLength(merged: readonly Interval[]): number {
  return merged.reduce((sum, i) => sum + (i.to - i.from), 0);
}
