import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { UserFacingError } from '../contracts/user-facing-error.ts';

/**
 * The runners' folders in a run's results, as fetched from the results claim (`<run>/` on the
 * volume, docs/k8s.md). Each runner pod writes into `<run>/<pod name>/` (the TestRun mounts the
 * claim with `subPathExpr: <run>/$(SPILLWAY_RUNNER_POD)`), and k6-operator names a runner's pod
 * after its job, `<run>-<n>`, so every runner folder's name starts with the run id: that is how
 * results of another run, copied in by mistake, are told apart. A folder without
 * k6-samples.json is not a runner's (the initializer pod can leave an empty one).
 */
export interface RunnerFolder {
  /** The pod's name, the folder's. */
  pod: string;
  dir: string;
  samples: string;
  summaryExport: string;
}

export class RunnerFolderError extends UserFacingError {}

export const runnerSamplesFile = 'k6-samples.json';
export const runnerSummaryExportFile = 'k6-summary-export.json';

/** `<run>-<n>-<pod suffix>`: a runner pod of the run (not its `-initializer` or `-starter`). */
function isRunnerPodOf(pod: string, runId: string): boolean {
  return pod.startsWith(`${runId}-`) && /^\d+(-[a-z0-9]+)?$/.test(pod.slice(runId.length + 1));
}

/**
 * Finds the runner folders under `folder`, checking that they are this run's and as many as it
 * had runners. Refuses, naming the folder, when there are none, when one belongs to another
 * run, when one lacks its summary export, or when their number is not the plan's parallelism (a
 * missing runner's share of every class is missing from the merged samples: its percentiles
 * and counts would be judged on part of the load).
 */
export function findRunnerFolders(folder: string, runId: string, parallelism: number): RunnerFolder[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new RunnerFolderError(`${folder}: no such folder; fetch the run's folder from the results claim first (docs/k8s.md, "Fetch the raw results")`);
  const runners: RunnerFolder[] = [];
  const foreign: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const dir = join(folder, entry.name);
    const samples = join(dir, runnerSamplesFile);
    if (!existsSync(samples)) continue;
    if (!isRunnerPodOf(entry.name, runId)) {
      foreign.push(entry.name);
      continue;
    }
    runners.push({ pod: entry.name, dir, samples, summaryExport: join(dir, runnerSummaryExportFile) });
  }
  if (foreign.length > 0) {
    throw new RunnerFolderError(
      `${folder}: ${foreign.join(', ')} ${foreign.length === 1 ? 'holds' : 'hold'} k6 samples but ${foreign.length === 1 ? 'is not a runner' : 'are not runners'} of run ${runId} (a runner's folder is its pod's name, ${runId}-<n>-<suffix>): results of another run, or the wrong --plan`,
    );
  }
  if (runners.length === 0) {
    const hint = basename(folder) === runId ? '' : ` (the folder is named ${basename(folder)}, the plan's run is ${runId})`;
    throw new RunnerFolderError(`${folder}: no runner's results: no sub-folder holds ${runnerSamplesFile}${hint}. Fetch the run's folder from the results claim once the TestRun has finished (docs/k8s.md)`);
  }
  const withoutSummary = runners.filter((r) => !existsSync(r.summaryExport));
  if (withoutSummary.length > 0) throw new RunnerFolderError(`${withoutSummary.map((r) => join(r.dir, runnerSummaryExportFile)).join(', ')}: missing; k6 writes it when its run ends, so ${withoutSummary.length === 1 ? 'that runner' : 'those runners'} did not finish`);
  if (runners.length !== parallelism) {
    throw new RunnerFolderError(
      `${folder}: ${runners.length} runner folder${runners.length === 1 ? '' : 's'} (${runners.map((r) => r.pod).join(', ')}), but run ${runId} had ${parallelism} runners: ` +
        (runners.length < parallelism ? "a missing runner's share of the load is missing from the samples, so nothing is judged; fetch every runner's folder" : 'more folders than runners: a runner pod was restarted, or folders were copied in twice; keep one folder per runner'),
    );
  }
  return runners;
}

/**
 * Checks that a runner's raw samples are whole: every line is JSON. A runner killed while
 * writing leaves a truncated last line; samples judged without it would be a part taken for the
 * whole, so the file is refused naming its line.
 */
export async function checkSamplesFile(file: string): Promise<{ lines: number }> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    try {
      const row = JSON.parse(line) as { type?: unknown };
      if (typeof row !== 'object' || row === null || (row.type !== 'Point' && row.type !== 'Metric')) throw new Error('not a k6 Point or Metric line');
    } catch (error) {
      throw new RunnerFolderError(`${file}:${number}: not a line of k6's JSON output (${error instanceof Error ? error.message : String(error)}); the runner's samples are truncated or damaged, so the run cannot be judged`);
    }
  }
  if (number === 0) throw new RunnerFolderError(`${file}: empty; the runner wrote no samples`);
  return { lines: number };
}
