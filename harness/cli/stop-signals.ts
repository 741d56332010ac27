/**
 * The signals that ask a long-running command (`run`, `fleet up`, `gateway up`) to stop
 * cleanly: SIGINT (Ctrl-C, or passed on by the launcher or from npm), SIGTERM (kill, a CI
 * cancel, the launcher gone: bin/launcher-link.js, npm gone: bin/npm-parent-watch.js) and
 * SIGHUP (the terminal closed). Handled for as long as the process lives, not once: a
 * terminal's Ctrl-C reaches the process twice when the launcher forwards its own copy, and
 * an unhandled second signal would kill it in the middle of stopping.
 */
export const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function onStopSignal(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of stopSignals) process.on(signal, handler);
}
