import { InvalidArgumentError, type Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { compareWithBaseline, type BaselineComparison } from '../../reports/baseline/compare-runs.ts';
import { renderComparisonText } from '../../reports/baseline/comparison-text.ts';
import { appendStepSummary, renderReports, reportFormats, reportOutputs, writeRenderedReports, type ReportFormat } from '../../reports/render-outputs.ts';
import { summarize, verdictsFailedFirst } from '../../reports/report-summary.ts';
import { loadRunFolder } from '../../reports/run-folder.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkOutputFolder } from '../run/output-paths.ts';
import { parseNumberOption } from './option-parsers.ts';

/**
 * `spillway report <run-folder>`: renders a run folder (`spillway run`'s, `capacity`'s or
 * `drill`'s) again into its reports (reports/render-outputs.ts: HTML, Markdown, JUnit, JSON),
 * into the folder itself or --out, and with --baseline compares it with an earlier run
 * (reports/baseline/compare-runs.ts), failing on a regression beyond --max-regression.
 *
 * Everything is checked and rendered in memory before anything is written, and each file is
 * written to a temporary name and renamed into place: a refusal or a renderer failure leaves the
 * output folder as it was. Exit codes (harness/cli/exit-codes.ts): 0 the reports were written
 * (and, with --max-regression, no regression beyond the margin); 1 a regression beyond the
 * margin (the reports, the comparison included, are written all the same); 2 bad input (a
 * folder that is not a run, a journal of a schema version this Spillway does not read, an
 * unknown format, a baseline of another kind or scenario, or a run or baseline that did not
 * complete) or a renderer that failed. The run's own verdicts do not decide this exit code:
 * the run's command already did (its exitCode is in the JSON report).
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

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .argument('<run-folder>', 'a run folder: results/<run-id>/ of spillway run, capacity or drill')
    .description('render a run folder into its reports (HTML, Markdown, JUnit, JSON) again, and compare it with a baseline run')
    .option('--format <list>', `comma-separated formats: ${reportFormats.join(', ')} (default: all)`, parseFormats)
    .option('--out <dir>', 'where the reports go (default: the run folder itself)')
    .option('--baseline <run-folder>', 'an earlier run of the same kind and scenario to compare with: each verdict, latency p50/p95/p99, throughput, error share')
    .option('--max-regression <percent>', 'with --baseline: exit 1 when latency or the error share rose, or throughput fell, by more than this percent, or a verdict that passed in the baseline no longer passes', parseNumberOption('--max-regression', { min: 0 }))
    .addHelpText(
      'after',
      [
        '',
        'Exit codes:',
        '  0  the reports were written (with --max-regression: and no regression beyond the margin)',
        '  1  a regression beyond --max-regression (the reports, with the comparison, are written)',
        '  2  bad input (not a run folder, an unsupported journal version, an unknown format, a baseline',
        '     of another kind or scenario, a run that did not complete compared with a baseline), or a',
        '     report that could not be rendered; nothing is written then',
        '  The run\'s own verdicts do not set this code: its exitCode is in report.json.',
      ].join('\n'),
    )
    .action((runFolder: string, options: { format?: ReportFormat[]; out?: string; baseline?: string; maxRegression?: number }) => {
      process.exitCode = reportCommand({
        runFolder,
        formats: options.format ?? reportFormats,
        ...(options.out !== undefined ? { out: options.out } : {}),
        ...(options.baseline !== undefined ? { baseline: options.baseline } : {}),
        ...(options.maxRegression !== undefined ? { maxRegressionPercent: options.maxRegression } : {}),
        say: (line) => void process.stdout.write(`${line}\n`),
      });
    });
}

/** `--format html,md`: known formats, each once, in the order given. */
export function parseFormats(value: string): ReportFormat[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase());
  const unknown = names.filter((name) => !(reportFormats as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`--format ${value}: ${unknown.map((u) => (u === '' ? 'an empty name' : `"${u}"`)).join(', ')} ${unknown.length === 1 ? 'is not a format' : 'are not formats'}; the formats are ${reportFormats.join(', ')}, comma-separated`);
  }
  return [...new Set(names as ReportFormat[])];
}

/** The command's work, returning its exit code; throws a UserFacingError for bad input, having written nothing. */
export function reportCommand(options: ReportCommandOptions): number {
  const { say } = options;
  if (options.maxRegressionPercent !== undefined && options.baseline === undefined) throw new ReportCommandError('--max-regression needs --baseline <run-folder>: a regression is measured against a baseline run');
  if (options.out !== undefined) checkOutputFolder(options.out, '--out');
  const folder = loadRunFolder(options.runFolder);
  let comparison: BaselineComparison | null = null;
  if (options.baseline !== undefined) {
    const baseline = loadRunFolder(options.baseline);
    if (resolve(baseline.dir) === resolve(folder.dir)) throw new ReportCommandError(`--baseline ${options.baseline}: the same folder as the run; give an earlier run to compare with`);
    comparison = compareWithBaseline(summarize(folder), summarize(baseline), options.maxRegressionPercent ?? null);
  }
  // Rendered whole before anything is written: a renderer that fails leaves nothing behind.
  const formats = reportFormats.filter((f) => options.formats.includes(f));
  const outDir = resolve(options.out ?? folder.dir);
  // The HTML links the evidence files: from --out, through the way back to the run folder.
  const reports = renderReports(folder, formats, comparison, relative(outDir, folder.dir));
  mkdirSync(outDir, { recursive: true });
  const written = writeRenderedReports(outDir, reports);

  const summary = summarize(folder);
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
