// Notices what npm does not pass on when it started this process: `npx spillway …` and
// `npm run <script>` run the command through a shell (npm 11: @npmcli/run-script spawns
// `sh -c '<script>'`), and npm forwards SIGINT and SIGTERM to that shell only, never to its
// process group. On Debian's dash (and bash when it does not exec the command):
// - SIGTERM kills the shell, so this process is orphaned and nobody tells it;
// - SIGINT is caught by the shell, which keeps it until its command has ended, so it never
//   reaches the run at all (and the run went on to the end);
// - SIGKILL of npm leaves the shell waiting for this process, which goes on headless.
// A pipe or an IPC channel from npm is not to be had, and Node cannot ask for a parent-death
// signal (prctl), so this polls /proc: the parent and npm still there, and the shell still
// asleep (it sleeps in wait() for this process, and its count of voluntary context switches
// rises only when a signal it catches wakes it). Two small reads a tick on an unref'd timer, in
// the process the shell started (the launcher, or the CLI when no launcher is needed), and
// only when npm started it: a process put in the background on purpose (nohup, a double
// fork) has a parent that may well go away, and must be left running. Plain JavaScript that
// runs on any old Node, like the launcher. Linux only: without /proc it watches nothing.
import { readFileSync } from 'node:fs';

const pollMs = 100;
/** A stop and continue of this process (Ctrl-Z then fg, a frozen container) wakes the shell too; for this long after one, a waking shell is not taken for a SIGINT. */
const settleMs = 1500;

/**
 * Starts watching when npm started this process; calls onSignal('SIGTERM') once npm or its
 * shell has gone, and onSignal('SIGINT') each time the shell caught a signal that was not
 * meant for it (npm forwarding a SIGINT). Returns a function that stops watching.
 */
export function watchNpmParent(onSignal) {
  const chain = npmChain();
  if (!chain) return () => undefined;
  let wakeups = chain.shell ? voluntarySwitches(chain.shell) : null;
  let lastPoll = Date.now();
  let continuedAt = 0;
  /** A wake of the shell seen at one tick and judged at the next, once a SIGCONT that came with it has surely been handled (timers can run before signal handlers). */
  let wake = null;
  const onContinue = () => {
    continuedAt = Date.now();
  };
  process.on('SIGCONT', onContinue);
  const stop = () => {
    clearInterval(timer);
    process.removeListener('SIGCONT', onContinue);
  };
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - lastPoll > pollMs + settleMs;
    lastPoll = now;
    if (process.ppid !== chain.parent || (chain.shell && parentOf(chain.shell) !== chain.npm)) {
      // The shell died (npm forwarded a SIGTERM, or it was killed), or npm itself is gone.
      stop();
      onSignal('SIGTERM');
      return;
    }
    if (!chain.shell) return;
    if (wake) {
      const continued = continuedAt !== 0 && wake.at - continuedAt < settleMs;
      if (!wake.late && !continued) onSignal('SIGINT');
      wake = null;
    }
    const seen = voluntarySwitches(chain.shell);
    if (seen === null || seen === wakeups) return;
    const first = wakeups === null;
    wakeups = seen;
    // The shell sleeps in wait() for this process, its only child; it runs again only when a
    // signal it catches arrives: SIGINT, or SIGCHLD when this process stops or continues.
    if (!first) wake = { at: now, late };
  }, pollMs);
  timer.unref();
  return stop;
}

/**
 * The processes between npm and this one, or null when npm did not start it: the parent is
 * the shell running npm's script (`<shell> -c '<npm_lifecycle_script> …'`, its parent npm),
 * or npm itself (a shell that execs a simple command, as bash does).
 */
export function npmChain() {
  const script = process.env.npm_lifecycle_script;
  if (!script) return null;
  const parent = process.ppid;
  const argv = commandLine(parent);
  if (!argv) return null;
  if (argv[1] === '-c' && (argv[2] ?? '').startsWith(script)) {
    const npm = parentOf(parent);
    return npm ? { parent, shell: parent, npm } : null;
  }
  // npm sets its process title to `npm <command> <args>`.
  if (/^npm( |$)/.test(argv[0] ?? '')) return { parent, shell: null, npm: parent };
  return null;
}

function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

/** The parent pid from /proc/<pid>/stat (0 once the process is gone). */
export function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

function voluntarySwitches(pid) {
  try {
    const match = /^voluntary_ctxt_switches:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
