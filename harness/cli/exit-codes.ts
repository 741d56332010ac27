/**
 * What Spillway's exit codes mean, the same for every command; written once here for `--help`
 * (the program's and `run`'s), so the help cannot drift from what the commands return. The
 * codes themselves are decided in cli.ts (failures, --help, --version) and in
 * harness/run/journal.ts (a run's verdicts); docs/runs.md has the table.
 */
export const exitCodesHelp = [
  'Exit codes:',
  '  0  every verdict passed (and --help, --version)',
  '  1  the gateway deviated: a verdict failed (for gateway check, doctor and tools path: they found a problem)',
  '  2  the harness could not complete the run or the command: bad input (refused before anything starts),',
  '     a missing tool, k6 or a timeline step failing, Ctrl-C',
  '  3  inconclusive: the run completed, but a verdict had too little evidence to judge, or there was none',
].join('\n');
