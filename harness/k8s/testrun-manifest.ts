import { runnerEnv, runnerResultsDir, runnerPodEnvName, type RunnerPlanInput } from './runner-plan.ts';

/**
 * k6-operator's TestRun (k6.io/v1alpha1) for one scenario: `parallelism` runner pods, each
 * running its execution segment of the bundle from the ConfigMap, and writing its raw results
 * (`--out json`) and k6's summary export into its own folder of a results volume.
 *
 * The operator does not aggregate results across runners, and each runner judges k6's
 * thresholds over its own segment only; Spillway is to merge the raw samples and judge them
 * once (`spillway k8s collect`, not built yet: docs/k8s.md).
 */
export const runnerSamplesPath = `${runnerResultsDir}/k6-samples.json`;
export const runnerSummaryExportPath = `${runnerResultsDir}/k6-summary-export.json`;
const resultsVolume = 'spillway-results';

export interface TestRunInput extends RunnerPlanInput {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  parallelism: number;
  configMap: string;
  /** The bundle's file name inside the ConfigMap. */
  scriptFile: string;
  k6Image: string;
  /** A PersistentVolumeClaim (ReadWriteMany, since runners may land on several nodes) for the results. */
  resultsClaim: string;
}

export function testRunManifest(input: TestRunInput) {
  return {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name: input.name, namespace: input.namespace, labels: input.labels },
    spec: {
      parallelism: input.parallelism,
      script: { configMap: { name: input.configMap, file: input.scriptFile } },
      // The operator splits this string at spaces, so no value here may hold one.
      arguments: ['--quiet', '--no-color', '--out', `json=${runnerSamplesPath}`, '--summary-export', runnerSummaryExportPath].join(' '),
      runner: {
        image: input.k6Image,
        env: runnerEnv(input),
        // The folder <runId>/<pod name> on the claim: the kubelet creates it, so runners never
        // write over each other and a collector finds every runner's files under the run's id.
        volumeMounts: [{ name: resultsVolume, mountPath: runnerResultsDir, subPathExpr: `${input.runId}/$(${runnerPodEnvName})` }],
        volumes: [{ name: resultsVolume, persistentVolumeClaim: { claimName: input.resultsClaim } }],
      },
    },
  };
}
