import { InvalidArgumentError, type Command } from 'commander';
import { reportFormats, type ReportFormat } from '../../reports/report-formats.ts';
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
 *
 * This module holds the command line only; the command's work is report-command-run.ts, loaded
 * when the command runs (commands.ts says why: the renderers and the run folder's readers are
 * not loaded by every other command's start).
 */
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
    .action(async (runFolder: string, options: { format?: ReportFormat[]; out?: string; baseline?: string; maxRegression?: number }) => {
      // The renderers and the run folder's readers, loaded when a report is rendered (commands.ts says why).
      const { reportCommand } = await import('./report-command-run.ts');
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

