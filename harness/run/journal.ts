import { writeFileSync } from 'node:fs';
import type { Journal, RunExitCode, RunStatus } from '../contracts/journal.ts';
import type { Verdict } from '../contracts/verdict.ts';

/**
 * Writes the run journal (results/<run-id>/journal.json). Its shape, and what each schema
 * version holds, is the contract in harness/contracts/journal.ts; every run sets
 * `schemaVersion` (journalSchemaVersion) when it builds its journal.
 */
export { journalSchemaVersion, type Journal, type RunExitCode, type RunStatus } from '../contracts/journal.ts';

export function writeJournal(file: string, journal: Journal): void {
  writeFileSync(file, `${JSON.stringify(journal, null, 2)}\n`);
}

/**
 * 0: every verdict passed; 1: the gateway deviated (a verdict failed); 2: the harness could
 * not complete the run; 3: inconclusive (the run completed, but a verdict had too little
 * evidence to judge, or there was no verdict at all). Kept apart from 2 so that CI can tell
 * "the gateway could not be judged" from "the harness broke", and apart from 0 because missing
 * evidence is not a pass. The meanings are printed by `--help` (harness/cli/exit-codes.ts).
 * A failed verdict wins over an inconclusive one: a deviation found is a deviation, whatever
 * else could not be judged.
 */
export function exitCodeFor(status: RunStatus, verdicts: readonly Verdict[]): RunExitCode {
  if (status !== 'completed') return 2;
  if (verdicts.some((v) => v.status === 'fail')) return 1;
  if (verdicts.length === 0 || verdicts.some((v) => v.status === 'inconclusive')) return 3;
  return 0;
}
