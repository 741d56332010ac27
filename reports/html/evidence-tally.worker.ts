import { workerData } from 'node:worker_threads';
import { streamClientRecords, streamLedgerRequests } from '../run-folder.ts';
import { clockAt, tallyClient, tallyLedger } from './chart-tallies.ts';
import { tallyEnded, type TallyAnswer, type TallyJob } from './evidence-tallies.ts';

/**
 * A worker thread's side of evidence-tallies.ts: reads one evidence file exactly as the run
 * folder reads it (streamClientRecords, streamLedgerRequests: every row checked, a malformed one
 * refused naming file, line and field), tallies it for the charts, and sends back only the
 * tally, or the error. The waiting thread is blocked in Atomics.wait, so the worker tells it
 * through the shared `signal`: [0] ticks as rows are read (it is alive and moving), [1] says
 * how it ended (1: its answer is on `port`; 2: it ended without one).
 */
const { source, origin, seconds, signal, port } = workerData as TallyJob;
const tick = (): void => {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
};
const end = (how: number): void => {
  Atomics.store(signal, 1, how);
  tick();
};
let answered = false;
// Ended some other way (process.exit, an uncaught error): say so, so the waiting thread does
// not wait for an answer that will never come.
process.on('exit', () => {
  if (!answered) end(tallyEnded.withoutAnswer);
});

let rows = 0;
/** Ticks every 4,096 rows: a few hundred times a second while reading. */
const ticking = <R>(visit: (record: R) => void) => (record: R): void => {
  if ((++rows & 4095) === 0) tick();
  visit(record);
};

let answer: TallyAnswer;
try {
  const clock = clockAt(origin, seconds);
  const tally = source.kind === 'client' ? tallyClient(clock, (visit) => streamClientRecords(source, ticking(visit))) : tallyLedger(clock, (visit) => streamLedgerRequests(source, ticking(visit)));
  answer = { tally };
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  answer = { error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } };
}
port.postMessage(answer);
port.close();
answered = true;
end(tallyEnded.answered);
