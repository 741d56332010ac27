import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { z } from 'zod';

/**
 * A line of an evidence file that is not what its contract says: the file, the line (from 1)
 * and the field, so that a person can open the file at that line and see what is wrong.
 */
export class EvidenceRowError extends Error {
  readonly file: string;
  readonly line: number;
  /** The field's path in the row (`data.tags.status`), '' for the row as a whole. */
  readonly field: string;

  constructor(file: string, line: number, field: string, problem: string) {
    super(`${file}:${line}: ${field === '' ? '' : `${field}: `}${problem}`);
    this.name = 'EvidenceRowError';
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

export interface ReadJsonlOptions {
  /**
   * A line without this text is not one of the rows wanted, and is skipped without being
   * parsed: k6's JSON output has about ten samples per request, one of them Spillway's.
   */
  prefilter?: string;
  /**
   * Which parsed lines are rows of this contract, for files that hold other rows too (k6's
   * output: its own metrics). Every row it takes must then pass the schema; without it, every
   * line must.
   */
  select?: (row: unknown) => boolean;
}

/**
 * Reads a JSONL evidence file line by line (evidence files can be large), checking every row
 * against its contract's schema and returning what the schema outputs, through `keep` when
 * given. A missing file yields nothing (the caller decides whether that is a problem); a line
 * that is not JSON, or a row the schema refuses, throws an EvidenceRowError naming the file,
 * the line and the field: a malformed row is never silently accepted, nor silently dropped.
 */
export async function readJsonl<S extends z.ZodType, T = z.output<S>>(file: string, schema: S, options: ReadJsonlOptions & { keep?: (row: z.output<S>) => T } = {}): Promise<T[]> {
  if (!existsSync(file)) return [];
  const rows: T[] = [];
  const { prefilter, select, keep } = options;
  let lineNumber = 0;
  const take = (line: string): void => {
    lineNumber++;
    if (prefilter !== undefined && !line.includes(prefilter)) return;
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new EvidenceRowError(file, lineNumber, '', `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (select !== undefined && !select(row)) return;
    const parsed = schema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem${parsed.error.issues.length > 2 ? 's' : ''} in this row)` : '';
      throw new EvidenceRowError(file, lineNumber, issue.path.join('.'), `${issue.message}${more}`);
    }
    rows.push(keep === undefined ? (parsed.data as T) : keep(parsed.data));
  };
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) take(line);
  return rows;
}
