/**
 * The before-gate of a drill (Chaos Toolkit's rule): at the end of the steady window before the
 * method's first fault, the caller judges the evidence gathered so far; when the steady state
 * does not hold, the fault timeline's steps are cancelled (never applied) and the load is
 * stopped early, with the evidence kept and the rollbacks still run. The run pipeline only
 * opens the gate and acts on its answer; what "steady" means is the caller's (harness/drill).
 */
export interface BeforeGate {
  /** Seconds from k6's start: the end of the steady window before the first fault. */
  atSeconds: number;
  /**
   * Judges the evidence written so far (k6's samples, the gateway's rows) in the run's folder;
   * resolves to null when the steady state held (or could not be judged either way), or to why
   * it did not. Throwing is the harness failing: the faults are cancelled and the run ends
   * incomplete with the error.
   */
  judge(run: GateContext): Promise<string | null>;
}

/** What the gate's judge is given: the run's folder and identity, and the gateway it may send its own requests to. */
export interface GateContext {
  runDir: string;
  runId: string;
  loadStartedAt: number;
  /** The gateway's base URL with the plan's API base path, as k6 sends to it. */
  baseUrl: string;
  /** A consumer class's subscription key, as k6 is given it (never to be written anywhere). */
  keyFor(consumer: string): string;
}

export interface OpenedGate {
  /** For the timeline: true once judged steady, false when not (or when the run ended first). */
  held: Promise<boolean>;
  /** Why the gate stopped the run: the steady state did not hold, or the judging failed; null otherwise. */
  readonly stopped: string | null;
  /** Ends the wait when the run ends before the gate is judged (held then resolves false). */
  close(): void;
}

export function openBeforeGate(gate: BeforeGate, run: GateContext, onStop: (why: string) => void, now: () => number = Date.now): OpenedGate {
  let decide = (_held: boolean): void => undefined;
  const held = new Promise<boolean>((resolve) => (decide = resolve));
  let decided = false;
  let stopped: string | null = null;
  const finish = (ok: boolean, why?: string): void => {
    if (decided) return;
    decided = true;
    if (!ok && why !== undefined) {
      stopped = why;
      onStop(why);
    }
    decide(ok);
  };
  const timer = setTimeout(
    () => {
      gate.judge(run).then(
        (deviation) => finish(deviation === null, deviation ?? undefined),
        (error: unknown) => finish(false, `the steady state before the method could not be judged: ${error instanceof Error ? error.message : String(error)}`),
      );
    },
    Math.max(0, run.loadStartedAt + gate.atSeconds * 1000 - now()),
  );
  return {
    held,
    get stopped() {
      return stopped;
    },
    close() {
      clearTimeout(timer);
      finish(false);
    },
  };
}
