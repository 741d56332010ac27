import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { MockAzureMonitor } from '../../mocks/azure-monitor/metrics-api-handlers.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import { mswHttpClient } from '../../mocks/log-analytics/msw-http-client.ts';
import { MockLogAnalyticsWorkspace, StaticCredential } from '../evidence/log-analytics/test-log-analytics.ts';
import { defaultGatewayConfigDir } from '../run/run-input.ts';
import { startControlledFleet } from '../targets/controlled-fleet.ts';
import { scenarioTopology } from '../targets/embedded-topology.ts';
import { workspaceFedLogSource } from '../targets/test-workspace-log-source.ts';
import { withEnvironment } from '../run/test-environment.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { writeCapacityGatewayConfig } from './capacity-gateway-config.ts';
import { checkCapacityFlags } from './capacity-options.ts';
import { roomyFleet } from './capacity-plan.ts';
import { checkCapacityInvocation, runCapacity } from './capacity-run.ts';
import { defaultDroppedTolerance } from './judge-step.ts';
import { AzureMonitorUtilisation } from './utilisation/azure-monitor-utilisation.ts';
import { EmulatorUtilisation } from './utilisation/emulator-utilisation.ts';

/**
 * `spillway capacity` over the targets `spillway run` drives. First `--target`: a capacity run against an API Management known only by its target
 * file (the emulator posing as one, with its capacity model on), its fleet attached over the
 * control API, its keys from the environment, and its utilisation read from Azure Monitor through
 * the real MetricsClient, the metrics API answered in memory (mocks/azure-monitor) with the
 * posing gateway's own load, as the v2 tiers' CPU metric. Then `--gateway-url` with an attached
 * fleet: a gateway of known capacity (one unit of 100 req/s) whose knee must be found within 10%.
 * Skipped, saying why, without k6.
 */
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : null;
if (skip) process.stdout.write(`capacity-targets.e2e.test.ts skipped: ${skip}\n`);

const work = mkdtempSync(join(tmpdir(), 'spillway-capacity-targets-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(work, { recursive: true, force: true });
});

const subscription = '0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b';
const resourceId = `/subscriptions/${subscription}/resourceGroups/rg-ai-gateway/providers/Microsoft.ApiManagement/service/contoso-apim`;
const token = 'capacity-target-test-control-token';
const env = { SPILLWAY_KEY_CAPACITY_TEST: 'local-capacity-test-key', SPILLWAY_TEST_FLEET_TOKEN: token };

describe.skipIf(skip !== null)('spillway capacity over the run\'s targets: a real APIM by its target file, a gateway at a URL', () => {
  it('drives it through the same target as spillway run, checks its fleet, and reports its utilisation from Azure Monitor', { timeout: 180_000 }, async () => {
    const fleet = await startControlledFleet({ topology: scenarioTopology(loadTopologyFile(defaultTopologyPath), roomyFleet), ledgerPath: join(work, 'fleet-ledger.jsonl') }, { SPILLWAY_CONTROL_TOKEN: token });
    cleanups.push(() => fleet.close());
    // The posing APIM: one unit of 150 req/s in each region.
    const configDir = join(work, 'apim');
    writeCapacityGatewayConfig(defaultGatewayConfigDir, configDir, 1);
    const gatewayLogs = join(work, 'apim-logs');
    const gateway: RunningGateway = await startGateway({ config: loadGatewayConfig(configDir), fleetEndpoints: new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint])), logsDir: gatewayLogs });
    cleanups.push(() => gateway.close());
    const load = new EmulatorUtilisation({ instances: gateway.instances, intervalMs: 250 });
    load.start();
    cleanups.push(() => load.stop());

    // Azure Monitor publishes the gateway's measured load, each minute's average of the primary region's model.
    const monitor = new MockAzureMonitor({
      resources: [
        {
          resourceId,
          region: 'eastus',
          series: {
            CpuPercent_Gateway: async (at: number) => {
              const reading = await load.read({ start: at, end: at + 60_000 });
              const primary = reading.metrics.find((m) => m.region === gateway.instances[0]!.region);
              return primary?.average != null ? { average: primary.average, maximum: primary.max ?? primary.average } : null;
            },
            // A v2 tier publishes both; memory does not follow the load.
            MemoryPercent_Gateway: () => ({ average: 31, maximum: 33 }),
          },
        },
      ],
    });
    const workspace = new MockLogAnalyticsWorkspace({ id: '4b6b1c7e-9f2a-4f3e-8a1d-2c3b4d5e6f70' });
    const targetFile = join(work, 'target.json');
    writeFileSync(
      targetFile,
      JSON.stringify({
        kind: 'apim',
        gateways: gateway.instances.map((instance) => ({ region: instance.region, url: instance.url })),
        workspaceId: workspace.id,
        fleet: { control: fleet.describe().control, tokenEnv: 'SPILLWAY_TEST_FLEET_TOKEN' },
        metrics: { resourceId, tier: 'v2' },
      }),
    );

    const settings = checkCapacityFlags({ units: 1, startRps: 40, stepRps: 40, maxRps: 80, holdSeconds: 4, settleSeconds: 1, confirmSeconds: 0, sloP95Ms: 500 });
    const lines: string[] = [];
    const result = await withEnvironment(env, async () => {
      const checked = checkCapacityInvocation(settings, { target: targetFile }, join(work, 'results'));
      return runCapacity(
        {
          settings,
          where: { target: targetFile },
          resolution: 0.05,
          criteria: { sloP95Ms: settings.sloP95Ms, errorBudget: settings.errorBudget, droppedTolerance: defaultDroppedTolerance },
          backendLimits: { max429Share: 0.001, maxP95Ms: 125 },
          runDir: join(work, 'results', 'capacity'),
          say: (line) => {
            lines.push(line);
            process.stdout.write(`capacity --target: ${line}\n`);
          },
          logSourceFor: workspaceFedLogSource(workspace, gatewayLogs),
          utilisationFor: (file) => new AzureMonitorUtilisation({ resourceId: file.metrics!.resourceId, region: file.gateways[0]!.region, tier: file.metrics!.tier!, credential: new StaticCredential(), clientOptions: { httpClient: mswHttpClient(monitor.handlers()) } }),
        },
        checked,
      );
    });
    const transcript = lines.join('\n');
    expect(result.problem, transcript).toBeNull();
    expect(result.target).toMatchObject({ kind: 'apim', entryUrl: gateway.instances[0]!.url, apiBasePath: '/capacity/light', utilisation: expect.stringMatching(/^azure monitor: CpuPercent_Gateway, MemoryPercent_Gateway of API Management contoso-apim/) });
    // No capacity model of Spillway's: the gateway is somebody else's.
    expect(result.emulated).toBeNull();
    expect(result.steps.map((s) => s.step.offeredRps)).toEqual([40, 80]);
    for (const step of result.steps) {
      expect(step.step.gatewayHeld, transcript).toBe(true);
      // The fleet was checked from the ledger collected over its control API.
      expect(step.backend.saturated).toBe(false);
      const cpu = step.utilisation?.metrics.find((m) => m.name === 'CpuPercent_Gateway');
      expect(cpu?.average, JSON.stringify(step.utilisation)).toBeGreaterThan(0);
      // A 4 s step is read at Azure Monitor's grain: the minute(s) it overlaps, said in a note.
      expect(step.utilisation?.note).toMatch(/minute/);
    }
    expect(result.knee).toMatchObject({ kind: 'no-knee', cause: 'held-at-every-step', atRps: 80 });
    expect(readFileSync(join(work, 'results', 'capacity', 'ledger.jsonl'), 'utf8').length).toBeGreaterThan(0);
  });

  it('drives a gateway at a URL with an attached fleet, and finds its knee from the ledger-checked steps', { timeout: 300_000 }, async () => {
    // A gateway somebody else runs (here the emulator, one unit of 100 req/s) at a URL, its
    // fleet attached by its `spillway fleet up --json` line: no capacity model of Spillway's, no utilisation.
    const fleet = await startControlledFleet({ topology: scenarioTopology(loadTopologyFile(defaultTopologyPath), roomyFleet), ledgerPath: join(work, 'url-fleet-ledger.jsonl') });
    cleanups.push(() => fleet.close());
    const fleetFile = join(work, 'fleet.json');
    writeFileSync(fleetFile, `${JSON.stringify(fleet.describe())}\n`);
    const configDir = join(work, 'apim-at-a-url');
    writeCapacityGatewayConfig(defaultGatewayConfigDir, configDir, 1);
    const emulatorFile = join(configDir, 'emulator.json');
    const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(emulatorFile, JSON.stringify({ ...emulator, capacity: { enabled: true, requestsPerSecondPerUnit: 100, queueTimeoutSeconds: 5 } }));
    const gateway = await startGateway({ config: loadGatewayConfig(configDir), fleetEndpoints: new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint])), logsDir: join(work, 'url-gateway-logs') });
    cleanups.push(() => gateway.close());

    const settings = checkCapacityFlags({ units: 1, startRps: 60, stepRps: 30, maxRps: 150, holdSeconds: 5, settleSeconds: 2, confirmSeconds: 10, sloP95Ms: 250 });
    const where = { gatewayUrl: gateway.instances[0]!.url, fleet: fleetFile };
    const lines: string[] = [];
    const result = await withEnvironment({ SPILLWAY_KEY_CAPACITY_TEST: env.SPILLWAY_KEY_CAPACITY_TEST }, async () => {
      const checked = checkCapacityInvocation(settings, where, join(work, 'url-results'));
      return runCapacity(
        {
          settings,
          where,
          resolution: 0.05,
          criteria: { sloP95Ms: settings.sloP95Ms, errorBudget: settings.errorBudget, droppedTolerance: defaultDroppedTolerance },
          backendLimits: { max429Share: 0.001, maxP95Ms: 62.5 },
          runDir: join(work, 'url-results', 'capacity'),
          say: (line) => lines.push(line),
        },
        checked,
      );
    });
    const transcript = lines.join('\n');
    process.stdout.write(`capacity --gateway-url:\n${transcript}\n`);
    expect(result.problem, transcript).toBeNull();
    expect(result.target).toMatchObject({ kind: 'gateway', entryUrl: gateway.instances[0]!.url, utilisation: null });
    expect(result.emulated).toBeNull();
    // The ledger came over the attached fleet's control API: every step was checked against it.
    expect(result.steps.every((s) => !s.backend.saturated), transcript).toBe(true);
    expect(result.knee?.kind, transcript).toBe('knee');
    if (result.knee?.kind !== 'knee') return;
    expect(Math.abs(result.knee.rps - 100), transcript).toBeLessThanOrEqual(10);
    expect(result.kneeConfirmed).toBe(true);
  });
});
