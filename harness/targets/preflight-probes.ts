import type { K6Config, ScenarioPlan } from '../run/scenario-plan.ts';
import type { PreflightProbe } from './preflight.ts';

/**
 * One preflight request per API the plan calls (chat, embeddings), sent as the first consumer
 * class that calls it, to the plan's own deployment and api-version: what the load will send.
 */
export function preflightProbes(plan: ScenarioPlan, config: K6Config, keyFor: (consumer: string) => string): PreflightProbe[] {
  const probes: PreflightProbe[] = [];
  for (const operation of ['chat', 'embeddings'] as const) {
    const traffic = plan.traffic.find((t) => t.operation === operation);
    if (!traffic || !config.consumers[traffic.consumer]) continue;
    probes.push({ operation, deployment: operation === 'chat' ? plan.deployment : plan.embeddingDeployment, apiVersion: plan.apiVersion, key: keyFor(traffic.consumer), consumer: traffic.consumer });
  }
  return probes;
}
