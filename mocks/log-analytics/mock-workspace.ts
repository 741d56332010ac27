import { randomUUID } from 'node:crypto';
import { analyzeQuery } from './kusto-language.ts';
import { evaluateQuery, KqlNotEvaluated, kustoDatetime, type EvaluatedRow, type EvaluatedTable, type KustoValue } from './kql-evaluator.ts';
import { knownTables, type KustoColumnType, type TableSchema } from './workspace-tables.ts';

/**
 * A Log Analytics workspace in memory, answering the query API
 * (`POST /v1/workspaces/{id}/query`, query-api-handlers.ts) the way the real one does, for the
 * queries it can evaluate:
 *
 * - rows become visible at their ingestion time (ingestion_time()), on the workspace's clock, so
 *   a poller sees them arrive as it would in Azure;
 * - the request's `timespan` bounds TimeGenerated, as Log Analytics applies it to every table;
 * - the query is parsed and analyzed by Microsoft's KQL analyzer against the tables the
 *   workspace holds (a table it does not hold is a semantic error, 400), and evaluated by
 *   kql-evaluator.ts; a query it cannot evaluate is refused (400), and kept in `refused` so a test
 *   can say none was;
 * - results over the query API's limits (500,000 rows, 64 MB) come back truncated with an error
 *   inside the 200, a PartialFailure;
 * - faults a test asks for: throttling (429 with Retry-After), no access (403), a server error,
 *   and partial errors.
 *
 * Error bodies have Log Analytics' shape: `{ error: { code, message, innererror?, details? } }`.
 */
export interface QueryApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface MockWorkspaceOptions {
  id?: string;
  /** The workspace's clock (epoch ms): what has been ingested by now is visible. */
  now?: () => number;
  /** The tables it holds (they exist, with no rows, until rows are ingested). Default: both APIM tables. */
  tables?: readonly string[];
  /** The query API's result limits. */
  maxRows?: number;
  maxBytes?: number;
}

/** A query the workspace received: its text, the timespan, and what it answered. */
export interface ReceivedQuery {
  query: string;
  timespan: string | undefined;
  status: number;
  rows: number;
}

interface StoredRow extends EvaluatedRow {
  readonly timeGenerated: number | null;
}

type Fault = { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'server-error' } | { kind: 'partial'; message: string };

export const queryApiRowLimit = 500_000;
export const queryApiByteLimit = 64 * 1024 * 1024;

export class MockLogAnalyticsWorkspace {
  readonly id: string;
  readonly received: ReceivedQuery[] = [];
  /** Queries refused because the mock does not evaluate them (a test expects none). */
  readonly refused: { query: string; reason: string }[] = [];
  readonly #now: () => number;
  readonly #tables = new Map<string, StoredRow[]>();
  readonly #maxRows: number;
  readonly #maxBytes: number;
  readonly #faults: Fault[] = [];
  #denied = false;

  constructor(options: MockWorkspaceOptions = {}) {
    this.id = options.id ?? randomUUID();
    this.#now = options.now ?? Date.now;
    this.#maxRows = options.maxRows ?? queryApiRowLimit;
    this.#maxBytes = options.maxBytes ?? queryApiByteLimit;
    for (const table of options.tables ?? ['ApiManagementGatewayLogs', 'ApiManagementGatewayLlmLog']) this.addTable(table);
  }

  /** Creates an (empty) table, as the first row of a diagnostic category does in Azure. */
  addTable(table: string): void {
    if (!knownTables[table]) throw new RangeError(`the mock workspace knows no table "${table}" (known: ${Object.keys(knownTables).join(', ')})`);
    if (!this.#tables.has(table)) this.#tables.set(table, []);
  }

  /**
   * Stores rows in a table (created if need be), each visible from its ingestion time on. A row
   * is given in the table's own columns (JSON values: ISO datetimes, nulls); columns it lacks are
   * empty, as in Log Analytics, and a string column's null is stored as an empty string (Kusto
   * strings are never null). A column the table does not have is refused.
   */
  ingest(table: string, rows: readonly Record<string, unknown>[], ingestedAt: (row: Record<string, unknown>, index: number) => number): void {
    this.addTable(table);
    const schema = knownTables[table]!;
    const stored = this.#tables.get(table)!;
    rows.forEach((row, index) => {
      for (const column of Object.keys(row)) if (!(column in schema)) throw new RangeError(`${table} has no column "${column}" (row ${index})`);
      const values: Record<string, KustoValue> = {};
      for (const [column, type] of Object.entries(schema)) values[column] = toKusto(row[column], type, `${table} row ${index} ${column}`);
      const timeGenerated = values.TimeGenerated as number | null;
      stored.push({ values, ingestedAt: ingestedAt(row, index), timeGenerated });
    });
  }

  /** The next `count` queries are answered 429, with Retry-After in seconds. */
  throttleNext(count: number, retryAfterSeconds = 0): void {
    for (let i = 0; i < count; i++) this.#faults.push({ kind: 'throttle', retryAfterSeconds });
  }

  /** The next `count` queries fail with a 500. */
  failNext(count: number): void {
    for (let i = 0; i < count; i++) this.#faults.push({ kind: 'server-error' });
  }

  /** The next `count` queries answer 200 with their rows and an error beside them (a PartialFailure). */
  partialErrorNext(count: number, message = 'Some data sources of the workspace did not answer in time.'): void {
    for (let i = 0; i < count; i++) this.#faults.push({ kind: 'partial', message });
  }

  /** From now on, the identity has no read access: every query is answered 403. */
  denyAccess(): void {
    this.#denied = true;
  }

  /** Answers one query API request: the parsed JSON body and the Authorization header. */
  answer(body: unknown, authorization: string | null): QueryApiAnswer {
    const answer = this.#answer(body, authorization);
    const request = body as { query?: unknown; timespan?: unknown } | null;
    const tables = (answer.body as { tables?: { rows: unknown[] }[] } | null)?.tables;
    this.received.push({ query: String(request?.query ?? ''), timespan: typeof request?.timespan === 'string' ? request.timespan : undefined, status: answer.status, rows: tables?.[0]?.rows.length ?? 0 });
    return answer;
  }

  #answer(body: unknown, authorization: string | null): QueryApiAnswer {
    if (!authorization || !/^Bearer \S+$/.test(authorization)) return errorAnswer(401, 'AuthorizationRequiredError', 'Valid authentication was not provided');
    if (this.#denied) return errorAnswer(403, 'InsufficientAccessError', 'The provided credentials have insufficient access to perform the requested operation');
    const fault = this.#faults.shift();
    if (fault?.kind === 'throttle') return { ...errorAnswer(429, 'ThrottledError', 'Too many requests: the workspace is throttling queries'), headers: { 'content-type': 'application/json', 'retry-after': String(fault.retryAfterSeconds) } };
    if (fault?.kind === 'server-error') return errorAnswer(500, 'InternalServerError', 'The server could not process the request');

    const request = body as { query?: unknown; timespan?: unknown } | null;
    if (!request || typeof request.query !== 'string') return errorAnswer(400, 'BadArgumentError', 'The request had some invalid properties: "query" is required');
    let window: { start: number; end: number } | null = null;
    if (request.timespan !== undefined) {
      window = parseTimespan(request.timespan);
      if (!window) return errorAnswer(400, 'BadArgumentError', `The request had some invalid properties: the mock reads a timespan "start/end" of two ISO datetimes, not ${JSON.stringify(request.timespan)}`);
    }

    const schemas: Record<string, TableSchema> = {};
    for (const table of this.#tables.keys()) schemas[table] = knownTables[table]!;
    const analyzed = analyzeQuery(request.query, schemas);
    if (analyzed.problems.length > 0) {
      const problem = analyzed.problems[0]!;
      const semantic = problem.code.startsWith('KS1') || problem.code.startsWith('KS2');
      return errorAnswer(400, 'BadArgumentError', 'The request had some invalid properties', {
        code: semantic ? 'SemanticError' : 'SyntaxError',
        message: semantic ? 'A semantic error occurred.' : 'A syntax error occurred.',
        innererror: { code: problem.code, message: `${problem.message} (at offset ${problem.start})` },
      });
    }

    const now = this.#now();
    let result: EvaluatedTable;
    try {
      result = evaluateQuery(analyzed.syntax, request.query, (table) => this.#visible(table, now, window));
    } catch (error) {
      if (!(error instanceof KqlNotEvaluated)) throw error;
      this.refused.push({ query: request.query, reason: error.message });
      return errorAnswer(400, 'BadArgumentError', error.message, { code: 'MockNotEvaluated', message: error.message });
    }
    const names = analyzed.columns.map((c) => c.name);
    if (JSON.stringify(names) !== JSON.stringify(result.columns)) {
      throw new Error(`mock Log Analytics: the evaluator's columns (${result.columns.join(', ')}) differ from the analyzer's (${names.join(', ')}) for: ${request.query}`);
    }

    const columns = analyzed.columns.map((c) => ({ name: c.name, type: c.type }));
    const rows: unknown[][] = [];
    let bytes = 0;
    let limit: string | null = null;
    for (const row of result.rows) {
      if (rows.length >= this.#maxRows) {
        limit = `Query result set has exceeded the internal record count limit ${this.#maxRows} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)`;
        break;
      }
      const serialized = columns.map((c) => fromKusto(row.values[c.name] ?? null, c.type));
      bytes += JSON.stringify(serialized).length + 1;
      if (bytes > this.#maxBytes) {
        limit = `Query result set has exceeded the internal data size limit ${this.#maxBytes} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)`;
        break;
      }
      rows.push(serialized);
    }
    const tables = [{ name: 'PrimaryResult', columns, rows }];
    const partial = limit ?? (fault?.kind === 'partial' ? fault.message : null);
    if (partial) {
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: {
          tables,
          error: {
            code: 'PartialError',
            message: 'There were some errors when processing your query.',
            details: [{ code: 'EngineError', message: 'Something went wrong processing your query on the server.', innererror: { code: '-2133196797', message: partial, severity: 2, severityName: 'Error' } }],
          },
        },
      };
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: { tables } };
  }

  #visible(table: string, now: number, window: { start: number; end: number } | null): EvaluatedTable | undefined {
    const rows = this.#tables.get(table);
    if (!rows) return undefined;
    return {
      columns: Object.keys(knownTables[table]!),
      rows: rows.filter((row) => row.ingestedAt !== null && row.ingestedAt <= now && (!window || (row.timeGenerated !== null && row.timeGenerated >= window.start && row.timeGenerated <= window.end))),
    };
  }
}

function errorAnswer(status: number, code: string, message: string, innererror?: unknown): QueryApiAnswer {
  return { status, headers: { 'content-type': 'application/json' }, body: { error: { message, code, correlationId: randomUUID(), ...(innererror ? { innererror } : {}) } } };
}

function parseTimespan(value: unknown): { start: number; end: number } | null {
  if (typeof value !== 'string') return null;
  const [from, to, extra] = value.split('/');
  if (from === undefined || to === undefined || extra !== undefined) return null;
  const start = Date.parse(from);
  const end = Date.parse(to);
  return Number.isFinite(start) && Number.isFinite(end) && start <= end ? { start, end } : null;
}

/** A row's JSON value as the workspace stores it. */
function toKusto(value: unknown, type: KustoColumnType, where: string): KustoValue {
  if (value === undefined || value === null) return type === 'string' ? '' : null;
  switch (type) {
    case 'datetime': {
      const ms = typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) throw new RangeError(`${where}: not an ISO datetime: ${JSON.stringify(value)}`);
      return ms;
    }
    case 'string':
    case 'guid':
      if (typeof value !== 'string') throw new RangeError(`${where}: not a string: ${JSON.stringify(value)}`);
      return value;
    case 'int':
    case 'long':
    case 'real':
    case 'timespan':
      if (typeof value !== 'number') throw new RangeError(`${where}: not a number: ${JSON.stringify(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new RangeError(`${where}: not a bool: ${JSON.stringify(value)}`);
      return value;
    case 'dynamic':
      return value as KustoValue;
  }
}

/** A value as the query API's JSON carries it: datetimes with seven decimals, dynamic as JSON text. */
function fromKusto(value: KustoValue, type: KustoColumnType): unknown {
  switch (type) {
    case 'string':
    case 'guid':
      return value ?? '';
    case 'datetime':
      return value === null ? null : kustoDatetime(value as number);
    case 'timespan':
      return value === null ? null : kustoTimespan(value as number);
    case 'dynamic':
      return value === null ? null : JSON.stringify(value);
    default:
      return value;
  }
}

function kustoTimespan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / 86_400_000);
  rest -= days * 86_400_000;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hours = Math.floor(rest / 3_600_000);
  const minutes = Math.floor((rest % 3_600_000) / 60_000);
  const seconds = Math.floor((rest % 60_000) / 1000);
  const fraction = Math.round(rest % 1000);
  return `${sign}${days > 0 ? `${days}.` : ''}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${fraction > 0 ? `.${String(fraction).padStart(3, '0')}0000` : ''}`;
}
