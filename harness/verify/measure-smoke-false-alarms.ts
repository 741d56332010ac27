/**
 * Measures the CI gate as CI runs it: `spillway run smoke` (the real command, set-up, load and
 * analysis) N times in a row against the shipped sample, and reports each run's wall time, exit
 * code and every verdict that did not pass, then the totals: wall time (median, max) and false
 * alarms (runs that did not exit 0 with every verdict passing: against the sample every such run
 * is a false alarm). Issue #17 asks for 20 runs of the fast smoke under 60 s with none;
 * docs/smoke-gate.md records the measurements.
 *
 *   npm run smoke:false-alarms                         # 20 runs of smoke
 *   npm run smoke:false-alarms -- --runs 5 --scenario smoke-full
 *
 * Runs are sequential (a run measured beside another measures the neighbour too). The machine's
 * load averages at the start and the end are part of the report, since contention lengthens wall
 * time and makes timing-sensitive checks likelier to trip. Each run's folder is kept under
 * --results (run-NN/<run-id>/), and summary.json beside them holds everything printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface SmokeRun {
  run: number;
  wallSeconds: number;
  exitCode: number;
  /** `<check>: <status>` of every verdict that did not pass; empty when the journal is missing. */
  notPassed: string[];
  /** Set when the run left no readable journal (the harness could not complete it). */
  problem: string | null;
  runDir: string | null;
}

export interface SmokeSummary {
  runs: number;
  medianWallSeconds: number;
  maxWallSeconds: number;
  /** Runs that exited non-zero or judged anything other than pass. */
  falseAlarms: number;
  /** How many runs saw each non-pass verdict. */
  nonPassCounts: Record<string, number>;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A run is a false alarm against the sample when it did not exit 0 or any verdict did not pass. */
export function isFalseAlarm(run: SmokeRun): boolean {
  return run.exitCode !== 0 || run.notPassed.length > 0 || run.problem !== null;
}

export function summarise(runs: readonly SmokeRun[]): SmokeSummary {
  const nonPassCounts: Record<string, number> = {};
  for (const run of runs) for (const verdict of new Set(run.notPassed)) nonPassCounts[verdict] = (nonPassCounts[verdict] ?? 0) + 1;
  const walls = runs.map((r) => r.wallSeconds);
  return {
    runs: runs.length,
    medianWallSeconds: median(walls),
    maxWallSeconds: Math.max(...walls),
    falseAlarms: runs.filter(isFalseAlarm).length,
    nonPassCounts,
  };
}

/** Reads the verdicts that did not pass from the one run folder a run wrote under its results dir. */
export function readRun(resultsDir: string): Pick<SmokeRun, 'notPassed' | 'problem' | 'runDir'> {
  const folders = existsSync(resultsDir) ? readdirSync(resultsDir).filter((name) => existsSync(join(resultsDir, name, 'journal.json'))) : [];
  if (folders.length !== 1) return { notPassed: [], problem: `expected one run folder with a journal.json in ${resultsDir}, found ${folders.length}`, runDir: null };
  const runDir = join(resultsDir, folders[0]!);
  const journal = JSON.parse(readFileSync(join(runDir, 'journal.json'), 'utf8')) as { problem?: string; verdicts: { check: string; status: string }[] };
  return {
    notPassed: journal.verdicts.filter((v) => v.status !== 'pass').map((v) => `${v.check}: ${v.status}`),
    problem: journal.problem ?? null,
    runDir,
  };
}

const loads = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      scenario: { type: 'string', default: 'smoke' },
      results: { type: 'string', default: 'results/smoke-false-alarms' },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs must be a whole number of at least 1, got ${values.runs}\n`);
    process.exit(2);
  }
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const outDir = resolve(values.results, `${new Date().toISOString().replace(/[:.]/g, '-')}-${values.scenario}`);
  mkdirSync(outDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const loadAtStart = loads();
  process.stdout.write(`${runs} runs of \`spillway run ${values.scenario}\` on the shipped sample; load averages at start (1/5/15 min): ${loadAtStart}\n`);

  const results: SmokeRun[] = [];
  for (let i = 1; i <= runs; i++) {
    const runResults = join(outDir, `run-${String(i).padStart(2, '0')}`);
    const started = process.hrtime.bigint();
    // The command CI runs, in a process of its own, so the wall time includes Node's start.
    const child = spawnSync(process.execPath, [join(repo, 'bin/spillway.js'), 'run', values.scenario, '--results', runResults], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    writeFileSync(join(outDir, `run-${String(i).padStart(2, '0')}.log`), `${child.stdout}${child.stderr}`);
    const run: SmokeRun = { run: i, wallSeconds, exitCode: child.status ?? -1, ...readRun(runResults) };
    results.push(run);
    const notes = [...run.notPassed, ...(run.problem ? [run.problem] : [])];
    process.stdout.write(`run ${i}/${runs}: ${wallSeconds.toFixed(1)} s, exit ${run.exitCode}${notes.length ? `; ${notes.join('; ')}` : ', every verdict passed'}\n`);
  }

  const summary = summarise(results);
  const loadAtEnd = loads();
  const nonPass = Object.entries(summary.nonPassCounts);
  process.stdout.write(
    [
      '',
      `wall time: median ${summary.medianWallSeconds.toFixed(1)} s, max ${summary.maxWallSeconds.toFixed(1)} s over ${summary.runs} runs`,
      `false alarms: ${summary.falseAlarms} of ${summary.runs}${nonPass.length ? ` (${nonPass.map(([v, n]) => `${v} in ${n}`).join('; ')})` : ''}`,
      `load averages at end (1/5/15 min): ${loadAtEnd}`,
      `run folders and logs in ${outDir}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify({ scenario: values.scenario, startedAt, endedAt: new Date().toISOString(), loadAtStart, loadAtEnd, ...summary, runs: results }, null, 2)}\n`);
}

if (import.meta.main) main();
