import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeUnstartedFleet, type FleetDescription } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { defaultTolerances, expectationsFromConfig, fleetResourceOf } from './expectations-from-config.ts';

const SAMPLE = fileURLToPath(new URL('../../deploy/apim', import.meta.url));
const K6_CONFIG = fileURLToPath(new URL('../../k6.config.json', import.meta.url));

function defaultFleet(): FleetDescription {
  return describeUnstartedFleet(loadTopologyFile(defaultTopologyPath));
}

function sample(change?: (config: GatewayConfig) => void) {
  const gatewayConfig = loadGatewayConfig(SAMPLE);
  change?.(gatewayConfig);
  return { gatewayConfig, fleet: defaultFleet(), k6Config: loadK6Config(K6_CONFIG), deployment: 'gpt-4o' };
}

describe('expectationsFromConfig', () => {
  it('reads the sample: breakers on every backend, regions by front door priority, probes, consumers', () => {
    const x = expectationsFromConfig(sample());
    expect(Object.keys(x.breakers).sort()).toEqual(['aoai-eastus-payg', 'aoai-eastus-ptu1', 'aoai-eastus-ptu2', 'aoai-westus-payg', 'aoai-westus-ptu1', 'aoai-westus-ptu2']);
    const rule = { count: 3, intervalMs: 10_000, tripDurationMs: 30_000, acceptRetryAfter: true, failureStatusRanges: [{ min: 429, max: 429 }, { min: 500, max: 599 }] };
    const backOff = { ...rule, tripDurationMs: 5_000, acceptRetryAfter: false };
    // The PTU resources sit behind two entities each (the pool's member and the high-priority
    // lane) with different rules; the resource-level rule is the longest trip.
    expect(x.breakers['aoai-eastus-ptu1']).toEqual({
      ...rule,
      entities: ['aoai-eastus-ptu1', 'aoai-eastus-ptu1-high'],
      entityRules: { 'aoai-eastus-ptu1': backOff, 'aoai-eastus-ptu1-high': rule },
    });
    expect(x.breakers['aoai-eastus-payg']).toEqual(rule);
    expect(x.entityRoutes?.['aoai-eastus-ptu2-high']).toEqual({ 'aoai-eastus-ptu1': 'aoai-eastus-ptu1-high', 'aoai-eastus-ptu2': 'aoai-eastus-ptu2-high' });
    expect(x.entityRoutes?.['aoai-eastus-ptu-pool']).toEqual({ 'aoai-eastus-ptu1': 'aoai-eastus-ptu1-high', 'aoai-eastus-ptu2': 'aoai-eastus-ptu2-high' });
    expect(x.entityRoutes?.['aoai-eastus-ptu2']).toEqual({ 'aoai-eastus-ptu1': 'aoai-eastus-ptu1', 'aoai-eastus-ptu2': 'aoai-eastus-ptu2', 'aoai-eastus-payg': 'aoai-eastus-payg' });
    expect(x.entityRoutes?.['aoai-eastus-pool']).toEqual({ 'aoai-eastus-ptu1': 'aoai-eastus-ptu1', 'aoai-eastus-ptu2': 'aoai-eastus-ptu2', 'aoai-eastus-payg': 'aoai-eastus-payg' });
    expect(x.regions).toEqual(['East US', 'West US']);
    expect(x.frontDoor).toEqual({
      probeIntervalSeconds: 2,
      sampleSize: 4,
      successfulSamplesRequired: 3,
      origins: [
        { region: 'East US', priority: 1, weight: 50 },
        { region: 'West US', priority: 2, weight: 50 },
      ],
    });
    expect(x.consumers).toEqual({
      'critical-ops': { tokensPerMinute: 50_000, priority: 'high' },
      'user-facing': { tokensPerMinute: 20_000, priority: 'medium' },
      batch: { tokensPerMinute: 5_000, priority: 'low' },
      'dev-test': { tokensPerMinute: 1_000, priority: 'low' },
      'batch-reports': { tokensPerMinute: 5_000, priority: 'low' },
      'dev-test-ci': { tokensPerMinute: 1_000, priority: 'low' },
      'capacity-test': { tokensPerMinute: 1_000_000_000, priority: 'medium' },
    });
    // Names, regions and kinds only: capacities are facts of each run's fleet (RunEvidence.fleet).
    expect(x.backends.find((b) => b.name === 'aoai-eastus-ptu1')).toEqual({ name: 'aoai-eastus-ptu1', region: 'East US', kind: 'ptu' });
    expect(x.backends.find((b) => b.name === 'aoai-westus-payg')).toEqual({ name: 'aoai-westus-payg', region: 'West US', kind: 'payg' });
    expect(x.tolerances).toEqual(defaultTolerances);
  });

  it('orders regions by the front door origins\' priority, and without a front door puts the primary first', () => {
    const reversed = expectationsFromConfig(sample((c) => c.frontDoor!.origins.forEach((o) => (o.priority = o.region === 'West US' ? 1 : 2))));
    expect(reversed.regions).toEqual(['West US', 'East US']);
    expect(reversed.frontDoor?.origins?.map((o) => `${o.region}:${o.priority}`)).toEqual(['East US:2', 'West US:1']);
    const none = expectationsFromConfig(
      sample((c) => {
        delete c.frontDoor;
        c.regions.forEach((r) => (r.primary = r.name === 'West US'));
      }),
    );
    expect(none.frontDoor).toBeNull();
    expect(none.regions).toEqual(['West US', 'East US']);
  });

  it('leaves out backends without the deployment, backends without a breaker, and percentage-only rules', () => {
    const x = expectationsFromConfig({
      ...sample((c) => {
        for (const id of ['aoai-eastus-ptu2', 'aoai-eastus-ptu2-high']) {
          const ptu2 = c.backends.get(id)!;
          if (ptu2.type === 'Single') delete ptu2.circuitBreaker;
        }
        const payg = c.backends.get('aoai-eastus-payg')!;
        if (payg.type === 'Single' && payg.circuitBreaker) payg.circuitBreaker = { ...payg.circuitBreaker, failureCondition: { interval: 10_000, percentage: 50, statusCodeRanges: [] } };
      }),
      deployment: 'text-embedding-3-small',
      tolerances: { spilloverShare: 0.05 },
    });
    expect(x.breakers['aoai-eastus-ptu2']).toBeUndefined();
    expect(x.breakers['aoai-eastus-payg']).toBeUndefined();
    expect(x.backends.map((b) => b.name)).toContain('aoai-eastus-ptu1');
    expect(x.tolerances.spilloverShare).toBe(0.05);
    const none = expectationsFromConfig({ ...sample(), deployment: 'no-such-deployment' });
    expect(none.backends).toEqual([]);
  });

  it('lists one rule for entities that share it, and leaves an entity reached two ways out of the routes', () => {
    const x = expectationsFromConfig(
      sample((c) => {
        const high = c.backends.get('aoai-eastus-ptu1-high')!;
        if (high.type === 'Single' && high.circuitBreaker) high.circuitBreaker = { ...high.circuitBreaker, tripDurationMs: 5_000, acceptRetryAfter: false };
        // A second pool that reaches ptu1 through its high-lane entity makes "ptu2 as logged" ambiguous.
        c.backends.set('odd-pool', { id: 'odd-pool', type: 'Pool', members: [{ id: 'aoai-eastus-ptu2' }, { id: 'aoai-eastus-ptu1-high' }], file: 'test' });
      }),
    );
    expect(x.breakers['aoai-eastus-ptu1']).toMatchObject({ tripDurationMs: 5_000, acceptRetryAfter: false, entities: ['aoai-eastus-ptu1', 'aoai-eastus-ptu1-high'] });
    expect(x.breakers['aoai-eastus-ptu1']?.entityRules).toBeUndefined();
    expect(x.breakers['aoai-eastus-ptu2']?.entityRules).toBeDefined();
    expect(x.entityRoutes?.['aoai-eastus-ptu2']?.['aoai-eastus-ptu1']).toBeUndefined();
    expect(x.entityRoutes?.['aoai-eastus-ptu2']?.['aoai-eastus-ptu2']).toBe('aoai-eastus-ptu2');
  });

  it('maps backend URLs to fleet resources', () => {
    expect(fleetResourceOf('https://aoai-eastus-ptu1.openai.azure.com/openai')).toBe('aoai-eastus-ptu1');
    expect(fleetResourceOf('https://example.com/')).toBeUndefined();
    expect(fleetResourceOf('not a url')).toBeUndefined();
  });
});
