import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Reads a JSONL file line by line (evidence files can be large), keeping the rows `keep`
 * accepts. A missing file yields nothing: the caller decides whether that is a problem. A
 * malformed line is reported with its line number rather than silently skipped.
 */
export async function readJsonl<T>(file: string, keep: (row: unknown) => row is T, options: { prefilter?: string } = {}): Promise<T[]> {
  if (!existsSync(file)) return [];
  const rows: T[] = [];
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    // A cheap substring test avoids parsing lines that cannot match (k6's JSON output has ~10 samples per request).
    if (options.prefilter && !line.includes(options.prefilter)) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Error(`${file}:${number}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (keep(row)) rows.push(row);
  }
  return rows;
}

export const anyRow = (row: unknown): row is Record<string, unknown> => typeof row === 'object' && row !== null;
