import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * How many bytes and rows each log table in a gateway logs folder holds. A JSONL file is one
 * table, except the front door's events file, which holds three kinds of event (`type`:
 * request, probe, health) and is split by kind, so a request's share is told apart from the
 * probes' (which do not grow with traffic).
 */
export interface TableVolume {
  table: string;
  bytes: number;
  rows: number;
}

export async function logVolume(dir: string): Promise<TableVolume[]> {
  const tables: TableVolume[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const file = join(dir, name);
    const table = name.slice(0, -'.jsonl'.length);
    const byKind = new Map<string, TableVolume>();
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line === '') continue;
      const kind = table === 'front-door-events' ? `${table} (${/"type":"([a-z]+)"/.exec(line)?.[1] ?? 'unknown'})` : table;
      const entry = byKind.get(kind) ?? { table: kind, bytes: 0, rows: 0 };
      entry.bytes += Buffer.byteLength(line) + 1;
      entry.rows++;
      byKind.set(kind, entry);
    }
    if (byKind.size === 0) tables.push({ table, bytes: statSync(file).size, rows: 0 });
    tables.push(...[...byKind.values()].sort((a, b) => a.table.localeCompare(b.table)));
  }
  return tables;
}
