import { gatewayLogTable, llmLogTable } from '../../contracts/gateway-log-rows.ts';
import { LogAnalyticsError, QueryGaveUpError, QueryRefusedError } from './query-failure.ts';
import { azureDiagnosticsGatewayQuery, tableCountQuery } from './run-queries.ts';
import type { WorkspaceReader } from './workspace-reader.ts';

/**
 * Whether a workspace has the tables APIM writes in resource-specific mode, and when it does
 * not, why: a diagnostic setting that sends to the legacy AzureDiagnostics table instead (say
 * how to switch), or none sending gateway logs to this workspace at all.
 *
 * A table exists in a workspace once its first row arrived; until then Log Analytics refuses a
 * query naming it (400, "Failed to resolve table ...").
 */
export const resourceSpecificHowTo =
  'In the Azure portal: API Management service > Monitoring > Diagnostic settings > edit the setting (or add one) > Logs: "Logs related to ApiManagement Gateway" (GatewayLogs) and "Logs related to generative AI gateway" (GatewayLlmLogs) > Send to Log Analytics workspace > Destination table: Resource specific. ' +
  'With the CLI: az monitor diagnostic-settings create --name spillway --resource <APIM resource id> --workspace <workspace resource id> --export-to-resource-specific true --logs \'[{"category":"GatewayLogs","enabled":true},{"category":"GatewayLlmLogs","enabled":true}]\' (docs/log-analytics.md)';

export interface WorkspaceTables {
  /** Rows of ApiManagementGatewayLogs in the window (the table exists). */
  gatewayRows: number;
  /** Rows of ApiManagementGatewayLlmLog in the window; null when the workspace has no such table. */
  llmRows: number | null;
}

/**
 * Counts the rows of both tables in a window, throwing a LogAnalyticsError that says why when
 * the workspace has no ApiManagementGatewayLogs table. For a preflight: it also proves the
 * credential and the identity's access.
 */
export async function checkWorkspaceTables(reader: WorkspaceReader, window: { start: number; end: number }, deadline: number): Promise<WorkspaceTables> {
  const gatewayRows = await countRows(reader, gatewayLogTable, window, deadline);
  if (gatewayRows === null) throw await missingGatewayTable(reader, window, deadline);
  const llmRows = await countRows(reader, llmLogTable, window, deadline);
  return { gatewayRows, llmRows };
}

/** The rows of a table in a window; null when the workspace has no such table. */
export async function countRows(reader: WorkspaceReader, table: string, window: { start: number; end: number }, deadline: number): Promise<number | null> {
  try {
    const result = await reader.query(tableCountQuery(table, window), window, `the count of ${table} rows`, deadline);
    return Number(result.rows[0]?.Rows ?? 0);
  } catch (error) {
    if (error instanceof QueryRefusedError && error.names(table)) return null;
    throw error;
  }
}

/** API Management gateway rows in AzureDiagnostics in the window; null when that table does not exist. */
export async function azureDiagnosticsGatewayRows(reader: WorkspaceReader, window: { start: number; end: number }, deadline: number): Promise<number | null> {
  try {
    const result = await reader.query(azureDiagnosticsGatewayQuery(window), window, 'API Management rows in AzureDiagnostics', deadline);
    return Number(result.rows[0]?.Rows ?? 0);
  } catch (error) {
    if (error instanceof QueryRefusedError && error.names('AzureDiagnostics')) return null;
    if (error instanceof QueryGaveUpError) return null;
    throw error;
  }
}

/** What to tell a person whose workspace has gateway rows only in AzureDiagnostics, or none. */
export function legacyModeAdvice(workspaceId: string, azureDiagnosticsRows: number | null): string {
  return azureDiagnosticsRows !== null && azureDiagnosticsRows > 0
    ? `workspace ${workspaceId} has ${azureDiagnosticsRows} AzureDiagnostics row(s) of API Management's GatewayLogs in that time: the APIM diagnostic setting sends its logs in the legacy "Azure diagnostics" mode, which Spillway does not read. Switch it to resource-specific (rows sent before the switch stay in AzureDiagnostics). ${resourceSpecificHowTo}`
    : `no API Management gateway logs reach workspace ${workspaceId} in resource-specific mode (nor in AzureDiagnostics). Add a diagnostic setting on the API Management service that sends them to this workspace; a new setting's first rows, which create the tables, can take 20 minutes or more to arrive. ${resourceSpecificHowTo}`;
}

export async function missingGatewayTable(reader: WorkspaceReader, window: { start: number; end: number }, deadline: number): Promise<LogAnalyticsError> {
  const legacy = await azureDiagnosticsGatewayRows(reader, window, deadline);
  const period = `between ${new Date(window.start).toISOString()} and ${new Date(window.end).toISOString()}`;
  return new LogAnalyticsError(`Log Analytics workspace ${reader.workspaceId} has no ${gatewayLogTable} table: ${legacyModeAdvice(reader.workspaceId, legacy).replace('in that time', period)}`);
}
