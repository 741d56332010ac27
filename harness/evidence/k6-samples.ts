import { isRequestPoint, k6RequestSampleSchema, toClientRecord, type ClientRecord } from '../contracts/client-record.ts';
import { readJsonl } from './read-jsonl.ts';

/**
 * Turns k6's JSON output (`--out json=file`) into client records: every request emits one
 * `spillway_request` sample whose tags carry what the client saw (scenarios/lib/README.md
 * lists the tags). Each such sample must pass the contract's schema (harness/contracts/
 * client-record.ts), so a tag the scenarios stopped setting, or set to something unexpected, is
 * an error naming the line and the tag rather than a record quietly filled with '' or 0. k6's
 * own lines (its metrics' declarations, its built-in samples) are not Spillway's, and are
 * skipped. k6's sample times have microseconds; Date.parse keeps whole milliseconds.
 */

export async function readClientRecords(file: string): Promise<ClientRecord[]> {
  const points = await readJsonl(file, k6RequestSampleSchema, { prefilter: '"spillway_request"', select: isRequestPoint });
  return points.map((point) => toClientRecord(point));
}
