import { statSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ReportInputError, type ClientRowSource, type LedgerRowSource, type RunRunFolder } from '../run-folder.ts';
import { tallyClient, tallyLedger, type ClientTally, type Clock, type LedgerTally } from './chart-tallies.ts';

/**
 * The run charts' tallies of k6's samples and the fleet's ledger. Rendering a long run from its
 * folder is mostly JSON.parse of those two files (570 MB for 10 minutes at 1,000 req/s: about
 * 4 s of reading and parsing on one core of the 2-core machine, bench/report-render.bench.ts,
 * and the checks and tallies on top). So when both are files of some size, the ledger is read
 * and tallied in a worker thread while this thread reads and tallies the client records, and
 * only the ledger's tally (a few numbers per second) comes back: sending its 650,000 records
 * would cost as much as parsing them. Both are read with the run folder's own readers, every row checked, so the tallies
 * and the errors (file, line, field) are those of reading both here, one after the other: the
 * client's error first, as before.
 *
 * Rendering stays synchronous (every renderer is a plain function): this thread waits for the
 * worker in Atomics.wait and takes its answer with receiveMessageOnPort. A worker that cannot be
 * started, ends without an answer, or reads nothing for `stallMs`, is given up and the ledger is
 * read here instead: slower, never different.
 */

/** Below this size of either file, a worker's start-up (about 0.1-0.2 s) costs more than it saves. */
export const workerFromBytes = 16 * 1024 * 1024;

export interface TallyOptions {
  /** Read the ledger in a worker when it and the client file are at least this large (bytes). */
  workerFromBytes?: number;
  /** Give the worker up when it has read nothing for this long (ms). */
  stallMs?: number;
}

/** What a tally worker is given (evidence-tally.worker.ts). */
export interface TallyJob {
  source: ClientRowSource | LedgerRowSource;
  origin: number;
  seconds: number;
  /** Shared: [0] ticks while the worker reads, [1] how it ended (tallyEnded). */
  signal: Int32Array;
  port: MessagePort;
}

/** What the worker sends back: the tally, or the error that stopped it. */
export type TallyAnswer = { tally: unknown } | { error: { name: string; message: string; stack?: string } };

export const tallyEnded = { running: 0, answered: 1, withoutAnswer: 2 } as const;

export interface RunTallies {
  client: ClientTally;
  ledger: LedgerTally;
  /** Where the ledger was read (for the tests: the two ways give the same tallies). */
  ledgerReadIn: 'a worker' | 'this thread';
}

export function tallyRunEvidence(run: RunRunFolder, clock: Clock, options: TallyOptions = {}): RunTallies {
  const fromBytes = options.workerFromBytes ?? workerFromBytes;
  const clientSource = run.evidence.clientRowSource();
  const ledgerSource = run.evidence.ledgerRowSource();
  const worker = clientSource !== null && ledgerSource !== null && sizeOf(clientSource.file) >= fromBytes && sizeOf(ledgerSource.file) >= fromBytes ? startTally(ledgerSource, clock) : null;
  let client: ClientTally;
  try {
    client = tallyClient(clock, (visit) => run.evidence.eachClientRecord(visit));
  } catch (error) {
    worker?.abandon();
    throw error;
  }
  const fromWorker = worker?.answer(options.stallMs ?? 30_000) ?? null;
  if (fromWorker !== null) return { client, ledger: fromWorker as LedgerTally, ledgerReadIn: 'a worker' };
  return { client, ledger: tallyLedger(clock, (visit) => run.evidence.eachLedgerRequest(visit)), ledgerReadIn: 'this thread' };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

interface StartedTally {
  /** The worker's tally; throws the error it met; null when it gave no answer (read here instead). */
  answer(stallMs: number): unknown;
  abandon(): void;
}

function startTally(source: ClientRowSource | LedgerRowSource, clock: Clock): StartedTally | null {
  const signal = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    const job: TallyJob = { source, origin: clock.origin, seconds: clock.seconds, signal, port: port2 };
    worker = new Worker(new URL('./evidence-tally.worker.ts', import.meta.url), { workerData: job, transferList: [port2] });
  } catch {
    port1.close();
    return null;
  }
  // Never keeps the process alive; its errors reach us through `signal` and the port, not as
  // an 'error' event nobody listens to (which would end the process).
  worker.unref();
  worker.on('error', () => undefined);
  const abandon = (): void => {
    port1.close();
    void worker.terminate();
  };
  return {
    abandon,
    answer(stallMs) {
      for (;;) {
        const ticks = Atomics.load(signal, 0);
        const ended = Atomics.load(signal, 1);
        if (ended === tallyEnded.answered) break;
        if (ended === tallyEnded.withoutAnswer || Atomics.wait(signal, 0, ticks, stallMs) === 'timed-out') {
          abandon();
          return null;
        }
      }
      const received = receiveMessageOnPort(port1)?.message as TallyAnswer | undefined;
      abandon();
      if (received === undefined) return null;
      if ('tally' in received) return received.tally;
      const { name, message, stack } = received.error;
      if (name === ReportInputError.name) throw new ReportInputError(message);
      // A bug, not bad input: thrown with the worker's own stack.
      const error = new Error(message);
      error.name = name;
      if (stack) error.stack = stack;
      throw error;
    },
  };
}
