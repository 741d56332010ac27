/**
 * The front door's event log: every probe result, health change and proxied request, in the
 * order they happened, delivered to a callback, appended to a JSONL file and kept in memory.
 *
 * Choices:
 * - The in-memory copy keeps the latest `retain` events (default 10,000) so a long soak does not
 *   grow without bound; the JSONL file keeps everything.
 * - A throwing callback must not break probing or proxying: the error is written to stderr.
 * - The file is written through one append stream, so lines keep the emit order.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { newest, pushBounded } from '../shared/bounded-window.ts';

export const DEFAULT_RETAINED_EVENTS = 10_000;

export interface EventLogOptions<E> {
  log?: (event: E) => void;
  /** Appends one JSON object per line. */
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
  let file: WriteStream | undefined;
  let fileError: Error | undefined;
  if (options.eventsPath !== undefined) {
    file = createWriteStream(options.eventsPath, { flags: 'a' });
    file.on('error', (error) => {
      fileError ??= error;
    });
  }
  let closed = false;

  return {
    emit(event) {
      if (retain > 0) pushBounded(kept, event, retain);
      if (file !== undefined && !closed && fileError === undefined) file.write(`${JSON.stringify(event)}\n`);
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
      if (closed) return;
      closed = true;
      if (file === undefined) return;
      const stream = file;
      if (fileError === undefined) {
        await new Promise<void>((resolve) => {
          stream.once('close', () => resolve());
          stream.end();
        });
      } else {
        stream.destroy();
      }
      if (fileError !== undefined) throw fileError;
    },
  };
}
