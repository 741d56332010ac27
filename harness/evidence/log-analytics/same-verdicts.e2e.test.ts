/**
 * One emulator run's gateway rows, judged twice: read from the run folder as the embedded target
 * leaves them, and read back from a (mock) Log Analytics workspace they were ingested into, by
 * the Log Analytics source through the real LogsQueryClient. The verifiers must come to the same
 * verdicts, word for word, from the same rows.
 *
 * A real run (k6 on the embedded topology, 12 s) with the token-limit verifier, which judges
 * from the LLM rows joined to the gateway rows, and the spillover verifier. Skipped, with the
 * reason printed, where k6 is not provisioned.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvidenceSource, RunEvidence } from '../../contracts/evidence.ts';
import type { FleetDescription } from '../../contracts/fleet-description.ts';
import { gatewayLogTable, llmLogTable } from '../../contracts/gateway-log-rows.ts';
import { checkInvocation, runScenario } from '../../run/run-scenario.ts';
import { prepareRun } from '../../run/run-input.ts';
import { preflightMarkerPrefix } from '../../targets/preflight.ts';
import { inspectTool } from '../../tools/resolve-tool.ts';
import { k6Spec } from '../../tools/tool-specs.ts';
import { expectationsFromConfig } from '../../verify/expectations-from-config.ts';
import { runVerifiers } from '../../verify/index.ts';
import type { Expectations } from '../../verify/expectations.ts';
import { collectEvidence, everyEvidenceKind, evidencePaths } from '../collect-evidence.ts';
import { fleetFacts } from '../fleet-facts.ts';
import { ingestRunLogs } from '../../../mocks/log-analytics/ingest-run-logs.ts';
import { collectFromLogAnalytics } from './collect-from-log-analytics.ts';
import { FakeClock, mockClientOptions, MockLogAnalyticsWorkspace, StaticCredential } from './test-log-analytics.ts';

const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write(`same-verdicts.e2e.test.ts: skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);

const repo = join(import.meta.dirname, '..', '..', '..');

const plan = {
  description: 'Log Analytics source equivalence: budgeted and unbudgeted consumers, briefly',
  script: 'smoke',
  durationSeconds: 12,
  traffic: [
    { consumer: 'user-facing', ratePerUnit: 3, promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 80 } },
    { consumer: 'dev-test', ratePerUnit: 2, priority: 'medium', promptWords: { kind: 'fixed', value: 40 }, maxTokens: { kind: 'fixed', value: 80 } },
  ],
  verifiers: ['token-limit', 'spillover'],
  fleet: { latencyScale: 0.05 },
};

/** The run's own judgement, redone from a run folder: the same reader, filter and verifiers for both folders. */
async function judge(runDir: string, window: { start: number; end: number }, journal: { timeline: RunEvidence['timeline'] }, fleet: FleetDescription, deployment: string, expectations: Expectations, sources: readonly EvidenceSource[]) {
  const evidence = await collectEvidence(runDir, window, journal.timeline, fleetFacts(fleet, deployment), sources);
  // As the run does (run-scenario.ts runTraffic): the ledger's requests while k6 ran, not the preflight's.
  const ledger = evidence.ledger.filter((r) => r.start >= window.start && r.start <= window.end && !r.correlationId?.startsWith(preflightMarkerPrefix));
  const judged = { ...evidence, ledger };
  return { evidence: judged, verdicts: runVerifiers(plan.verifiers as Parameters<typeof runVerifiers>[0], judged, expectations) };
}

const key = (row: { CorrelationId: string | null; SequenceNumber?: number | null }): string => `${row.CorrelationId}/${row.SequenceNumber ?? ''}`;

describe.skipIf(inspection.status === 'missing')('the Log Analytics source and the run folder', () => {
  it('give the verifiers the same rows, and so the same verdicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'la-same-'));
    const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: unknown };
    const k6ConfigFile = join(dir, 'k6.config.json');
    writeFileSync(k6ConfigFile, JSON.stringify({ consumers: base.consumers, scenarios: { 'la-same': plan } }));
    const options = { scenario: 'la-same', units: 1, k6ConfigFile, resultsDir: join(dir, 'results'), seed: 11 };
    const invocation = checkInvocation(options);
    const prepared = await prepareRun(options, invocation);
    const run = await runScenario(options);
    expect(run.journal.problem).toBeUndefined();
    expect(run.journal.status).toBe('completed');

    const journal = run.journal;
    const window = { start: Date.parse(journal.k6.startedAt!), end: Date.parse(journal.k6.endedAt!) };
    const fleet = (journal.target.topology as { fleet: FleetDescription }).fleet;
    const deployment = invocation.plan.deployment;
    const expectationsPlan = prepared.expectations!;
    const expectations = 'explicit' in expectationsPlan ? expectationsPlan.explicit : expectationsFromConfig({ gatewayConfig: expectationsPlan.config, fleet, k6Config: invocation.config, deployment });

    const local = await judge(run.runDir, window, journal, fleet, deployment, expectations, everyEvidenceKind);
    // The redone judgement is the run's own: what follows compares like with like.
    expect(local.verdicts).toEqual(journal.verdicts);

    // The same run folder without the gateway's two log files, which the workspace will bring.
    const viaWorkspace = join(dir, 'via-log-analytics');
    cpSync(run.runDir, viaWorkspace, { recursive: true });
    const paths = evidencePaths(viaWorkspace);
    rmSync(paths.gatewayLogs);
    rmSync(paths.llmLogs);

    // The workspace: the run's rows marked with its id, arriving 20 s to 2.5 min after each
    // request; another run's copy of them (other ids, another marker) in the same window.
    const clock = new FakeClock(window.end + 2000);
    const workspace = new MockLogAnalyticsWorkspace({ now: () => clock.now() });
    const logsDir = evidencePaths(run.runDir).logsDir;
    const ingested = ingestRunLogs(workspace, logsDir, { runMarker: journal.runId, lagMs: (_row, i) => 20_000 + ((i * 7) % 13) * 10_000, llmExtraLagMs: 3000 });
    ingestRunLogs(workspace, logsDir, { runMarker: 'another-run', lagMs: () => 15_000, rewriteCorrelationId: (id) => `other-${id}` });
    expect(ingested.gatewayRows).toBeGreaterThan(40);
    expect(ingested.llmRows).toBeGreaterThan(20);

    const collected = await collectFromLogAnalytics({
      workspaceId: workspace.id,
      credential: new StaticCredential(),
      window,
      runMarker: journal.runId,
      // What the run knows: the requests k6 sent.
      expectedRequests: local.evidence.client.length,
      logsDir: paths.logsDir,
      clientOptions: mockClientOptions([workspace]),
      clock,
    });
    expect(collected.sources).toEqual([
      { kind: 'gatewayLogs', status: 'collected' },
      { kind: 'llmLogs', status: 'collected' },
    ]);
    expect(workspace.refused).toEqual([]);
    expect(collected.ingestion.polls).toBeGreaterThan(1);

    const sources = everyEvidenceKind.map((source) => collected.sources.find((s) => s.kind === source.kind) ?? source);
    const remote = await judge(viaWorkspace, window, journal, fleet, deployment, expectations, sources);

    // The same rows, field for field (the workspace's order is its own: compared by id).
    const sorted = <T extends { CorrelationId: string | null; SequenceNumber?: number | null }>(rows: readonly T[]): T[] => [...rows].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(remote.evidence.gatewayLogs)).toEqual(sorted(local.evidence.gatewayLogs));
    expect(sorted(remote.evidence.llmLogs)).toEqual(sorted(local.evidence.llmLogs));
    expect(remote.evidence.gatewayLogs.length).toBe(ingested.gatewayRows);
    // And the same verdicts, word for word, among them ones judged from the LLM rows.
    expect(remote.verdicts).toEqual(local.verdicts);
    expect(local.verdicts.some((v) => v.measured.includes(`${llmLogTable}.jsonl joined to gateway-logs/${gatewayLogTable}.jsonl`))).toBe(true);
  });
});
