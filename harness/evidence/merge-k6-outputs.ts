import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * Several k6 processes (load generators, each running its execution segment of the test:
 * harness/k6/execution-segments.ts) make one run. Their outputs are merged here into the
 * files one k6 would have written, at the paths the harness already reads, so every reader
 * downstream (collectEvidence, the verifiers, the thresholds) is unchanged:
 *
 * - the raw samples (`--out json=`): every generator's lines in one file, interleaved by sample
 *   time. Exact: nothing is computed, each Point line is copied as written; k6's `Metric`
 *   declaration lines, which every generator writes once per metric, are kept once.
 * - the summary exports (`--summary-export`): only the counters the harness reads, summed.
 *   Percentiles, averages and rates cannot be merged from summaries (the average of two p(95)s
 *   is not the p(95) of the whole): those are computed from the merged raw samples
 *   (harness/run/thresholds-from-samples.ts), never from here.
 */

export interface MergedSamples {
  /** Point lines written (every generator's samples). */
  points: number;
  /** Metric declarations kept (one per metric, whatever the number of generators). */
  metrics: number;
  /** Generators' samples files that did not exist (a k6 that never started writes none). */
  missing: string[];
}

/**
 * Merges the generators' raw samples into `outFile`, ordered by sample time across files (each
 * k6 writes its own samples nearly in time order; this keeps the merged file reading as one
 * k6's would). Lines that are neither a Point nor a Metric declaration are copied as they come.
 * Streams: a long run's samples are never held in memory whole.
 */
export async function mergeSampleFiles(files: readonly string[], outFile: string): Promise<MergedSamples> {
  const missing = files.filter((file) => !existsSync(file));
  const readers = files.filter((file) => existsSync(file)).map((file) => createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })[Symbol.asyncIterator]());
  const out = createWriteStream(outFile);
  const declared = new Set<string>();
  let points = 0;
  let buffered = '';
  const write = async (line: string): Promise<void> => {
    buffered += `${line}\n`;
    if (buffered.length < 1 << 16) return;
    const chunk = buffered;
    buffered = '';
    if (!out.write(chunk)) await once(out, 'drain');
  };
  try {
    // The head line of each file and its time; a file is dropped from `heads` when it ends.
    const heads: { reader: AsyncIterator<string>; line: string; time: number }[] = [];
    const advance = async (reader: AsyncIterator<string>): Promise<{ reader: AsyncIterator<string>; line: string; time: number } | null> => {
      for (;;) {
        const next = await reader.next();
        if (next.done) return null;
        const line = next.value;
        if (line.trim() === '') continue;
        const time = sampleTime(line);
        if (time !== null) return { reader, line, time };
        // Not a sample: a Metric declaration (kept once) or anything else (copied).
        const metric = declaredMetric(line);
        if (metric === null) await write(line);
        else if (!declared.has(metric)) {
          declared.add(metric);
          await write(line);
        }
      }
    };
    for (const reader of readers) {
      const head = await advance(reader);
      if (head) heads.push(head);
    }
    while (heads.length > 0) {
      // A linear scan: the generators are few (at most the machine's cores, unless oversubscribed).
      let earliest = 0;
      for (let i = 1; i < heads.length; i++) if (heads[i]!.time < heads[earliest]!.time) earliest = i;
      const head = heads[earliest]!;
      await write(head.line);
      points++;
      const next = await advance(head.reader);
      if (next) heads[earliest] = next;
      else heads.splice(earliest, 1);
    }
    out.end(buffered);
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    throw error;
  }
  return { points, metrics: declared.size, missing };
}

/**
 * A Point line's time in milliseconds with its sub-millisecond digits (k6 writes nanoseconds,
 * trailing zeros trimmed, so the text does not sort as a string); null for any other line. Read
 * without parsing the whole line: `data.time` is the first "time" key of a k6 Point line.
 */
function sampleTime(line: string): number | null {
  if (!line.includes('"type":"Point"')) return null;
  const match = /"time":"([^"]+)"/.exec(line);
  if (!match) return null;
  const text = match[1]!;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  // Date.parse keeps whole milliseconds; the digits after the third are the rest.
  const below = fraction.length > 3 ? Number(`0.${fraction.slice(3)}`) : 0;
  return ms + below;
}

/** The metric a k6 `Metric` declaration line declares; null for any other line. */
function declaredMetric(line: string): string | null {
  if (!line.includes('"type":"Metric"')) return null;
  try {
    const row = JSON.parse(line) as { metric?: unknown };
    return typeof row.metric === 'string' ? row.metric : null;
  } catch {
    return null;
  }
}

/**
 * The counters of the generators' summary exports that the harness reads, summed:
 *
 * - `http_reqs.count` (requests sent, what a target compares its ledger with): exact, each
 *   request is counted by the one generator that sent it.
 * - `dropped_iterations.count` (arrivals k6 could not start for want of a VU): exact, likewise.
 *   k6 leaves the metric out when nothing was dropped: 0.
 * - `iterations.count`: exact.
 * - `vus.max` (the most VUs busy at once): the sum of each generator's peak, an upper bound on
 *   the peak of the whole (the generators' peaks need not coincide), NOT exact.
 * - `vus_max.max` (VUs allocated): exact as a sum, allocation only grows during a run.
 */
export interface MergedSummaryCounters {
  httpReqs: number;
  droppedIterations: number;
  iterations: number;
  vusMax: number;
  vusAllocatedMax: number;
  /** Summary exports that did not exist (their generator wrote none). */
  missing: string[];
}

/** A generator's output that cannot be merged (a summary export that is not JSON). */
export class K6OutputMergeError extends UserFacingError {}

interface SummaryExport {
  metrics?: Record<string, Record<string, unknown> | undefined>;
}

export function mergeSummaryCounters(files: readonly string[]): MergedSummaryCounters {
  const merged: MergedSummaryCounters = { httpReqs: 0, droppedIterations: 0, iterations: 0, vusMax: 0, vusAllocatedMax: 0, missing: [] };
  for (const file of files) {
    if (!existsSync(file)) {
      merged.missing.push(file);
      continue;
    }
    let summary: SummaryExport;
    try {
      summary = JSON.parse(readFileSync(file, 'utf8')) as SummaryExport;
    } catch (error) {
      throw new K6OutputMergeError(`${file}: not a k6 summary export (${error instanceof Error ? error.message : String(error)})`);
    }
    const field = (metric: string, key: string): number => {
      const value = summary.metrics?.[metric]?.[key];
      return typeof value === 'number' && Number.isFinite(value) ? value : 0;
    };
    merged.httpReqs += field('http_reqs', 'count');
    merged.droppedIterations += field('dropped_iterations', 'count');
    merged.iterations += field('iterations', 'count');
    merged.vusMax += field('vus', 'max');
    merged.vusAllocatedMax += field('vus_max', 'max');
  }
  return merged;
}

/**
 * Writes the merged counters as a summary export at `outFile` (the run's usual
 * k6-summary-export.json), in k6's shape for the fields it holds, so its readers
 * (requestsSent, the capacity steps) read it unchanged. It holds no percentiles and no
 * thresholds: `spillway.merged` says so, for a person opening it.
 */
export function writeMergedSummaryExport(files: readonly string[], outFile: string): MergedSummaryCounters {
  const merged = mergeSummaryCounters(files);
  const summary = {
    metrics: {
      http_reqs: { count: merged.httpReqs },
      iterations: { count: merged.iterations },
      dropped_iterations: { count: merged.droppedIterations },
      vus: { max: merged.vusMax },
      vus_max: { max: merged.vusAllocatedMax },
    },
    spillway: {
      merged: `the counters of ${files.length} load generators' summary exports, summed (exact, except vus.max: the sum of each generator's peak, an upper bound); percentiles and thresholds are computed from the merged raw samples, not kept here`,
      from: files,
      missing: merged.missing,
    },
  };
  writeFileSync(outFile, `${JSON.stringify(summary, null, 2)}\n`);
  return merged;
}
