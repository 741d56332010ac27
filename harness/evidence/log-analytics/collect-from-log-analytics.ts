import { mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { LogsQueryClientOptions } from '@azure/monitor-query-logs';
import type { EvidenceSource } from '../../contracts/evidence.ts';
import { gatewayLogColumns, gatewayLogRowSchema, gatewayLogTable, llmLogColumns, llmLogRowSchema, llmLogTable, type GatewayLogRow, type LlmLogRow } from '../../contracts/gateway-log-rows.ts';
import { toContractRow } from './contract-rows.ts';
import { LagSamples, type LagSummary } from './ingestion-lag.ts';
import { LogAnalyticsError, QueryGaveUpError, QueryRefusedError } from './query-failure.ts';
import { gatewayBinsQuery, gatewaySliceQuery, ingestedAtColumn, llmBinsQuery, llmSliceQuery, runMarkerHeader, type RunFilter } from './run-queries.ts';
import { binSecondsFor, defaultRowBudget, halve, planSlices, type CountBin, type TimeSlice } from './time-slices.ts';
import { workspaceIdProblem } from './workspace-id.ts';
import { WorkspaceReader, type Clock } from './workspace-reader.ts';
import { azureDiagnosticsGatewayRows, countRows, legacyModeAdvice, missingGatewayTable } from './workspace-tables.ts';

/**
 * The gateway's own evidence from the Log Analytics workspace a real API Management writes to:
 * the run's ApiManagementGatewayLogs rows and their ApiManagementGatewayLlmLog rows, written to
 * the run folder's gateway-logs/*.jsonl (each row checked against its contract), so that
 * collectEvidence reads them as it reads the emulator's. docs/log-analytics.md is the guide.
 *
 * 1. Poll (every 15 s) until the run's gateway rows have arrived (`expectedRequests`) and every
 *    request the gateway answered 2xx has its LLM rows, or `timeoutMs` passes (10 min: resource
 *    logs usually take 20 s to 3 min, a new workspace much longer).
 * 2. Fetch the rows in time slices that stay inside the query API's limits (time-slices.ts).
 * 3. Say what each kind amounts to: `collected`, or `incomplete` with a note naming what is
 *    missing (the verifiers that need it are then inconclusive, never passed), and what the
 *    wait measured (ingestion lag, polls, throttling) for the journal.
 *
 * Bad input (a workspace id that is not a GUID, no run marker nor subscription) is refused
 * before any query; no credential, no access, no such workspace, or a workspace without the
 * tables are LogAnalyticsErrors naming the workspace and what to check.
 */
export interface LogAnalyticsSourceOptions {
  /** The workspace's Workspace ID (a GUID), not its name or resource id. */
  workspaceId: string;
  /** Default: DefaultAzureCredential. The identity needs Log Analytics Reader on the workspace. */
  credential?: TokenCredential;
  /** The run's window, epoch ms (k6's start and end); widened by `marginMs` on each side. */
  window: { start: number; end: number };
  /** The value of the run's `x-spillway-run` header, which APIM logs in RequestHeaders. */
  runMarker?: string;
  /** The run's APIM subscriptions (ApimSubscriptionId): with a marker, both must match. */
  subscriptions?: readonly string[];
  /** Gateway rows to wait for: the requests the run sent that reached the gateway. */
  expectedRequests: number;
  /** The run folder's gateway-logs directory (evidencePaths(runDir).logsDir). */
  logsDir: string;
  /** How long to wait for the rows to arrive. Default 10 minutes. */
  timeoutMs?: number;
  /** How often to look. Default 15 s. */
  pollIntervalMs?: number;
  /** Widening of the window on each side, for clocks that differ (this machine's, Azure's). Default 60 s. */
  marginMs?: number;
  /** Rows per fetch query at most (by the poll's counts). Default 50,000. */
  rowBudget?: number;
  /** For tests: LogsQueryClient options, e.g. an httpClient answering in memory. */
  clientOptions?: LogsQueryClientOptions;
  /** For tests: the query API's limits, when a mock workspace has smaller ones. */
  queryLimits?: QueryLimits;
  /** For tests: a clock that moves by hand. */
  clock?: Clock;
  signal?: AbortSignal;
  /** Progress lines for the terminal. */
  say?: (line: string) => void;
}

/** What the wait for the workspace measured, for the journal. */
export interface LogAnalyticsIngestion {
  workspaceId: string;
  /** The query window (the run's window widened by the margin), ISO 8601. */
  window: { start: string; end: string };
  runMarker: string | null;
  subscriptions: string[];
  expectedRequests: number;
  gatewayRows: number;
  llmRows: number;
  /** Requests the gateway answered 2xx, and how many of them have LLM rows. */
  answeredRequests: number;
  llmRequests: number;
  polls: number;
  waitedMs: number;
  timedOut: boolean;
  /** ingestion_time() - TimeGenerated over the rows fetched. */
  lag: { gatewayLogs: LagSummary | null; llmLogs: LagSummary | null };
  slices: { gatewayLogs: number; llmLogs: number };
  queries: number;
  throttled: number;
  retried: number;
  partialFailures: number;
}

export interface LogAnalyticsCollection {
  /** gatewayLogs and llmLogs, for RunningTarget.finishEvidence. */
  sources: EvidenceSource[];
  ingestion: LogAnalyticsIngestion;
}

const markerPattern = /^[A-Za-z0-9._:-]{1,200}$/;
const fetchGraceMs = 120_000;
const maxHalvings = 8;
const partialRetries = 2;
const partialPauseMs = 2000;

/** A query's result limits (learn.microsoft.com/kusto/concepts/query-limits, "result truncation"). */
export interface QueryLimits {
  rows: number;
  bytes: number;
}
export const queryApiLimits: QueryLimits = { rows: 500_000, bytes: 64 * 1024 * 1024 };

interface Settings {
  filter: RunFilter;
  timeoutMs: number;
  pollIntervalMs: number;
  rowBudget: number;
  limits: QueryLimits;
}

/** Every option checked before any query, each problem naming the option. */
function checkOptions(options: LogAnalyticsSourceOptions): Settings {
  const problems: string[] = [];
  const idProblem = workspaceIdProblem(options.workspaceId);
  if (idProblem) problems.push(idProblem);
  const { start, end } = options.window;
  if (!Number.isFinite(start) || !Number.isFinite(end) || start > end) problems.push(`window: start and end must be epoch milliseconds with start <= end (got ${start}, ${end})`);
  if (!Number.isInteger(options.expectedRequests) || options.expectedRequests < 0) problems.push(`expectedRequests must be a whole number >= 0 (got ${options.expectedRequests})`);
  const marker = options.runMarker ?? null;
  if (marker !== null && !markerPattern.test(marker)) problems.push(`runMarker "${marker.slice(0, 80)}" must be 1 to 200 letters, digits, ".", "_", ":" or "-" (it travels in the ${runMarkerHeader} header and into a KQL string)`);
  const subscriptions = [...(options.subscriptions ?? [])];
  subscriptions.forEach((s, i) => {
    if (s === '' || /["\\\u0000-\u001f]/.test(s)) problems.push(`subscriptions[${i}] ${JSON.stringify(s.slice(0, 80))} must be a non-empty APIM subscription id without quotes, backslashes or control characters`);
  });
  if (marker === null && subscriptions.length === 0) problems.push(`give runMarker (the ${runMarkerHeader} header the run sends) or subscriptions, or both: the time window alone would take other traffic's rows for the run's`);
  const positive = (name: string, value: number | undefined, fallback: number, max = Infinity): number => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v <= 0 || v > max) problems.push(`${name} must be a number > 0${Number.isFinite(max) ? ` and <= ${max}` : ''} (got ${v})`);
    return v;
  };
  const timeoutMs = positive('timeoutMs', options.timeoutMs, 600_000);
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs, 15_000);
  const marginMs = options.marginMs ?? 60_000;
  if (!Number.isFinite(marginMs) || marginMs < 0) problems.push(`marginMs must be a number >= 0 (got ${marginMs})`);
  const limits = options.queryLimits ?? queryApiLimits;
  const rowBudget = positive('rowBudget', options.rowBudget, defaultRowBudget, queryApiLimits.rows);
  if (problems.length > 0) throw new LogAnalyticsError(`Log Analytics source: ${problems.join('; ')}`);
  return { filter: { window: { start: start - marginMs, end: end + marginMs }, runMarker: marker, subscriptions }, timeoutMs, pollIntervalMs, rowBudget: Math.floor(rowBudget), limits };
}

interface PollState {
  gatewayBins: CountBin[];
  llmBins: CountBin[];
  gatewayRows: number;
  answered: number;
  llmRequests: number;
  llmTable: boolean;
  /** The last poll's counts may be short: an error came with them, or a query gave up. */
  uncertain: string | null;
}

export async function collectFromLogAnalytics(options: LogAnalyticsSourceOptions): Promise<LogAnalyticsCollection> {
  const settings = checkOptions(options);
  const say = options.say ?? (() => {});
  const reader = new WorkspaceReader({ workspaceId: options.workspaceId, ...(options.credential ? { credential: options.credential } : {}), ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}), ...(options.clock ? { clock: options.clock } : {}), ...(options.signal ? { signal: options.signal } : {}), say });
  const { clock } = reader;
  const { filter } = settings;
  const window = filter.window;
  const ws = options.workspaceId;
  const started = clock.now();
  const deadline = started + settings.timeoutMs;
  const binSeconds = binSecondsFor(window);

  // 1. Poll until the rows are there, or the time is up.
  const state: PollState = { gatewayBins: [], llmBins: [], gatewayRows: 0, answered: 0, llmRequests: 0, llmTable: true, uncertain: null };
  let polls = 0;
  let timedOut = false;
  for (;;) {
    polls++;
    await pollOnce(reader, filter, binSeconds, deadline, state);
    const complete = state.uncertain === null && state.gatewayRows >= options.expectedRequests && (!state.llmTable || state.llmRequests >= state.answered);
    const waited = clock.now() - started;
    say(`log analytics: ${state.gatewayRows} of ${options.expectedRequests} gateway rows${state.llmTable ? `, LLM rows for ${state.llmRequests} of ${state.answered} answered requests` : ''} in workspace ${ws} after ${duration(waited)}${complete ? '' : state.uncertain ? ` (${state.uncertain})` : ''}`);
    if (complete) break;
    if (clock.now() + settings.pollIntervalMs > deadline) {
      timedOut = true;
      break;
    }
    await clock.sleep(settings.pollIntervalMs, options.signal);
  }
  const waitedMs = clock.now() - started;

  // 2. Fetch the rows, slice by slice, into the run folder.
  const fetchDeadline = Math.max(deadline, clock.now()) + fetchGraceMs;
  mkdirSync(options.logsDir, { recursive: true });
  const gatewayFile = join(options.logsDir, `${gatewayLogTable}.jsonl`);
  const llmFile = join(options.logsDir, `${llmLogTable}.jsonl`);
  let gateway: FetchedTable;
  let llm: FetchedTable;
  try {
    gateway = await fetchTable({
      reader,
      file: gatewayFile,
      table: gatewayLogTable,
      slices: planSlices(window, state.gatewayBins, binSeconds * 1000, settings.rowBudget),
      query: (slice) => gatewaySliceQuery(filter, slice),
      toRow: (row, where) => toContractRow(row, gatewayLogColumns, gatewayLogRowSchema, where),
      order: (a: GatewayLogRow, b: GatewayLogRow) => compareText(a.TimeGenerated, b.TimeGenerated) || compareText(a.CorrelationId, b.CorrelationId),
      window,
      deadline: fetchDeadline,
      limits: settings.limits,
      signal: options.signal,
    });
    llm = state.llmTable
      ? await fetchTable({
          reader,
          file: llmFile,
          table: llmLogTable,
          slices: planSlices(window, state.llmBins, binSeconds * 1000, settings.rowBudget),
          query: (slice) => llmSliceQuery(filter, slice),
          toRow: (row, where) => toContractRow(row, llmLogColumns, llmLogRowSchema, where),
          order: (a: LlmLogRow, b: LlmLogRow) => compareText(a.TimeGenerated, b.TimeGenerated) || compareText(a.CorrelationId, b.CorrelationId) || (a.SequenceNumber ?? 0) - (b.SequenceNumber ?? 0),
          window,
          deadline: fetchDeadline,
          limits: settings.limits,
          signal: options.signal,
        })
      : await emptyTable(llmFile);
  } catch (error) {
    // A fatal error half-way: no half-written evidence is left for a later reader to trust.
    rmSync(gatewayFile, { force: true });
    rmSync(llmFile, { force: true });
    throw error;
  }

  // 3. What each kind amounts to.
  const scope = `rows of ${[filter.runMarker !== null ? `${runMarkerHeader}: ${filter.runMarker}` : null, filter.subscriptions.length > 0 ? `subscriptions ${filter.subscriptions.join(', ')}` : null].filter(Boolean).join(' and ')} between ${iso(window.start)} and ${iso(window.end)}`;
  const waitedText = `after ${duration(waitedMs)}${timedOut ? ' (the timeout)' : ''}`;
  const sources: EvidenceSource[] = [];
  const gatewayProblems: string[] = [];
  if (gateway.rows < options.expectedRequests) {
    gatewayProblems.push(`${gateway.rows} of the ${options.expectedRequests} gateway rows the run expects had reached Log Analytics workspace ${ws} ${waitedText} (${scope}); resource logs usually arrive within 3 minutes, a new workspace's first ones can take much longer`);
    if (gateway.rows === 0) gatewayProblems.push(await whyNoRows(reader, filter, fetchDeadline));
  }
  gatewayProblems.push(...gateway.failed);
  if (state.uncertain && gateway.rows < options.expectedRequests) gatewayProblems.push(state.uncertain);
  sources.push(gatewayProblems.length === 0 ? { kind: 'gatewayLogs', status: 'collected' } : { kind: 'gatewayLogs', status: 'incomplete', note: gatewayProblems.join('; ') });

  const llmProblems: string[] = [];
  if (!state.llmTable) {
    llmProblems.push(`Log Analytics workspace ${ws} has no ${llmLogTable} table: enable the "Logs related to generative AI gateway" category (GatewayLlmLogs) in the API Management diagnostic setting, resource-specific, and LLM logging in the API's Azure Monitor diagnostic (docs/log-analytics.md)`);
  } else if (llm.requests < gateway.answered) {
    llmProblems.push(`${llm.requests} of the ${gateway.answered} requests the gateway answered 2xx had their ${llmLogTable} rows in workspace ${ws} ${waitedText}`);
  }
  llmProblems.push(...llm.failed);
  sources.push(llmProblems.length === 0 ? { kind: 'llmLogs', status: 'collected' } : { kind: 'llmLogs', status: 'incomplete', note: llmProblems.join('; ') });

  return {
    sources,
    ingestion: {
      workspaceId: ws,
      window: { start: iso(window.start), end: iso(window.end) },
      runMarker: filter.runMarker,
      subscriptions: [...filter.subscriptions],
      expectedRequests: options.expectedRequests,
      gatewayRows: gateway.rows,
      llmRows: llm.rows,
      answeredRequests: gateway.answered,
      llmRequests: llm.requests,
      polls,
      waitedMs,
      timedOut,
      lag: { gatewayLogs: gateway.lag.summary(), llmLogs: llm.lag.summary() },
      slices: { gatewayLogs: gateway.slices, llmLogs: llm.slices },
      ...reader.counts,
    },
  };
}

/** One look at the workspace: the run's rows per bin in both tables. */
async function pollOnce(reader: WorkspaceReader, filter: RunFilter, binSeconds: number, deadline: number, state: PollState): Promise<void> {
  state.uncertain = null;
  const window = filter.window;
  let gateway;
  try {
    gateway = await reader.query(gatewayBinsQuery(filter, binSeconds), window, "the count of the run's gateway rows", deadline);
  } catch (error) {
    if (error instanceof QueryRefusedError && error.names(gatewayLogTable)) throw await missingGatewayTable(reader, window, reader.clock.now() + 60_000);
    if (error instanceof QueryGaveUpError) {
      state.uncertain = error.message;
      return;
    }
    throw error;
  }
  state.gatewayBins = gateway.rows.map((r) => ({ start: (r.Bin as Date).getTime(), rows: Number(r.Rows) }));
  state.gatewayRows = state.gatewayBins.reduce((sum, bin) => sum + bin.rows, 0);
  state.answered = gateway.rows.reduce((sum, r) => sum + Number(r.Answered), 0);
  if (gateway.partialError) state.uncertain = `the count came with an error: ${gateway.partialError}`;
  if (!state.llmTable) return;
  try {
    const llm = await reader.query(llmBinsQuery(filter, binSeconds), window, "the count of the run's LLM rows", deadline);
    state.llmBins = llm.rows.map((r) => ({ start: (r.Bin as Date).getTime(), rows: Number(r.Rows) }));
    state.llmRequests = llm.rows.reduce((sum, r) => sum + Number(r.Requests), 0);
    if (llm.partialError) state.uncertain = `the LLM count came with an error: ${llm.partialError}`;
  } catch (error) {
    if (error instanceof QueryRefusedError && error.names(llmLogTable)) {
      state.llmTable = false;
      return;
    }
    if (error instanceof QueryGaveUpError) {
      state.uncertain = error.message;
      return;
    }
    throw error;
  }
}

interface FetchSpec<T> {
  reader: WorkspaceReader;
  file: string;
  table: string;
  slices: TimeSlice[];
  query: (slice: TimeSlice) => string;
  toRow: (row: Record<string, unknown>, where: () => string) => T;
  order: (a: T, b: T) => number;
  window: { start: number; end: number };
  deadline: number;
  limits: QueryLimits;
  signal: AbortSignal | undefined;
}

interface FetchedTable {
  rows: number;
  /** Gateway rows answered 2xx (gateway table), or requests with rows (LLM table). */
  answered: number;
  requests: number;
  slices: number;
  failed: string[];
  lag: LagSamples;
}

/**
 * Fetches a table's rows slice by slice into its file, in time order. A slice answered with an
 * error beside its rows (a PartialFailure) is fetched again: halved when the answer looks cut at
 * the query API's limits (up to 8 times), else whole, twice more after a pause. One that still
 * fails, or whose throttling outlasted the time there was, is named in `failed`, and the table
 * is incomplete; the rows it did bring are kept.
 */
async function fetchTable<T extends GatewayLogRow | LlmLogRow>(spec: FetchSpec<T>): Promise<FetchedTable> {
  const fetched: FetchedTable = { rows: 0, answered: 0, requests: 0, slices: 0, failed: [], lag: new LagSamples() };
  const handle = await open(spec.file, 'w');
  try {
    const queue = spec.slices.map((slice) => ({ slice, halvings: 0, attempts: 0 }));
    while (queue.length > 0) {
      const item = queue.shift()!;
      const { slice, halvings } = item;
      const what = `${spec.table} rows from ${iso(slice.start)} to ${iso(slice.end)}`;
      let result;
      try {
        result = await spec.reader.query(spec.query(slice), spec.window, what, spec.deadline);
      } catch (error) {
        if (error instanceof QueryGaveUpError) {
          fetched.failed.push(error.message);
          continue;
        }
        throw error;
      }
      if (result.partialError) {
        const halves = halvings < maxHalvings && cutAtLimits(result.rows, spec.limits) ? halve(slice) : null;
        if (halves) {
          queue.unshift(...halves.map((half) => ({ slice: half, halvings: halvings + 1, attempts: 0 })));
          continue;
        }
        if (item.attempts < partialRetries && spec.reader.clock.now() + partialPauseMs * 2 ** item.attempts <= spec.deadline) {
          await spec.reader.clock.sleep(partialPauseMs * 2 ** item.attempts, spec.signal);
          queue.unshift({ ...item, attempts: item.attempts + 1 });
          continue;
        }
        fetched.failed.push(`${what} came back with an error ${item.attempts + 1} time(s)${halvings > 0 ? ` after ${halvings} halving(s)` : ''}, and may miss rows: ${result.partialError}`);
      }
      fetched.slices++;
      const rows = result.rows.map((row, i) => {
        const contractRow = spec.toRow(row, () => `Log Analytics workspace ${spec.reader.workspaceId}, ${what}, row ${i + 1} (CorrelationId ${String(row.CorrelationId)})`);
        fetched.lag.add(contractRow.TimeGenerated ?? '', row[ingestedAtColumn]);
        return contractRow;
      });
      rows.sort(spec.order);
      const requests = new Set<string | null>();
      for (const row of rows) {
        requests.add(row.CorrelationId);
        if ('ResponseCode' in row && row.ResponseCode !== null && row.ResponseCode >= 200 && row.ResponseCode < 300) fetched.answered++;
      }
      fetched.rows += rows.length;
      // A request's LLM rows share its TimeGenerated, so they fall in one slice: counting
      // distinct ids per slice counts each request once.
      fetched.requests += requests.size;
      if (rows.length > 0) await handle.write(rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    }
  } finally {
    await handle.close();
  }
  return fetched;
}

/**
 * Whether a partial answer looks cut at the query API's limits (all the rows it may return, or
 * nearly all the bytes), so that a narrower slice would get the rest. The SDK keeps only the
 * outer codes of the error ("PartialError", "EngineError"), not the limit it names.
 */
function cutAtLimits(rows: readonly Record<string, unknown>[], limits: QueryLimits): boolean {
  if (rows.length >= limits.rows) return true;
  let bytes = 0;
  for (const row of rows) {
    bytes += JSON.stringify(row).length;
    if (bytes >= limits.bytes * 0.9) return true;
  }
  return false;
}

async function emptyTable(file: string): Promise<FetchedTable> {
  await (await open(file, 'w')).close();
  return { rows: 0, answered: 0, requests: 0, slices: 0, failed: [], lag: new LagSamples() };
}

/** Why a run found none of its rows: the header not logged, logs in AzureDiagnostics, or no logs at all. */
async function whyNoRows(reader: WorkspaceReader, filter: RunFilter, deadline: number): Promise<string> {
  const window = filter.window;
  let any: number | null = null;
  try {
    any = await countRows(reader, gatewayLogTable, window, deadline);
  } catch (error) {
    if (!(error instanceof QueryGaveUpError)) throw error;
  }
  if (any !== null && any > 0) {
    return `the workspace has ${any} ${gatewayLogTable} row(s) in that window, none of them the run's: ${
      filter.runMarker !== null
        ? `check that the API Management azuremonitor diagnostic logs the ${runMarkerHeader} request header (frontend request headers to log) with sampling at 100%`
        : 'check the subscriptions given'
    } (docs/log-analytics.md)`;
  }
  return legacyModeAdvice(reader.workspaceId, await azureDiagnosticsGatewayRows(reader, window, deadline));
}

function compareText(a: string | null, b: string | null): number {
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
}
