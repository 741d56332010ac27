import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parentDeathSignal } from './parent-death-signal.ts';

/**
 * Runs the real k6 binary as a child process, keeping its whole output in the run folder and
 * passing progress lines to the caller. An abort (Ctrl-C, a harness failure) stops k6 with
 * SIGINT, as a person would, and with SIGKILL if it does not stop in time. k6 dies with the
 * harness, however the harness ends (parent-death-signal.ts), where setpriv is available.
 */
export interface K6Run {
  readonly startedAt: number;
  /** k6's process id (setpriv, where it wraps k6, execs it: the same process); undefined if it could not start. */
  readonly pid: number | undefined;
  /** Resolves when k6 has exited. */
  readonly done: Promise<K6Exit>;
  stop(): void;
}

export interface K6Exit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  startedAt: number;
  endedAt: number;
}

/** k6's own exit codes (errext/exitcodes): 99 = thresholds failed; the others are run failures. */
export const k6ExitMeanings: Record<number, string> = {
  0: 'ok',
  97: 'cloud test run failed',
  98: 'cloud run failed to start',
  99: 'thresholds have failed',
  100: 'setup timeout',
  101: 'teardown timeout',
  103: 'generic timeout',
  104: 'invalid configuration',
  105: 'externally aborted',
  107: 'script exception',
  108: 'script aborted',
  110: 'test marked as failed',
};

export function startK6(args: {
  k6: string;
  argv: string[];
  env: Record<string, string>;
  /**
   * Variables of this process's environment that k6 must not inherit: secrets it does not need
   * (the control token, subscription keys, which reach the script inside its plan only), so a
   * script that dumps __ENV or a k6 crash report cannot show them.
   */
  withhold?: readonly string[];
  logFile: string;
  onLine?: (line: string) => void;
  killAfterMs?: number;
}): K6Run {
  const log = createWriteStream(args.logFile, { flags: 'a' });
  const startedAt = Date.now();
  const deathSignal = parentDeathSignal();
  if (deathSignal.missingReason) {
    log.write(`spillway: ${deathSignal.missingReason}\n`);
    warnOnce(deathSignal.missingReason);
  }
  const launch = deathSignal.wrap(args.k6, args.argv);
  const inherited = { ...process.env };
  for (const name of args.withhold ?? []) delete inherited[name];
  const child = spawn(launch.command, launch.args, { env: { ...inherited, K6_NO_USAGE_REPORT: 'true', ...args.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(log, { end: false });
    createInterface({ input: stream }).on('line', (line) => args.onLine?.(line));
  }
  let killTimer: NodeJS.Timeout | undefined;
  const done = new Promise<K6Exit>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      if (killTimer) clearTimeout(killTimer);
      const endedAt = Date.now();
      // Resolved once the log is on disk: a caller reads k6-output.log as soon as k6 is done.
      log.end(() => resolve({ exitCode, signal, startedAt, endedAt }));
    };
    child.on('error', (error) => {
      log.write(`spillway: could not start k6: ${error.message}\n`);
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
  return {
    startedAt,
    pid: child.pid,
    done,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), args.killAfterMs ?? 10_000);
    },
  };
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`spillway: ${message}\n`);
}
