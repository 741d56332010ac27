/**
 * The gateway's log files against their contracts (harness/contracts/gateway-log-rows.ts and
 * breaker-events.ts): the sample configuration in front of a real fleet on loopback answers,
 * streams, refuses (401, 400, a token limit) and trips a breaker on an injected failure, and
 * every line of ApiManagementGatewayLogs.jsonl, ApiManagementGatewayLlmLog.jsonl and
 * circuit-breaker-events.jsonl must pass the schema the harness reads it with, with exactly the
 * table's columns (the schema drops columns it does not list, as a workspace has more).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { breakerEventSchema } from '../../../harness/contracts/breaker-events.ts';
import { gatewayLogColumns, gatewayLogRowSchema, llmLogColumns, llmLogRowSchema } from '../../../harness/contracts/gateway-log-rows.ts';
import { loadGatewayConfig } from '../config/index.ts';
import { useDefaultFleet } from './default-fleet-fixture.ts';
import { startGateway } from './gateway.ts';

const CHAT = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
const dirs: string[] = [];
const shared = useDefaultFleet(21, { cleanup: () => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); } });

async function chat(base: string, key: string | null, options: { body?: unknown; stream?: boolean; content?: string } = {}): Promise<number> {
  const body = options.body ?? { messages: [{ role: 'user', content: options.content ?? 'log me' }], ...(options.stream ? { stream: true } : {}) };
  const response = await fetch(`${base}${CHAT}`, {
    method: 'POST',
    headers: { ...(key ? { 'api-key': key } : {}), 'content-type': 'application/json', 'x-fleet-completion-tokens': '4' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Every line of a JSONL file through a schema; each failure names the file and line. */
function parseLines<S extends z.ZodType>(file: string, schema: S): { lines: Record<string, unknown>[]; rows: z.output<S>[] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  const rows = lines.map((line, index) => {
    const parsed = schema.safeParse(line);
    expect(parsed.error?.issues, `${file}:${index + 1}: ${JSON.stringify(line)}`).toBeUndefined();
    return parsed.data as z.output<S>;
  });
  return { lines, rows };
}

describe('the gateway log files', () => {
  it("hold only rows and events their contracts accept, with exactly each table's columns", async () => {
    const config = loadGatewayConfig('deploy/apim');
    delete config.frontDoor;
    const logsDir = mkdtempSync(join(tmpdir(), 'spillway-gw-contract-'));
    dirs.push(logsDir);
    const gateway = await startGateway({ config, fleetEndpoints: shared.endpoints, logsDir, seed: 5 });
    const statuses: number[] = [];
    try {
      const base = gateway.instance('East US').url;
      statuses.push(await chat(base, 'local-user-facing-key'));
      statuses.push(await chat(base, 'local-user-facing-key', { stream: true }));
      statuses.push(await chat(base, null));
      statuses.push(await chat(base, 'local-user-facing-key', { body: { nothing: true } }));
      statuses.push(await chat(base, 'local-dev-test-key', { content: Array.from({ length: 1200 }, () => 'the').join(' ') }));
      // PTU 1 fails every request: its breaker (3 failures in 10 s) opens, which the gateway reports as an event.
      const fault = shared.fleet.faults.inject({ kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } });
      try {
        for (let i = 0; i < 12; i++) statuses.push(await chat(base, 'local-user-facing-key'));
      } finally {
        shared.fleet.faults.clear(fault.id);
      }
    } finally {
      await gateway.close();
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 401, 400, 429]);

    const gatewayRows = parseLines(join(logsDir, 'ApiManagementGatewayLogs.jsonl'), gatewayLogRowSchema);
    expect(gatewayRows.rows.map((row) => row.ResponseCode)).toEqual(statuses);
    for (const line of gatewayRows.lines) expect(Object.keys(line).sort()).toEqual(Object.keys(gatewayLogColumns).sort());

    const llmRows = parseLines(join(logsDir, 'ApiManagementGatewayLlmLog.jsonl'), llmLogRowSchema);
    expect(llmRows.rows.length).toBeGreaterThanOrEqual(2);
    for (const line of llmRows.lines) expect(Object.keys(line).sort()).toEqual(Object.keys(llmLogColumns).sort());

    const events = parseLines(join(logsDir, 'circuit-breaker-events.jsonl'), breakerEventSchema);
    expect(events.rows.map((e) => [e.eventType, e.data.backendName, e.region])).toContainEqual(['Microsoft.ApiManagement.CircuitBreaker.Opened', 'aoai-eastus-ptu1', 'East US']);
    // Strict schemas: what passed is the line itself.
    expect(events.rows).toEqual(events.lines);
  });
});
