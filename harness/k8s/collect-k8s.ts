import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkThresholdsEvaluable } from '../run/thresholds-from-samples.ts';
import { loadExpectationsFile } from '../verify/expectations-file.ts';
import { mergeSampleFiles, writeMergedSummaryExport } from '../evidence/merge-k6-outputs.ts';
import { judgeCapacityRun, type CapacityCollected } from './collect-capacity.ts';
import { judgeScenarioRun, type ScenarioCollected } from './collect-scenario.ts';
import { readK8sPlanFile, type K8sPlanFile } from './k8s-plan-file.ts';
import { checkSamplesFile, findRunnerFolders, type RunnerFolder } from './runner-folders.ts';

/**
 * `spillway k8s collect`: the runners' results of one k6-operator run, fetched from the results
 * claim, merged and judged once. k6-operator does not aggregate across runners, and each
 * runner's own thresholds judged only its segment; here every runner's raw samples are merged
 * into one file (harness/evidence/merge-k6-outputs.ts), and percentiles, thresholds, verifiers
 * and capacity steps are computed from that merged evidence, never from per-runner figures.
 *
 * Everything about the input is checked before the run folder is created: the plan file, the
 * runner folders (this run's, as many as it had runners) and every line of their samples.
 */
export interface CollectOptions {
  /** The run's folder as fetched from the claim: one sub-folder per runner pod. */
  folder: string;
  /** `<run>.plan.json`, written by `spillway k8s render` beside the manifests. */
  planFile: string;
  /** Where the run folder is written: `<resultsDir>/<run id>/`. */
  resultsDir: string;
  /** Expectations for the plan's verifiers (harness/verify/expectations-file.ts). */
  expectationsFile?: string;
  say?: (line: string) => void;
}

export type CollectResult = { runDir: string; plan: K8sPlanFile; runners: RunnerFolder[]; exitCode: 0 | 1 | 2 | 3 } & ({ kind: 'scenario'; scenario: ScenarioCollected } | { kind: 'capacity'; capacity: CapacityCollected });

export class K8sCollectError extends UserFacingError {}

export async function collectK8sRun(options: CollectOptions): Promise<CollectResult> {
  const say = options.say ?? (() => undefined);
  const plan = readK8sPlanFile(options.planFile);
  const folder = resolve(options.folder);
  const runners = findRunnerFolders(folder, plan.runId, plan.parallelism);
  for (const runner of runners) await checkSamplesFile(runner.samples);
  const expectations = options.expectationsFile !== undefined ? loadExpectationsFile(resolve(options.expectationsFile)) : null;
  // A threshold that cannot be evaluated over merged samples (a gauge's value) is refused now.
  checkThresholdsEvaluable(plan.plan.thresholds);
  const runDir = join(resolve(options.resultsDir), plan.runId);
  if (existsSync(runDir)) throw new K8sCollectError(`${runDir} already exists: run ${plan.runId} was collected before; delete that folder to collect it again, or choose another --results`);
  say(`${runners.length} runner${runners.length === 1 ? '' : 's'} of ${plan.runId}: ${runners.map((r) => r.pod).join(', ')}`);
  mkdirSync(runDir, { recursive: true });
  try {
    const samplesFile = join(runDir, 'k6-samples.json');
    const merged = await mergeSampleFiles(runners.map((r) => r.samples), samplesFile);
    writeMergedSummaryExport(runners.map((r) => r.summaryExport), join(runDir, 'k6-summary-export.json'));
    say(`merged ${merged.points.toLocaleString('en-US')} samples into ${samplesFile}`);
    if (plan.kind === 'capacity') {
      const capacity = await judgeCapacityRun({ plan, runDir, samplesFile, runners, say });
      return { kind: 'capacity', runDir, plan, runners, exitCode: capacity.exitCode, capacity };
    }
    const scenario = await judgeScenarioRun({ plan, runDir, samplesFile, runners, say, expectations: expectations && { file: resolve(options.expectationsFile!), expectations } });
    return { kind: 'scenario', runDir, plan, runners, exitCode: scenario.journal.exitCode, scenario };
  } catch (error) {
    // A failure found only while judging (a sample the contract refuses) leaves no half-written
    // run folder behind.
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
}
