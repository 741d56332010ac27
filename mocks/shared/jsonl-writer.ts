import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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
 * Each row is serialized when it is written, so later changes to the object do not reach the
 * file, exactly as with a write per row.
 */
export class JsonlWriter {
  readonly path: string;
  readonly #flushMs: number;
  readonly #maxPendingChars: number;
  #stream: WriteStream | null;
  #pending = '';
  #timer: NodeJS.Timeout | null = null;
  #count = 0;

  constructor(path: string, options: { flushMs?: number; maxPendingChars?: number } = {}) {
    this.path = path;
    this.#flushMs = options.flushMs ?? 100;
    this.#maxPendingChars = options.maxPendingChars ?? 1 << 20;
    mkdirSync(dirname(path), { recursive: true });
    this.#stream = createWriteStream(path, { flags: 'a' });
  }

  /** Rows written so far (including those not yet flushed). */
  get count(): number {
    return this.#count;
  }

  write(row: unknown): void {
    if (!this.#stream) return;
    this.#count++;
    this.#pending += `${JSON.stringify(row)}\n`;
    if (this.#pending.length >= this.#maxPendingChars) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      // A pending flush must not keep a process alive that has nothing else to do; close() flushes.
      this.#timer.unref();
    }
  }

  /** Hands the collected rows to the file now. */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (!this.#stream || this.#pending === '') return;
    this.#stream.write(this.#pending);
    this.#pending = '';
  }

  async close(): Promise<void> {
    this.flush();
    const stream = this.#stream;
    this.#stream = null;
    if (!stream) return;
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
