import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSourceLogFile } from '../../mocks/apim/gateway/config-source.ts';

/**
 * Folds the log tables of gateways that ran as their own processes (each in its own folder,
 * durable-log-sink.ts) into the run's tables, so the evidence reads one gateway log as it does
 * without process steps. Runs once every writer is closed (the in-process sink and the
 * processes). Rows are ordered by their time, stably, so each table reads in time order as the
 * in-process one does. The config source's rows are gathered into `config-source.jsonl`, each
 * with its region.
 */
const tables: { file: string; time: (row: Record<string, unknown>) => unknown }[] = [
  { file: 'ApiManagementGatewayLogs.jsonl', time: (row) => row.TimeGenerated },
  { file: 'ApiManagementGatewayLlmLog.jsonl', time: (row) => row.TimeGenerated },
  { file: 'circuit-breaker-events.jsonl', time: (row) => row.eventTime },
  { file: 'token-metrics.jsonl', time: (row) => row.timestamp },
];

export function mergeProcessLogs(logsDir: string, processes: readonly { region: string; dir: string }[]): void {
  if (processes.length === 0) return;
  for (const table of tables) {
    const rows: { text: string; time: number }[] = [];
    for (const dir of [logsDir, ...processes.map((p) => p.dir)]) {
      for (const text of linesOf(join(dir, table.file))) {
        // A line that does not parse is kept where it sorts first, for the contract check to name.
        let time = Number.NEGATIVE_INFINITY;
        try {
          time = Date.parse(String(table.time(JSON.parse(text) as Record<string, unknown>)));
        } catch {}
        rows.push({ text, time: Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time });
      }
    }
    rows.sort((a, b) => a.time - b.time);
    writeFileSync(join(logsDir, table.file), rows.map((row) => `${row.text}\n`).join(''));
  }
  const sourceRows = processes.flatMap((p) => linesOf(join(p.dir, configSourceLogFile)).map((text) => JSON.stringify({ region: p.region, ...(JSON.parse(text) as object) })));
  if (sourceRows.length > 0) writeFileSync(join(logsDir, configSourceLogFile), sourceRows.map((row) => `${row}\n`).join(''));
}

function linesOf(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}
