import type { ScenarioPlan } from '../run/scenario-plan.ts';
import { capacityConsumer } from './capacity-gateway-config.ts';

/**
 * The scenario plan a capacity run drives, built rather than read from k6.config.json: one
 * traffic class of the capacity consumer (capacity-gateway-config.ts), chat requests of one word and max_tokens 1 (the
 * gateway's work, not the model's, is measured), straight to the primary region's gateway,
 * under the profile's API. It goes through the same checks and targets as `spillway run`'s
 * plans (harness/run/run-input.ts), so a capacity run refuses what a run would: a remote host
 * without --allow-remote and --max-rate, keys missing from the environment, a fleet file that
 * does not match the live fleet.
 *
 * Its rate is the ramp's highest (so --max-rate is checked against the most it will offer);
 * each step then sends its own rate (capacity-run.ts).
 */
export const capacityScenarioName = 'capacity';

/**
 * A fleet the run starts is given ample room, so that it is never the bottleneck: TPM (and so
 * PAYG's derived RPM) far above any step, latency a hundredth of its model's. An attached fleet
 * keeps its own; the ledger check (backend-saturation.ts) then rules it out or says it was.
 */
export const roomyFleet = { latencyScale: 0.01, capacityTpm: { 'ptu:gpt-4o': 1_000_000_000, 'payg:gpt-4o': 1_000_000_000 } } as const;

export interface CapacityPlanInput {
  units: number;
  maxRps: number;
  holdSeconds: number;
  apiBasePath: string;
  /** Overrides of the fleet's room (tests starve the fleet on purpose); default roomyFleet. */
  fleet?: ScenarioPlan['fleet'];
  /** A cap on k6's VUs per step (tests starve the generator on purpose). */
  maxVus?: number;
}

export function capacityScenarioPlan(input: CapacityPlanInput): ScenarioPlan {
  return {
    name: capacityScenarioName,
    description: 'spillway capacity: stepped constant arrival rates against one regional gateway',
    script: 'smoke',
    durationSeconds: input.holdSeconds,
    deployment: 'gpt-4o',
    embeddingDeployment: 'text-embedding-3-small',
    apiVersion: '2024-10-21',
    apiBasePath: input.apiBasePath,
    entry: 'primary-region',
    traffic: [
      {
        consumer: capacityConsumer,
        priority: 'none',
        ratePerUnit: input.maxRps / input.units,
        operation: 'chat',
        stream: false,
        promptWords: { kind: 'fixed', value: 1 },
        maxTokens: { kind: 'fixed', value: 1 },
        startSeconds: 0,
      },
    ],
    timeline: [],
    verifiers: [],
    thresholds: {},
    fleet: { ...roomyFleet, ...input.fleet, capacityTpm: { ...roomyFleet.capacityTpm, ...input.fleet?.capacityTpm } },
  };
}
