import { spawnSync } from 'node:child_process';

/**
 * Makes a child process die with the harness, however the harness ends. Linux delivers a
 * chosen signal to a process when its parent dies if the process asked for it with
 * prctl(PR_SET_PDEATHSIG); Node cannot call prctl, so the child is started through
 * `setpriv --pdeathsig SIGKILL --` (util-linux), which asks for it and then execs the real
 * program: same pid, same exit status, same signals. Without this, a harness killed outright
 * (SIGKILL, a crash) left k6 driving the topology's ports until its duration ran out.
 *
 * Where setpriv is missing or cannot set the signal (not Linux, a minimal image without
 * util-linux, util-linux older than 2.33), children start as before, and `missingReason`
 * says so, for the harness to tell the person once.
 */
export interface ParentDeathSignal {
  /** Wraps a command so that it dies when this process does (unchanged without setpriv). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Why children will not die with the harness, or null when they will. */
  readonly missingReason: string | null;
}

let cached: ParentDeathSignal | undefined;

/** Probed once per process (one `setpriv --pdeathsig SIGKILL -- true`, a few milliseconds). */
export function parentDeathSignal(): ParentDeathSignal {
  cached ??= probeParentDeathSignal('setpriv');
  return cached;
}

export function probeParentDeathSignal(setpriv: string): ParentDeathSignal {
  const prefix = ['--pdeathsig', 'SIGKILL', '--'];
  const probe = spawnSync(setpriv, [...prefix, 'true'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    let detail = probe.stderr?.toString().trim() || `exit ${probe.status ?? probe.signal}`;
    if (probe.error) detail = (probe.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : probe.error.message;
    return {
      wrap: (command, args) => ({ command, args: [...args] }),
      missingReason: `${setpriv} (util-linux) cannot set a parent-death signal (${detail}): k6 will not be stopped if the harness is killed outright (SIGKILL, a crash), and runs on until its duration ends`,
    };
  }
  return {
    wrap: (command, args) => ({ command: setpriv, args: [...prefix, command, ...args] }),
    missingReason: null,
  };
}
