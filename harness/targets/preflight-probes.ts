import type { K6Config, ScenarioPlan } from '../run/scenario-plan.ts';
import type { PreflightProbe } from './preflight.ts';

/**
 * The preflight's requests: one per API the plan calls (chat, embeddings), to the plan's own
 * deployment and api-version, as the first consumer class that calls it. With `everyConsumer`
 * (a real APIM, whose keys the run cannot see), one per consumer class and API, so that every
 * subscription key is shown to be accepted before any load.
 */
export function preflightProbes(plan: ScenarioPlan, config: K6Config, keyFor: (consumer: string) => string, options: { everyConsumer?: boolean } = {}): PreflightProbe[] {
  const probes: PreflightProbe[] = [];
  for (const operation of ['chat', 'embeddings'] as const) {
    const consumers = [...new Set(plan.traffic.filter((t) => t.operation === operation && config.consumers[t.consumer]).map((t) => t.consumer))];
    for (const consumer of options.everyConsumer ? consumers : consumers.slice(0, 1)) {
      probes.push({ operation, deployment: operation === 'chat' ? plan.deployment : plan.embeddingDeployment, apiVersion: plan.apiVersion, key: keyFor(consumer), consumer, ...(plan.apiBasePath ? { apiBasePath: plan.apiBasePath } : {}) });
    }
  }
  return probes;
}
