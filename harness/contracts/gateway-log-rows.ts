import { z } from 'zod';

/**
 * The two Log Analytics tables APIM writes, with their own column names and types
 * (research: apim-semantics.md §5, from the azure-monitor-docs table reference). The
 * emulator writes rows with exactly these names, so one evidence reader (and the same KQL
 * shapes) serves a real workspace and the emulator alike. Keep the names and types as Log
 * Analytics has them: a workspace's rows are read into these same contracts.
 */
export type LogColumnType = 'datetime' | 'string' | 'int' | 'long' | 'real' | 'bool' | 'dynamic' | 'guid';

export const gatewayLogColumns = {
  TimeGenerated: 'datetime',
  CorrelationId: 'string',
  Region: 'string',
  ApiId: 'string',
  ApiRevision: 'string',
  OperationId: 'string',
  OperationName: 'string',
  ProductId: 'string',
  ApimSubscriptionId: 'string',
  UserId: 'string',
  BackendId: 'string',
  BackendUrl: 'string',
  BackendMethod: 'string',
  BackendProtocol: 'string',
  BackendResponseCode: 'int',
  BackendTime: 'long',
  ResponseCode: 'int',
  ResponseSize: 'int',
  RequestSize: 'int',
  TotalTime: 'long',
  ClientTime: 'long',
  IsRequestSuccess: 'bool',
  LastErrorReason: 'string',
  LastErrorMessage: 'string',
  LastErrorSource: 'string',
  LastErrorSection: 'string',
  LastErrorScope: 'string',
  LastErrorElapsed: 'long',
  Method: 'string',
  Url: 'string',
  Cache: 'string',
  CallerIpAddress: 'string',
  ClientProtocol: 'string',
  Errors: 'dynamic',
  TraceRecords: 'dynamic',
  Category: 'string',
  Type: 'string',
} as const satisfies Record<string, LogColumnType>;

export const llmLogColumns = {
  TimeGenerated: 'datetime',
  CorrelationId: 'string',
  Region: 'string',
  RequestId: 'string',
  ApiVersion: 'string',
  OperationName: 'string',
  DeploymentName: 'string',
  ModelName: 'string',
  PromptTokens: 'int',
  CompletionTokens: 'int',
  TotalTokens: 'int',
  IsStreamCompletion: 'bool',
  SequenceNumber: 'int',
  Category: 'string',
  Type: 'string',
} as const satisfies Record<string, LogColumnType>;

export const gatewayLogTable = 'ApiManagementGatewayLogs';
export const llmLogTable = 'ApiManagementGatewayLlmLog';

/**
 * The JSON value of each Log Analytics type: datetime as an ISO-8601 UTC string (Log Analytics
 * gives up to 7 decimals of a second), int and long as integers (a long's durations are ms),
 * dynamic as any JSON value. Every column may be null, as in Log Analytics, where a column that
 * does not apply to a row is empty.
 */
const columnValue = {
  datetime: z.iso.datetime(),
  string: z.string(),
  int: z.int(),
  long: z.int(),
  real: z.number(),
  bool: z.boolean(),
  dynamic: z.unknown(),
  guid: z.string(),
} as const satisfies Record<LogColumnType, z.ZodType>;

type RowShape<C extends Record<string, LogColumnType>> = { [K in keyof C]: z.ZodNullable<(typeof columnValue)[C[K]]> };

/**
 * A row of a table: every listed column present (null when it does not apply), the table's name
 * in `Type`. Columns not listed are dropped when a row is read, not refused: a workspace's rows
 * carry more of them (TenantId, _ResourceId, SourceSystem, ...), and the verifiers read only
 * the listed ones. That the emulator writes exactly the listed columns is its own tests' job.
 */
function rowSchema<C extends Record<string, LogColumnType> & { Type: 'string' }>(columns: C, table: string) {
  const shape = Object.fromEntries(Object.entries(columns).map(([name, type]) => [name, columnValue[type].nullable()])) as RowShape<C>;
  // `Type` is a string column, and in this table's file it must name this table: a row of
  // another table is refused, naming `Type`. Checked by the column's own schema rather than a
  // refinement of the row: zod checks a row with a refinement several times slower.
  (shape as Record<string, z.ZodType>).Type = z.literal(table);
  return z.object(shape);
}

/** One ApiManagementGatewayLogs row. Columns that do not apply are null, as in Log Analytics. */
export const gatewayLogRowSchema = rowSchema(gatewayLogColumns, gatewayLogTable);
export type GatewayLogRow = z.infer<typeof gatewayLogRowSchema>;

/** One ApiManagementGatewayLlmLog row (the table name is singular). */
export const llmLogRowSchema = rowSchema(llmLogColumns, llmLogTable);
export type LlmLogRow = z.infer<typeof llmLogRowSchema>;

/**
 * The columns the verifiers read, and so the part of each row a run's evidence keeps in
 * memory (RunEvidence.gatewayLogs, llmLogs): every column of every row is checked when read,
 * then only these are kept. Why: the rows are the bulk of a long run's evidence (a gateway row
 * carries two URLs and a dozen strings the verifiers never look at), and a 10-minute run at
 * 1,000 requests per second holds 600,000 of each. A verifier that needs another column adds
 * it here; TypeScript refuses to read one that is not kept.
 */
export const judgedGatewayLogColumns = ['TimeGenerated', 'CorrelationId', 'Region', 'ApimSubscriptionId', 'BackendId', 'BackendUrl', 'ResponseCode', 'LastErrorReason'] as const;
export type GatewayLogEvidence = Pick<GatewayLogRow, (typeof judgedGatewayLogColumns)[number]>;

export const judgedLlmLogColumns = ['TimeGenerated', 'CorrelationId', 'Region', 'PromptTokens', 'CompletionTokens', 'TotalTokens', 'SequenceNumber'] as const;
export type LlmLogEvidence = Pick<LlmLogRow, (typeof judgedLlmLogColumns)[number]>;

/** The judged columns of a gateway row, in a new object of one fixed shape (compact in memory). */
export function gatewayLogEvidence(row: GatewayLogEvidence): GatewayLogEvidence {
  return {
    TimeGenerated: row.TimeGenerated,
    CorrelationId: row.CorrelationId,
    Region: row.Region,
    ApimSubscriptionId: row.ApimSubscriptionId,
    BackendId: row.BackendId,
    BackendUrl: row.BackendUrl,
    ResponseCode: row.ResponseCode,
    LastErrorReason: row.LastErrorReason,
  };
}

/** The judged columns of an LLM row, in a new object of one fixed shape. */
export function llmLogEvidence(row: LlmLogEvidence): LlmLogEvidence {
  return {
    TimeGenerated: row.TimeGenerated,
    CorrelationId: row.CorrelationId,
    Region: row.Region,
    PromptTokens: row.PromptTokens,
    CompletionTokens: row.CompletionTokens,
    TotalTokens: row.TotalTokens,
    SequenceNumber: row.SequenceNumber,
  };
}
