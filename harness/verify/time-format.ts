/**
 * How verdicts write times: the UTC wall clock to the millisecond (what a person matches
 * against log files) and the offset from k6's start (what a person matches against the
 * scenario's timeline).
 */

/** "12:00:05.123" (UTC). */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** "12.3 s" (one decimal), "850 ms" below a second. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "12:00:05.123 (t+5.1 s)": wall clock and offset from the run's start. */
export function moment(ms: number, runStart: number): string {
  const offset = (ms - runStart) / 1000;
  return `${clockTime(ms)} (t${offset >= 0 ? '+' : '-'}${Math.abs(offset).toFixed(1)} s)`;
}

/** "between 12:00:05.123 (t+5.1 s) and 12:00:40.000 (t+40.0 s)". */
export function between(from: number, to: number, runStart: number): string {
  return `between ${moment(from, runStart)} and ${moment(to, runStart)}`;
}

/** "42.0%". */
export function percent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}
