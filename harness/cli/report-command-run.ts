import { mkdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { compareWithBaseline, refuseMismatch } from '../../reports/baseline/compare-runs.ts';
import { renderComparisonText } from '../../reports/baseline/comparison-text.ts';
import { appendStepSummary, renderReports, reportFormats, reportOutputs, writeRenderedReports, type ReportFormat } from '../../reports/render-outputs.ts';
import { summarize, summarizeJournal, verdictsFailedFirst } from '../../reports/report-summary.ts';
import { loadRunFolder } from '../../reports/run-folder.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkOutputFolder } from '../run/output-paths.ts';

/**
 * The work of `spillway report <run-folder>` (report-command.ts holds its command line, and says
 * what it does and its exit codes): loaded when the command runs.
 */
export class ReportCommandError extends UserFacingError {}

export interface ReportCommandOptions {
  runFolder: string;
  formats: readonly ReportFormat[];
  /** Where the reports go; default the run folder. */
  out?: string;
  baseline?: string;
  maxRegressionPercent?: number;
  /** For tests: the environment $GITHUB_STEP_SUMMARY is read from. */
  env?: NodeJS.ProcessEnv;
  say: (line: string) => void;
}

/** The command's work, returning its exit code; throws a UserFacingError for bad input, having written nothing. */
export function reportCommand(options: ReportCommandOptions): number {
  const { say } = options;
  if (options.maxRegressionPercent !== undefined && options.baseline === undefined) throw new ReportCommandError('--max-regression needs --baseline <run-folder>: a regression is measured against a baseline run');
  if (options.out !== undefined) checkOutputFolder(options.out, '--out');
  const folder = loadRunFolder(options.runFolder);
  const baseline = options.baseline === undefined ? null : loadRunFolder(options.baseline);
  if (baseline !== null) {
    if (resolve(baseline.dir) === resolve(folder.dir)) throw new ReportCommandError(`--baseline ${options.baseline}: the same folder as the run; give an earlier run to compare with`);
    // A baseline of another kind or scenario, or a run that did not complete, is refused from
    // the journals, before any evidence is read.
    refuseMismatch(summarizeJournal(folder), summarizeJournal(baseline));
  }
  // Rendered whole before anything is written: a renderer that fails leaves nothing behind.
  const formats = reportFormats.filter((f) => options.formats.includes(f));
  const outDir = resolve(options.out ?? folder.dir);
  // The HTML links the evidence files: from --out, through the way back to the run folder.
  const folderHref = relative(outDir, folder.dir);
  // The HTML first (it needs no comparison): its charts read k6's samples, and the summary
  // (the comparison's, the other formats', the lines said below) is counted in that same read
  // (RunFolderEvidence.clientTraffic) instead of reading the file a second time.
  const html = renderReports(folder, formats.filter((f) => f === 'html'), null, folderHref, formats);
  const summary = summarize(folder);
  const comparison = baseline === null ? null : compareWithBaseline(summary, summarize(baseline), options.maxRegressionPercent ?? null);
  const reports = [...html, ...renderReports(folder, formats.filter((f) => f !== 'html'), comparison, folderHref, formats)];
  mkdirSync(outDir, { recursive: true });
  const written = writeRenderedReports(outDir, reports);

  if (folder.incomplete) say(`the ${folder.kind} did not complete (${folder.incomplete.status}): ${folder.incomplete.reason}`);
  const counts = (['fail', 'inconclusive', 'pass'] as const).map((s) => `${summary.verdicts.filter((v) => v.status === s).length} ${s === 'fail' ? 'failed' : s === 'pass' ? 'passed' : s}`);
  say(`${folder.kind} ${summary.name} (${summary.id}): ${summary.status}, exit code ${summary.exitCode}; verdicts: ${counts.join(', ')}`);
  for (const v of verdictsFailedFirst(summary.verdicts).filter((v) => v.status !== 'pass')) say(`  ${v.status.toUpperCase()} ${v.check}: ${v.measured}`);
  if (comparison) say(renderComparisonText(comparison).trimEnd());
  say(`reports: ${written.map((file) => (relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file))).join(', ')}`);
  if (formats.includes('md')) {
    const appended = appendStepSummary(outDir, say, options.env ?? process.env);
    if (appended) say(`step summary: ${reportOutputs.md.file} appended to $GITHUB_STEP_SUMMARY`);
  }
  return comparison !== null && comparison.maxRegressionPercent !== null && comparison.regressions.length > 0 ? 1 : 0;
}
