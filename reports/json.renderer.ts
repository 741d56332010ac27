import { basename } from 'node:path';
import type { BaselineComparison } from './baseline/compare-runs.ts';
import { summarize, verdictsFailedFirst, type ReportSummary } from './report-summary.ts';
import type { RunFolder } from './run-folder.ts';

/**
 * A run, capacity run or drill as a JSON document for other tools (dashboards, bots, a later
 * comparison): its kind, outcome, verdicts (failed first) and key numbers, in a shape that
 * only grows. `reportSchemaVersion` is raised whenever a field is removed, renamed or changes
 * meaning (a new field does not raise it), so a reader can refuse a shape it does not know.
 * Pure: the run folder in, the text out. docs/report-command.md describes the fields.
 *
 * Version 1 holds: schema ("spillway-report"), reportSchemaVersion, kind (run | capacity |
 * drill), id, name (scenario, capacity profile or drill), status (the journal's), exitCode,
 * outcome (pass | fail | did-not-complete | inconclusive), startedAt, endedAt, problem (null when
 * none), journal { file (its name in the run folder), schemaVersion }, verdicts [{ check, status, expected, measured,
 * explanation }], numbers (requests, targetRps, achievedRps, latencyMs { p50, p95, p99 },
 * errorShare, errorsByOrigin; null without traffic), capacity (null unless kind is capacity),
 * drill (null unless kind is drill), reports (format to file name, when given) and baseline
 * (the comparison, null without --baseline).
 */
export const reportSchemaVersion = 1;

export interface JsonOptions {
  /** The report files written beside this one, by format. */
  reports?: Record<string, string>;
  comparison?: BaselineComparison | null;
}

export function renderJsonReport(folder: RunFolder, options: JsonOptions = {}): string {
  return renderJsonSummary(summarize(folder), options);
}

const outcomes: Record<number, string> = { 0: 'pass', 1: 'fail', 2: 'did-not-complete', 3: 'inconclusive' };

export function renderJsonSummary(summary: ReportSummary, options: JsonOptions = {}): string {
  const document = {
    schema: 'spillway-report',
    reportSchemaVersion,
    kind: summary.kind,
    id: summary.id,
    name: summary.name,
    status: summary.status,
    exitCode: summary.exitCode,
    outcome: outcomes[summary.exitCode] ?? 'did-not-complete',
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    problem: summary.problem,
    journal: { file: basename(summary.journalFile), schemaVersion: summary.journalSchemaVersion },
    verdicts: verdictsFailedFirst(summary.verdicts),
    numbers: summary.traffic,
    capacity: summary.capacity,
    drill: summary.drill,
    reports: options.reports ?? {},
    baseline: options.comparison ?? null,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
