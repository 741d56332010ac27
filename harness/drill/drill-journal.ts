/**
 * The drill journal (drill-journal.json in the drill's folder): what the drill checked and how
 * it ended. Its status keeps the two failures apart that a quarterly drill day must not confuse:
 *
 * - the harness failed: `aborted` (bad input found late, the run could not start or complete, a
 *   step could not be applied, a query the workspace refused, a rollback that failed) or
 *   `interrupted` (Ctrl-C, a stop signal, a crash of the harness);
 * - the gateway deviated: `deviated`, naming each probe, verdict or detection query that failed;
 *
 * and `completed` when every probe, verdict and detection held, `inconclusive` when none failed
 * but one had too little evidence to judge. Exit codes as `spillway run`'s: 0 completed,
 * 1 deviated, 2 aborted or interrupted, 3 inconclusive.
 */
import { writeFileSync } from 'node:fs';

export const drillJournalSchemaVersion = 1;

export type DrillStatus = 'completed' | 'deviated' | 'inconclusive' | 'aborted' | 'interrupted';
export type CheckStatus = 'held' | 'deviated' | 'inconclusive';

/** One probe, verdict or detection query, judged. */
export interface CheckResult {
  name: string;
  kind: 'http' | 'kql' | 'verdict' | 'detection';
  /** When it was judged: the steady window before the faults, after them, or over the whole method. */
  phase: 'before' | 'after' | 'method';
  status: CheckStatus;
  expected: string;
  measured: string;
  /** The KQL sent, for kql probes and detection queries (the window is the query's timespan). */
  query?: string;
  window?: { start: string; end: string };
  /** The query's result (its first rows), as the workspace answered it. */
  result?: Record<string, unknown>[];
}

export interface RollbackResult {
  /** A declared rollback of the drill file, or a timeline step the run pipeline undid. */
  kind: 'clear-fleet-faults' | 'timeline-step';
  what: string;
  status: 'done' | 'failed' | 'not-needed';
  detail: string;
}

export interface DrillJournal {
  schemaVersion: number;
  drill: string;
  title: string;
  playbookEvent: string;
  file: string;
  drillRunId: string;
  startedAt: string;
  endedAt: string;
  status: DrillStatus;
  exitCode: 0 | 1 | 2 | 3;
  problem?: string;
  /** The method's run (its own folder and journal.json, under run/). */
  run: { runId: string; folder: string; status: string; exitCode: number; problem?: string } | null;
  /** Where the queries went: 'offline' (the run's rows, embedded) or `workspace <id>` (a real APIM's, --target); null when there were none. */
  logAnalytics: { workspace: string; gatewayRows: number; llmRows: number; configSourceRows: number; queries: number } | null;
  hypothesis: { title: string; before: CheckResult[]; after: CheckResult[]; method: CheckResult[] };
  /**
   * The before-gate (Chaos Toolkit's rule): the before probes judged at the end of their window,
   * on the evidence written so far, while the load ran. When they did not hold, the method was
   * not run: `method` is 'not-run', its faults never applied (`faultsApplied` counts those the
   * run's timeline shows applied: 0), the load stopped early, and the drill is `deviated`.
   * Absent when the run never reached the gate (refused or stopped before it).
   */
  beforeGate?: { atSeconds: number; judgedAt: string; status: 'held' | 'deviated' | 'inconclusive'; method: 'ran' | 'not-run'; faultsApplied: number };
  verdicts: { check: string; status: string; expected: string; measured: string }[];
  detection: CheckResult[];
  rollbacks: RollbackResult[];
  /** Each failure of the gateway, in a line: "probe <name> (after): ...", "verdict <check>: ...". */
  deviations: string[];
}

export function exitCodeOfDrill(status: DrillStatus): 0 | 1 | 2 | 3 {
  return status === 'completed' ? 0 : status === 'deviated' ? 1 : status === 'inconclusive' ? 3 : 2;
}

export function writeDrillJournal(file: string, journal: DrillJournal): void {
  writeFileSync(file, `${JSON.stringify(journal, null, 2)}\n`);
}
