/**
 * The two Log Analytics tables APIM writes, with their own column names and types
 * (research: apim-semantics.md §5, from the azure-monitor-docs table reference). The
 * emulator writes rows with exactly these names, so one evidence reader (and the same KQL
 * shapes) serves a real workspace and the emulator alike.
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

type ValueOf<T extends LogColumnType> = T extends 'datetime' | 'string' | 'guid' ? string : T extends 'int' | 'long' | 'real' ? number : T extends 'bool' ? boolean : unknown;

/** One ApiManagementGatewayLogs row. Columns that do not apply are null, as in Log Analytics. */
export type GatewayLogRow = { [K in keyof typeof gatewayLogColumns]: ValueOf<(typeof gatewayLogColumns)[K]> | null };

/** One ApiManagementGatewayLlmLog row (the table name is singular). */
export type LlmLogRow = { [K in keyof typeof llmLogColumns]: ValueOf<(typeof llmLogColumns)[K]> | null };

export const gatewayLogTable = 'ApiManagementGatewayLogs';
export const llmLogTable = 'ApiManagementGatewayLlmLog';
