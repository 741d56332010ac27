/**
 * The Log Analytics source against mock workspaces, through the real LogsQueryClient and its
 * pipeline (an injected msw transport, a static credential): the queries the source sends are
 * parsed by Microsoft's KQL analyzer and evaluated over the rows the workspace holds, which
 * arrive over time on a clock the test moves (mocks/log-analytics).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChainedTokenCredential, EnvironmentCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { gatewayLogRowSchema, gatewayLogTable, llmLogRowSchema, llmLogTable } from '../../contracts/gateway-log-rows.ts';
import { ingestRunLogs } from '../../../mocks/log-analytics/ingest-run-logs.ts';
import { collectFromLogAnalytics, type LogAnalyticsSourceOptions } from './collect-from-log-analytics.ts';
import { probeLogAnalyticsWorkspace } from './probe-workspace.ts';
import { LogAnalyticsError, QueryRefusedError } from './query-failure.ts';
import { WorkspaceReader } from './workspace-reader.ts';
import { emptyLogsDir, FakeClock, mockClientOptions, MockLogAnalyticsWorkspace, StaticCredential, writeSampleRun, type SampleRun } from './test-log-analytics.ts';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MARKER = '2026-06-01T12-00-00Z-token-limit';

interface Setup {
  run: SampleRun;
  workspace: MockLogAnalyticsWorkspace;
  clock: FakeClock;
  credential: StaticCredential;
  lines: string[];
  options: (overrides?: Partial<LogAnalyticsSourceOptions>) => LogAnalyticsSourceOptions;
}

/** 60 requests over 12 s, ingested 20 s to 155 s after each finished, into one workspace. */
function setup(options: { count?: number; lag?: (i: number) => number; workspace?: ConstructorParameters<typeof MockLogAnalyticsWorkspace>[0] } = {}): Setup {
  const run = writeSampleRun({ start: T0, count: options.count ?? 60 });
  const clock = new FakeClock(run.end + 1000);
  const workspace = new MockLogAnalyticsWorkspace({ now: () => clock.now(), ...options.workspace });
  const lag = options.lag ?? ((i: number) => 20_000 + (i % 10) * 15_000);
  ingestRunLogs(workspace, run.logsDir, { runMarker: MARKER, lagMs: (_row, i) => lag(i), llmExtraLagMs: 5_000 });
  const credential = new StaticCredential();
  const lines: string[] = [];
  return {
    run,
    workspace,
    clock,
    credential,
    lines,
    options: (overrides = {}) => ({
      workspaceId: workspace.id,
      credential,
      window: { start: run.start, end: run.end },
      runMarker: MARKER,
      expectedRequests: run.gatewayRows.length,
      logsDir: emptyLogsDir(),
      clientOptions: mockClientOptions([workspace]),
      clock,
      say: (line) => lines.push(line),
      ...overrides,
    }),
  };
}

function readRows(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

const byId = (rows: readonly { CorrelationId: string | null; SequenceNumber?: number | null }[]): string[] => rows.map((r) => `${r.CorrelationId}/${r.SequenceNumber ?? ''}`).sort();

describe('collecting a run from Log Analytics', () => {
  it('polls until every row has arrived, writes them as the contracts have them, and measures the ingestion lag', async () => {
    const s = setup();
    const options = s.options();
    const result = await collectFromLogAnalytics(options);

    expect(result.sources).toEqual([
      { kind: 'gatewayLogs', status: 'collected' },
      { kind: 'llmLogs', status: 'collected' },
    ]);
    // What was written is what the emulator wrote: the same rows, field for field (Kusto's empty
    // strings back to the contract's nulls, datetimes back to ISO strings).
    const gateway = readRows(join(options.logsDir, `${gatewayLogTable}.jsonl`)).map((r) => gatewayLogRowSchema.parse(r));
    const llm = readRows(join(options.logsDir, `${llmLogTable}.jsonl`)).map((r) => llmLogRowSchema.parse(r));
    const sortById = <T extends { CorrelationId: string | null; SequenceNumber?: number | null }>(rows: T[]): T[] => [...rows].sort((a, b) => `${a.CorrelationId}/${a.SequenceNumber ?? ''}`.localeCompare(`${b.CorrelationId}/${b.SequenceNumber ?? ''}`));
    expect(sortById(gateway)).toEqual(sortById(s.run.gatewayRows));
    expect(sortById(llm)).toEqual(sortById(s.run.llmRows));
    // In time order, as the fetch goes slice by slice.
    expect(gateway.map((r) => r.TimeGenerated)).toEqual([...gateway.map((r) => r.TimeGenerated)].sort());

    const { ingestion } = result;
    expect(ingestion).toMatchObject({ workspaceId: s.workspace.id, runMarker: MARKER, expectedRequests: 60, gatewayRows: 60, llmRows: s.run.llmRows.length, answeredRequests: 48, llmRequests: 48, timedOut: false, throttled: 0, partialFailures: 0 });
    // Rows arrived 20 s to 155 s after their request finished: the source waited for the last.
    expect(ingestion.polls).toBeGreaterThan(5);
    expect(ingestion.waitedMs).toBeGreaterThanOrEqual(140_000);
    expect(ingestion.waitedMs).toBeLessThan(200_000);
    // The lag is measured from TimeGenerated (the request's start), so it includes TotalTime.
    const lags = s.run.gatewayRows.map((r, i) => 20_000 + (i % 10) * 15_000 + (r.TotalTime ?? 0)).sort((a, b) => a - b);
    expect(ingestion.lag.gatewayLogs).toEqual({ rows: 60, p50Ms: lags[29], p95Ms: lags[56], maxMs: lags[59] });
    expect(ingestion.lag.llmLogs?.rows).toBe(s.run.llmRows.length);
    expect(s.lines.some((l) => /log analytics: \d+ of 60 gateway rows, LLM rows for \d+ of \d+ answered requests in workspace /.test(l))).toBe(true);
    // Every query went through the SDK with the token for the Log Analytics API, and the mock
    // evaluated each one (none refused).
    expect(s.credential.scopes).toContain('https://api.loganalytics.io/.default');
    expect(s.workspace.refused).toEqual([]);
    expect(s.workspace.received.every((q) => q.status === 200)).toBe(true);
  });

  it("takes only the run's rows: not another run's in the same window, nor the run's subscriptions' other traffic", async () => {
    const s = setup();
    // Another run, at the same time, through the same subscriptions, with its own marker.
    ingestRunLogs(s.workspace, s.run.logsDir, { runMarker: 'another-run', lagMs: () => 10_000, rewriteCorrelationId: (id) => id.replace(/^c-/, 'o-') });
    // And traffic of the run's subscriptions that carries no marker at all.
    ingestRunLogs(s.workspace, s.run.logsDir, { runMarker: null, lagMs: () => 10_000, rewriteCorrelationId: (id) => id.replace(/^c-/, 'n-') });
    const options = s.options();
    const result = await collectFromLogAnalytics(options);
    expect(result.ingestion.gatewayRows).toBe(60);
    const gateway = readRows(join(options.logsDir, `${gatewayLogTable}.jsonl`)) as { CorrelationId: string }[];
    expect(gateway.every((r) => r.CorrelationId.startsWith('c-'))).toBe(true);
    const llm = readRows(join(options.logsDir, `${llmLogTable}.jsonl`)) as { CorrelationId: string }[];
    expect(byId(llm as { CorrelationId: string }[])).toEqual(byId(s.run.llmRows));
  });

  it('tells a run by its subscriptions alone when it sends no marker', async () => {
    const s = setup();
    const options = s.options({ runMarker: undefined, subscriptions: ['dev-test'], expectedRequests: 30 });
    const result = await collectFromLogAnalytics(options);
    expect(result.sources.map((x) => x.status)).toEqual(['collected', 'collected']);
    const gateway = readRows(join(options.logsDir, `${gatewayLogTable}.jsonl`)) as { ApimSubscriptionId: string }[];
    expect(gateway).toHaveLength(30);
    expect(new Set(gateway.map((r) => r.ApimSubscriptionId))).toEqual(new Set(['dev-test']));
  });

  it('leaves out rows outside the window (beyond the margin for clocks)', async () => {
    const s = setup();
    const early = writeSampleRun({ start: T0 - 300_000, count: 5, idPrefix: 'early' });
    ingestRunLogs(s.workspace, early.logsDir, { runMarker: MARKER, lagMs: () => 1000 });
    const result = await collectFromLogAnalytics(s.options());
    expect(result.ingestion.gatewayRows).toBe(60);
    expect(result.ingestion.window).toEqual({ start: new Date(T0 - 60_000).toISOString(), end: new Date(s.run.end + 60_000).toISOString() });
  });

  it('says the evidence is incomplete, and how much arrived, when the rows are not all there by the timeout', async () => {
    // A third of the rows take an hour to arrive.
    const s = setup({ lag: (i) => (i % 3 === 0 ? 3_600_000 : 30_000) });
    const options = s.options({ timeoutMs: 300_000 });
    const result = await collectFromLogAnalytics(options);
    expect(result.ingestion.timedOut).toBe(true);
    // The last look is at the timeout (polls every 15 s take no time on this clock).
    expect(result.ingestion.waitedMs).toBe(300_000);
    expect(result.sources[0]).toMatchObject({ kind: 'gatewayLogs', status: 'incomplete' });
    expect(result.sources[0]!.note).toMatch(new RegExp(`^40 of the 60 gateway rows the run expects had reached Log Analytics workspace ${s.workspace.id} after 5 min \\(the timeout\\) \\(rows of x-spillway-run: ${MARKER} between `));
    expect(result.sources[1]).toMatchObject({ kind: 'llmLogs', status: 'collected' });
    // What did arrive is written, for the verifiers that can do without the rest to say so.
    expect(readRows(join(options.logsDir, `${gatewayLogTable}.jsonl`))).toHaveLength(40);
  });

  it('waits for the LLM rows of every answered request, and says which are missing when they do not come', async () => {
    const s = setup({ lag: () => 10_000 });
    // The LLM rows of five more answered requests, ingested much later than their gateway rows.
    const late = writeSampleRun({ start: T0 + 1000, count: 5, everyMs: 100, idPrefix: 'late' });
    s.workspace.ingest(gatewayLogTable, late.gatewayRows.map((r) => ({ ...r, RequestHeaders: { 'x-spillway-run': MARKER } })), () => T0);
    s.workspace.ingest(llmLogTable, late.llmRows, () => s.run.end + 3_600_000);
    const result = await collectFromLogAnalytics(s.options({ expectedRequests: 65, timeoutMs: 120_000 }));
    expect(result.sources[0]).toEqual({ kind: 'gatewayLogs', status: 'collected' });
    expect(result.sources[1]).toMatchObject({ kind: 'llmLogs', status: 'incomplete' });
    expect(result.sources[1]!.note).toMatch(new RegExp(`^48 of the 52 requests the gateway answered 2xx had their ApiManagementGatewayLlmLog rows in workspace ${s.workspace.id} after 2 min \\(the timeout\\)`));
    expect(result.ingestion.polls).toBeGreaterThan(3);
  });
});

describe('large runs: slices within the query API limits', () => {
  it('fetches in time slices of at most the row budget, each row exactly once', async () => {
    const s = setup({ count: 300, lag: () => 5_000 });
    const options = s.options({ rowBudget: 40 });
    const result = await collectFromLogAnalytics(options);
    expect(result.sources.map((x) => x.status)).toEqual(['collected', 'collected']);
    expect(result.ingestion.slices.gatewayLogs).toBeGreaterThanOrEqual(300 / 40);
    const fetches = s.workspace.received.filter((q) => q.query.includes('| project TimeGenerated, CorrelationId'));
    expect(Math.max(...fetches.map((q) => q.rows))).toBeLessThanOrEqual(40);
    const gateway = readRows(join(options.logsDir, `${gatewayLogTable}.jsonl`)) as { CorrelationId: string }[];
    expect(byId(gateway)).toEqual(byId(s.run.gatewayRows));
    const llm = readRows(join(options.logsDir, `${llmLogTable}.jsonl`)) as { CorrelationId: string; SequenceNumber: number }[];
    expect(byId(llm)).toEqual(byId(s.run.llmRows));
  });

  it('halves a slice the workspace answers truncated (over its row limit), and still gets every row once', async () => {
    const s = setup({ count: 120, lag: () => 5_000, workspace: { maxRows: 25 } });
    // A workspace that returns at most 25 rows a query, and a budget that plans 100.
    const options = s.options({ rowBudget: 100, queryLimits: { rows: 25, bytes: 64 * 1024 * 1024 } });
    const result = await collectFromLogAnalytics(options);
    expect(result.sources.map((x) => x.status)).toEqual(['collected', 'collected']);
    expect(result.ingestion.partialFailures).toBeGreaterThan(0);
    const gateway = readRows(join(options.logsDir, `${gatewayLogTable}.jsonl`)) as { CorrelationId: string }[];
    expect(byId(gateway)).toEqual(byId(s.run.gatewayRows));
    const llm = readRows(join(options.logsDir, `${llmLogTable}.jsonl`)) as { CorrelationId: string; SequenceNumber: number }[];
    expect(byId(llm)).toEqual(byId(s.run.llmRows));
  });
});

describe('what can go wrong, each said with the workspace and what to check', () => {
  it('refuses a workspace id that is not a GUID, and no marker nor subscriptions, before any query', async () => {
    const s = setup();
    const bad = s.options({ workspaceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs', runMarker: undefined, expectedRequests: -1 });
    const error = await collectFromLogAnalytics(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogAnalyticsError);
    expect((error as Error).message).toMatch(/workspace id "\/subscriptions\/x\/.*" is not a GUID: give the workspace's Workspace ID/);
    expect((error as Error).message).toContain('expectedRequests must be a whole number >= 0 (got -1)');
    expect((error as Error).message).toContain('give runMarker (the x-spillway-run header the run sends) or subscriptions');
    expect(s.workspace.received).toEqual([]);
    expect(s.credential.scopes).toEqual([]);
    expect(existsSync(bad.logsDir)).toBe(false);
  });

  it('says how to sign in when no credential can get a token', async () => {
    const s = setup();
    const saved = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AZURE_')).map((k) => [k, process.env[k]]));
    for (const k of Object.keys(saved)) delete process.env[k];
    try {
      // What DefaultAzureCredential does with nothing to sign in with, minus the slow links.
      const credential = new ChainedTokenCredential(new EnvironmentCredential());
      const error = await collectFromLogAnalytics(s.options({ credential })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogAnalyticsError);
      expect((error as Error).message).toMatch(new RegExp(`^cannot read the count of the run's gateway rows from Log Analytics workspace ${s.workspace.id}: no Azure credential could get a token for the Log Analytics API .*az login.*AZURE_CLIENT_SECRET.*EnvironmentCredential is unavailable`));
      expect(s.workspace.received).toEqual([]);
    } finally {
      Object.assign(process.env, saved);
    }
  });

  it('names the role to grant when the identity may not read the workspace (403)', async () => {
    const s = setup();
    s.workspace.denyAccess();
    const error = await collectFromLogAnalytics(s.options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogAnalyticsError);
    expect((error as Error).message).toMatch(new RegExp(`may not read Log Analytics workspace ${s.workspace.id} \\(403 InsufficientAccessError: .*\\).*Log Analytics Reader`));
    expect((error as Error).message).not.toContain(s.credential.token);
  });

  it('says which id to give for a workspace that does not exist (404)', async () => {
    const s = setup();
    const other = '0e9a4c3c-1111-4222-8333-944455556666';
    const error = await collectFromLogAnalytics(s.options({ workspaceId: other })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`^there is no Log Analytics workspace ${other} \\(404 WorkspaceNotFoundError: .*\\): give its Workspace ID`));
  });

  it('backs off when throttled (429), retries, and says so', async () => {
    const s = setup({ lag: () => 5_000 });
    s.workspace.throttleNext(3, 7);
    const sleptBefore = s.clock.slept;
    const result = await collectFromLogAnalytics(s.options());
    expect(result.sources.map((x) => x.status)).toEqual(['collected', 'collected']);
    expect(result.ingestion).toMatchObject({ throttled: 3, retried: 3 });
    expect(s.lines.filter((l) => l.includes('is throttling queries (429); trying the count of the run\'s gateway rows again in 7 s'))).toHaveLength(3);
    // It waited what Retry-After asked, three times, before the first answer.
    expect(s.clock.slept - sleptBefore).toBeGreaterThanOrEqual(21_000);
  });

  it('says the evidence is incomplete, throttling named, when throttling outlasts the timeout', async () => {
    const s = setup({ lag: () => 5_000 });
    s.workspace.throttleNext(1000, 30);
    const result = await collectFromLogAnalytics(s.options({ timeoutMs: 120_000 }));
    expect(result.sources[0]).toMatchObject({ kind: 'gatewayLogs', status: 'incomplete' });
    expect(result.sources[0]!.note).toContain(`Log Analytics workspace ${s.workspace.id} kept throttling Spillway's queries (429)`);
    expect(result.ingestion.throttled).toBeGreaterThan(5);
  });

  it('fetches again what came with an error inside a 200 (PartialFailure), and says so when it keeps coming', async () => {
    const once = setup({ lag: () => 5_000 });
    once.workspace.partialErrorNext(3);
    const recovered = await collectFromLogAnalytics(once.options());
    expect(recovered.sources.map((x) => x.status)).toEqual(['collected', 'collected']);
    expect(recovered.ingestion.partialFailures).toBe(3);

    const always = setup({ lag: () => 5_000 });
    always.workspace.partialErrorNext(10_000, 'Part of the workspace data was not available.');
    const result = await collectFromLogAnalytics(always.options({ timeoutMs: 60_000 }));
    expect(result.sources[0]).toMatchObject({ kind: 'gatewayLogs', status: 'incomplete' });
    expect(result.sources[0]!.note).toMatch(/ApiManagementGatewayLogs rows from .* came back with an error 3 time\(s\), and may miss rows: PartialError: There were some errors when processing your query\.; EngineError: /);
  });

  it('says that a workspace without the tables gets no gateway logs, and how to send them', async () => {
    const s = setup();
    const empty = new MockLogAnalyticsWorkspace({ now: () => s.clock.now(), tables: [] });
    const error = await collectFromLogAnalytics(s.options({ workspaceId: empty.id, clientOptions: mockClientOptions([empty]) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogAnalyticsError);
    expect((error as Error).message).toMatch(new RegExp(`^Log Analytics workspace ${empty.id} has no ApiManagementGatewayLogs table: no API Management gateway logs reach workspace ${empty.id} in resource-specific mode \\(nor in AzureDiagnostics\\)\\. Add a diagnostic setting`));
    expect((error as Error).message).toContain('--export-to-resource-specific true');
  });

  it('says how to switch a workspace that has the gateway logs only in AzureDiagnostics', async () => {
    let now = T0 + 600_000;
    const workspace = new MockLogAnalyticsWorkspace({ now: () => now, tables: [] });
    workspace.ingest('AzureDiagnostics', [0, 1, 2].map((i) => ({ TimeGenerated: new Date(T0 + i * 1000).toISOString(), ResourceProvider: 'MICROSOFT.APIMANAGEMENT', Category: 'GatewayLogs', CorrelationId: `d-${i}` })), () => T0 + 60_000);
    const clock = new FakeClock(now);
    const options: LogAnalyticsSourceOptions = { workspaceId: workspace.id, credential: new StaticCredential(), window: { start: T0, end: T0 + 10_000 }, runMarker: MARKER, expectedRequests: 3, logsDir: emptyLogsDir(), clientOptions: mockClientOptions([workspace]), clock };
    const error = await collectFromLogAnalytics(options).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`has no ApiManagementGatewayLogs table: workspace ${workspace.id} has 3 AzureDiagnostics row\\(s\\) of API Management's GatewayLogs between .*: the APIM diagnostic setting sends its logs in the legacy "Azure diagnostics" mode.*Destination table: Resource specific`));
    // The probe a preflight runs says the same, before any load.
    now = T0 + 3_600_000;
    await expect(probeLogAnalyticsWorkspace({ workspaceId: workspace.id, credential: new StaticCredential(), clientOptions: mockClientOptions([workspace]), clock: new FakeClock(now) })).rejects.toThrow(/3 AzureDiagnostics row\(s\) of API Management's GatewayLogs/);
  });

  it('collects the gateway rows and says what to enable when the workspace has no LLM table', async () => {
    const s = setup({ lag: () => 5_000, workspace: { tables: ['ApiManagementGatewayLogs'] } });
    const result = await collectFromLogAnalytics(s.options());
    // ingestRunLogs created the LLM table: a workspace without one is made here.
    expect(result.sources[0]).toEqual({ kind: 'gatewayLogs', status: 'collected' });
    const bare = setup({ lag: () => 5_000 });
    const workspace = new MockLogAnalyticsWorkspace({ now: () => bare.clock.now(), tables: [] });
    workspace.ingest(gatewayLogTable, bare.run.gatewayRows.map((r) => ({ ...r, RequestHeaders: { 'x-spillway-run': MARKER } })), () => T0);
    const options = bare.options({ workspaceId: workspace.id, clientOptions: mockClientOptions([workspace]) });
    const without = await collectFromLogAnalytics(options);
    expect(without.sources[0]).toEqual({ kind: 'gatewayLogs', status: 'collected' });
    expect(without.sources[1]).toMatchObject({ kind: 'llmLogs', status: 'incomplete' });
    expect(without.sources[1]!.note).toMatch(new RegExp(`^Log Analytics workspace ${workspace.id} has no ApiManagementGatewayLlmLog table: enable the "Logs related to generative AI gateway" category \\(GatewayLlmLogs\\)`));
    expect(readFileSync(join(options.logsDir, `${llmLogTable}.jsonl`), 'utf8')).toBe('');
  });

  it('says the run marker is not logged when the window has gateway rows but none of the run', async () => {
    const s = setup({ lag: () => 5_000 });
    const result = await collectFromLogAnalytics(s.options({ runMarker: 'a-run-whose-header-was-not-logged', timeoutMs: 60_000 }));
    expect(result.sources[0]!.status).toBe('incomplete');
    expect(result.sources[0]!.note).toContain('the workspace has 60 ApiManagementGatewayLogs row(s) in that window, none of them the run\'s: check that the API Management azuremonitor diagnostic logs the x-spillway-run request header');
  });

  it('reports a query the workspace refuses (400) as a bug in the query, keeping the workspace\'s error', async () => {
    const s = setup();
    const reader = new WorkspaceReader({ workspaceId: s.workspace.id, credential: s.credential, clientOptions: mockClientOptions([s.workspace]), clock: s.clock });
    const refused = await reader.query('ApiManagementGatewayLogs | take 5', { start: T0, end: T0 + 1000 }, 'a test query', s.clock.now()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueryRefusedError);
    expect((refused as Error).message).toMatch(/refused Spillway's query for a test query \(400 BadArgumentError: the mock Log Analytics workspace does not evaluate the take operator \(at offset 27: "take 5"\).*this is a bug in the query Spillway sends/);
    const unknown = await reader.query('ApiManagementGatewayLogs | where NoSuchColumn == 1 | summarize Rows = count()', { start: T0, end: T0 + 1000 }, 'a test query', s.clock.now()).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/400 BadArgumentError: The request had some invalid properties; SemanticError: A semantic error occurred\.; KS142: The name 'NoSuchColumn' does not refer to any known column/);
  });
});

describe('probing a workspace before the run', () => {
  it('counts the rows of both tables over the last day, proving token, access and tables', async () => {
    const s = setup({ lag: () => 5_000 });
    s.clock.current = T0 + 3_600_000;
    const tables = await probeLogAnalyticsWorkspace({ workspaceId: s.workspace.id, credential: s.credential, clientOptions: mockClientOptions([s.workspace]), clock: s.clock });
    expect(tables).toEqual({ gatewayRows: 60, llmRows: s.run.llmRows.length });
  });
});
