import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeProcessLogs } from './process-log-merge.ts';

const root = mkdtempSync(join(tmpdir(), 'process-log-merge-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const jsonl = (rows: object[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

describe("merging a process gateway's log tables into the run's", () => {
  it("keeps every row of both, in time order, and gathers the config source's rows with their region", () => {
    const logs = join(root, 'gateway-logs');
    const west = join(logs, 'process-west-us');
    mkdirSync(west, { recursive: true });
    writeFileSync(join(logs, 'ApiManagementGatewayLogs.jsonl'), jsonl([{ TimeGenerated: '2026-01-01T00:00:01.000Z', Region: 'East US' }, { TimeGenerated: '2026-01-01T00:00:03.000Z', Region: 'East US' }]));
    writeFileSync(join(west, 'ApiManagementGatewayLogs.jsonl'), jsonl([{ TimeGenerated: '2026-01-01T00:00:02.000Z', Region: 'West US' }, { TimeGenerated: '2026-01-01T00:00:04.000Z', Region: 'West US' }]));
    writeFileSync(join(west, 'circuit-breaker-events.jsonl'), jsonl([{ eventTime: '2026-01-01T00:00:02.500Z', region: 'West US' }]));
    writeFileSync(join(west, 'config-source.jsonl'), jsonl([{ time: '2026-01-01T00:00:00.000Z', outcome: 'started', servingVersion: 'abc' }]));
    mergeProcessLogs(logs, [{ region: 'West US', dir: west }]);
    const read = (file: string): Record<string, unknown>[] => readFileSync(join(logs, file), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(read('ApiManagementGatewayLogs.jsonl').map((row) => [row.TimeGenerated, row.Region])).toEqual([
      ['2026-01-01T00:00:01.000Z', 'East US'],
      ['2026-01-01T00:00:02.000Z', 'West US'],
      ['2026-01-01T00:00:03.000Z', 'East US'],
      ['2026-01-01T00:00:04.000Z', 'West US'],
    ]);
    expect(read('circuit-breaker-events.jsonl')).toEqual([{ eventTime: '2026-01-01T00:00:02.500Z', region: 'West US' }]);
    expect(read('config-source.jsonl')).toEqual([{ region: 'West US', time: '2026-01-01T00:00:00.000Z', outcome: 'started', servingVersion: 'abc' }]);
  });
});
