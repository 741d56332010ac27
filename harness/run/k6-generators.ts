import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { executionSegment, executionSegmentArgs } from '../k6/execution-segments.ts';
import { startK6, type K6Exit, type K6Run } from './k6-runner.ts';

/**
 * N real k6 processes as one run (load generators): each runs its execution segment of the
 * same script (harness/k6/execution-segments.ts, as k6-operator splits a TestRun among its
 * runners), writes its own raw samples, summary export, summary and log, and the caller merges
 * them (harness/evidence/merge-k6-outputs.ts). The run started when the first generator did,
 * is done when all have exited, and stopping it stops them all.
 *
 * One generator (the default) is exactly one k6 as before: the whole test, no segment
 * arguments, the run's usual file names.
 */

/** Where one generator writes. */
export interface GeneratorFiles {
  /** `--out json=`: its raw samples. */
  samples: string;
  /** `--summary-export`. */
  summaryExport: string;
  /** What the script's handleSummary writes (the plan's summaryPath). */
  summary: string;
  /** k6's whole output. */
  log: string;
}

/**
 * The files of generator `index` (0-based) of `count` in the folder `dir`: one generator writes
 * the run's usual names in `dir` itself (k6-samples.json, k6-summary-export.json,
 * k6-summary.json, k6-output.log); several write the same names in `dir/generator-<index+1>/`,
 * leaving `dir`'s names for the merged files.
 */
export function generatorFiles(dir: string, index: number, count: number): GeneratorFiles {
  const folder = count === 1 ? dir : join(dir, `generator-${index + 1}`);
  return {
    samples: join(folder, 'k6-samples.json'),
    summaryExport: join(folder, 'k6-summary-export.json'),
    summary: join(folder, 'k6-summary.json'),
    log: join(folder, 'k6-output.log'),
  };
}

export interface GeneratorExit extends K6Exit {
  /** 0-based. */
  index: number;
  /** Its `--execution-segment` (`0:1` for a single generator). */
  segment: string;
  pid: number | undefined;
}

/**
 * The run's exit: the worst generator's code and signal (a run failure over a threshold failure
 * (99) over success; a generator killed or never started is the worst), the earliest start and
 * the latest end; `generators` keeps every generator's own exit.
 */
export interface GeneratorsExit extends K6Exit {
  generators: GeneratorExit[];
}

export interface GeneratorInfo {
  index: number;
  segment: string;
  files: GeneratorFiles;
  run: K6Run;
}

export interface K6GeneratorsRun {
  readonly count: number;
  /** When the earliest generator started. */
  readonly startedAt: number;
  readonly generators: readonly GeneratorInfo[];
  /** Each generator's k6 process id, in generator order (for sampling k6's CPU). */
  readonly pids: readonly (number | undefined)[];
  /** Resolves when every generator has exited. */
  readonly done: Promise<GeneratorsExit>;
  /** Stops every generator still running (SIGINT, then SIGKILL after killAfterMs). */
  stop(): void;
}

export interface StartGeneratorsArgs {
  k6: string;
  /** The bundled script k6 runs. */
  script: string;
  /** Whole number ≥ 1. */
  count: number;
  /** The run's folder: generatorFiles(dir, i, count) says where each writes. */
  dir: string;
  /**
   * Each generator's environment (the plan, with its summaryPath set to files.summary so that
   * the generators' handleSummary outputs do not overwrite each other).
   */
  env: (files: GeneratorFiles, index: number) => Record<string, string>;
  /** k6 `run` options added before the script (after --quiet --no-color, the segment and the outputs). */
  extraArgs?: readonly string[];
  withhold?: readonly string[];
  /** A line of k6's output, and which generator (0-based) wrote it. */
  onLine?: (line: string, index: number) => void;
  killAfterMs?: number;
  /** Starts one k6 (default: as a process, k6-runner.ts; --runtime container: in a container). */
  launch?: (args: Parameters<typeof startK6>[0]) => K6Run;
}

/** k6's arguments for one generator: `run --quiet --no-color [segment] --out json= --summary-export [extra] script`. */
export function generatorArgv(args: Pick<StartGeneratorsArgs, 'script' | 'count' | 'extraArgs'>, index: number, files: GeneratorFiles): string[] {
  return ['run', '--quiet', '--no-color', ...executionSegmentArgs(index, args.count), '--out', `json=${files.samples}`, '--summary-export', files.summaryExport, ...(args.extraArgs ?? []), args.script];
}

export function startK6Generators(args: StartGeneratorsArgs): K6GeneratorsRun {
  if (!Number.isInteger(args.count) || args.count < 1) throw new RangeError(`the number of load generators must be a whole number of at least 1, got ${args.count}`);
  const generators: GeneratorInfo[] = [];
  for (let index = 0; index < args.count; index++) {
    const files = generatorFiles(args.dir, index, args.count);
    mkdirSync(join(files.log, '..'), { recursive: true });
    const run = (args.launch ?? startK6)({
      k6: args.k6,
      argv: generatorArgv(args, index, files),
      env: args.env(files, index),
      ...(args.withhold ? { withhold: args.withhold } : {}),
      logFile: files.log,
      ...(args.onLine ? { onLine: (line: string) => args.onLine!(line, index) } : {}),
      ...(args.killAfterMs !== undefined ? { killAfterMs: args.killAfterMs } : {}),
    });
    generators.push({ index, segment: executionSegment(index, args.count).segment, files, run });
  }
  const done = Promise.all(generators.map(async (g): Promise<GeneratorExit> => ({ ...(await g.run.done), index: g.index, segment: g.segment, pid: g.run.pid }))).then(combineExits);
  return {
    count: args.count,
    startedAt: Math.min(...generators.map((g) => g.run.startedAt)),
    generators,
    pids: generators.map((g) => g.run.pid),
    done,
    stop() {
      for (const g of generators) g.run.stop();
    },
  };
}

/** How bad an exit is: success, then thresholds failed (99), then k6's run failures, then killed or never started. */
function severity(exit: K6Exit): number {
  if (exit.exitCode === 0) return 0;
  if (exit.exitCode === 99) return 1;
  if (exit.exitCode !== null) return 2;
  return 3;
}

/** One exit for the run from its generators' (the first of the worst, in generator order). */
export function combineExits(exits: readonly GeneratorExit[]): GeneratorsExit {
  if (exits.length === 0) throw new RangeError('combineExits: no generator exits');
  let worst = exits[0]!;
  for (const exit of exits) if (severity(exit) > severity(worst)) worst = exit;
  return {
    exitCode: worst.exitCode,
    signal: worst.signal,
    startedAt: Math.min(...exits.map((e) => e.startedAt)),
    endedAt: Math.max(...exits.map((e) => e.endedAt)),
    generators: [...exits],
  };
}
