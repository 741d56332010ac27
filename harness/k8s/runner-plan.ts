import type { K6Config, ScenarioPlan } from '../run/scenario-plan.ts';

/**
 * The SPILLWAY_PLAN a k6-operator runner reads, and the runner environment that carries it.
 *
 * The scenario script takes each subscription key from its plan (scenarios/lib/plan.ts), and the
 * keys must never be written into a manifest. Kubernetes' dependent environment variables are
 * what joins the two: each key is an env var read from a Secret (`valueFrom.secretKeyRef`), and
 * SPILLWAY_PLAN, listed after them, holds `$(SPILLWAY_KEY_…)` where the key goes; the kubelet
 * substitutes the values when it starts the runner's container. That is also why the plan lives
 * in the runner's env and not in the ConfigMap: a value read from a ConfigMap is not expanded.
 */

/** Where the runner writes its raw results: the results volume is mounted here (testrun-manifest.ts). */
export const runnerResultsDir = '/results';
export const runnerSummaryPath = `${runnerResultsDir}/k6-summary.json`;
export const planEnvName = 'SPILLWAY_PLAN';
/** The runner pod's own name (downward API), which keeps each runner's results apart. */
export const runnerPodEnvName = 'SPILLWAY_RUNNER_POD';

export interface RunnerPlanInput {
  plan: ScenarioPlan;
  config: K6Config;
  units: number;
  /** The gateway (or front door) origin the runners load, as the plan's baseUrl. */
  gatewayUrl: string;
  runId: string;
  /** The Secret holding one entry per consumer key variable (SPILLWAY_KEY_…). */
  keySecret: string;
}

export type RunnerEnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }
  | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

/** A stand-in for a key while the plan is serialised; replaced by a `$(VAR)` reference after escaping. */
const keySlot = (keyEnv: string): string => `\u0000key:${keyEnv}\u0000`;

/** The key variables the plan's traffic needs, in order of first use, no repeats. */
export function keyVariables(plan: ScenarioPlan, config: K6Config): string[] {
  return [...new Set(plan.traffic.map((t) => config.consumers[t.consumer]!.keyEnv))];
}

/**
 * The plan as the runner's SPILLWAY_PLAN value: the same fields `spillway run` passes
 * (harness/run/run-scenario.ts startLoad), keys as `$(VAR)` references. Any `$(` already in
 * the plan's text is escaped as `$$(`, so that only the key references are expanded.
 */
export function runnerPlanValue(input: RunnerPlanInput): string {
  const { plan, config, units } = input;
  const k6Plan = {
    name: plan.name,
    script: plan.script ?? plan.name,
    durationSeconds: plan.durationSeconds,
    units,
    baseUrl: input.gatewayUrl.replace(/\/+$/, ''),
    apiVersion: plan.apiVersion,
    deployment: plan.deployment,
    embeddingDeployment: plan.embeddingDeployment,
    // Total rates: k6-operator's execution segments give each runner its share of them.
    traffic: plan.traffic.map((t) => ({ ...t, key: keySlot(config.consumers[t.consumer]!.keyEnv), priority: t.priority ?? config.consumers[t.consumer]!.priority, rate: t.ratePerUnit * units })),
    thresholds: plan.thresholds,
    summaryTrendStats: config.k6.summaryTrendStats ?? [],
    summaryPath: runnerSummaryPath,
    runId: input.runId,
  };
  const escaped = JSON.stringify(k6Plan).replaceAll('$(', '$$$$(');
  return escaped.replace(/\\u0000key:([A-Z_][A-Z0-9_]*)\\u0000/g, (_, keyEnv: string) => `$(${keyEnv})`);
}

/** The runner's environment: its pod name, the keys from the Secret, then the plan that refers to them. */
export function runnerEnv(input: RunnerPlanInput): RunnerEnvVar[] {
  return [
    { name: runnerPodEnvName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ...keyVariables(input.plan, input.config).map((keyEnv) => ({ name: keyEnv, valueFrom: { secretKeyRef: { name: input.keySecret, key: keyEnv } } })),
    // Last: a $(VAR) reference expands only to variables defined before it.
    { name: planEnvName, value: runnerPlanValue(input) },
  ];
}
