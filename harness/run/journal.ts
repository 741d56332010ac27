import { writeFileSync } from 'node:fs';
import type { AppliedFault } from '../evidence/evidence-types.ts';
import type { Verdict } from '../verify/verdict.ts';
import type { ExpectationsSource } from './expectations-mode.ts';
import type { ScenarioPlan } from './scenario-plan.ts';

/**
 * The run journal (results/<run-id>/journal.json): everything needed to understand and
 * re-judge a run without re-running it. Written at the end of every run, complete or not;
 * secrets (subscription keys) are never part of it.
 */
export type RunStatus = 'completed' | 'incomplete' | 'interrupted';

export interface Journal {
  runId: string;
  scenario: string;
  status: RunStatus;
  /** 0: every verdict passed; 1: the gateway deviated; 2: the harness could not complete the run. */
  exitCode: 0 | 1 | 2;
  startedAt: string;
  endedAt: string;
  plan: ScenarioPlan & { units: number };
  target: { kind: 'embedded' | 'remote'; entryUrl: string; topology?: unknown };
  tools: { name: string; version: string; path: string; source: string }[];
  timeline: AppliedFault[];
  k6: { exitCode: number | null; signal: string | null; meaning: string; startedAt: string | null; endedAt: string | null; bundle: string | null };
  evidence: Record<string, string>;
  /**
   * Where the verifiers' expectations came from, and so which question the verdicts answer
   * (expectations-mode.ts); absent when there were none (a remote gateway without a file).
   */
  expectations?: ExpectationsSource & { description: string };
  verdicts: Verdict[];
  /** Phases' wall time in ms, for the benchmark and for people. */
  phases: Record<string, number>;
  /** Why the run did not complete, when it did not. */
  problem?: string;
}

export function writeJournal(file: string, journal: Journal): void {
  writeFileSync(file, `${JSON.stringify(journal, null, 2)}\n`);
}

/** 0 only when every verdict passed; a failed check is a deviation (1); missing evidence is not a pass (2). */
export function exitCodeFor(status: RunStatus, verdicts: readonly Verdict[]): 0 | 1 | 2 {
  if (status !== 'completed') return 2;
  if (verdicts.some((v) => v.status === 'fail')) return 1;
  if (verdicts.length === 0 || verdicts.some((v) => v.status === 'inconclusive')) return 2;
  return 0;
}
