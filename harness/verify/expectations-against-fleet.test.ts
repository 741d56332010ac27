import { describe, expect, it } from 'vitest';
import { loadTopologyFile, defaultTopologyPath } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-scenario.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { expectationsMismatches, type RunFacts } from './expectations-against-fleet.ts';
import { expectationsFromConfig } from './expectations-from-config.ts';
import { sampleExpectations } from './test-evidence.ts';

/** The default run: the default fleet, the sample configuration, k6.config.json's consumers. */
const topology = loadTopologyFile(defaultTopologyPath);
const gatewayConfig = loadGatewayConfig(defaultGatewayConfigDir);
const k6Config = loadK6Config(defaultK6ConfigFile);
const run: RunFacts = {
  fleet: topology.resources.map((r) => ({ name: r.name, region: r.region, kind: r.kind })),
  gateway: { backendIds: [...gatewayConfig.backends.keys()], regions: gatewayConfig.regions.map((r) => r.name) },
  consumers: Object.keys(k6Config.consumers),
};

describe('expectations against the run', () => {
  it('accepts what the sample configuration itself gives, lanes and routes included', () => {
    const fromConfig = expectationsFromConfig({
      gatewayConfig,
      fleet: { backends: topology.resources.map((r) => ({ name: r.name, region: r.region, kind: r.kind, deployments: [] })) },
      k6Config,
      deployment: 'gpt-4o',
    });
    expect(expectationsMismatches(fromConfig, run)).toEqual([]);
    expect(expectationsMismatches(sampleExpectations(), run)).toEqual([]);
  });

  it('names every field that names something the run does not have', () => {
    const expectations = sampleExpectations();
    expectations.backends[1] = { name: 'aoai-eastus-ptu9', region: 'East US', kind: 'ptu' };
    expectations.backends[2] = { ...expectations.backends[2]!, kind: 'ptu' };
    expectations.breakers['aoai-eastus-ptu1'] = { ...expectations.breakers['aoai-eastus-ptu1']!, entities: ['aoai-eastus-ptu1', 'aoai-eastus-ptu1-hihg'], entityRules: { other: { count: 1, intervalMs: 1, tripDurationMs: 1, acceptRetryAfter: false } } };
    expectations.entityRoutes = { 'aoai-eastus-pool': { 'aoai-eastus-ptu7': 'aoai-eastus-ptu1' } };
    expectations.regions = ['East US', 'Mars'];
    expectations.consumers.nobody = { tokensPerMinute: 1, priority: 'low' };
    expect(expectationsMismatches(expectations, run)).toEqual([
      expect.stringMatching(/^backends\.1\.name: no backend named "aoai-eastus-ptu9" in the fleet \(it has aoai-eastus-ptu1, /),
      'backends.2.kind: "ptu", but the fleet\'s aoai-eastus-payg is payg',
      expect.stringMatching(/^breakers\.aoai-eastus-ptu1\.entities\.1: no backend entity "aoai-eastus-ptu1-hihg" in the gateway configuration/),
      'breakers.aoai-eastus-ptu1.entityRules.other: not one of this breaker\'s entities (aoai-eastus-ptu1, aoai-eastus-ptu1-hihg)',
      expect.stringMatching(/^entityRoutes\.aoai-eastus-pool\.aoai-eastus-ptu7: no backend named "aoai-eastus-ptu7" in the fleet/),
      'regions.1: no region "Mars" in the gateway configuration (it has East US, West US)',
      expect.stringMatching(/^consumers\.nobody: no consumer class "nobody" in the k6 configuration/),
    ]);
  });

  it('leaves the gateway side unchecked when the configuration is not known', () => {
    const expectations = sampleExpectations({ regions: ['Mars'] });
    expect(expectationsMismatches(expectations, { ...run, gateway: null })).toEqual([]);
  });
});
