import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BaselineComparison } from './baseline/compare-runs.ts';
import { renderHtmlReport } from './html/html.renderer.ts';
import { renderJsonReport } from './json.renderer.ts';
import { renderMarkdownReport } from './markdown.renderer.ts';
import { loadRunFolder, withLoadedEvidence, type LoadedEvidence, type RunFolder } from './run-folder.ts';
import { reportFormats, type ReportFormat } from './report-formats.ts';
import { renderJUnitReport } from './summary-junit.renderer.ts';

/**
 * The one map of report formats: each format's file name and the function that renders it from
 * a loaded run folder. Every writer goes through it (`spillway run`, `capacity` and `drill` at
 * the end of a run, through writeRunReports; `spillway report` through renderReports and
 * writeRenderedReports), so a run folder can be re-rendered at any later time into the same
 * files.
 */
export { reportFormats, type ReportFormat } from './report-formats.ts';

export interface RenderContext {
  /** The formats rendered together, so one report can link another (the Markdown links the HTML). */
  formats: readonly ReportFormat[];
  comparison: BaselineComparison | null;
  /** The run folder as a link from where the reports are written; '' (the default) when written into it. */
  runFolderHref?: string;
}

export interface ReportOutput {
  file: string;
  render: (folder: RunFolder, context: RenderContext) => string;
}

export const reportOutputs: Readonly<Record<ReportFormat, ReportOutput>> = {
  html: { file: 'report.html', render: (folder, context) => renderHtmlReport(folder, { runFolderHref: context.runFolderHref ?? '' }) },
  md: { file: 'report.md', render: (folder, context) => renderMarkdownReport(folder, { htmlFile: context.formats.includes('html') ? reportOutputs.html.file : null, comparison: context.comparison }) },
  junit: { file: 'junit.xml', render: (folder) => renderJUnitReport(folder) },
  json: {
    file: 'report.json',
    render: (folder, context) => renderJsonReport(folder, { reports: Object.fromEntries(context.formats.map((f) => [f, reportOutputs[f].file])), comparison: context.comparison }),
  },
};

export interface RenderedReport {
  format: ReportFormat;
  file: string;
  text: string;
}

/**
 * Every format asked for, rendered in memory; throws what a renderer throws (nothing is
 * written). `together`: the formats written with these, for the links between them (default
 * `formats`), when a caller renders them in more than one call.
 */
export function renderReports(folder: RunFolder, formats: readonly ReportFormat[], comparison: BaselineComparison | null = null, runFolderHref = '', together: readonly ReportFormat[] = formats): RenderedReport[] {
  const context: RenderContext = { formats: together, comparison, runFolderHref };
  return formats.map((format) => ({ format, file: reportOutputs[format].file, text: reportOutputs[format].render(folder, context) }));
}

/**
 * Writes rendered reports into `dir`, each to a temporary file first and renamed into place
 * once all are written, so a failure (a full disk) leaves the folder's earlier files as they
 * were, never a half-written report.
 */
export function writeRenderedReports(dir: string, reports: readonly RenderedReport[]): string[] {
  const temporary = reports.map((r) => ({ final: join(dir, r.file), temp: join(dir, `.${r.file}.${process.pid}.tmp`), text: r.text }));
  try {
    for (const t of temporary) writeFileSync(t.temp, t.text);
  } catch (error) {
    for (const t of temporary) rmSync(t.temp, { force: true });
    throw error;
  }
  for (const t of temporary) renameSync(t.temp, t.final);
  return temporary.map((t) => t.final);
}

export interface RunReportsResult {
  written: string[];
  /** Formats that could not be rendered, each with why; the details are in report-error.log. */
  failed: { format: ReportFormat | 'load'; message: string }[];
}

/** A failure of writeRunReports in a line, for the run's output. */
export function describeReportFailure(dir: string, failed: RunReportsResult['failed'][number]): string {
  return `${failed.format === 'load' ? 'the reports' : `the ${failed.format} report`} could not be written (${failed.message}); see ${join(dir, reportErrorLog)}`;
}

/** The file a report that could not be rendered at the end of a run is explained in. */
export const reportErrorLog = 'report-error.log';

/**
 * The reports written at the end of a run, capacity run or drill, into its own folder. Each
 * format on its own: one that fails (a renderer bug, evidence it cannot read) is logged with its
 * stack to report-error.log in the folder and the others are still written; the journal, and a
 * run's junit.xml written before this, are never touched by a failure here. Never throws.
 */
export function writeRunReports(dir: string, formats: readonly ReportFormat[] = reportFormats, loaded?: LoadedEvidence): RunReportsResult {
  formats = reportFormats.filter((f) => formats.includes(f));
  const result: RunReportsResult = { written: [], failed: [] };
  const log = (what: string, error: unknown): string => {
    const message = error instanceof Error ? error.message : String(error);
    try {
      appendFileSync(join(dir, reportErrorLog), `${new Date().toISOString()} ${what}: ${error instanceof Error && error.stack ? error.stack : message}\n`);
    } catch {
      // The folder itself is gone or read-only: the message is still returned to be said.
    }
    return message;
  };
  let folder: RunFolder;
  try {
    folder = loadRunFolder(dir);
    // At the end of `spillway run` the analysis has read the evidence already: rendered from
    // memory, not read from the folder a second time (the bulk of a long run's rendering time).
    if (loaded && folder.kind === 'run') folder = withLoadedEvidence(folder, loaded);
  } catch (error) {
    result.failed.push({ format: 'load', message: log('loading the run folder for its reports', error) });
    return result;
  }
  // In the map's order (the HTML first): a format that failed is taken out of the context, so
  // the Markdown never links an HTML report that is not there, nor the JSON list it.
  const context = { formats: [...formats], comparison: null };
  for (const format of formats) {
    try {
      const text = reportOutputs[format].render(folder, context);
      result.written.push(...writeRenderedReports(dir, [{ format, file: reportOutputs[format].file, text }]));
    } catch (error) {
      context.formats = context.formats.filter((f) => f !== format);
      result.failed.push({ format, message: log(`rendering the ${format} report`, error) });
    }
  }
  return result;
}

/**
 * Appends a run folder's Markdown report to GitHub's step summary when $GITHUB_STEP_SUMMARY
 * names a file (GitHub Actions sets it for each step); does nothing otherwise, or when the
 * folder has no report.md. Never throws: a summary that cannot be written is said through
 * `say` and changes nothing else (the run's exit code stays its verdicts'). Returns the file
 * appended to, or null.
 */
export function appendStepSummary(dir: string, say: (line: string) => void, env: NodeJS.ProcessEnv = process.env): string | null {
  const target = env['GITHUB_STEP_SUMMARY'];
  const markdown = join(dir, reportOutputs.md.file);
  if (!target || !existsSync(markdown)) return null;
  try {
    appendFileSync(target, `${readFileSync(markdown, 'utf8')}\n`);
    return target;
  } catch (error) {
    say(`report: $GITHUB_STEP_SUMMARY ${target} could not be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return null;
  }
}
