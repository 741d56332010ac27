import { closeSync, constants, fstatSync, mkdirSync, openSync, write as writeAt, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Appends one JSON document per line to a file, in batches: rows collect in memory and go to
 * the file in one write every `flushMs` (or sooner once `maxPendingChars` have collected), and
 * close() writes whatever is left.
 *
 * Why not one write per row: the gateway logs up to five rows per
 * request (gateway, LLM and three token metrics), and each file write is a trip through
 * libuv's thread pool plus a completion callback on the event loop. On a 2-core machine those
 * trips were a large share of the gateway's per-request CPU and landed between requests.
 * Batching turns them into one write per file per interval, whatever the request rate.
 *
 * Bounded memory: at most one write is under way at a time, and rows that arrive meanwhile
 * wait in one batch. When that batch reaches `maxPendingChars` while the previous write has
 * still not finished (the disk, or the thread pool, is not keeping up), the batch is written
 * synchronously: the writer's caller waits for the disk instead of memory growing without
 * bound. A gateway overloaded for minutes then holds at most two batches per file, never a
 * backlog of everything not yet written; and no row is ever dropped, since the rows are the
 * evidence a run is judged on. (The writes are positional, so the synchronous one lands after
 * the one still under way even if it finishes first.)
 *
 * A file that cannot be opened or written is reported once through `onError` (stderr by
 * default) when it happens, rows written after that are dropped, and close() rejects with the
 * error, so a run cannot end as if its evidence were complete.
 *
 * Each row is serialized when it is written, so later changes to the object do not reach the
 * file, exactly as with a write per row.
 */
export interface JsonlWriterOptions {
  /** How long rows may wait before they are handed to the file; default 100 ms. */
  flushMs?: number;
  /** Characters that make a batch due at once, and the most one batch holds; default 1 Mi. */
  maxPendingChars?: number;
  /** Create the file's folder when missing; default true. */
  createDirectory?: boolean;
  /** Told once, when the file first fails; default: a line on stderr. */
  onError?: (error: Error) => void;
}

export class JsonlWriter {
  readonly path: string;
  readonly #flushMs: number;
  readonly #maxPendingChars: number;
  readonly #onError: (error: Error) => void;
  #fd: number | null = null;
  /** Where the next batch goes: the file's size at open plus every byte handed to a write. */
  #position = 0;
  #pending = '';
  #timer: NodeJS.Timeout | null = null;
  /** The one asynchronous write under way, if any. */
  #inFlight: Promise<void> | null = null;
  #error: Error | null = null;
  #closing: Promise<void> | null = null;
  #count = 0;
  #synchronousWrites = 0;

  constructor(path: string, options: JsonlWriterOptions = {}) {
    this.path = path;
    this.#flushMs = options.flushMs ?? 100;
    this.#maxPendingChars = options.maxPendingChars ?? 1 << 20;
    this.#onError = options.onError ?? ((error) => process.stderr.write(`cannot write ${path}: ${error.message}\n`));
    try {
      if (options.createDirectory ?? true) mkdirSync(dirname(path), { recursive: true });
      // Created when missing, kept when present, and not O_APPEND: every write says where it
      // goes (see the class comment), starting at the end of what the file already holds.
      this.#fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
      this.#position = fstatSync(this.#fd).size;
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Rows written so far (including those not yet flushed). */
  get count(): number {
    return this.#count;
  }

  /** The first error opening or writing the file, if there was one. */
  get error(): Error | null {
    return this.#error;
  }

  /** Characters of rows waiting in memory for a write (at most about maxPendingChars). */
  get pendingChars(): number {
    return this.#pending.length;
  }

  /** Batches written synchronously because the previous write had not finished (see above). */
  get synchronousWrites(): number {
    return this.#synchronousWrites;
  }

  write(row: unknown): void {
    if (this.#fd === null || this.#error || this.#closing) return;
    this.#count++;
    this.#pending += `${JSON.stringify(row)}\n`;
    if (this.#pending.length >= this.#maxPendingChars) this.#flush(true);
    else this.#schedule();
  }

  /** Hands the collected rows to the file now (synchronously if a write is still under way). */
  flush(): void {
    this.#flush(true);
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      await this.#inFlight;
      this.#flush(false);
      await this.#inFlight;
      if (this.#fd !== null) {
        closeSync(this.#fd);
        this.#fd = null;
      }
      if (this.#error) throw this.#error;
    })();
    return this.#closing;
  }

  /** Makes the batch due in flushMs, unless a flush is already due or a write is under way (its end does it). */
  #schedule(): void {
    if (this.#timer || this.#inFlight || this.#closing) return;
    this.#timer = setTimeout(() => this.#flush(false), this.#flushMs);
    // A pending flush must not keep a process alive that has nothing else to do; close() flushes.
    this.#timer.unref();
  }

  /**
   * `urgent`: the batch is full (or the caller asked). Not urgent (the timer, close): if a write
   * is under way, its completion writes the batch instead.
   */
  #flush(urgent: boolean): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#fd === null || this.#error || this.#pending === '') return;
    if (this.#inFlight && !urgent) return;
    const bytes = Buffer.from(this.#pending);
    this.#pending = '';
    const at = this.#position;
    this.#position += bytes.length;
    if (this.#inFlight) {
      this.#synchronousWrites++;
      this.#writeNow(bytes, at);
    } else {
      this.#inFlight = this.#writeLater(bytes, at).then(() => {
        this.#inFlight = null;
        // Rows that came while the write was under way go with the next batch.
        if (this.#pending !== '') this.#schedule();
      });
    }
  }

  #writeNow(bytes: Buffer, at: number): void {
    const fd = this.#fd as number;
    try {
      let done = 0;
      while (done < bytes.length) done += wrote(writeSync(fd, bytes, done, bytes.length - done, at + done));
    } catch (error) {
      this.#fail(error);
    }
  }

  async #writeLater(bytes: Buffer, at: number): Promise<void> {
    const fd = this.#fd as number;
    let done = 0;
    while (done < bytes.length && !this.#error) {
      try {
        done += wrote(await new Promise<number>((resolve, reject) => writeAt(fd, bytes, done, bytes.length - done, at + done, (error, written) => (error ? reject(error) : resolve(written)))));
      } catch (error) {
        this.#fail(error);
      }
    }
  }

  /** Stops writing (the file stays open until close(), which a write under way may still use). */
  #fail(error: unknown): void {
    if (this.#error) return;
    this.#error = error instanceof Error ? error : new Error(String(error));
    this.#pending = '';
    this.#onError(this.#error);
  }
}

/** A write that made no progress would be retried forever: it is an error instead. */
function wrote(bytes: number): number {
  if (bytes <= 0) throw new Error('the file accepted no bytes');
  return bytes;
}
