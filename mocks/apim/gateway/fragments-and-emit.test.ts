import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../aoai/fleet.ts';
import type { RequestRecord } from '../../aoai/ledger.ts';
import { parseTopology } from '../../aoai/topology.ts';
import { startGateway, type RunningGateway } from './gateway.ts';
import { policy, removeTestConfigs, TEST_KEYS, writeTestConfig } from './test-config.ts';

/**
 * include-fragment at run time (the fragment's policies run where the include stands) and
 * azure-openai-emit-token-metric (the Azure OpenAI-named twin of llm-emit-token-metric).
 */
let fleet: RunningFleet;
let gateway: RunningGateway;

beforeAll(async () => {
  fleet = await startFleet({
    topology: parseTopology(
      JSON.stringify({ seed: 5, latencyScale: 0, resources: [{ name: 'aoai-frag', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1_000_000 }] }] }),
      'fragments-and-emit.test',
    ),
  });
  const { config } = writeTestConfig({
    backends: { 'aoai-frag': { url: `${fleet.describe().backends[0]!.endpoint}/openai` } },
    fragments: {
      'route-and-tag': `<fragment>
  <set-backend-service backend-id="aoai-frag" />
  <set-header name="x-priority" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;string&gt;("tier", "none"))</value></set-header>
</fragment>`,
    },
    apiPolicy: policy({
      inbound: `<base />
        <set-variable name="tier" value="gold" />
        <include-fragment fragment-id="route-and-tag" />
        <azure-openai-emit-token-metric namespace="aoai-tests">
          <dimension name="Subscription ID" />
          <dimension name="Tier" value="@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;tier&quot;, &quot;&quot;))" />
        </azure-openai-emit-token-metric>`,
    }),
  });
  gateway = await startGateway({ config, logsDir: null, seed: 1 });
});

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
  removeTestConfigs();
});

describe('include-fragment and azure-openai-emit-token-metric at run time', () => {
  it('runs the fragment where it is included, after the variable it reads was set, and emits the metric', async () => {
    const response = await fetch(`${gateway.instances[0]!.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': TEST_KEYS.s1, 'x-fleet-completion-tokens': '7' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'fragment test' }], max_tokens: 20 }),
    });
    expect(response.status).toBe(200);
    const records = fleet.ledger.read(0, 100).records.filter((r): r is RequestRecord => r.type === 'request');
    expect(records).toHaveLength(1);
    // The fragment chose the backend and set X-Priority from the variable set before the include.
    expect(records[0]).toMatchObject({ backend: 'aoai-frag', priority: 'gold', completionTokens: 7 });
    const metrics = gateway.logs.recent.metrics as { name: string; value: number; namespace: string; customDimensions: Record<string, string> }[];
    expect(metrics.map((m) => [m.name, m.value, m.namespace, m.customDimensions])).toEqual([
      ['Prompt Tokens', records[0]!.promptTokens, 'aoai-tests', { 'Subscription ID': 's1', Tier: 'gold' }],
      ['Completion Tokens', 7, 'aoai-tests', { 'Subscription ID': 's1', Tier: 'gold' }],
      ['Total Tokens', records[0]!.promptTokens + 7, 'aoai-tests', { 'Subscription ID': 's1', Tier: 'gold' }],
    ]);
  });
});
