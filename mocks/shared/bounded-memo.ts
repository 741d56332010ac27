/**
 * Remembers a pure function of a short string. Load tests send the same few request targets
 * over and over, and parsing one as a URL costs more than looking it up; the memo holds at
 * most `limit` keys of at most `longestKey` characters (longer keys are computed every time),
 * and starts afresh when full, so odd traffic cannot make it grow without bound.
 */
export function boundedMemo<T>(compute: (key: string) => T, options: { limit?: number; longestKey?: number } = {}): (key: string) => T {
  const limit = options.limit ?? 1024;
  const longestKey = options.longestKey ?? 512;
  const memo = new Map<string, T>();
  return (key) => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const value = compute(key);
    if (key.length <= longestKey && value !== undefined) {
      if (memo.size >= limit) memo.clear();
      memo.set(key, value);
    }
    return value;
  };
}
