/**
 * Appends to an in-memory window that keeps at least the newest `keep` items. It trims in
 * batches (once it holds twice `keep`), so each push is O(1) amortised: trimming one item per
 * push would shift the whole array on every request of a long run.
 */
export function pushBounded<T>(list: T[], item: T, keep: number): void {
  list.push(item);
  if (list.length >= keep * 2) list.splice(0, list.length - keep);
}

/** The newest `keep` items of a window filled by pushBounded, oldest first. */
export function newest<T>(list: readonly T[], keep: number): T[] {
  return list.length > keep ? list.slice(list.length - keep) : [...list];
}
