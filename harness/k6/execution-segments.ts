/**
 * k6's execution segments for N load generators, as k6-operator passes them to its runners:
 * generator i (0-based) runs `--execution-segment i/N:(i+1)/N` of the sequence
 * `0,1/N,2/N,…,1`. Given the whole sequence, k6 splits every scenario's iterations and VUs
 * among the segments deterministically (striped, so a rate of 3 per 20 s split in two is not
 * 3 per 20 s twice), and the N segments together run exactly the test one k6 would.
 *
 * Fractions are written exactly, unreduced (2/4, not 1/2), as k6-operator writes them; k6 parses
 * them as rationals, so no share is lost to rounding.
 */
export interface ExecutionSegment {
  /** `--execution-segment`, e.g. `1/3:2/3`. */
  segment: string;
  /** `--execution-segment-sequence`, the same for every generator, e.g. `0,1/3,2/3,1`. */
  sequence: string;
}

/** The boundary i/N, with 0 and 1 written as such. */
function boundary(i: number, count: number): string {
  if (i === 0) return '0';
  if (i === count) return '1';
  return `${i}/${count}`;
}

/** The segment of generator `index` (0-based) among `count`, and the shared sequence. */
export function executionSegment(index: number, count: number): ExecutionSegment {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`the number of load generators must be a whole number of at least 1, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`generator index must be a whole number from 0 to ${count - 1}, got ${index}`);
  const sequence = Array.from({ length: count + 1 }, (_, i) => boundary(i, count)).join(',');
  return { segment: `${boundary(index, count)}:${boundary(index + 1, count)}`, sequence };
}

/** k6's arguments for generator `index` of `count`; none for a single generator (the whole test). */
export function executionSegmentArgs(index: number, count: number): string[] {
  const { segment, sequence } = executionSegment(index, count);
  return count === 1 ? [] : ['--execution-segment', segment, '--execution-segment-sequence', sequence];
}
