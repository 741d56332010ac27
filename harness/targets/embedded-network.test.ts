import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeUnstartedFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { timelineStepSchema } from '../contracts/scenario-plan.ts';
import { planProblems } from '../run/plan-against-topology.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-scenario.ts';
import { loadK6Config, scenarioPlan, type ScenarioPlan } from '../run/scenario-plan.ts';
import { faultWindows, networkSteps } from '../verify/fault-steps.ts';
import { EvidenceBuilder, sampleExpectations, T0 } from '../verify/test-evidence.ts';
import { embeddedTarget } from './embedded-target.ts';
import { startEmbeddedTopology } from './embedded-topology.ts';

/** How the embedded target takes `network` steps: what it checks, says and starts, without Toxiproxy itself. */
const k6Config = loadK6Config(defaultK6ConfigFile);
const smoke = scenarioPlan(k6Config, 'smoke', defaultK6ConfigFile);
const gatewayConfig = loadGatewayConfig(defaultGatewayConfigDir);
const topology = loadTopologyFile(defaultTopologyPath);
const step = (id: string, link: unknown, toxic: unknown, extra: Record<string, unknown> = {}) => timelineStepSchema.parse({ id, at: 1, kind: 'network', link, toxic, ...extra });
const planWith = (timeline: unknown[], entry: ScenarioPlan['entry'] = 'front-door'): ScenarioPlan => ({ ...smoke, name: 'x', entry, timeline: timeline.map((s) => timelineStepSchema.parse(s)) });

describe('network steps against the embedded topology, before anything starts', () => {
  const problems = (plan: ScenarioPlan) => planProblems(plan, { fleet: describeUnstartedFleet(topology), gatewayConfig, units: 1 }).filter((p) => p.includes('.link'));

  it('takes links that exist: a backend, a region with backends, a gateway the front door reaches', () => {
    const plan = planWith([step('a', { to: 'backend', backend: 'aoai-eastus-ptu1' }, { type: 'down' }), step('b', { to: 'region-backends', region: 'west us' }, { type: 'down' }), step('c', { to: 'gateway', region: 'West US' }, { type: 'down' })]);
    expect(problems(plan)).toEqual([]);
  });

  it('names the step and the field of a link to nothing', () => {
    const plan = planWith([step('a', { to: 'backend', backend: 'aoai-eastus-ptu9' }, { type: 'down' }), step('b', { to: 'region-backends', region: 'North Pole' }, { type: 'down' }), step('c', { to: 'gateway', region: 'North Pole' }, { type: 'down' })]);
    expect(problems(plan)).toEqual([
      'scenarios.x.timeline.a.link.backend: no backend named "aoai-eastus-ptu9" (the fleet has aoai-eastus-ptu1, aoai-eastus-ptu2, aoai-eastus-payg, aoai-westus-ptu1, aoai-westus-ptu2, aoai-westus-payg)',
      'scenarios.x.timeline.b.link.region: no backend in region "North Pole" (the fleet\'s regions: East US, West US)',
      'scenarios.x.timeline.c.link.region: the gateway configuration has no region "North Pole" (its regions: East US, West US)',
    ]);
  });

  it('refuses a gateway link nothing travels: entering at the primary region, only its gateway is reached', () => {
    expect(problems(planWith([step('c', { to: 'gateway', region: 'West US' }, { type: 'down' })], 'primary-region'))).toEqual([
      'scenarios.x.timeline.c.link.region: nothing reaches the gateway of "West US" over a link Toxiproxy can sit on: k6 enters at the primary region, East US',
    ]);
    expect(problems(planWith([step('c', { to: 'gateway', region: 'East US' }, { type: 'down' })], 'primary-region'))).toEqual([]);
  });

  it('says which proxies each step acts on (its scope), and that Toxiproxy runs', () => {
    const plan = planWith([
      step('lag', { to: 'region-backends', region: 'East US' }, { type: 'latency', latencyMs: 100 }, { toxicity: 0.5 }),
      step('cut', { to: 'gateway', region: 'West US' }, { type: 'down' }),
      step('slow', { to: 'backend', backend: 'aoai-westus-payg' }, { type: 'bandwidth', rateKBps: 5 }, { stream: 'upstream' }),
    ]);
    const target = embeddedTarget({ configDir: defaultGatewayConfigDir, config: gatewayConfig, topology, k6Config, plan });
    expect(target.stepKinds).toContain('network');
    expect(Object.fromEntries(target.stepScopes(plan.timeline))).toEqual({
      lag: 'Toxiproxy toxic latency on the downstream stream of 50% of connections: proxies backend-aoai-eastus-ptu1, backend-aoai-eastus-ptu2, backend-aoai-eastus-payg',
      cut: 'Toxiproxy disabled: proxy gateway-west-us',
      slow: 'Toxiproxy toxic bandwidth on the upstream stream: proxy backend-aoai-westus-payg',
    });
    expect(target.notes(plan).join(' ')).toMatch(/Toxiproxy 2\.12\.0/);
    expect(target.notes(smoke)).toEqual([]);
  });
});

describe('a plan without network steps', () => {
  it('runs with no Toxiproxy: the topology never touches the binary, and the fleet is reached directly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-network-'));
    const running = await startEmbeddedTopology({ plan: { ...smoke, timeline: [] }, configDir: defaultGatewayConfigDir, ledgerPath: join(dir, 'ledger.jsonl'), logsDir: join(dir, 'logs'), toxiproxyBinary: '/bin/false', env: {} });
    try {
      expect(running.network).toBeNull();
    } finally {
      await running.close();
    }
  });

  it('with a network step, a toxiproxy-server that cannot start fails the topology, naming the binary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-network-'));
    const plan = { ...smoke, timeline: [step('a', { to: 'backend', backend: 'aoai-eastus-ptu1' }, { type: 'down' })] };
    await expect(startEmbeddedTopology({ plan, configDir: defaultGatewayConfigDir, ledgerPath: join(dir, 'ledger.jsonl'), logsDir: join(dir, 'logs'), toxiproxyBinary: '/bin/false', env: {} })).rejects.toThrow(/toxiproxy-server \(\/bin\/false\) exited/);
  });
});

describe('network steps in the evidence', () => {
  it('are listed with their link, toxic and scope, and count as a deliberate disturbance', () => {
    const b = new EvidenceBuilder();
    const planned = step('lag', { to: 'backend', backend: 'aoai-eastus-ptu1' }, { type: 'latency', latencyMs: 300 });
    b.timeline.push({ id: 'lag', step: planned, scope: 'Toxiproxy toxic latency on the downstream stream: proxy backend-aoai-eastus-ptu1', atSeconds: 1, action: 'network:latency downstream', target: 'aoai-eastus-ptu1', appliedAt: T0 + 1_000, clearedAt: T0 + 4_000 });
    const evidence = b.build();
    expect(networkSteps(evidence)).toEqual([
      { id: 'lag', link: { to: 'backend', backend: 'aoai-eastus-ptu1' }, toxic: { type: 'latency', latencyMs: 300, jitterMs: 0 }, stream: 'downstream', toxicity: 1, appliedAt: T0 + 1_000, clearedAt: T0 + 4_000, scope: 'Toxiproxy toxic latency on the downstream stream: proxy backend-aoai-eastus-ptu1' },
    ]);
    const expectations = sampleExpectations();
    const maxTrip = Math.max(0, ...Object.values(expectations.breakers).map((x) => x.tripDurationMs));
    expect(faultWindows(evidence, expectations)).toEqual([{ from: T0 + 1_000, to: T0 + 4_000 + maxTrip }]);
  });
});
