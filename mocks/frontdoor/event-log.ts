/**
 * The front door's event log: every probe result, health change and proxied request, in the
 * order they happened, delivered to a callback, appended to a JSONL file and kept in memory.
 *
 * Choices:
 * - The in-memory copy keeps the latest `retain` events (default 10,000) so a long soak does not
 *   grow without bound; the JSONL file keeps everything. `retain: 0` keeps none, for a front
 *   door whose file is the record (the gateway's, see gateway.ts): 10,000 events held beside
 *   the file are several megabytes the garbage collector copies and marks again and again.
 * - A throwing callback must not break probing or proxying: the error is written to stderr.
 * - The file is written by one batching writer (shared/jsonl-writer.ts), so lines keep the emit
 *   order, a request costs no file write of its own, and what waits for the disk is bounded.
 */
import { JsonlWriter } from '../shared/jsonl-writer.ts';
import { newest, pushBounded } from '../shared/bounded-window.ts';

export const DEFAULT_RETAINED_EVENTS = 10_000;

export interface EventLogOptions<E> {
  log?: (event: E) => void;
  /** Appends one JSON object per line; the folder must exist. */
  eventsPath?: string;
  retain?: number;
}

export interface EventLog<E> {
  emit(event: E): void;
  /** A copy of the retained events, oldest first. */
  events(): E[];
  /** Flushes and closes the file; rejects if writing it failed. */
  close(): Promise<void>;
}

export function createEventLog<E>(options: EventLogOptions<E> = {}): EventLog<E> {
  const retain = options.retain ?? DEFAULT_RETAINED_EVENTS;
  if (!Number.isInteger(retain) || retain < 0) throw new RangeError(`retain must be a non-negative integer, got ${retain}`);
  const kept: E[] = [];
  const file = options.eventsPath === undefined ? undefined : new JsonlWriter(options.eventsPath, { createDirectory: false });

  return {
    emit(event) {
      if (retain > 0) pushBounded(kept, event, retain);
      file?.write(event);
      if (options.log !== undefined) {
        try {
          options.log(event);
        } catch (error) {
          process.stderr.write(`frontdoor event log callback failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        }
      }
    },
    events() {
      return newest(kept, retain);
    },
    async close() {
      await file?.close();
    },
  };
}
