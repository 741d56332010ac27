/**
 * The fleet's ledger file against its contract (harness/contracts/ledger-record.ts): a real
 * fleet on loopback answers a mix of requests over HTTP (answered, streamed, embeddings, bad
 * and unauthorized requests, an unknown deployment, injected status and latency faults, a
 * client that leaves), and every line it wrote must pass the schema the harness reads it with.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerRecordSchema, type LedgerRecord } from '../../harness/contracts/ledger-record.ts';
import { startFleet } from './fleet.ts';
import { parseTopology } from './topology.ts';

const API_VERSION = '2024-10-21';
const dir = mkdtempSync(join(tmpdir(), 'spillway-ledger-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const topology = {
  seed: 7,
  latencyScale: 0,
  resources: [
    { name: 'aoai-east-ptu', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }, { name: 'embed', model: 'text-embedding-3-small', capacityTpm: 6_000_000 }] },
    { name: 'aoai-east-payg', region: 'East US', kind: 'payg', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 10_000_000 }] },
  ],
};

describe('the fleet ledger file', () => {
  it('holds only records the ledger contract accepts, of every kind a run produces', async () => {
    const ledgerPath = join(dir, 'fleet-ledger.jsonl');
    const fleet = await startFleet({ topology: parseTopology(JSON.stringify(topology), 'test'), ledgerPath });
    const endpoint = (name: string): string => fleet.describe().backends.find((b) => b.name === name)!.endpoint;
    const call = async (backend: string, path: string, init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<number> => {
      const response = await fetch(`${endpoint(backend)}/openai/deployments/${path}?api-version=${API_VERSION}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': 'test-key', 'x-fleet-completion-tokens': '3', ...init.headers },
        body: JSON.stringify(init.body ?? { messages: [{ role: 'user', content: 'hi' }] }),
        ...(init.signal ? { signal: init.signal } : {}),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const control = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const response = await fetch(`${fleet.describe().control}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      expect(response.status, `${method} ${path}`).toBeLessThan(300);
      const text = await response.text();
      return text === '' ? null : (JSON.parse(text) as unknown);
    };
    try {
      expect(await call('aoai-east-ptu', 'gpt-4o/chat/completions', { headers: { 'x-priority': 'high', 'x-correlation-id': 'corr-1' } })).toBe(200);
      expect(await call('aoai-east-payg', 'gpt-4o/chat/completions', { body: { messages: [{ role: 'user', content: 'stream' }], stream: true } })).toBe(200);
      expect(await call('aoai-east-ptu', 'embed/embeddings', { body: { input: 'words' } })).toBe(200);
      expect(await call('aoai-east-ptu', 'gpt-4o/chat/completions', { body: { messages: 'not a list' } })).toBe(400);
      expect(await call('aoai-east-ptu', 'gpt-4o/chat/completions', { headers: { 'api-key': '' } })).toBe(401);
      expect(await call('aoai-east-ptu', 'no-such-deployment/chat/completions')).toBe(404);

      const status = (await control('POST', '/faults', { kind: 'status', status: 503, target: { backend: 'aoai-east-payg' }, label: 'contract' })) as { id: string };
      const latency = (await control('POST', '/faults', { kind: 'latency', latencyMs: 1, target: { region: 'East US', deployment: 'gpt-4o' }, durationMs: 60_000 })) as { id: string };
      expect(await call('aoai-east-payg', 'gpt-4o/chat/completions')).toBe(503);
      expect(await call('aoai-east-ptu', 'gpt-4o/chat/completions')).toBe(200);
      await control('DELETE', `/faults/${status.id}`);
      await control('DELETE', `/faults/${latency.id}`);

      // A client that gives up on a hanging backend: recorded when it leaves, as fault:hang.
      const hang = (await control('POST', '/faults', { kind: 'hang', target: { backend: 'aoai-east-ptu' } })) as { id: string };
      const leaving = new AbortController();
      const left = call('aoai-east-ptu', 'gpt-4o/chat/completions', { signal: leaving.signal }).catch(() => 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 200));
      leaving.abort();
      expect(await left).toBe('aborted');
      await waitFor(() => fleet.ledger.read(0, 10_000).records.some((r) => r.type === 'request' && r.status === 499), 5_000);
      await control('DELETE', `/faults/${hang.id}`);
    } finally {
      await fleet.close();
    }

    const lines = readFileSync(ledgerPath, 'utf8').split('\n').filter((line) => line !== '');
    const records: LedgerRecord[] = lines.map((line, index) => {
      const parsed = ledgerRecordSchema.safeParse(JSON.parse(line));
      expect(parsed.error?.issues, `${ledgerPath}:${index + 1}: ${line}`).toBeUndefined();
      return parsed.data!;
    });
    // The schema's output is the line itself: no default filled in, nothing dropped.
    expect(records).toEqual(lines.map((line) => JSON.parse(line) as unknown));
    const requests = records.filter((r) => r.type === 'request');
    expect(new Set(requests.map((r) => r.reason))).toEqual(new Set(['ok', 'bad-request', 'unauthorized', 'not-found', 'fault:status', 'fault:hang']));
    expect(requests.some((r) => r.stream)).toBe(true);
    expect(requests.some((r) => r.operation === 'embeddings')).toBe(true);
    expect(requests.some((r) => r.faults !== undefined && r.reason === 'ok')).toBe(true);
    expect(records.filter((r) => r.type === 'fault').map((r) => r.action)).toEqual(['inject', 'inject', 'clear', 'clear', 'inject', 'clear']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
