/**
 * The reason a run is aborted with when the harness itself crashed (an exception nothing
 * caught, a promise rejection nobody handled): the run still stops k6, the fault timeline and
 * the topology, and writes a journal that says the harness failed, not the gateway and not a
 * person (status incomplete, exit 2, the error in `problem`).
 */
export class HarnessCrash extends Error {
  override name = 'HarnessCrash';
  readonly original: unknown;
  constructor(original: unknown) {
    super(`the harness crashed: ${original instanceof Error ? original.message : String(original)}`);
    this.original = original;
  }
}

/**
 * For as long as a run goes on, turns an uncaught exception or an unhandled rejection into an
 * abort of the run (the stack goes to stderr), instead of Node's default: dying at once with
 * k6 and the topology's ports half-stopped and no journal. Returns a function that removes the
 * guard. Only the first crash aborts; later ones are reported.
 */
export function guardRunAgainstCrashes(abort: AbortController, report: (text: string) => void = (text) => process.stderr.write(text)): () => void {
  const crashed = (error: unknown): void => {
    report(`spillway: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (!abort.signal.aborted) {
      report('spillway: the harness crashed: stopping the run (k6, the fault timeline and the topology) and writing its journal...\n');
      abort.abort(new HarnessCrash(error));
    }
  };
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  return () => {
    process.off('uncaughtException', crashed);
    process.off('unhandledRejection', crashed);
  };
}
