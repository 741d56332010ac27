import { buildOptions } from './options.ts';
import { readPlan, type SpillwayPlan } from './plan.ts';
import { summaryOutputs, type SummaryData } from './summary.ts';
import { trafficExec } from './traffic.ts';
import type { Options } from './k6-imports.ts';

/**
 * Everything a scenario script exports, built from the plan in SPILLWAY_PLAN. Each
 * scenarios/<name>.scenario.ts is three lines around this: the plan decides the traffic, and
 * the harness decides the faults, so the scripts differ only in the plan they accept.
 *
 * Runs in k6's init context (once per VU, and once more to read the options): a missing or
 * malformed plan throws there, k6 prints the message and exits with code 107.
 */
export interface ScenarioScript {
  plan: SpillwayPlan;
  options: Options;
  traffic: () => void;
  handleSummary: (data: SummaryData) => Record<string, string>;
}

export function defineScenario(name: string, env: Record<string, string | undefined>): ScenarioScript {
  const plan = readPlan(env, name);
  return {
    plan,
    options: buildOptions(plan),
    traffic: trafficExec(plan),
    handleSummary: (data) => summaryOutputs(plan, data),
  };
}
