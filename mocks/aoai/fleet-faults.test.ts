import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type FleetOptions, type RunningFleet } from './fleet.ts';
import type { FaultChangeRecord, LedgerPage, RequestRecord } from './ledger.ts';
import { parseTopology } from './topology.ts';

/**
 * Fault injection through the control API over HTTP, as a chaos scenario drives it, with
 * the client's view and the ledger's record of each fault.
 */

const API_VERSION = '2024-10-21';
const running: RunningFleet[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
});

/** Two backends in East US (one PTU, one PAYG) and one in West US. */
const threeBackends = {
  resources: [
    { name: 'aoai-east-1', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] },
    { name: 'aoai-east-2', region: 'East US', kind: 'payg', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 10_000_000 }] },
    { name: 'aoai-west-1', region: 'West US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 6_000_000 }] },
  ],
};
const backendNames = ['aoai-east-1', 'aoai-east-2', 'aoai-west-1'] as const;

async function fleetOf(topology: Record<string, unknown> = threeBackends, options: Omit<FleetOptions, 'topology'> = {}, seed = 1234): Promise<RunningFleet> {
  const fleet = await startFleet({ topology: parseTopology(JSON.stringify({ seed, latencyScale: 0, ...topology }), 'test'), ...options });
  running.push(fleet);
  return fleet;
}

function endpointOf(fleet: RunningFleet, backend: string): string {
  const found = fleet.describe().backends.find((b) => b.name === backend);
  if (!found) throw new Error(`no backend ${backend}`);
  return found.endpoint;
}

function chat(fleet: RunningFleet, backend: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${endpointOf(fleet, backend)}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'test-key', 'x-fleet-completion-tokens': '3', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
    ...(signal ? { signal } : {}),
  });
}

/** Sends a request and returns its status, reading the body so the connection is reusable. */
async function statusOf(fleet: RunningFleet, backend: string): Promise<number> {
  const res = await chat(fleet, backend);
  await res.arrayBuffer();
  return res.status;
}

async function control(fleet: RunningFleet, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fleet.describe().control}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

interface RuleView {
  id: string;
  kind: string;
  expiresAt: number | null;
  createdAt: number;
}

async function inject(fleet: RunningFleet, rule: Record<string, unknown>): Promise<RuleView> {
  const res = await control(fleet, 'POST', '/faults', rule);
  expect(res.status).toBe(201);
  return (await res.json()) as RuleView;
}

function requestRecords(fleet: RunningFleet): RequestRecord[] {
  return fleet.ledger.read(0, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

function faultRecords(fleet: RunningFleet): FaultChangeRecord[] {
  return fleet.ledger.read(0, 10_000).records.filter((r): r is FaultChangeRecord => r.type === 'fault');
}

function recordOf(fleet: RunningFleet, response: Response): RequestRecord {
  const matches = requestRecords(fleet).filter((r) => r.requestId === response.headers.get('x-request-id'));
  expect(matches).toHaveLength(1);
  return matches[0]!;
}

/** Polls until the predicate holds, or fails after `timeoutMs`. */
async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function recordWithCorrelation(fleet: RunningFleet, correlationId: string): Promise<RequestRecord> {
  return eventually(() => requestRecords(fleet).find((r) => r.correlationId === correlationId), 5_000, `a ledger record for ${correlationId}`);
}

/** The error code of a failed fetch (undici puts the socket error in `cause`). */
async function fetchErrorCode(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as { code?: string }).code ?? String(error);
  }
  throw new Error('expected the request to fail');
}

/** Opens a bare TCP connection: 'connected' or the socket error code. */
function tcpProbe(origin: string): Promise<string> {
  const url = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
  });
}

/** Reads a streamed body frame by frame until it ends or breaks. */
async function readStream(res: Response): Promise<{ payloads: string[]; error: string | null }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let error: string | null = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (e) {
    error = (e as { cause?: { code?: string } }).cause?.code ?? String(e);
  }
  const payloads = text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => frame.replace(/^data: /, ''));
  return { payloads, error };
}

describe('status faults', () => {
  it('answers 500, then 503, on one backend only, and stops when cleared', async () => {
    const fleet = await fleetOf();
    const rule = await inject(fleet, { kind: 'status', status: 500, target: { backend: 'aoai-east-1' } });
    expect(rule).toMatchObject({ kind: 'status', expiresAt: null });
    expect(rule.id).toMatch(/^[0-9a-f-]{36}$/);

    const broken = await chat(fleet, 'aoai-east-1');
    expect(broken.status).toBe(500);
    expect(broken.headers.get('x-fleet-backend')).toBe('aoai-east-1');
    expect(((await broken.json()) as { error: { type: string } }).error.type).toBe('server_error');
    expect(recordOf(fleet, broken)).toMatchObject({ status: 500, reason: 'fault:status', admissionCost: 0, backend: 'aoai-east-1' });
    expect(await statusOf(fleet, 'aoai-east-2')).toBe(200);
    expect(await statusOf(fleet, 'aoai-west-1')).toBe(200);

    const cleared = await control(fleet, 'DELETE', `/faults/${rule.id}`);
    expect(cleared.status).toBe(204);
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    const again = await control(fleet, 'DELETE', `/faults/${rule.id}`);
    expect(again.status).toBe(404);
    await again.arrayBuffer();

    await inject(fleet, { kind: 'status', status: 503, target: { backend: 'aoai-east-2' } });
    const unavailable = await chat(fleet, 'aoai-east-2');
    expect(unavailable.status).toBe(503);
    expect(((await unavailable.json()) as { error: { code: string } }).error.code).toBe('InternalServerError');
    expect(recordOf(fleet, unavailable)).toMatchObject({ status: 503, reason: 'fault:status' });
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    expect(await statusOf(fleet, 'aoai-west-1')).toBe(200);

    const clearAll = await control(fleet, 'DELETE', '/faults?backend=aoai-east-2');
    expect(await clearAll.json()).toEqual({ cleared: 1 });
    expect(await statusOf(fleet, 'aoai-east-2')).toBe(200);
  });

  it('answers 429 with the chosen Retry-After', async () => {
    const fleet = await fleetOf();
    await inject(fleet, { kind: 'status', status: 429, retryAfterSeconds: 17, target: { backend: 'aoai-west-1' } });
    const res = await chat(fleet, 'aoai-west-1');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('17');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('429');
    expect(body.error.message).toContain('17 seconds');
    expect(recordOf(fleet, res)).toMatchObject({ status: 429, reason: 'fault:status' });
  });

  it('fires at rate 0.5 on about half the requests, the same share for the same seed', async () => {
    const countFaults = async (): Promise<{ failed: number; sequence: string }> => {
      const fleet = await fleetOf(threeBackends, {}, 99);
      await inject(fleet, { kind: 'status', status: 500, rate: 0.5, target: { backend: 'aoai-east-1' } });
      let sequence = '';
      for (let i = 0; i < 200; i++) sequence += (await statusOf(fleet, 'aoai-east-1')) === 500 ? 'x' : '.';
      const records = requestRecords(fleet);
      expect(records.filter((r) => r.reason === 'fault:status')).toHaveLength([...sequence].filter((c) => c === 'x').length);
      expect(records.filter((r) => r.reason === 'ok')).toHaveLength([...sequence].filter((c) => c === '.').length);
      return { failed: [...sequence].filter((c) => c === 'x').length, sequence };
    };
    const first = await countFaults();
    expect(first.failed).toBeGreaterThanOrEqual(70);
    expect(first.failed).toBeLessThanOrEqual(130);
    // Seeded: a second fleet with the same seed fails the very same requests.
    const second = await countFaults();
    expect(second.sequence).toBe(first.sequence);
  });

  it('a region target hits every backend in that region and none elsewhere', async () => {
    const fleet = await fleetOf();
    await inject(fleet, { kind: 'status', status: 503, target: { region: 'east us' } });
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(503);
    expect(await statusOf(fleet, 'aoai-east-2')).toBe(503);
    expect(await statusOf(fleet, 'aoai-west-1')).toBe(200);
    const byBackend = Object.fromEntries(backendNames.map((name) => [name, requestRecords(fleet).find((r) => r.backend === name)?.reason]));
    expect(byBackend).toEqual({ 'aoai-east-1': 'fault:status', 'aoai-east-2': 'fault:status', 'aoai-west-1': 'ok' });
    // A backend filter does not clear a region rule; a region filter does.
    expect(await (await control(fleet, 'DELETE', '/faults?backend=aoai-east-1')).json()).toEqual({ cleared: 0 });
    expect(await (await control(fleet, 'DELETE', `/faults?region=${encodeURIComponent('east us')}`)).json()).toEqual({ cleared: 1 });
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
  });
});

describe('latency, hang and reset', () => {
  it('a latency fault delays the answer by at least the injected time', async () => {
    const fleet = await fleetOf();
    const latencyMs = 300;
    const rule = await inject(fleet, { kind: 'latency', latencyMs, target: { backend: 'aoai-east-1' } });
    const res = await chat(fleet, 'aoai-east-1');
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const record = recordOf(fleet, res);
    expect(record.reason).toBe('ok');
    // The reason stays ok; the record names the rule that delayed it.
    expect(record.faults).toEqual([rule.id]);
    // The fleet's own clock; both readings are whole milliseconds, so allow their truncation.
    expect(record.end - record.start).toBeGreaterThanOrEqual(latencyMs - 2);
    // Other backends are not delayed by the rule (no lower bound to check, only the reason).
    const untouched = await chat(fleet, 'aoai-west-1');
    expect(untouched.status).toBe(200);
    await untouched.arrayBuffer();
    expect('faults' in recordOf(fleet, untouched)).toBe(false);
  });

  it('names every rule that fired on a request, and only those', async () => {
    const fleet = await fleetOf();
    const slow = await inject(fleet, { kind: 'latency', latencyMs: 1, target: { region: 'East US' } });
    const broken = await inject(fleet, { kind: 'status', status: 503, target: { backend: 'aoai-east-2' } });
    await inject(fleet, { kind: 'status', status: 500, target: { backend: 'aoai-east-1' }, rate: 0 });
    const both = await chat(fleet, 'aoai-east-2');
    expect(both.status).toBe(503);
    await both.arrayBuffer();
    expect(recordOf(fleet, both)).toMatchObject({ reason: 'fault:status', faults: [slow.id, broken.id] });
    // The rule at rate 0 never fires, so only the latency rule is named.
    const delayed = await chat(fleet, 'aoai-east-1');
    expect(delayed.status).toBe(200);
    await delayed.arrayBuffer();
    expect(recordOf(fleet, delayed).faults).toEqual([slow.id]);
  });

  it('a hang holds the request until the client gives up; the ledger records 499 fault:hang', async () => {
    const fleet = await fleetOf();
    await inject(fleet, { kind: 'hang', target: { backend: 'aoai-east-1' } });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 300);
    try {
      const outcome = await chat(fleet, 'aoai-east-1', {}, { 'x-correlation-id': 'hang-1' }, controller.signal).then(
        () => 'answered',
        (error: unknown) => (error as Error).name,
      );
      expect(outcome).toBe('AbortError');
    } finally {
      clearTimeout(timer);
    }
    const record = await recordWithCorrelation(fleet, 'hang-1');
    expect(record).toMatchObject({ status: 499, reason: 'fault:hang', firstByte: null, admissionCost: 0, completionTokens: 0 });
    // Only the hung backend hangs.
    expect(await statusOf(fleet, 'aoai-east-2')).toBe(200);
  });

  it('a reset drops the connection; the ledger records fault:reset', async () => {
    const fleet = await fleetOf();
    await inject(fleet, { kind: 'reset', target: { backend: 'aoai-east-2' } });
    const code = await fetchErrorCode(chat(fleet, 'aoai-east-2', {}, { 'x-correlation-id': 'reset-1' }));
    expect(code).toBe('ECONNRESET');
    const record = await recordWithCorrelation(fleet, 'reset-1');
    expect(record).toMatchObject({ status: 0, reason: 'fault:reset', backend: 'aoai-east-2', firstByte: null, admissionCost: 0 });
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    await control(fleet, 'DELETE', '/faults?backend=aoai-east-2');
    expect(await statusOf(fleet, 'aoai-east-2')).toBe(200);
  });
});

describe('refuse', () => {
  it('refuses connections while active, accepts after DELETE, and comes back by itself after durationMs', async () => {
    const fleet = await fleetOf();
    const east1 = endpointOf(fleet, 'aoai-east-1');
    expect(await tcpProbe(east1)).toBe('connected');

    const rule = await inject(fleet, { kind: 'refuse', target: { backend: 'aoai-east-1' } });
    expect(await tcpProbe(east1)).toBe('ECONNREFUSED');
    expect(await fetchErrorCode(chat(fleet, 'aoai-east-1'))).toBe('ECONNREFUSED');
    // The others keep serving.
    expect(await tcpProbe(endpointOf(fleet, 'aoai-east-2'))).toBe('connected');
    expect(await statusOf(fleet, 'aoai-west-1')).toBe(200);

    expect((await control(fleet, 'DELETE', `/faults/${rule.id}`)).status).toBe(204);
    expect(await eventually(async () => ((await tcpProbe(east1)) === 'connected' ? true : undefined), 5_000, 'the listener to come back')).toBe(true);
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    // Same port as before.
    expect(endpointOf(fleet, 'aoai-east-1')).toBe(east1);

    const timed = await inject(fleet, { kind: 'refuse', durationMs: 400, target: { backend: 'aoai-east-1' } });
    expect(timed.expiresAt).toBe(timed.createdAt + 400);
    expect(await tcpProbe(east1)).toBe('ECONNREFUSED');
    await eventually(async () => ((await tcpProbe(east1)) === 'connected' ? true : undefined), 5_000, 'the refuse rule to expire');
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);

    const changes = faultRecords(fleet);
    expect(changes.map((c) => [c.action, c.rule.id])).toEqual([
      ['inject', rule.id],
      ['clear', rule.id],
      ['inject', timed.id],
      ['expire', timed.id],
    ]);
    for (let i = 1; i < changes.length; i++) {
      expect(changes[i]!.at).toBeGreaterThanOrEqual(changes[i - 1]!.at);
      expect(changes[i]!.seq).toBeGreaterThan(changes[i - 1]!.seq);
    }
    expect(changes[3]!.at).toBeGreaterThanOrEqual(timed.expiresAt!);
    const listed = (await (await control(fleet, 'GET', '/faults')).json()) as { faults: unknown[] };
    expect(listed.faults).toEqual([]);
  });

  it('survives a listener that cannot come back, and applies later refuse changes', async () => {
    const fleet = await fleetOf();
    const east1 = new URL(endpointOf(fleet, 'aoai-east-1'));
    const rule = await inject(fleet, { kind: 'refuse', target: { backend: 'aoai-east-1' } });
    expect(await tcpProbe(east1.origin)).toBe('ECONNREFUSED');
    // While the listener is down its port is free, and something else may take it (an
    // outgoing connection's ephemeral port, another process). Re-listening then fails.
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(Number(east1.port), '127.0.0.1', resolve));
    try {
      expect((await control(fleet, 'DELETE', `/faults/${rule.id}`)).status).toBe(204);
      // Later refuse changes still take effect.
      await inject(fleet, { kind: 'refuse', target: { backend: 'aoai-west-1' } });
      expect(await tcpProbe(endpointOf(fleet, 'aoai-west-1'))).toBe('ECONNREFUSED');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    // Once the port is free again, the next change brings both listeners back.
    await control(fleet, 'DELETE', '/faults?backend=aoai-west-1');
    await eventually(async () => ((await tcpProbe(endpointOf(fleet, 'aoai-west-1'))) === 'connected' ? true : undefined), 5_000, 'west to come back');
    expect(await statusOf(fleet, 'aoai-west-1')).toBe(200);
    await eventually(async () => ((await tcpProbe(east1.origin)) === 'connected' ? true : undefined), 5_000, 'east to come back');
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
  });

  it('a region refuse takes down every listener in the region', async () => {
    const fleet = await fleetOf();
    await inject(fleet, { kind: 'refuse', target: { region: 'East US' } });
    expect(await tcpProbe(endpointOf(fleet, 'aoai-east-1'))).toBe('ECONNREFUSED');
    expect(await tcpProbe(endpointOf(fleet, 'aoai-east-2'))).toBe('ECONNREFUSED');
    expect(await tcpProbe(endpointOf(fleet, 'aoai-west-1'))).toBe('connected');
    await control(fleet, 'DELETE', '/faults');
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    expect(await statusOf(fleet, 'aoai-east-2')).toBe(200);
  });
});

describe('stream faults', () => {
  const TOKEN_FRAME = (payload: string): boolean => payload.startsWith('{') && (JSON.parse(payload) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content !== undefined && (JSON.parse(payload) as { choices: { delta: { role?: string } }[] }).choices[0]!.delta.role === undefined;

  for (const mode of ['reset', 'close'] as const) {
    it(`truncate-stream (${mode}) cuts the stream after exactly 2 tokens`, async () => {
      const fleet = await fleetOf();
      await inject(fleet, { kind: 'truncate-stream', afterTokens: 2, truncateMode: mode, target: { backend: 'aoai-east-1' } });
      const res = await chat(fleet, 'aoai-east-1', { stream: true, stream_options: { include_usage: true } }, { 'x-fleet-completion-tokens': '6', 'x-correlation-id': `cut-${mode}` });
      expect(res.status).toBe(200);
      const { payloads, error } = await readStream(res);
      if (mode === 'reset') expect(error).toBe('ECONNRESET');
      else expect(error).toBeNull();
      // The prompt filter frame, the role frame, then two tokens: no finish, usage or [DONE].
      expect(payloads).toHaveLength(4);
      expect(payloads.filter(TOKEN_FRAME)).toHaveLength(2);
      expect(payloads).not.toContain('[DONE]');
      expect(payloads.some((p) => p.includes('"finish_reason":"stop"') || p.includes('"finish_reason":"length"'))).toBe(false);
      const record = await recordWithCorrelation(fleet, `cut-${mode}`);
      expect(record).toMatchObject({ status: 200, reason: 'fault:truncate-stream', completionTokens: 2, stream: true });
      // Other backends stream completely.
      const whole = await readStream(await chat(fleet, 'aoai-west-1', { stream: true }, { 'x-fleet-completion-tokens': '6' }));
      expect(whole.error).toBeNull();
      expect(whole.payloads.at(-1)).toBe('[DONE]');
      expect(whole.payloads.filter(TOKEN_FRAME)).toHaveLength(6);
    });
  }

  it('truncate-stream also truncates an answer shorter than the cut point', async () => {
    const fleet = await fleetOf();
    await inject(fleet, { kind: 'truncate-stream', afterTokens: 5, truncateMode: 'close', target: { backend: 'aoai-east-1' } });
    const { payloads } = await readStream(await chat(fleet, 'aoai-east-1', { stream: true }, { 'x-fleet-completion-tokens': '3', 'x-correlation-id': 'short' }));
    expect(payloads.filter(TOKEN_FRAME)).toHaveLength(3);
    expect(payloads).not.toContain('[DONE]');
    expect(await recordWithCorrelation(fleet, 'short')).toMatchObject({ reason: 'fault:truncate-stream', completionTokens: 3 });
  });

  it('slow-stream spaces the tokens by at least perTokenDelayMs', async () => {
    const fleet = await fleetOf();
    const perTokenDelayMs = 40;
    const tokens = 5;
    await inject(fleet, { kind: 'slow-stream', perTokenDelayMs, target: { backend: 'aoai-east-1' } });
    const res = await chat(fleet, 'aoai-east-1', { stream: true }, { 'x-fleet-completion-tokens': String(tokens), 'x-correlation-id': 'slow-stream' });
    const { payloads, error } = await readStream(res);
    expect(error).toBeNull();
    expect(payloads.at(-1)).toBe('[DONE]');
    const record = await recordWithCorrelation(fleet, 'slow-stream');
    expect(record).toMatchObject({ reason: 'ok', completionTokens: tokens });
    // Whole-millisecond readings of two clocks: allow their truncation.
    expect(record.end - record.firstByte!).toBeGreaterThanOrEqual(perTokenDelayMs * tokens - 2);

    // A non-streamed answer takes the same extra time.
    const plain = await chat(fleet, 'aoai-east-1', {}, { 'x-fleet-completion-tokens': String(tokens) });
    expect(plain.status).toBe(200);
    await plain.arrayBuffer();
    const plainRecord = recordOf(fleet, plain);
    expect(plainRecord.end - plainRecord.start).toBeGreaterThanOrEqual(perTokenDelayMs * tokens - 2);
  });
});

describe('fault rule validation', () => {
  const target = { backend: 'aoai-east-1' };
  const cases: [string, unknown, string][] = [
    ['status without status', { kind: 'status', target }, 'status: required for kind "status"'],
    ['latency without latencyMs', { kind: 'latency', target }, 'latencyMs: required for kind "latency"'],
    ['truncate-stream without afterTokens', { kind: 'truncate-stream', target }, 'afterTokens: required for kind "truncate-stream"'],
    ['unknown kind', { kind: 'explode', target }, 'kind: '],
    ['rate 2', { kind: 'status', status: 500, rate: 2, target }, 'rate: '],
    ['refuse with rate 0.5', { kind: 'refuse', rate: 0.5, target }, 'rate: a refused listener refuses every connection: rate must be 1'],
    ['refuse of one deployment', { kind: 'refuse', target: { backend: 'aoai-east-1', deployment: 'gpt-4o' } }, 'target.deployment: '],
    ['no target', { kind: 'status', status: 500 }, 'target: '],
    ['an empty target', { kind: 'status', status: 500, target: {} }, 'target: name a backend or a region'],
    ['retryAfterSeconds on latency', { kind: 'latency', latencyMs: 5, retryAfterSeconds: 3, target }, 'retryAfterSeconds: only for kind "status"'],
    ['an unknown field', { kind: 'status', status: 500, target, colour: 'red' }, '(body): '],
    ['a backend the fleet does not have', { kind: 'status', status: 500, target: { backend: 'aoai-east-9' } }, 'target.backend: no backend named "aoai-east-9" (the fleet has aoai-east-1, aoai-east-2, aoai-west-1)'],
    ['a region the fleet does not have', { kind: 'reset', target: { region: 'Central US' } }, 'target.region: no backend in region "Central US" (the fleet\'s regions: East US, West US)'],
    ['a backend outside the named region', { kind: 'hang', target: { backend: 'aoai-east-1', region: 'West US' } }, 'target.region: backend "aoai-east-1" is in East US, not in "West US"'],
    ['a deployment no targeted backend hosts', { kind: 'latency', latencyMs: 5, target: { region: 'east us', deployment: 'gpt-5' } }, 'target.deployment: no targeted backend hosts a deployment named "gpt-5" (they host gpt-4o)'],
  ];

  it.each(cases)('rejects %s with 400 naming the field', async (_name, rule, problem) => {
    const fleet = await fleetOf();
    const res = await control(fleet, 'POST', '/faults', rule);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; problems: string[] };
    expect(body.error).toBe('invalid fault rule');
    expect(body.problems.some((p) => p.startsWith(problem))).toBe(true);
    // Nothing was added and no request is affected.
    expect(((await (await control(fleet, 'GET', '/faults')).json()) as { faults: unknown[] }).faults).toEqual([]);
    expect(faultRecords(fleet)).toEqual([]);
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
  });

  it('rejects a body that is not JSON', async () => {
    const fleet = await fleetOf();
    const res = await control(fleet, 'POST', '/faults', '{kind:');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'the body is not valid JSON' });
  });
});

describe('control API', () => {
  it('pages the ledger with after and limit', async () => {
    const fleet = await fleetOf();
    for (let i = 0; i < 5; i++) expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    const all = (await (await control(fleet, 'GET', '/ledger')).json()) as LedgerPage;
    expect(all.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all.next).toBe(5);
    expect(all.truncated).toBe(false);

    const page1 = (await (await control(fleet, 'GET', '/ledger?after=0&limit=2')).json()) as LedgerPage;
    expect(page1.records.map((r) => r.seq)).toEqual([1, 2]);
    const page2 = (await (await control(fleet, 'GET', `/ledger?after=${page1.next}&limit=2`)).json()) as LedgerPage;
    expect(page2.records.map((r) => r.seq)).toEqual([3, 4]);
    const page3 = (await (await control(fleet, 'GET', `/ledger?after=${page2.next}&limit=2`)).json()) as LedgerPage;
    expect(page3.records.map((r) => r.seq)).toEqual([5]);
    const empty = (await (await control(fleet, 'GET', `/ledger?after=${page3.next}`)).json()) as LedgerPage;
    expect(empty).toEqual({ records: [], next: 5, truncated: false, last: 5 });
    // limit=0: where the ledger ends, without a record.
    expect(await (await control(fleet, 'GET', '/ledger?after=0&limit=0')).json()).toEqual({ records: [], next: 0, truncated: false, last: 5 });
    expect(page1.last).toBe(5);
    // The HTTP view is the ledger itself.
    expect(all.records).toEqual(fleet.ledger.read(0, 10).records);

    for (const bad of ['after=-1', 'after=x', 'limit=-1', 'limit=', 'limit=10001', 'after=1.5']) {
      const res = await control(fleet, 'GET', `/ledger?${bad}`);
      expect(res.status).toBe(400);
      await res.arrayBuffer();
    }
  });

  it('reports truncated when the requested records left the in-memory window', async () => {
    const fleet = await fleetOf(threeBackends, { ledgerWindow: 3 });
    for (let i = 0; i < 5; i++) expect(await statusOf(fleet, 'aoai-east-1')).toBe(200);
    const page = (await (await control(fleet, 'GET', '/ledger?after=0')).json()) as LedgerPage;
    expect(page.records.map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(page.truncated).toBe(true);
  });

  it('lists active faults, counts requests in /stats, answers /health and /fleet', async () => {
    const fleet = await fleetOf();
    const a = await inject(fleet, { kind: 'status', status: 500, target: { backend: 'aoai-east-1' }, label: 'step 1' });
    const b = await inject(fleet, { kind: 'latency', latencyMs: 1, target: { region: 'West US' } });
    const listed = (await (await control(fleet, 'GET', '/faults')).json()) as { faults: (RuleView & { label?: string; rate: number })[] };
    expect(listed.faults.map((f) => f.id).sort()).toEqual([a.id, b.id].sort());
    expect(listed.faults.find((f) => f.id === a.id)).toMatchObject({ kind: 'status', label: 'step 1', rate: 1 });

    await statusOf(fleet, 'aoai-east-1');
    await statusOf(fleet, 'aoai-east-1');
    await statusOf(fleet, 'aoai-west-1');
    await control(fleet, 'DELETE', `/faults/${a.id}`);
    await statusOf(fleet, 'aoai-east-1');
    const stats = await (await control(fleet, 'GET', '/stats')).json();
    expect(stats).toEqual({ 'aoai-east-1': { '200': 1, '500': 2 }, 'aoai-west-1': { '200': 1 } });

    const afterClear = (await (await control(fleet, 'GET', '/faults')).json()) as { faults: RuleView[] };
    expect(afterClear.faults.map((f) => f.id)).toEqual([b.id]);

    const health = await control(fleet, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    expect(await (await control(fleet, 'GET', '/fleet')).json()).toEqual(fleet.describe());
    const unknown = await control(fleet, 'GET', '/nope');
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
  });

  it('requires the control token when one is configured', async () => {
    const fleet = await fleetOf(threeBackends, { controlToken: 's3cret-token' });
    const without = await control(fleet, 'GET', '/health');
    expect(without.status).toBe(401);
    const withoutBody = await without.text();
    expect(withoutBody).not.toContain('s3cret-token');
    const wrong = await control(fleet, 'GET', '/health', undefined, { authorization: 'Bearer wrong' });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    const right = await control(fleet, 'GET', '/health', undefined, { authorization: 'Bearer s3cret-token' });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ ok: true });

    // Every endpoint is gated, not only /health.
    const injectWithout = await control(fleet, 'POST', '/faults', { kind: 'status', status: 500, target: { backend: 'aoai-east-1' } });
    expect(injectWithout.status).toBe(401);
    await injectWithout.arrayBuffer();
    expect(fleet.faults.list()).toEqual([]);
    const injectWith = await control(fleet, 'POST', '/faults', { kind: 'status', status: 500, target: { backend: 'aoai-east-1' } }, { authorization: 'Bearer s3cret-token' });
    expect(injectWith.status).toBe(201);
    await injectWith.arrayBuffer();
    expect(await statusOf(fleet, 'aoai-east-1')).toBe(500);
  });
});

describe('close', () => {
  it('leaves nothing listening, even with a refused listener and a hung request', async () => {
    const fleet = await fleetOf();
    const endpoints = [...fleet.describe().backends.map((b) => b.endpoint), fleet.describe().control];
    for (const endpoint of endpoints) expect(await tcpProbe(endpoint)).toBe('connected');

    await inject(fleet, { kind: 'refuse', target: { backend: 'aoai-west-1' } });
    await inject(fleet, { kind: 'hang', target: { backend: 'aoai-east-1' } });
    await inject(fleet, { kind: 'refuse', durationMs: 60_000, target: { backend: 'aoai-east-2' } });
    const hung = chat(fleet, 'aoai-east-1').then(
      () => 'answered',
      () => 'failed',
    );
    // Let the hung request reach the backend before closing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fleet.close();
    expect(await hung).toBe('failed');
    for (const endpoint of endpoints) expect(await tcpProbe(endpoint)).toBe('ECONNREFUSED');
    // Closing twice is harmless.
    await fleet.close();
  });
});
