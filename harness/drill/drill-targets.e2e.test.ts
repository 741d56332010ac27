/**
 * Drills on the targets `spillway run` drives, with real k6 on loopback:
 *
 * - a gateway at a URL (the APIM emulator started on its own, as `spillway gateway up` starts it)
 *   in front of a fleet attached by its `spillway fleet up --json` line: the drill's fault goes
 *   through the fleet's control API, its declared rollback clears the fleet's rules there (the
 *   fleet outlives the drill), and its http probes judge it;
 * - a real API Management by its target file (the emulator posing as one), whose Log Analytics
 *   workspace is the mock one (mocks/log-analytics) answering the real LogsQueryClient: the
 *   drill's kql probes and detection queries go there, after the target waited for the run's rows.
 *
 * Each drill runs 20 s of load; the two run side by side. Skipped, with the reason printed,
 * where k6 is not provisioned.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { startGateway } from '../../mocks/apim/gateway/gateway.ts';
import { mockClientOptions, MockLogAnalyticsWorkspace, StaticCredential } from '../evidence/log-analytics/test-log-analytics.ts';
import { WorkspaceReader } from '../evidence/log-analytics/workspace-reader.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-scenario.ts';
import { startControlledFleet } from '../targets/controlled-fleet.ts';
import { scenarioTopology } from '../targets/embedded-topology.ts';
import { workspaceFedLogSource } from '../targets/test-workspace-log-source.ts';
import { withEnvironment } from '../run/test-environment.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { loadDrill } from './drill-file.ts';
import type { DrillJournal } from './drill-journal.ts';
import { runDrill } from './run-drill.ts';

const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write(`drill-targets.e2e.test.ts: skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);

const work = mkdtempSync(join(tmpdir(), 'drill-targets-e2e-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const fleetShape = { latencyScale: 0.2 };
const token = 'drill-target-test-control-token';
const env = { SPILLWAY_KEY_USER_FACING: 'local-user-facing-key', SPILLWAY_TEST_FLEET_TOKEN: token };

/** A 20 s drill: ptu1 answers 500 from 6 s to 12 s; steady 1-6 s before and 14-20 s after. */
function drillFile(name: string, withQueries: boolean): string {
  const spec = {
    title: `ptu1 fails behind a gateway (${name})`,
    description: 'A PTU member fails for 6 s; clients are answered throughout.',
    playbookEvent: 'backend pool member ejected',
    steadyStateHypothesis: {
      title: 'user-facing answered 2xx',
      before: { fromSeconds: 1, toSeconds: 6 },
      after: { fromSeconds: 14, toSeconds: 20 },
      probes: [
        { name: 'user-facing answered 2xx', kind: 'http', consumer: 'user-facing', status: { min: 200, max: 299 }, minShare: 0.95 },
        { name: 'user-facing answered 2xx, by its own requests', kind: 'http', status: { min: 200, max: 299 }, request: { consumer: 'user-facing', count: 5 } },
        ...(withQueries ? [{ name: 'no 5xx to clients (workspace)', kind: 'kql', query: 'ApiManagementGatewayLogs\n| where ResponseCode >= 500\n| summarize Errors = count()', value: { column: 'Errors', aggregate: 'sum' }, tolerance: { max: 0 } }] : []),
      ],
    },
    method: {
      plan: {
        description: 'user-facing at 4/s through the gateway; aoai-eastus-ptu1 answers 500 from 6 s to 12 s.',
        script: 'circuit-breaker',
        durationSeconds: 20,
        traffic: [{ consumer: 'user-facing', ratePerUnit: 4, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } }],
        timeline: [{ id: 'ptu1-fails', at: 6, for: 6, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } }],
        fleet: fleetShape,
      },
    },
    detection: withQueries
      ? [
          {
            name: 'the healthy member took the traffic while the other failed',
            window: { fromSeconds: 6, toSeconds: 12 },
            query: 'ApiManagementGatewayLogs\n| where BackendId != ""\n| summarize Requests = count() by BackendId',
            expect: { column: 'Requests', aggregate: 'sum', where: { BackendId: 'aoai-eastus-ptu2' } },
            tolerance: { min: 1 },
          },
        ]
      : [],
    rollbacks: [{ kind: 'clear-fleet-faults', backend: 'aoai-eastus-ptu1' }],
  };
  const file = join(work, `${name}.drill.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

function faultChanges(ledgerFile: string): string[] {
  return readFileSync(ledgerFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string; action?: string; rule?: { target?: { backend?: string } } })
    .filter((r) => r.type === 'fault')
    .map((r) => `${r.action} ${r.rule?.target?.backend ?? ''}`);
}

function expectHeldWithFault(journal: DrillJournal): void {
  expect(journal.problem, journal.deviations.join('\n')).toBeUndefined();
  expect(journal.deviations).toEqual([]);
  expect(journal).toMatchObject({ status: 'completed', exitCode: 0 });
  expect(journal.beforeGate).toMatchObject({ status: 'held', method: 'ran', faultsApplied: 1 });
  expect(journal.rollbacks).toContainEqual(expect.objectContaining({ kind: 'timeline-step', status: 'done' }));
  // The attached fleet outlives the drill: its declared rollback went to the control API.
  expect(journal.rollbacks).toContainEqual(expect.objectContaining({ kind: 'clear-fleet-faults', status: 'done', detail: expect.stringMatching(/^\d+ rule\(s\) cleared$/) }));
}

describe.skipIf(inspection.status === 'missing')('drills against a gateway at a URL and a real APIM (--target)', () => {
  it('runs on both: the fault through the attached fleet, the queries through the target workspace', { timeout: 180_000 }, async () => {
    // A gateway at a URL, in front of a fleet started on its own.
    const urlFleet = await startControlledFleet({ topology: scenarioTopology(loadTopologyFile(defaultTopologyPath), fleetShape), ledgerPath: join(work, 'url-fleet-ledger.jsonl') });
    cleanups.push(() => urlFleet.close());
    const fleetFile = join(work, 'fleet.json');
    writeFileSync(fleetFile, `${JSON.stringify(urlFleet.describe())}\n`);
    const urlGateway = await startGateway({ config: loadGatewayConfig(defaultGatewayConfigDir), fleetEndpoints: new Map(urlFleet.describe().backends.map((b) => [b.name, b.endpoint])), logsDir: join(work, 'url-gateway-logs') });
    cleanups.push(() => urlGateway.close());

    // An APIM known by its target file: the emulator poses as one, its rows reach the mock workspace.
    const apimFleet = await startControlledFleet({ topology: scenarioTopology(loadTopologyFile(defaultTopologyPath), fleetShape), ledgerPath: join(work, 'apim-fleet-ledger.jsonl') }, { SPILLWAY_CONTROL_TOKEN: token });
    cleanups.push(() => apimFleet.close());
    const apimLogs = join(work, 'apim-logs');
    const apim = await startGateway({ config: loadGatewayConfig(defaultGatewayConfigDir), fleetEndpoints: new Map(apimFleet.describe().backends.map((b) => [b.name, b.endpoint])), logsDir: apimLogs });
    cleanups.push(() => apim.close());
    const workspace = new MockLogAnalyticsWorkspace({ id: '5c7d2e8f-0a3b-4c4d-9b2e-3d4c5e6f7a81' });
    const targetFile = join(work, 'target.json');
    writeFileSync(targetFile, JSON.stringify({ kind: 'apim', gateways: apim.instances.map((i) => ({ region: i.region, url: i.url })), workspaceId: workspace.id, fleet: { control: apimFleet.describe().control, tokenEnv: 'SPILLWAY_TEST_FLEET_TOKEN' } }));
    let workspaceQueries = 0;

    const lines: string[] = [];
    const [atUrl, onTarget] = await withEnvironment(env, () =>
      Promise.all([
        runDrill(loadDrill(drillFile('at-a-url', false), defaultK6ConfigFile), { resultsDir: join(work, 'url-results'), gatewayUrl: urlGateway.instances[0]!.url, fleetFile, progress: (l) => lines.push(`url: ${l}`) }),
        runDrill(loadDrill(drillFile('on-target', true), defaultK6ConfigFile), {
          resultsDir: join(work, 'target-results'),
          targetFile,
          progress: (l) => lines.push(`target: ${l}`),
          logSourceFor: workspaceFedLogSource(workspace, apimLogs),
          workspaceFor: (file) => {
            workspaceQueries++;
            return new WorkspaceReader({ workspaceId: file.workspaceId, credential: new StaticCredential(), clientOptions: mockClientOptions([workspace]) });
          },
        }),
      ]),
    );
    const transcript = lines.join('\n');
    process.stdout.write(`${transcript}\n`);

    expectHeldWithFault(atUrl.journal);
    // The probe's own requests were sent before the method and after it, through the gateway at the URL.
    for (const phase of ['before', 'after'] as const) {
      expect(atUrl.journal.hypothesis[phase]).toContainEqual(expect.objectContaining({ name: 'user-facing answered 2xx, by its own requests', status: 'held', measured: '5 of 5 own requests (as user-facing) (100.0%) in range' }));
    }
    expect(atUrl.journal.logAnalytics).toBeNull();
    expect(faultChanges(join(work, 'url-fleet-ledger.jsonl'))).toContain('inject aoai-eastus-ptu1');

    expectHeldWithFault(onTarget.journal);
    // The queries went to the target's workspace, through the real LogsQueryClient.
    expect(workspaceQueries).toBe(1);
    expect(onTarget.journal.logAnalytics).toMatchObject({ workspace: `workspace ${workspace.id}`, gatewayRows: expect.any(Number), queries: 3 });
    expect(onTarget.journal.logAnalytics!.gatewayRows).toBeGreaterThan(0);
    // The kql probe of the before window could not gate (a workspace's rows come late): judged after the run.
    expect(onTarget.journal.hypothesis.before.map((c) => `${c.kind} ${c.status}`)).toEqual(['http held', 'http held', 'kql held']);
    expect(onTarget.journal.detection).toEqual([expect.objectContaining({ status: 'held', measured: expect.stringMatching(/^[1-9]\d* over 1 of \d result row/) })]);
    expect(faultChanges(join(work, 'apim-fleet-ledger.jsonl'))).toContain('inject aoai-eastus-ptu1');
    // Keys never reach the journals.
    for (const dir of [atUrl.dir, onTarget.dir]) expect(readFileSync(join(dir, 'drill-journal.json'), 'utf8')).not.toContain(env.SPILLWAY_KEY_USER_FACING);
  });
});
