/**
 * Small helpers every verifier uses to write verdicts: evidence references with a few
 * examples, and combining the statuses of several sub-results into one.
 */
import type { EvidenceRef, Verdict, VerdictStatus } from './verdict.ts';

/** At most this many examples per evidence reference. */
export const MAX_EXAMPLES = 5;

export function ref(file: string, description: string, examples: readonly (number | string)[] = [], timeRange?: [number, number]): EvidenceRef {
  const r: EvidenceRef = { file, description };
  if (examples.length > 0) r.examples = [...new Set(examples)].slice(0, MAX_EXAMPLES);
  if (timeRange) r.timeRange = timeRange;
  return r;
}

/** "seq 120, 125, 130" for an explanation. */
export function listExamples(examples: readonly (number | string)[], label = 'seq'): string {
  const shown = [...new Set(examples)].slice(0, MAX_EXAMPLES);
  if (shown.length === 0) return '';
  return `${label} ${shown.join(', ')}${examples.length > shown.length ? ', …' : ''}`;
}

/**
 * Combines sub-results: any fail fails; otherwise any pass passes (the parts that could not be
 * judged are named in the explanation); only all-inconclusive is inconclusive.
 */
export function combine(statuses: readonly VerdictStatus[]): VerdictStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('pass')) return 'pass';
  return 'inconclusive';
}

/** The time span of a set of epoch-ms instants, for EvidenceRef.timeRange. */
export function spanOf(times: readonly number[]): [number, number] | undefined {
  if (times.length === 0) return undefined;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return [min, max];
}

export function verdict(v: Verdict): Verdict {
  return v;
}

/** Joins per-item descriptions with "; ", showing at most `max` and counting the rest. */
export function joinParts(parts: readonly string[], max = 3): string {
  if (parts.length <= max) return parts.join('; ');
  return `${parts.slice(0, max).join('; ')}; and ${parts.length - max} more`;
}
