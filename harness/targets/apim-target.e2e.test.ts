import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import { ingestRunLogs } from '../../mocks/log-analytics/ingest-run-logs.ts';
import { journalSchema } from '../contracts/journal.ts';
import { mockClientOptions, MockLogAnalyticsWorkspace, StaticCredential } from '../evidence/log-analytics/test-log-analytics.ts';
import { defaultGatewayConfigDir, runScenario } from '../run/run-scenario.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { startControlledFleet } from './controlled-fleet.ts';
import { scenarioTopology } from './embedded-topology.ts';
import { logAnalyticsGatewayLogs } from './log-analytics-logs.ts';

/**
 * A run with `--target` against the emulator posing as a remote API Management: the gateway
 * emulator runs on its own in front of a fleet behind a control token, and its log rows reach a
 * (mock) Log Analytics workspace that the run reads through the real LogsQueryClient, the query
 * API answered by msw handlers that parse the KQL the source sends. The run knows the gateway
 * only by its target file, as it would know an APIM in Azure.
 */
const k6 = await inspectTool(k6Spec);
if (k6.status === 'missing') process.stdout.write('apim-target.e2e.test.ts: skipped: k6 is not installed (node bin/spillway.js tools install)\n');

const repo = join(import.meta.dirname, '..', '..');
const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };
const token = 'apim-target-test-control-token';
const keys = { SPILLWAY_KEY_USER_FACING: 'local-user-facing-key', SPILLWAY_KEY_DEV_TEST: 'local-dev-test-key', SPILLWAY_TEST_FLEET_TOKEN: token };

const plan = {
  description: 'a short run against an API Management known by its target file',
  script: 'smoke',
  durationSeconds: 12,
  traffic: [
    { consumer: 'user-facing', ratePerUnit: 3, promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 80 } },
    { consumer: 'dev-test', ratePerUnit: 2, priority: 'medium', promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 80 } },
  ],
  verifiers: ['token-limit', 'spillover'],
  thresholds: { http_req_failed: ['rate<0.5'] },
  fleet: { latencyScale: 0.05 },
};

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.skipIf(k6.status === 'missing')('a real API Management as the target (the emulator posing as one)', () => {
  it('reads its gateway logs from the workspace through the real client and judges from them, with the ledger from its fleet', { timeout: 180_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'apim-target-'));
    const fleet: RunningFleet = await startControlledFleet({ topology: scenarioTopology(loadTopologyFile(defaultTopologyPath), plan.fleet), ledgerPath: join(work, 'fleet-ledger.jsonl') }, { SPILLWAY_CONTROL_TOKEN: token });
    cleanups.push(() => fleet.close());
    const gatewayLogs = join(work, 'apim-logs');
    const gateway: RunningGateway = await startGateway({ config: loadGatewayConfig(defaultGatewayConfigDir), fleetEndpoints: new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint])), logsDir: gatewayLogs });
    let gatewayClosed = false;
    const closeGateway = async (): Promise<void> => {
      if (gatewayClosed) return;
      gatewayClosed = true;
      await gateway.close();
    };
    cleanups.push(closeGateway);

    const workspace = new MockLogAnalyticsWorkspace({ id: '4b6b1c7e-9f2a-4f3e-8a1d-2c3b4d5e6f70' });
    const ingested = new Set<unknown>();
    const collects: string[] = [];
    const targetFile = join(work, 'target.json');
    writeFileSync(
      targetFile,
      JSON.stringify({
        kind: 'apim',
        ...(gateway.frontDoor ? { frontDoorUrl: gateway.frontDoor.url } : {}),
        gateways: gateway.instances.map((instance) => ({ region: instance.region, url: instance.url })),
        workspaceId: workspace.id,
        fleet: { control: fleet.describe().control, tokenEnv: 'SPILLWAY_TEST_FLEET_TOKEN' },
      }),
    );
    const k6Config = join(work, 'k6.config.json');
    writeFileSync(k6Config, JSON.stringify({ consumers: base.consumers, scenarios: { apim: plan } }));

    const saved = Object.fromEntries(Object.keys(keys).map((name) => [name, process.env[name]]));
    Object.assign(process.env, keys);
    const lines: string[] = [];
    let result;
    try {
      result = await runScenario({
        scenario: 'apim',
        units: 1,
        k6ConfigFile: k6Config,
        resultsDir: join(work, 'results'),
        targetFile,
        gatewayConfigDir: defaultGatewayConfigDir,
        progress: (line) => lines.push(line),
        logSourceFor: (file) => {
          const real = logAnalyticsGatewayLogs({ workspaceId: file.workspaceId, credential: new StaticCredential(), clientOptions: mockClientOptions([workspace]), pollIntervalMs: 200, timeoutMs: 30_000 });
          return {
            describe: real.describe,
            check: () => real.check(),
            // APIM's rows reach the workspace some time after their requests: here, the
            // emulator's, each once it has flushed them (the preflight's while the gateway runs,
            // the load's after it), stamped with the marker their requests carried.
            async collect(run) {
              if (run.runMarker.endsWith('-preflight')) await new Promise((resolve) => setTimeout(resolve, 500));
              else await closeGateway();
              ingestRunLogs(workspace, gatewayLogs, { runMarker: run.runMarker, lagMs: () => 0, only: (id) => !ingested.has(id) });
              for (const line of readFileSync(join(gatewayLogs, 'ApiManagementGatewayLogs.jsonl'), 'utf8').split('\n')) if (line.trim() !== '') ingested.add((JSON.parse(line) as { CorrelationId: unknown }).CorrelationId);
              collects.push(run.runMarker);
              return real.collect(run);
            },
          };
        },
      });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const { journal } = result;
    expect(journal.problem, lines.join('\n')).toBeUndefined();
    expect(journal.status).toBe('completed');
    expect(journalSchema.safeParse(JSON.parse(readFileSync(result.journalFile, 'utf8'))).success).toBe(true);
    expect(journal.target).toMatchObject({ kind: 'apim', fleet: 'attached', gatewayLogs: { source: `Log Analytics workspace ${workspace.id}`, preflightLagMs: expect.any(Object), ingestionLagMs: expect.any(Object) } });
    // The preflight's rows were awaited first (proving the marker header is logged), then the run's.
    expect(collects).toEqual([`${result.runId}-preflight`, result.runId]);
    expect(lines).toContainEqual(expect.stringMatching(/^preflight: the workspace had the rows; ingestion lag/));
    expect(journal.evidenceSources).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'gatewayLogs', status: 'collected' }), expect.objectContaining({ kind: 'llmLogs', status: 'collected' }), expect.objectContaining({ kind: 'ledger', status: 'collected' })]));
    // Real verdicts, from the workspace's rows: token-limit reads the LLM log joined to the gateway log.
    const tokenLimit = journal.verdicts.filter((v) => v.check.startsWith('token-limit.'));
    expect(tokenLimit.length).toBeGreaterThan(0);
    expect(tokenLimit.some((v) => v.status !== 'inconclusive' && v.sources?.includes('llmLogs'))).toBe(true);
    const spillover = journal.verdicts.filter((v) => v.check.startsWith('spillover.'));
    expect(spillover.length).toBeGreaterThan(0);
    // The workspace was queried with KQL it could parse and evaluate, and nothing else.
    expect(readFileSync(join(result.runDir, 'gateway-logs', 'ApiManagementGatewayLogs.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(30);
  });
});
