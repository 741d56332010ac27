import { ingestRunLogs } from '../../mocks/log-analytics/ingest-run-logs.ts';
import { mockClientOptions, StaticCredential, type MockLogAnalyticsWorkspace } from '../evidence/log-analytics/test-log-analytics.ts';
import type { GatewayLogSource } from './gateway-log-source.ts';
import { logAnalyticsGatewayLogs } from './log-analytics-logs.ts';
import type { TargetFile } from './target-file.ts';

/**
 * For tests of a target file offline (the emulator posing as an APIM): the real Log Analytics
 * source, through the real LogsQueryClient, over a mock workspace that the emulator's rows in
 * `logsDir` reach when the run collects them (half a second later, once the emulator has written
 * them), with no ingestion lag. A `logSourceFor` for runScenario, runCapacity and runDrill.
 */
export function workspaceFedLogSource(workspace: MockLogAnalyticsWorkspace, logsDir: string): (file: TargetFile) => GatewayLogSource {
  return (file) => {
    const real = logAnalyticsGatewayLogs({ workspaceId: file.workspaceId, credential: new StaticCredential(), clientOptions: mockClientOptions([workspace]), pollIntervalMs: 200, timeoutMs: 30_000 });
    return {
      describe: real.describe,
      check: () => real.check(),
      async collect(run) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        ingestRunLogs(workspace, logsDir, { runMarker: run.runMarker, lagMs: () => 0 });
        return real.collect(run);
      },
    };
  };
}
