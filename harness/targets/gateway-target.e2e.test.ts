import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import type { RunningFleet } from '../../mocks/aoai/fleet.ts';
import { journalSchema } from '../contracts/journal.ts';
import { ledgerRecordSchema } from '../contracts/ledger-record.ts';
import { startControlledFleet } from './controlled-fleet.ts';
import { scenarioTopology } from './embedded-topology.ts';
import { defaultGatewayConfigDir, runScenario } from '../run/run-scenario.ts';
import { refused } from '../cli/cli-test-support.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { withEnvironment } from '../run/test-environment.ts';

/**
 * The gateway target end to end, with real k6 and real HTTP on loopback: a gateway at a URL with
 * Spillway's fleet behind it, the fleet attached to (`--fleet`) or started on fixed ports
 * (`--port-base`). The gateway here is the APIM emulator started on its own, in front of a fleet
 * the run did not start: the run knows it only by its URL, as it would know anybody's.
 */
const repo = join(import.meta.dirname, '..', '..');
const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write('gateway-target.e2e.test.ts: real runs skipped: k6 is not installed (node bin/spillway.js tools install)\n');

const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };
const keys = { SPILLWAY_KEY_USER_FACING: 'local-user-facing-key', SPILLWAY_KEY_CRITICAL_OPS: 'local-critical-ops-key' };

const plan = {
  description: 'a short run against a gateway at a URL',
  script: 'smoke',
  durationSeconds: 14,
  traffic: [{ consumer: 'user-facing', ratePerUnit: 4, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } }],
  timeline: [
    { id: 'ptu1-fails', at: 3, for: 4, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } },
    { id: 'west-down', at: 8, for: 3, kind: 'region-down', region: 'West US' },
  ],
  verifiers: ['circuit-breaker', 'failover'],
  fleet: { latencyScale: 0.05 },
};

function configWith(scenarios: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gateway-target-')), 'k6.config.json');
  writeFileSync(file, JSON.stringify({ consumers: base.consumers, scenarios }));
  return file;
}

/** True while something listens at the URL's port. */
const listening = async (url: string): Promise<boolean> => !(await refused(url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(inspection.status === 'missing')('a gateway at a URL with Spillway’s fleet behind it', () => {
  it('attaches to a running fleet: collects its ledger over the control API, applies faults through it, takes only the fleet side of a region down, and judges from the ledger', async () => {
    const work = mkdtempSync(join(tmpdir(), 'attached-'));
    const fleet: RunningFleet = await startControlledFleet({ topology: scenarioTopology(loadTopologyFile(defaultTopologyPath), plan.fleet), ledgerPath: join(work, 'fleet-own-ledger.jsonl') });
    cleanups.push(() => fleet.close());
    const description = fleet.describe();
    const fleetFile = join(work, 'fleet.json');
    writeFileSync(fleetFile, `${JSON.stringify(description)}\n`);
    const gateway: RunningGateway = await startGateway({ config: loadGatewayConfig(defaultGatewayConfigDir), fleetEndpoints: new Map(description.backends.map((b) => [b.name, b.endpoint])), logsDir: join(work, 'gateway-logs') });
    cleanups.push(() => gateway.close());
    // Traffic the fleet served before the run is not the run's.
    const before = fleet.ledger.lastSeq;

    const lines: string[] = [];
    const result = await withEnvironment(keys, () =>
      runScenario({
        scenario: 'attached',
        units: 1,
        k6ConfigFile: configWith({ attached: plan }),
        resultsDir: join(work, 'results'),
        gatewayUrl: gateway.instances[0]!.url,
        fleetFile,
        expectationsConfigDir: defaultGatewayConfigDir,
        progress: (line) => lines.push(line),
      }),
    );
    const { journal } = result;
    expect(journal.problem, lines.join('\n')).toBeUndefined();
    expect(journal.status).toBe('completed');
    expect(journalSchema.safeParse(JSON.parse(readFileSync(result.journalFile, 'utf8'))).success).toBe(true);
    expect(journal.target).toMatchObject({ kind: 'gateway', fleet: 'attached', healthPath: '/status-0123456789abcdef' });
    expect(journal.target.notes).toEqual([
      expect.stringMatching(/^the plan's fleet settings \(capacityTpm, latencyScale\) do not apply to an attached fleet/),
      expect.stringMatching(/^step west-down: only the fleet's side: the backends in West US refuse connections/),
      'the failover verifier needs frontDoorEvents, which the gateway target does not bring: its verdict will be inconclusive',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^note: step west-down: only the fleet's side/));
    expect(lines).toContainEqual(expect.stringMatching(/^preflight: chat through the gateway reached aoai-/));

    // The run's ledger is the fleet's, from attach time on: every record after `before`, none before.
    const records = readFileSync(join(result.runDir, 'fleet-ledger.jsonl'), 'utf8').trim().split('\n').map((line) => ledgerRecordSchema.parse(JSON.parse(line)));
    expect(records.length).toBeGreaterThan(20);
    expect(Math.min(...records.map((r) => r.seq))).toBe(before + 1);
    // Faults went in and came out through the control API, labelled with their steps.
    const faultRecords = records.filter((r) => r.type === 'fault');
    expect(faultRecords.map((r) => `${r.action} ${r.rule.label} ${r.rule.kind}`)).toEqual(['inject ptu1-fails status', 'clear ptu1-fails status', 'inject west-down refuse', 'clear west-down refuse']);
    expect(fleet.faults.list()).toEqual([]);
    // The region's gateway kept listening: only the fleet's side went down.
    expect(journal.timeline.find((s) => s.id === 'west-down')).toMatchObject({ scope: expect.stringMatching(/^only the fleet's side/) });

    expect(journal.evidenceSources).toEqual(
      expect.arrayContaining([
        { kind: 'ledger', status: 'collected', note: expect.stringMatching(/records collected over http:\/\/127\.0\.0\.1:\d+/) },
        { kind: 'gatewayLogs', status: 'absent', note: expect.any(String) },
        { kind: 'frontDoorEvents', status: 'absent', note: expect.any(String) },
      ]),
    );
    // The breaker is judged from the ledger, and says so; failover needs front door events this target has not.
    const breaker = journal.verdicts.filter((v) => v.check.startsWith('circuit-breaker'));
    expect(breaker.length).toBeGreaterThan(0);
    for (const verdict of breaker) expect(verdict.sources).toContain('ledger');
    const failover = journal.verdicts.filter((v) => v.check.startsWith('failover'));
    expect(failover).toEqual([expect.objectContaining({ status: 'inconclusive', measured: expect.stringContaining('frontDoorEvents') })]);
    // The fleet the run attached to is still up: the run closes only what it started.
    expect(await listening(description.control)).toBe(true);
  });

  it('refuses, before any load, a gateway that answers but reaches no fleet backend, and stops the fleet it started', async () => {
    const stub: Server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}');
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => stub.close(() => resolve())));
    const address = stub.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const portBase = 19_400 + (process.pid % 200) * 8;
    const result = await withEnvironment(keys, () =>
      runScenario({
        scenario: 'calm',
        units: 1,
        k6ConfigFile: configWith({ calm: { ...plan, timeline: [], verifiers: [] } }),
        resultsDir: mkdtempSync(join(tmpdir(), 'results-')),
        gatewayUrl: url,
        portBase,
        healthPath: 'none',
      }),
    );
    expect(result.journal).toMatchObject({ status: 'incomplete', exitCode: 2, k6: { startedAt: null }, target: { kind: 'gateway', fleet: 'started', healthPath: 'none' } });
    expect(result.journal.problem).toMatch(new RegExp(`^preflight: POST ${url.replace(/[.]/g, '\\.')}/openai/deployments/gpt-4o/chat/completions\\?api-version=2024-10-21 \\(as user-facing\\) was answered 200 .*but no backend of the fleet received it`));
    expect(readFileSync(join(result.runDir, 'junit.xml'), 'utf8')).toContain('no backend of the fleet received it');
    for (let i = 0; i < 6; i++) expect(await listening(`http://127.0.0.1:${portBase + i}`)).toBe(false);
  });
});
