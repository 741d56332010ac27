/**
 * A number read from a KQL query's result, and whether it is within a tolerance: what kql
 * probes and detection queries both judge. The query runs over a window (its timespan, which
 * bounds TimeGenerated as Log Analytics applies it to every table); the value is one column's
 * sum, max or min over the result rows that match `where`, or how many rows matched.
 */
import type { QueryRows, WorkspaceReader } from '../evidence/log-analytics/workspace-reader.ts';
import type { KqlValue, Tolerance } from './drill-file.ts';

export interface KqlMeasurement {
  /** The value read, or null when no row matched a sum/max/min (nothing to read). */
  value: number | null;
  /** Result rows, and how many matched `where`. */
  rows: number;
  matched: number;
  partialError: string | null;
  /** The result's first rows (at most resultRowsKept), for the journal: the on-call's view of the dashboard. */
  result: Record<string, unknown>[];
}

export const resultRowsKept = 20;

export async function measureKql(reader: WorkspaceReader, query: string, window: { start: number; end: number }, value: KqlValue, what: string): Promise<KqlMeasurement> {
  // A minute to answer: the offline workspace answers at once, a real one may throttle.
  const result = await reader.query(query, window, what, Date.now() + 60_000);
  return { ...valueOf(result, value), rows: result.rows.length, partialError: result.partialError, result: result.rows.slice(0, resultRowsKept) };
}

export function valueOf(result: Pick<QueryRows, 'rows'>, value: KqlValue): { value: number | null; matched: number } {
  const matching = result.rows.filter((row) => Object.entries(value.where).every(([column, wanted]) => sameValue(row[column], wanted)));
  if (value.aggregate === 'rows') return { value: matching.length, matched: matching.length };
  const numbers = matching.map((row) => Number(row[value.column!])).filter((n) => Number.isFinite(n));
  if (numbers.length === 0) return { value: value.aggregate === 'sum' ? 0 : null, matched: matching.length };
  const reduced = value.aggregate === 'sum' ? numbers.reduce((a, b) => a + b, 0) : value.aggregate === 'max' ? Math.max(...numbers) : Math.min(...numbers);
  return { value: reduced, matched: matching.length };
}

function sameValue(actual: unknown, wanted: string | number | boolean): boolean {
  if (typeof wanted === 'number') return Number(actual) === wanted;
  if (typeof wanted === 'boolean') return actual === wanted;
  return String(actual ?? '') === wanted;
}

export function withinTolerance(value: number | null, tolerance: Tolerance): boolean {
  if (value === null) return false;
  return (tolerance.min === undefined || value >= tolerance.min) && (tolerance.max === undefined || value <= tolerance.max);
}

export function describeTolerance(tolerance: Tolerance): string {
  if (tolerance.min !== undefined && tolerance.max !== undefined) return tolerance.min === tolerance.max ? `= ${tolerance.min}` : `between ${tolerance.min} and ${tolerance.max}`;
  return tolerance.min !== undefined ? `>= ${tolerance.min}` : `<= ${tolerance.max}`;
}

export function describeValue(value: KqlValue): string {
  const where = Object.entries(value.where).map(([c, v]) => `${c} == ${JSON.stringify(v)}`);
  const of = value.aggregate === 'rows' ? 'result rows' : `${value.aggregate}(${value.column})`;
  return `${of}${where.length > 0 ? ` where ${where.join(' and ')}` : ''}`;
}
