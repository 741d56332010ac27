import { capacityConsumer, capacityProfiles, type CapacityProfileName } from '../capacity/capacity-gateway-config.ts';
import { rampRates } from '../capacity/step-schedule.ts';
import type { K6Config, ScenarioPlan } from '../run/scenario-plan.ts';
import type { CapacityPlan } from './k8s-plan-file.ts';

/**
 * A capacity test as one k6-operator TestRun: a fixed staircase of constant arrival rates, one
 * traffic entry per step, each sending only during its own hold (startSeconds to endSeconds),
 * from the `smoke` script with the same requests `spillway capacity` sends (the capacity-test
 * consumer, the Capacity Testing product's subscription and the only one that may call the
 * profiles' APIs; one-word prompts, max_tokens 1: the gateway's cost per request, not the
 * model's), to the profile's API (capacityProfiles[profile].basePath after the gateway URL).
 *
 * A TestRun is a fixed plan, so unlike `spillway capacity` there is no bisection between the
 * last passing and the first failing step and no failing step held again to confirm it: the
 * staircase is what was asked for, and each step is judged afterwards from the merged samples.
 */
export interface StaircaseOptions {
  units: number;
  startRps: number;
  stepRps: number;
  maxRps: number;
  holdSeconds: number;
  settleSeconds: number;
  profile: CapacityProfileName;
  sloP95Ms: number;
  errorBudget: number;
  droppedTolerance: number;
}

export { capacityConsumer };
/** The scenario script the steps run: its traffic function sends what the plan says, and nothing else. */
export const capacityScript = 'smoke';

export function capacityStaircase(options: StaircaseOptions, config: K6Config): { plan: ScenarioPlan; capacity: CapacityPlan } {
  const rates = rampRates(options);
  const steps = rates.map((rps, index) => ({ rps, trafficIndex: index, startSeconds: index * options.holdSeconds, endSeconds: (index + 1) * options.holdSeconds }));
  const plan: ScenarioPlan = {
    // The script checks that its plan is one of its own, so the plan keeps the script's name.
    name: capacityScript,
    description: `capacity staircase: ${rates.join(', ')} req/s, ${options.holdSeconds} s each (${options.profile} profile)`,
    script: capacityScript,
    durationSeconds: steps.length * options.holdSeconds,
    deployment: 'gpt-4o',
    embeddingDeployment: 'text-embedding-3-small',
    apiVersion: '2024-10-21',
    entry: 'primary-region',
    traffic: steps.map((step) => ({
      consumer: capacityConsumer,
      priority: 'none' as const,
      ratePerUnit: step.rps / options.units,
      operation: 'chat' as const,
      stream: false,
      promptWords: { kind: 'fixed' as const, value: 1 },
      maxTokens: { kind: 'fixed' as const, value: 1 },
      startSeconds: step.startSeconds,
      endSeconds: step.endSeconds,
    })),
    timeline: [],
    verifiers: [],
    thresholds: {},
    fleet: {},
  };
  return {
    plan,
    capacity: {
      profile: options.profile,
      basePath: capacityProfiles[options.profile].basePath,
      holdSeconds: options.holdSeconds,
      settleSeconds: options.settleSeconds,
      criteria: { sloP95Ms: options.sloP95Ms, errorBudget: options.errorBudget, droppedTolerance: options.droppedTolerance },
      steps,
    },
  };
}

/**
 * The most requests per second the plan's classes send at once, at these units: classes with
 * start and end times (a capacity staircase's steps) overlap only where their spans do.
 */
export function peakRate(plan: Pick<ScenarioPlan, 'traffic' | 'durationSeconds'>, units: number): number {
  const spans = plan.traffic.map((t) => ({ start: t.startSeconds, end: t.endSeconds ?? plan.durationSeconds, rate: t.ratePerUnit * units }));
  let peak = 0;
  for (const at of spans.map((s) => s.start)) {
    const total = spans.filter((s) => s.start <= at && at < s.end).reduce((sum, s) => sum + s.rate, 0);
    peak = Math.max(peak, total);
  }
  return Number(peak.toFixed(6));
}
