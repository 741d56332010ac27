import { gatewayLogColumns, gatewayLogTable, llmLogColumns, llmLogTable } from '../../contracts/gateway-log-rows.ts';

/**
 * The KQL Spillway sends to a Log Analytics workspace, built from a run's filter: every query
 * the source (collect-from-log-analytics.ts) and the probe send is written here, so that what
 * reaches the workspace, and what the mock workspace must evaluate
 * (mocks/log-analytics/kql-evaluator.ts), is in one place.
 *
 * A run's gateway rows are those in its time window (TimeGenerated, half-open) that carry its
 * run marker in RequestHeaders (the `x-spillway-run` header, logged when the azuremonitor
 * diagnostic lists it among the frontend request headers) and/or belong to its subscriptions
 * (ApimSubscriptionId). Its LLM rows are those whose CorrelationId is one of its gateway rows'
 * (the LLM table has no headers and no subscription).
 */
export const runMarkerHeader = 'x-spillway-run';

export interface RunFilter {
  /** Epoch ms, [start, end). */
  window: { start: number; end: number };
  runMarker: string | null;
  subscriptions: readonly string[];
}

/** A Kusto string literal. Values are checked to hold no quote, backslash or control character first. */
export function kqlString(value: string): string {
  if (/["\\\u0000-\u001f]/.test(value)) throw new RangeError(`kqlString: ${JSON.stringify(value)} holds a quote, a backslash or a control character`);
  return `"${value}"`;
}

export function kqlDatetime(ms: number): string {
  return `datetime(${new Date(ms).toISOString()})`;
}

function timeRange(from: number, to: number): string {
  return `| where TimeGenerated >= ${kqlDatetime(from)} and TimeGenerated < ${kqlDatetime(to)}`;
}

/** The run's gateway rows between `from` and `to` (the run's window unless a slice of it). */
function runGatewayRows(filter: RunFilter, from = filter.window.start, to = filter.window.end): string[] {
  return [
    gatewayLogTable,
    timeRange(from, to),
    ...(filter.runMarker !== null ? [`| where tostring(RequestHeaders[${kqlString(runMarkerHeader)}]) == ${kqlString(filter.runMarker)}`] : []),
    ...(filter.subscriptions.length > 0 ? [`| where ApimSubscriptionId in (${filter.subscriptions.map(kqlString).join(', ')})`] : []),
  ];
}

/** `let runRequests = <the run's gateway rows' correlation ids>;`, for the LLM queries' join. */
function runRequestsLet(filter: RunFilter): string {
  return `let runRequests = ${runGatewayRows(filter).join(' ')} | project CorrelationId;`;
}

/**
 * How many of the run's gateway rows have arrived, per time bin (for slicing the fetch), and
 * how many of them the gateway answered 2xx (each of those has LLM rows to wait for).
 */
export function gatewayBinsQuery(filter: RunFilter, binSeconds: number): string {
  return [...runGatewayRows(filter), `| summarize Rows = count(), Answered = countif(ResponseCode >= 200 and ResponseCode < 300) by Bin = bin(TimeGenerated, ${binSeconds}s)`].join('\n');
}

/**
 * How many LLM rows of the run's requests have arrived per time bin, and for how many requests
 * (a streamed or chunked answer has several rows). Counted exactly, in two steps, rather than
 * with dcount(), which estimates.
 */
export function llmBinsQuery(filter: RunFilter, binSeconds: number): string {
  return [
    runRequestsLet(filter),
    llmLogTable,
    timeRange(filter.window.start, filter.window.end),
    '| where CorrelationId in (runRequests)',
    `| summarize Rows = count() by CorrelationId, Bin = bin(TimeGenerated, ${binSeconds}s)`,
    '| summarize Rows = sum(Rows), Requests = count() by Bin',
  ].join('\n');
}

/** The column the fetch queries add: when each row reached the workspace. */
export const ingestedAtColumn = 'IngestedAt';

/** The run's gateway rows in one time slice, with the contract's columns and the ingestion time. */
export function gatewaySliceQuery(filter: RunFilter, slice: { start: number; end: number }): string {
  return [...runGatewayRows(filter, slice.start, slice.end), `| project ${Object.keys(gatewayLogColumns).join(', ')}, ${ingestedAtColumn} = ingestion_time()`].join('\n');
}

/** The LLM rows of the run's requests in one time slice (by the LLM row's own TimeGenerated). */
export function llmSliceQuery(filter: RunFilter, slice: { start: number; end: number }): string {
  return [
    runRequestsLet(filter),
    llmLogTable,
    timeRange(slice.start, slice.end),
    '| where CorrelationId in (runRequests)',
    `| project ${Object.keys(llmLogColumns).join(', ')}, ${ingestedAtColumn} = ingestion_time()`,
  ].join('\n');
}

/** Every row of a table in a window, whoever sent it: tells "no rows at all" from "none of the run's". */
export function tableCountQuery(table: string, window: { start: number; end: number }): string {
  return [table, timeRange(window.start, window.end), '| summarize Rows = count()'].join('\n');
}

/** API Management's gateway logs that went to the legacy AzureDiagnostics table in a window. */
export function azureDiagnosticsGatewayQuery(window: { start: number; end: number }): string {
  return ['AzureDiagnostics', timeRange(window.start, window.end), '| where ResourceProvider =~ "MICROSOFT.APIMANAGEMENT" and Category == "GatewayLogs"', '| summarize Rows = count()'].join('\n');
}
