import type { z } from 'zod';
import type { LogColumnType } from '../../contracts/gateway-log-rows.ts';
import { LogAnalyticsError } from './query-failure.ts';

/**
 * A workspace's row (as LogsQueryClient returns it) in the evidence contract's terms, checked
 * against the contract's schema like every row the emulator writes:
 *
 * - datetimes come back from the SDK as Date objects; the contract has ISO-8601 strings;
 * - Kusto has no null string: a string column that does not apply comes back empty, where the
 *   contract (and the emulator) say null; an empty dynamic likewise;
 * - columns beyond the contract's are dropped by the schema.
 */
export function toContractRow<S extends z.ZodType>(row: Record<string, unknown>, columns: Readonly<Record<string, LogColumnType>>, schema: S, where: () => string): z.output<S> {
  const shaped: Record<string, unknown> = {};
  for (const [column, type] of Object.entries(columns)) {
    const value = row[column];
    if (value === undefined) throw new LogAnalyticsError(`${where()}: the workspace's answer has no ${column} column`);
    shaped[column] = normalize(value, type);
  }
  const parsed = schema.safeParse(shaped);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LogAnalyticsError(`${where()}: the row does not fit the evidence contract: ${issue.path.join('.') || 'row'}: ${issue.message} (the value was ${JSON.stringify(issue.path.length > 0 ? shaped[String(issue.path[0])] : shaped)})`);
  }
  return parsed.data;
}

function normalize(value: unknown, type: LogColumnType): unknown {
  if (value === null) return null;
  switch (type) {
    case 'datetime':
      return value instanceof Date ? value.toISOString() : value;
    case 'string':
    case 'guid':
    case 'dynamic':
      return value === '' ? null : value;
    default:
      return value;
  }
}
