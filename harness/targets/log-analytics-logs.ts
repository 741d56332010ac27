/**
 * A real API Management's gateway logs, read from its Log Analytics workspace
 * (harness/evidence/log-analytics) with the Azure SDK's LogsQueryClient, as a target's
 * GatewayLogSource: the workspace is probed before any load, and after it the run's rows (told
 * apart by its window and the `x-spillway-run` marker) are awaited and written to the run folder.
 */
import type { TokenCredential } from '@azure/identity';
import type { LogsQueryClientOptions } from '@azure/monitor-query-logs';
import { collectFromLogAnalytics } from '../evidence/log-analytics/collect-from-log-analytics.ts';
import { probeLogAnalyticsWorkspace } from '../evidence/log-analytics/probe-workspace.ts';
import type { GatewayLogSource } from './gateway-log-source.ts';

export interface LogAnalyticsLogsOptions {
  workspaceId: string;
  /** Default: DefaultAzureCredential (az login, a managed identity, environment variables). */
  credential?: TokenCredential;
  /** For tests: the SDK client's options (an injected transport). */
  clientOptions?: LogsQueryClientOptions;
  /** How long to wait for the run's rows; default 10 minutes. */
  timeoutMs?: number;
  pollIntervalMs?: number;
  say?: (line: string) => void;
}

export function logAnalyticsGatewayLogs(options: LogAnalyticsLogsOptions): GatewayLogSource {
  const common = {
    workspaceId: options.workspaceId,
    ...(options.credential ? { credential: options.credential } : {}),
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
    ...(options.say ? { say: options.say } : {}),
  };
  return {
    describe: `Log Analytics workspace ${options.workspaceId}`,
    async check() {
      await probeLogAnalyticsWorkspace(common);
    },
    async collect(run) {
      const { sources, ingestion } = await collectFromLogAnalytics({
        ...common,
        window: run.window,
        runMarker: run.runMarker,
        expectedRequests: run.expectedRequests,
        logsDir: run.logsDir,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      });
      const lag = ingestion.lag.gatewayLogs;
      return { sources, ...(lag ? { ingestionLagMs: { p50: lag.p50Ms, max: lag.maxMs } } : {}) };
    },
  };
}
