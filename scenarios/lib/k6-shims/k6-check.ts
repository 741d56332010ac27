/** k6's check(): evaluates every predicate and records the outcome by check name. */
export const checkResults: { name: string; ok: boolean; tags: Record<string, string> }[] = [];

export function check<T>(value: T, sets: Record<string, (value: T) => boolean>, tags: Record<string, string> = {}): boolean {
  let all = true;
  for (const [name, predicate] of Object.entries(sets)) {
    const ok = predicate(value);
    checkResults.push({ name, ok, tags });
    all &&= ok;
  }
  return all;
}
