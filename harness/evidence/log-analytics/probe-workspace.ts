import { LogAnalyticsError } from './query-failure.ts';
import { workspaceIdProblem } from './workspace-id.ts';
import { WorkspaceReader, type WorkspaceReaderOptions } from './workspace-reader.ts';
import { checkWorkspaceTables, type WorkspaceTables } from './workspace-tables.ts';

/**
 * Before any load: can this workspace be queried, and does it have the tables? Proves the
 * credential (a token for the Log Analytics API), the identity's access (Log Analytics Reader),
 * the workspace id, and that API Management sends it gateway logs in resource-specific mode
 * (or says how to switch from AzureDiagnostics). Counts the rows of the last `lookbackMs`.
 * Throws a LogAnalyticsError naming the workspace and what to check.
 */
export interface ProbeOptions extends WorkspaceReaderOptions {
  /** How far back to count rows. Default one day. */
  lookbackMs?: number;
  /** How long throttling may be retried. Default 60 s. */
  timeoutMs?: number;
}

export async function probeLogAnalyticsWorkspace(options: ProbeOptions): Promise<WorkspaceTables> {
  const problem = workspaceIdProblem(options.workspaceId);
  if (problem) throw new LogAnalyticsError(problem);
  const reader = new WorkspaceReader({
    workspaceId: options.workspaceId,
    ...(options.credential ? { credential: options.credential } : {}),
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.say ? { say: options.say } : {}),
  });
  const now = reader.clock.now();
  return checkWorkspaceTables(reader, { start: now - (options.lookbackMs ?? 86_400_000), end: now }, now + (options.timeoutMs ?? 60_000));
}
