import { describe, expect, it } from 'vitest';
import { describeUnstartedFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { embeddedProcessProblems } from '../process/process-gateways.ts';
import { planProblems } from './plan-against-topology.ts';
import { defaultGatewayConfigDir } from './run-scenario.ts';
import { scenarioPlanSchema, type ScenarioPlan, type TimelineStep } from './scenario-plan.ts';

/** Process steps checked against the run before anything starts: each problem names the step's field. */
const fleet = describeUnstartedFleet(loadTopologyFile(defaultTopologyPath));
const gatewayConfig = loadGatewayConfig(defaultGatewayConfigDir);
const planWith = (...timeline: object[]): ScenarioPlan => ({
  ...scenarioPlanSchema.parse({ description: 'x', durationSeconds: 30, traffic: [{ consumer: 'user-facing', ratePerUnit: 1 }], timeline }),
  name: 'x',
});
const step = (fields: object): object => ({ id: 's1', at: 5, kind: 'process', action: 'kill', ...fields });

describe('process steps against the run', () => {
  it('accepts a gateway of a configured region (any case) and a backend the fleet has', () => {
    const plan = planWith(step({ process: { of: 'gateway', region: 'west us' } }), { ...step({ process: { of: 'backend', backend: 'aoai-eastus-ptu1' } }), id: 's2' });
    expect(planProblems(plan, { fleet, gatewayConfig, units: 1 })).toEqual([]);
  });

  it('refuses a region the configuration does not have, and a backend the fleet does not have', () => {
    const plan = planWith(step({ process: { of: 'gateway', region: 'North Pole' } }), { ...step({ process: { of: 'backend', backend: 'nope' } }), id: 's2' });
    const problems = planProblems(plan, { fleet, gatewayConfig, units: 1 });
    expect(problems[0]).toBe('scenarios.x.timeline.s1.process.region: the gateway configuration has no region "North Pole" (its regions: East US, West US)');
    expect(problems[1]).toMatch(/^scenarios\.x\.timeline\.s2\.process\.backend: no backend named "nope" \(the fleet has aoai-eastus-ptu1, /);
  });

  it('refuses disconnect-config on a backend', () => {
    const plan = planWith(step({ action: 'disconnect-config', process: { of: 'backend', backend: 'aoai-eastus-ptu1' } }));
    expect(planProblems(plan, { fleet, gatewayConfig, units: 1 })).toEqual(['scenarios.x.timeline.s1.action: "disconnect-config" cuts a gateway from its configuration source; a backend has none (use kill, pause or restart)']);
  });

  it('refuses an unknown action by the schema', () => {
    expect(() => planWith(step({ action: 'explode', process: { of: 'gateway', region: 'East US' } }))).toThrow(/action/);
  });

  it('the embedded target runs a backend process step (its member as a process), and refuses region-down on a process region', () => {
    const plan = planWith(
      step({ process: { of: 'backend', backend: 'aoai-eastus-ptu1' } }),
      { ...step({ process: { of: 'gateway', region: 'West US' } }), id: 's2' },
      { id: 'down', at: 20, kind: 'region-down', region: 'west us' } satisfies Partial<TimelineStep>,
    );
    expect(embeddedProcessProblems(plan)).toEqual([expect.stringMatching(/^scenarios\.x\.timeline\.down\.region: the gateway of "west us" runs as its own process/)]);
  });
});
