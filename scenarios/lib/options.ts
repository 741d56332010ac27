import { classScenarios } from './executors.ts';
import type { Options } from './k6-imports.ts';
import { metricNames } from './metric-names.ts';
import type { SpillwayPlan } from './plan.ts';

/**
 * k6's options for a plan: the traffic classes as scenarios, the plan's thresholds, and the
 * summary statistics.
 *
 * k6 only computes sub-metrics (a metric filtered by tags) that some threshold names, so the
 * per-origin 429 counts and per-consumer token counts the summary reports get always-true
 * thresholds (`count>=0`). They never fail a run; summary.ts leaves them out of the summary's
 * thresholds, which list the plan's own.
 */
export function breakdownThresholds(plan: SpillwayPlan): Record<string, string[]> {
  const thresholds: Record<string, string[]> = {};
  for (const origin of ['gateway', 'backend']) thresholds[`${metricNames.tooManyRequests}{origin:${origin}}`] = ['count>=0'];
  for (const consumer of new Set(plan.traffic.map((t) => t.consumer))) thresholds[`${metricNames.tokens}{consumer:${consumer}}`] = ['count>=0'];
  return thresholds;
}

export function buildOptions(plan: SpillwayPlan): Options {
  const options: Options = {
    scenarios: classScenarios(plan),
    thresholds: { ...breakdownThresholds(plan), ...plan.thresholds },
  };
  if (plan.summaryTrendStats) options.summaryTrendStats = plan.summaryTrendStats;
  return options;
}
