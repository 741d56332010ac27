import { describe, expect, it } from 'vitest';
import { defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config, type ScenarioPlan } from '../run/scenario-plan.ts';
import { preflightProbes } from './preflight-probes.ts';

const config = loadK6Config(defaultK6ConfigFile);
const plan = {
  name: 'p',
  deployment: 'gpt-4o',
  embeddingDeployment: 'text-embedding-3-small',
  apiVersion: '2024-10-21',
  traffic: [
    { consumer: 'user-facing', operation: 'chat' },
    { consumer: 'critical-ops', operation: 'chat' },
    { consumer: 'user-facing', operation: 'chat' },
    { consumer: 'batch', operation: 'embeddings' },
  ],
} as unknown as ScenarioPlan;

describe('preflightProbes', () => {
  it('sends one request per API the plan calls, as the first class that calls it, to its deployment', () => {
    expect(preflightProbes(plan, config, (c) => `key-${c}`).map((p) => [p.operation, p.consumer, p.deployment, p.key])).toEqual([
      ['chat', 'user-facing', 'gpt-4o', 'key-user-facing'],
      ['embeddings', 'batch', 'text-embedding-3-small', 'key-batch'],
    ]);
  });

  it('sends one per consumer class and API when every key must be shown to work (a real APIM)', () => {
    expect(preflightProbes(plan, config, (c) => `key-${c}`, { everyConsumer: true }).map((p) => `${p.operation}:${p.consumer}`)).toEqual(['chat:user-facing', 'chat:critical-ops', 'embeddings:batch']);
  });
});
