import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { LedgerRecord } from '../../harness/contracts/ledger-record.ts';

/**
 * The records' shapes are a contract shared with the harness's verifiers (LedgerReason,
 * RequestRecord, FaultChangeRecord: harness/contracts/ledger-record.ts, with what each field
 * means); this file writes and serves them.
 */
export type { FaultChangeRecord, LedgerReason, LedgerRecord, RequestRecord } from '../../harness/contracts/ledger-record.ts';

type WithoutSeq<T> = T extends LedgerRecord ? Omit<T, 'seq'> : never;
export type LedgerEntry = WithoutSeq<LedgerRecord>;

export interface LedgerPage {
  records: LedgerRecord[];
  /** Pass as `after` to read on. */
  next: number;
  /** True when records after the requested point have already left the window (read the file). */
  truncated: boolean;
  /**
   * The newest seq the ledger has numbered so far (0 before the first record), whatever the
   * page holds: a reader learns where the ledger ends without reading a record (`limit=0`),
   * knows whether it has caught up (`next === last`), and sees a restarted fleet (a `last`
   * below what it already read).
   */
  last: number;
}

/**
 * Streams every record to a JSONL file and keeps only the newest `windowSize` in memory, in
 * a fixed ring, so memory stays flat however long the run.
 */
export class Ledger {
  readonly path: string | null;
  readonly windowSize: number;
  #ring: (LedgerRecord | undefined)[];
  #seq = 0;
  #file: WriteStream | null;
  /**
   * The newest record already handed to the file. Records reach the file in batches, straight
   * from the ring: every flushMs, or sooner once half the window is waiting, and on close().
   * Why: a JSON line built per request (and kept until its batch went out) cost about a tenth
   * of a request's CPU at a few thousand requests per second, mostly in the garbage collector
   * (each line outlived the young generation). The ring keeps the records anyway; a line now
   * exists only for the moment its batch is written. Same bytes, same order.
   */
  #written = 0;
  #flushTimer: NodeJS.Timeout | null = null;
  readonly #flushMs: number;
  #listeners = new Set<(record: LedgerRecord) => void>();
  /**
   * Batches are handed to the file without waiting for it: a request must never wait for the
   * disk, and dropping records would break the ledger's promise. So a disk slower than the
   * records grow lets the stream's buffer grow; past backlogWarningBytes that is said once (on
   * stderr by default), and again only once a batch found the buffer back under it.
   */
  readonly #backlogWarningBytes: number;
  readonly #onBacklog: (message: string) => void;
  #backlogReported = false;
  /** Settles once the file is open (or could not be opened); see opened(). */
  readonly #opened: Promise<void>;

  constructor(options: { path?: string | null; windowSize?: number; flushMs?: number; backlogWarningBytes?: number; onBacklog?: (message: string) => void } = {}) {
    this.path = options.path ?? null;
    this.windowSize = options.windowSize ?? 10_000;
    this.#flushMs = options.flushMs ?? 100;
    this.#backlogWarningBytes = options.backlogWarningBytes ?? 64 * 1024 * 1024;
    this.#onBacklog = options.onBacklog ?? ((message) => process.stderr.write(`${message}\n`));
    this.#ring = new Array<LedgerRecord | undefined>(this.windowSize);
    if (this.path) {
      createFolders(dirname(this.path));
      const file = createWriteStream(this.path, { flags: 'a' });
      this.#file = file;
      this.#opened = new Promise<void>((resolve, reject) => {
        const failed = (error: Error): void => reject(new Error(`cannot open the ledger ${this.path}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, { cause: error }));
        file.once('error', failed);
        file.once('open', () => {
          file.off('error', failed);
          resolve();
        });
      });
      // Observed here so that a ledger nobody awaits does not end the process with an
      // unhandled rejection; whoever starts a fleet awaits opened() and gets the error.
      this.#opened.catch(() => undefined);
    } else {
      this.#file = null;
      this.#opened = Promise.resolve();
    }
  }

  /**
   * Resolves once the ledger's file is open, rejects (naming the file) when it cannot be: a
   * fleet must not start serving with a ledger that will never be written.
   */
  opened(): Promise<void> {
    return this.#opened;
  }

  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * Numbers the entry and records it. The entry becomes the record: `seq` is added to it, as
   * its last key (so the JSON line reads as a copy's would), rather than copying two dozen
   * fields per request into a new object. Hand each call a fresh entry.
   */
  append(entry: LedgerEntry): LedgerRecord {
    this.#seq += 1;
    const record = entry as LedgerRecord;
    record.seq = this.#seq;
    this.#ring[this.#seq % this.windowSize] = record;
    if (this.#file) {
      // Written before it can leave the ring: a batch never spans more than half the window.
      if (this.#seq - this.#written >= this.windowSize >> 1) this.#flush();
      else if (!this.#flushTimer) {
        this.#flushTimer = setTimeout(this.#flush, this.#flushMs);
        // A pending flush must not keep a process alive that has nothing else to do; close() flushes.
        this.#flushTimer.unref();
      }
    }
    for (const listener of this.#listeners) listener(record);
    return record;
  }

  /** Records with seq greater than `after`, oldest first, at most `limit` (0: none, only where the ledger ends). */
  read(after = 0, limit = 1000): LedgerPage {
    const oldest = Math.max(1, this.#seq - this.windowSize + 1);
    const from = Math.max(after + 1, oldest);
    const to = Math.min(this.#seq, from + limit - 1);
    const records: LedgerRecord[] = [];
    for (let seq = from; seq <= to; seq++) {
      const record = this.#ring[seq % this.windowSize];
      if (record) records.push(record);
    }
    return { records, next: to >= from ? to : after, truncated: after + 1 < oldest, last: this.#seq };
  }

  subscribe(listener: (record: LedgerRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #flush = (): void => {
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    if (!this.#file || this.#written === this.#seq) return;
    // JSON.stringify, not a hand-built line: records of one kind share their hidden class, and
    // V8's serializer takes its fast path for them (about a third faster than concatenating
    // the two dozen fields by hand, which this ledger did before, measured on Node 24).
    let lines = '';
    for (let seq = this.#written + 1; seq <= this.#seq; seq++) lines += `${JSON.stringify(this.#ring[seq % this.windowSize])}\n`;
    this.#written = this.#seq;
    const file = this.#file;
    if (file.writableLength <= this.#backlogWarningBytes) this.#backlogReported = false;
    file.write(lines);
    if (!this.#backlogReported && file.writableLength > this.#backlogWarningBytes) {
      this.#backlogReported = true;
      this.#onBacklog(`ledger: the disk is not keeping up with ${this.path}: ${(file.writableLength / 1024 / 1024).toFixed(1)} MB of records wait in memory to be written`);
    }
  };

  /** Flushes the file; the ledger accepts no more records afterwards. */
  async close(): Promise<void> {
    this.#flush();
    const file = this.#file;
    this.#file = null;
    if (!file) return;
    await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdirSync never returns when the kernel
 * answers ENOENT for a folder it will not create (a path under /proc, measured on Node 24.22):
 * a fleet given `--ledger /proc/nope/x.jsonl` hung before printing anything. A level that
 * cannot be created throws at once, naming it.
 */
function createFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // made meanwhile by someone else
      throw new Error(`cannot create the ledger's folder ${folder}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }
}
