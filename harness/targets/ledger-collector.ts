import { JsonlWriter } from '../../mocks/shared/jsonl-writer.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { FleetControlError, type FleetControlClient, type LedgerPage } from './fleet-control-client.ts';

/**
 * Collects the ledger of a fleet the run did not start, over its control API (so the fleet may
 * run on another host): polls `GET /ledger` from `fromSeq` and appends every record, as it
 * arrives, to a JSONL file (the run folder's fleet-ledger.jsonl, the same lines the fleet's own
 * ledger file holds). Memory stays flat: one page at a time is held, written, and let go.
 *
 * The fleet keeps only its newest window of records in memory (10,000 by default); a reader
 * that falls further behind than that loses the ones in between. Such a loss is never skipped
 * silently: every hole in the sequence is returned as a gap, so the run can call its ledger
 * evidence incomplete. Holes are found from the records' own numbers (each record's seq must be
 * the one after the last), which is what the page's `truncated` flag reports and more.
 *
 * A control API that stops answering for a moment is retried; one that stays down longer than
 * `maxOutageMs` ends the collection, and stop() rejects saying so (with what was collected).
 */

/** Records lost between two that were read: seq afterSeq + 1 to lostUntilSeq, both included. */
export interface LedgerGap {
  afterSeq: number;
  lostUntilSeq: number;
}

export interface LedgerCollection {
  /** Records written to the file. */
  records: number;
  /** The newest seq read (fromSeq when none was). */
  lastSeq: number;
  /** Holes in what was read, oldest first; empty when every record after fromSeq was collected. */
  gaps: LedgerGap[];
}

/** The collection ended early (control API down too long, fleet restarted, file not writable); `collection` is what it got. */
export class LedgerCollectionError extends UserFacingError {
  readonly collection: LedgerCollection;

  constructor(message: string, collection: LedgerCollection, options?: ErrorOptions) {
    super(message, options);
    this.collection = collection;
  }
}

export interface LedgerCollectorOptions {
  client: Pick<FleetControlClient, 'readLedger' | 'control'>;
  /** The JSONL file records are appended to (created with its folder when missing). */
  file: string;
  /** Collect records with seq greater than this (the fleet's latestSeq() when the run starts). */
  fromSeq: number;
  /** Pause between polls once caught up; default 250 ms. */
  intervalMs?: number;
  /** Records per `GET /ledger`; default 5,000 (at most 10,000). */
  pageSize?: number;
  /** How long the control API may stay unreachable before the collection fails; default 15 s. */
  maxOutageMs?: number;
  /** Told when records are lost, when the control API stops or starts answering again, and when collection fails; default: stderr. */
  onNotice?: (message: string) => void;
}

export interface LedgerCollector {
  readonly file: string;
  /** Records written so far. */
  readonly records: number;
  /** The newest seq read so far. */
  readonly lastSeq: number;
  /** Why collection ended early, once it has; null while it runs (or ran) well. */
  readonly error: LedgerCollectionError | null;
  /**
   * Reads what the fleet holds up to its newest record at the moment of the call, closes the
   * file and resolves to the collection; rejects with a LedgerCollectionError when collection
   * ended early. Call it once the load has ended; a second call returns the same promise.
   * Until then the collector polls, and keeps the process alive: a run that forgot to stop it
   * hangs visibly rather than ending with a ledger cut short.
   */
  stop(): Promise<LedgerCollection>;
}

export function startLedgerCollector(options: LedgerCollectorOptions): LedgerCollector {
  const { client, file, fromSeq } = options;
  const intervalMs = options.intervalMs ?? 250;
  const pageSize = options.pageSize ?? 5_000;
  const maxOutageMs = options.maxOutageMs ?? 15_000;
  const notice = options.onNotice ?? ((message: string) => process.stderr.write(`${message}\n`));
  if (!Number.isInteger(fromSeq) || fromSeq < 0) throw new RangeError(`startLedgerCollector: fromSeq must be an integer >= 0, not ${fromSeq}`);

  const writer = new JsonlWriter(file, { onError: () => undefined });
  // Nothing is half-started: a file that cannot be opened fails the start, before any polling.
  if (writer.error) throw new LedgerCollectionError(`cannot write the collected ledger to ${file}: ${describeFileError(writer.error)}`, { records: 0, lastSeq: fromSeq, gaps: [] }, { cause: writer.error });

  let cursor = fromSeq;
  let written = 0;
  const gaps: LedgerGap[] = [];
  let stopping = false;
  let failure: LedgerCollectionError | null = null;
  let downSince: number | null = null;
  let wake: (() => void) | null = null;

  const collection = (): LedgerCollection => ({ records: written, lastSeq: cursor, gaps: gaps.map((gap) => ({ ...gap })) });
  const from = `the fleet at ${client.control}`;

  /** Waits `ms`, or less when stop() is called meanwhile. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  /** One page after the cursor, retrying while the control API is unreachable, up to maxOutageMs. */
  const readPage = async (): Promise<LedgerPage> => {
    for (;;) {
      try {
        const page = await client.readLedger(cursor, pageSize);
        if (downSince !== null) {
          notice(`ledger: ${from} answers again after ${((Date.now() - downSince) / 1000).toFixed(1)} s`);
          downSince = null;
        }
        return page;
      } catch (error) {
        if (!(error instanceof FleetControlError) || !error.retryable) throw error;
        const now = Date.now();
        if (downSince === null) {
          downSince = now;
          notice(`ledger: ${error.message}; retrying for up to ${maxOutageMs / 1000} s`);
        }
        if (now - downSince >= maxOutageMs) {
          throw new LedgerCollectionError(`ledger collection from ${from} failed: its control API did not answer for ${((now - downSince) / 1000).toFixed(1)} s (last: ${error.message}); ${written} records after seq ${fromSeq} were collected, up to seq ${cursor}`, collection(), { cause: error });
        }
        await pause(Math.min(intervalMs, 1_000));
      }
    }
  };

  /** Writes a page's records, recording every hole in their sequence as a gap. */
  const take = (page: LedgerPage): void => {
    if (page.last < cursor) {
      throw new LedgerCollectionError(`ledger collection from ${from} failed: its ledger now ends at seq ${page.last}, before seq ${cursor} already collected: the fleet was restarted (or is another fleet), and its records are not this run's`, collection());
    }
    for (const record of page.records) {
      if (record.seq <= cursor) throw new LedgerCollectionError(`ledger collection from ${from} failed: seq ${record.seq} came after seq ${cursor} (the fleet's ledger went back)`, collection());
      if (record.seq > cursor + 1) {
        const gap = { afterSeq: cursor, lostUntilSeq: record.seq - 1 };
        gaps.push(gap);
        notice(`ledger: ${gap.lostUntilSeq - gap.afterSeq} records (seq ${gap.afterSeq + 1} to ${gap.lostUntilSeq}) left the in-memory window of ${from} before they were read: the collected ledger is incomplete (poll more often, or start the fleet with a larger window)`);
      }
      writer.write(record);
      written += 1;
      cursor = record.seq;
    }
    if (writer.error) throw new LedgerCollectionError(`cannot write the collected ledger to ${file}: ${describeFileError(writer.error)}`, collection(), { cause: writer.error });
  };

  /**
   * Reads until caught up with the fleet. While running, "caught up" moves with the fleet;
   * the final drain (after stop) reads up to where the ledger ended when it began, so that a
   * fleet still taking requests cannot keep stop() waiting.
   */
  const drain = async (final: boolean): Promise<void> => {
    let target: number | null = null;
    for (;;) {
      const page = await readPage();
      take(page);
      if (final) target ??= page.last;
      const end = target ?? page.last;
      if (page.records.length === 0 || cursor >= end || (!final && stopping)) return;
    }
  };

  const finished = (async (): Promise<void> => {
    try {
      while (!stopping) {
        await drain(false);
        if (!stopping) await pause(intervalMs);
      }
      await drain(true);
    } catch (error) {
      failure = error instanceof LedgerCollectionError ? error : new LedgerCollectionError(`ledger collection from ${from} failed: ${error instanceof Error ? error.message : String(error)}`, collection(), { cause: error });
      notice(`ledger: ${failure.message}`);
    }
    try {
      await writer.close();
    } catch (error) {
      failure ??= new LedgerCollectionError(`cannot write the collected ledger to ${file}: ${describeFileError(error)}`, collection(), { cause: error });
    }
  })();

  let stopped: Promise<LedgerCollection> | null = null;
  return {
    file,
    get records() {
      return written;
    },
    get lastSeq() {
      return cursor;
    },
    get error() {
      return failure;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake?.();
        await finished;
        if (failure) throw failure;
        return collection();
      })();
      return stopped;
    },
  };
}

function describeFileError(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}
