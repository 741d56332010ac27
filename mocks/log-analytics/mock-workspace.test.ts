/**
 * The mock workspace answers the query that was sent, over the rows it holds: Microsoft's KQL
 * analyzer checks the names, the evaluator computes the result, and anything outside the subset
 * is refused, never answered from a fixture.
 */
import { describe, expect, it } from 'vitest';
import { MockLogAnalyticsWorkspace } from './mock-workspace.ts';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

function workspace(now = T0 + 3_600_000, options: ConstructorParameters<typeof MockLogAnalyticsWorkspace>[0] = {}): MockLogAnalyticsWorkspace {
  const w = new MockLogAnalyticsWorkspace({ now: () => now, ...options });
  w.ingest(
    'ApiManagementGatewayLogs',
    [
      { TimeGenerated: new Date(T0).toISOString(), CorrelationId: 'a', ApimSubscriptionId: 'user-facing', ResponseCode: 200, RequestHeaders: { 'x-spillway-run': 'r1' }, Errors: null },
      { TimeGenerated: new Date(T0 + 4_000).toISOString(), CorrelationId: 'b', ApimSubscriptionId: 'dev-test', ResponseCode: 429, RequestHeaders: { 'x-spillway-run': 'r1' }, Errors: [{ Reason: 'TokenLimitExceeded' }] },
      { TimeGenerated: new Date(T0 + 12_000).toISOString(), CorrelationId: 'c', ApimSubscriptionId: 'user-facing', ResponseCode: 200, RequestHeaders: { 'x-spillway-run': 'r2' } },
      { TimeGenerated: new Date(T0 + 13_000).toISOString(), CorrelationId: 'd', ApimSubscriptionId: null, ResponseCode: 503 },
    ],
    (_row, i) => T0 + 60_000 + i * 1000,
  );
  w.ingest('ApiManagementGatewayLlmLog', [{ TimeGenerated: new Date(T0).toISOString(), CorrelationId: 'a', PromptTokens: 10 }, { TimeGenerated: new Date(T0).toISOString(), CorrelationId: 'a', PromptTokens: 0, SequenceNumber: 1 }, { TimeGenerated: new Date(T0 + 12_000).toISOString(), CorrelationId: 'c', PromptTokens: 7 }], () => T0 + 70_000);
  return w;
}

const bearer = 'Bearer t';

function ask(w: MockLogAnalyticsWorkspace, query: string, timespan?: string) {
  const answer = w.answer({ query, ...(timespan ? { timespan } : {}) }, bearer);
  const body = answer.body as { tables?: { columns: { name: string; type: string }[]; rows: unknown[][] }[]; error?: { code: string; message: string; innererror?: { code: string; message: string; innererror?: { code: string; message: string } } } };
  return { status: answer.status, body, table: body.tables?.[0], error: body.error };
}

describe('evaluating the queries the source sends', () => {
  it('filters with where, and, or, ==, =~, !=, <, >=, in (a list) and dynamic["key"]', () => {
    const w = workspace();
    const ids = (query: string): unknown[] => ask(w, `ApiManagementGatewayLogs | where ${query} | project CorrelationId`).table!.rows.map((r) => r[0]);
    expect(ids('tostring(RequestHeaders["x-spillway-run"]) == "r1"')).toEqual(['a', 'b']);
    expect(ids('ApimSubscriptionId in ("dev-test", "nobody")')).toEqual(['b']);
    expect(ids('ResponseCode >= 200 and ResponseCode < 300')).toEqual(['a', 'c']);
    expect(ids('ResponseCode == 429 or ResponseCode == 503')).toEqual(['b', 'd']);
    expect(ids('ApimSubscriptionId =~ "USER-FACING" and ResponseCode != 429')).toEqual(['a', 'c']);
    expect(ids(`TimeGenerated >= datetime(${new Date(T0 + 4_000).toISOString()}) and TimeGenerated < datetime(${new Date(T0 + 13_000).toISOString()})`)).toEqual(['b', 'c']);
    // A string that does not apply is empty in Kusto, never null: "" matches it.
    expect(ids('ApimSubscriptionId == ""')).toEqual(['d']);
    expect(ids('not(ResponseCode == 200)')).toEqual(['b', 'd']);
  });

  it('joins through a let name with in (), and counts in two summarize steps by bin', () => {
    const w = workspace();
    const result = ask(w, 'let runRequests = ApiManagementGatewayLogs | where tostring(RequestHeaders["x-spillway-run"]) == "r1" | project CorrelationId;\nApiManagementGatewayLlmLog\n| where CorrelationId in (runRequests)\n| summarize Rows = count() by CorrelationId, Bin = bin(TimeGenerated, 10s)\n| summarize Rows = sum(Rows), Requests = count() by Bin');
    expect(result.status).toBe(200);
    expect(result.table!.columns).toEqual([{ name: 'Bin', type: 'datetime' }, { name: 'Rows', type: 'long' }, { name: 'Requests', type: 'long' }]);
    expect(result.table!.rows).toEqual([['2026-06-01T12:00:00.0000000Z', 2, 1]]);
  });

  it('summarizes with countif, min and max, and answers one row for count() over nothing', () => {
    const w = workspace();
    const grouped = ask(w, 'ApiManagementGatewayLogs | summarize Rows = count(), Answered = countif(ResponseCode >= 200 and ResponseCode < 300), Slowest = max(ResponseCode) by Bin = bin(TimeGenerated, 10s)');
    expect(grouped.table!.rows).toEqual([
      ['2026-06-01T12:00:00.0000000Z', 2, 1, 429],
      ['2026-06-01T12:00:10.0000000Z', 2, 1, 503],
    ]);
    expect(ask(w, 'ApiManagementGatewayLogs | where CorrelationId == "none" | summarize Rows = count()').table!.rows).toEqual([[0]]);
  });

  it('serializes as the query API does: datetimes with seven decimals, dynamic as JSON text, ingestion_time()', () => {
    const w = workspace();
    const result = ask(w, 'ApiManagementGatewayLogs | where CorrelationId == "b" | project TimeGenerated, Errors, UserId, IngestedAt = ingestion_time()');
    expect(result.table!.columns.map((c) => c.type)).toEqual(['datetime', 'dynamic', 'string', 'datetime']);
    expect(result.table!.rows).toEqual([['2026-06-01T12:00:04.0000000Z', '[{"Reason":"TokenLimitExceeded"}]', '', '2026-06-01T12:01:01.0000000Z']]);
  });

  it('shows a row only from its ingestion time, and only inside the request timespan', () => {
    expect(ask(workspace(T0 + 61_500), 'ApiManagementGatewayLogs | summarize Rows = count()').table!.rows).toEqual([[2]]);
    const w = workspace();
    expect(ask(w, 'ApiManagementGatewayLogs | summarize Rows = count()', `${new Date(T0 + 1000).toISOString()}/${new Date(T0 + 12_000).toISOString()}`).table!.rows).toEqual([[2]]);
    expect(ask(w, 'ApiManagementGatewayLogs | summarize Rows = count()', 'PT1H').status).toBe(400);
  });

  it('cuts a result at its row limit with an error inside the 200, as a PartialFailure', () => {
    const result = ask(workspace(T0 + 3_600_000, { maxRows: 3 }), 'ApiManagementGatewayLogs | project CorrelationId');
    expect(result.status).toBe(200);
    expect(result.table!.rows).toHaveLength(3);
    expect(result.error?.code).toBe('PartialError');
    expect(JSON.stringify(result.error)).toContain('exceeded the internal record count limit 3 (E_QUERY_RESULT_SET_TOO_LARGE');
  });
});

describe('refusing what it does not evaluate, and what Log Analytics refuses', () => {
  it.each([
    ['ApiManagementGatewayLogs | take 2', 'the take operator'],
    ['ApiManagementGatewayLogs | extend X = 1', 'the extend operator'],
    ['ApiManagementGatewayLogs | order by TimeGenerated', 'the sort operator'],
    ['ApiManagementGatewayLogs | join kind=inner (ApiManagementGatewayLlmLog) on CorrelationId', 'the join operator'],
    ['ApiManagementGatewayLogs | summarize count()', 'an unnamed aggregate'],
    ['ApiManagementGatewayLogs | summarize Rows = dcount(CorrelationId)', 'the aggregate dcount()'],
    ['ApiManagementGatewayLogs | where Url has "openai" | project CorrelationId', 'a HasExpression'],
    ['ApiManagementGatewayLogs | where CorrelationId startswith "a" | project CorrelationId', 'a StartsWithExpression'],
    ['ApiManagementGatewayLogs | project T = ago(1h)', 'the function ago()'],
  ])('refuses %s', (query, construct) => {
    const w = workspace();
    const result = ask(w, query);
    expect(result.status).toBe(400);
    expect(result.error!.message).toContain(`does not evaluate ${construct}`);
    expect(w.refused.map((r) => r.query)).toEqual([query]);
  });

  it('answers a semantic error (400) for a column or table the workspace does not have, as Log Analytics does', () => {
    const w = workspace();
    const column = ask(w, 'ApiManagementGatewayLogs | where BackendPool == "x" | project CorrelationId');
    expect(column.status).toBe(400);
    expect(column.error).toMatchObject({ code: 'BadArgumentError', innererror: { code: 'SemanticError', innererror: { code: 'KS142' } } });
    expect(column.error!.innererror!.innererror!.message).toContain("The name 'BackendPool' does not refer to any known column");
    const table = ask(w, 'AzureDiagnostics | summarize Rows = count()');
    expect(table.error!.innererror!.innererror!.message).toContain("The name 'AzureDiagnostics' does not refer to any known table");
    expect(ask(w, 'ApiManagementGatewayLogs | where').error!.innererror!.code).toBe('SyntaxError');
    expect(w.refused).toEqual([]);
  });

  it('wants a bearer token, and answers 403 once access is denied', () => {
    const w = workspace();
    expect(w.answer({ query: 'ApiManagementGatewayLogs | summarize Rows = count()' }, null).status).toBe(401);
    w.denyAccess();
    expect(w.answer({ query: 'ApiManagementGatewayLogs | summarize Rows = count()' }, bearer).status).toBe(403);
  });
});
