/**
 * The two Log Analytics tables APIM writes (ApiManagementGatewayLogs, ApiManagementGatewayLlmLog),
 * with their own column names and types, are a contract shared with the harness's evidence
 * readers and verifiers: harness/contracts/gateway-log-rows.ts, with the schema each row must
 * pass. The emulator writes rows with exactly those columns.
 */
export {
  gatewayLogColumns,
  gatewayLogTable,
  llmLogColumns,
  llmLogTable,
  type GatewayLogRow,
  type LlmLogRow,
  type LogColumnType,
} from '../../../harness/contracts/gateway-log-rows.ts';
