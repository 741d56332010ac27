import { gatewayLogColumns, gatewayLogTable, llmLogColumns, llmLogTable, type LogColumnType } from '../../harness/contracts/gateway-log-rows.ts';

/**
 * The tables a mock Log Analytics workspace can hold, with the columns a real workspace has
 * (research: apim-semantics.md §5, the azure-monitor table reference), not only the ones the
 * evidence contracts keep. Why all of them: the KQL analyzer checks every name a query uses
 * against these schemas, so a query that names a column the real table lacks is refused here as
 * Log Analytics would refuse it, and one that relies on a column only the contracts know is not
 * answered by accident.
 *
 * `timespan` is a Kusto type the contracts do not use; the analyzer reports it for
 * `ingestion_time() - TimeGenerated`.
 */
export type KustoColumnType = LogColumnType | 'timespan';

export type TableSchema = Readonly<Record<string, KustoColumnType>>;

/** The standard columns Log Analytics adds to every table of resource logs. */
const standardColumns = {
  TenantId: 'string',
  SourceSystem: 'string',
  _ResourceId: 'string',
  _SubscriptionId: 'string',
  _BilledSize: 'real',
  _IsBillable: 'string',
} as const satisfies TableSchema;

export const gatewayLogsSchema: TableSchema = {
  ...gatewayLogColumns,
  RequestHeaders: 'dynamic',
  ResponseHeaders: 'dynamic',
  BackendRequestHeaders: 'dynamic',
  BackendResponseHeaders: 'dynamic',
  RequestBody: 'string',
  ResponseBody: 'string',
  BackendRequestBody: 'string',
  BackendResponseBody: 'string',
  CacheTime: 'long',
  ClientTlsVersion: 'string',
  WorkspaceId: 'string',
  ...standardColumns,
};

export const llmLogSchema: TableSchema = {
  ...llmLogColumns,
  RequestMessages: 'dynamic',
  ResponseMessages: 'dynamic',
  ...standardColumns,
};

/**
 * The legacy table resource logs land in when a diagnostic setting's destination is "Azure
 * diagnostics" rather than "Resource specific": every resource's logs in one table, told apart by
 * ResourceProvider and Category, with the gateway's fields under other names (a few here).
 */
export const azureDiagnosticsTable = 'AzureDiagnostics';
export const azureDiagnosticsSchema: TableSchema = {
  TimeGenerated: 'datetime',
  ResourceId: 'string',
  ResourceProvider: 'string',
  ResourceType: 'string',
  Category: 'string',
  OperationName: 'string',
  CorrelationId: 'string',
  Region_s: 'string',
  responseCode_d: 'real',
  apimSubscriptionId_s: 'string',
  Type: 'string',
  ...standardColumns,
};

/**
 * The emulator's configuration source rows (mocks/apim/gateway/config-source.ts,
 * `config-source.jsonl`), as a custom table (`_CL`, as Log Analytics names them) a drill's
 * detection can query offline. Not an APIM table: a real self-hosted gateway says the same in its
 * own container logs and its heartbeat to the control plane (the gateway's status in the portal).
 */
export const configSourceTable = 'SpillwayConfigSource_CL';
export const configSourceSchema: TableSchema = {
  TimeGenerated: 'datetime',
  Region: 'string',
  Outcome: 'string',
  ServingVersion: 'string',
  OfferedVersion: 'string',
  Problem: 'string',
  Source: 'string',
  ...standardColumns,
};

export const knownTables: Readonly<Record<string, TableSchema>> = {
  [gatewayLogTable]: gatewayLogsSchema,
  [llmLogTable]: llmLogSchema,
  [azureDiagnosticsTable]: azureDiagnosticsSchema,
  [configSourceTable]: configSourceSchema,
};
