import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { preflight, type PreflightRecord, type PreflightSpec } from './preflight.ts';

/**
 * The preflight against a real HTTP server on loopback standing in for a gateway: what it checks
 * and what it says when a check fails. The ledger lookup is given, as each target gives its own.
 */
let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function gateway(answer: (path: string, headers: Record<string, string | string[] | undefined>) => { status: number; headers?: Record<string, string>; body?: string }): Promise<string> {
  server = createServer((request, response) => {
    request.resume();
    const { status, headers, body } = answer(request.url ?? '', request.headers);
    response.writeHead(status, headers).end(body ?? '');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

const probe = { operation: 'chat' as const, deployment: 'gpt-4o', apiVersion: '2024-10-21', key: 'secret-key-never-printed', consumer: 'user-facing' };

function spec(entryUrl: string, more: Partial<PreflightSpec> = {}): PreflightSpec {
  return { entryUrl, healthPath: '/healthz', probes: [probe], findInLedger: async () => null, healthWaitMs: 600, ledgerWaitMs: 300, ...more };
}

describe('preflight', () => {
  it('passes when the health path answers 200 and the probe shows up in the ledger, by its marker or by the fleet request id', async () => {
    const seen: string[] = [];
    const url = await gateway((path, headers) => {
      if (path === '/healthz') return { status: 200 };
      seen.push(String(headers['x-ms-client-request-id']));
      return { status: 200, headers: { 'x-request-id': 'fleet-request-7' }, body: '{}' };
    });
    const record: PreflightRecord = { backend: 'aoai-eastus-ptu1', status: 200, requestId: 'fleet-request-7', correlationId: null };
    const byRequestId = await preflight(spec(url, { findInLedger: async ({ requestId }) => (requestId === 'fleet-request-7' ? record : null) }));
    expect(byRequestId).toEqual([record]);
    const byMarker = await preflight(spec(url, { findInLedger: async ({ marker }) => (marker === seen.at(-1) ? record : null) }));
    expect(byMarker).toEqual([record]);
    expect(seen.every((id) => id.startsWith('spillway-preflight-'))).toBe(true);
  });

  it('refuses a gateway whose health path does not answer 200, naming the path and how to change it', async () => {
    const url = await gateway(() => ({ status: 404 }));
    await expect(preflight(spec(url))).rejects.toThrow(`preflight: the gateway at ${url} does not answer its health check GET /healthz (status 404); set --health-path to the path it answers 200 on, or --health-path none to skip the check; nothing was sent`);
  });

  it('skips the health check with no health path, and refuses a gateway that answers but reaches no backend, without printing the key', async () => {
    const url = await gateway(() => ({ status: 200, body: '{"choices":[]}' }));
    const refusal = preflight(spec(url, { healthPath: null }));
    await expect(refusal).rejects.toThrow(/was answered 200 \(\{"choices":\[\]\}\), but no backend of the fleet received it: the fleet's ledger has no request with x-ms-client-request-id spillway-preflight-/);
    await expect(refusal).rejects.not.toThrow(/secret-key-never-printed/);
  });

  it('never quotes the key, even from a gateway that echoes the request', async () => {
    const url = await gateway((_path, headers) => ({ status: 401, body: JSON.stringify({ error: 'bad key', received: headers['api-key'] }) }));
    const refusal = preflight(spec(url, { healthPath: null }));
    await expect(refusal).rejects.toThrow('was refused by the gateway with 401 ({"error":"bad key","received":"[redacted]"}): the subscription key of user-facing is not accepted');
    await expect(refusal).rejects.not.toThrow(/secret-key-never-printed/);
  });

  it('refuses a gateway that reaches the fleet but not as Azure OpenAI expects (the backend answered 404)', async () => {
    const url = await gateway(() => ({ status: 404, body: '{}' }));
    const record: PreflightRecord = { backend: 'aoai-eastus-ptu1', status: 404, reason: 'not-found', requestId: 'r', correlationId: null };
    await expect(preflight(spec(url, { healthPath: null, findInLedger: async () => record }))).rejects.toThrow(
      /reached aoai-eastus-ptu1, which answered 404 \(not-found\): the gateway does not pass the request on as Azure OpenAI expects it \(path, deployment "gpt-4o"/,
    );
    // A throttled PTU (429) still proves the wiring.
    await expect(preflight(spec(url, { healthPath: null, findInLedger: async () => ({ ...record, status: 429, reason: 'utilization' }) }))).resolves.toHaveLength(1);
  });

  it('refuses a gateway that does not answer the probe at all', async () => {
    const url = await gateway(() => ({ status: 200 }));
    const gone = `${url.replace(/:\d+$/, ':9')}`;
    await expect(preflight(spec(gone, { healthPath: null }))).rejects.toThrow(/^preflight: POST http:\/\/127\.0\.0\.1:9\/openai\/deployments\/gpt-4o\/chat\/completions\?api-version=2024-10-21 \(as user-facing\) got no answer/);
  });
});
