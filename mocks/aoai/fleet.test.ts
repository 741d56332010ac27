import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.ts';
import { startFleet, type FleetOptions, type RunningFleet } from './fleet.ts';
import type { RequestRecord } from './ledger.ts';
import { parseTopology } from './topology.ts';

/**
 * The fleet over real HTTP on loopback: what a gateway or SDK sees, and what the ledger
 * records about it. Every fleet is started on port 0 with latencyScale 0 and a fixed seed.
 */

const API_VERSION = '2024-10-21';
const running: RunningFleet[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.close()));
});

async function fleetOf(topology: Record<string, unknown>, options: Omit<FleetOptions, 'topology'> = {}): Promise<RunningFleet> {
  const fleet = await startFleet({ topology: parseTopology(JSON.stringify({ seed: 4242, latencyScale: 0, ...topology }), 'test'), ...options });
  running.push(fleet);
  return fleet;
}

function endpointOf(fleet: RunningFleet, backend: string): string {
  const found = fleet.describe().backends.find((b) => b.name === backend);
  if (!found) throw new Error(`no backend ${backend}`);
  return found.endpoint;
}

function chatUrl(fleet: RunningFleet, backend: string, deployment: string, query = `?api-version=${API_VERSION}`): string {
  return `${endpointOf(fleet, backend)}/openai/deployments/${deployment}/chat/completions${query}`;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'test-key', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function requestRecords(fleet: RunningFleet): RequestRecord[] {
  return fleet.ledger.read(0, 10_000).records.filter((r): r is RequestRecord => r.type === 'request');
}

/** The ledger record of an answered request: x-request-id is the ledger's requestId. */
function recordOf(fleet: RunningFleet, response: Response): RequestRecord {
  const id = response.headers.get('x-request-id');
  const matches = requestRecords(fleet).filter((r) => r.requestId === id);
  expect(matches).toHaveLength(1);
  return matches[0]!;
}

interface AzureErrorBody {
  error: { code?: string | null; message: string; type?: string; param?: string | null };
}

/** Chat prompt tokens by the cookbook formula, counted with the tokenizer directly. */
function chatPromptTokens(messages: { role: string; content: string }[], encode: (text: string) => number[]): number {
  return 3 + messages.reduce((sum, m) => sum + 3 + encode(m.role).length + encode(m.content).length, 0);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HI = [{ role: 'user', content: 'hi' }];

describe('chat completion over HTTP', () => {
  const topology = {
    resources: [{ name: 'aoai-east', region: 'East US', kind: 'ptu', deployments: [{ name: 'chat', model: 'gpt-4o', capacityTpm: 600_000 }] }],
  };

  it('answers with Azure headers, consistent usage and a complete ledger record', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-test-'));
    try {
      const ledgerPath = join(dir, 'ledger.jsonl');
      const fleet = await fleetOf(topology, { ledgerPath });
      const key = 'sub-key-0123456789-very-secret';
      const messages = [{ role: 'user', content: 'Say hello to the gateway' }];
      const res = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages, max_tokens: 100 }, {
        'x-fleet-completion-tokens': '7',
        'x-priority': 'high',
        'ocp-apim-subscription-key': key,
        'x-correlation-id': 'corr-123',
        'x-ms-client-request-id': 'client-req-1',
      });

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('x-ms-region')).toBe('East US');
      expect(res.headers.get('x-fleet-backend')).toBe('aoai-east');
      expect(res.headers.get('x-fleet-region')).toBe('East US');
      expect(res.headers.get('x-ms-deployment-name')).toBe('chat');
      expect(res.headers.get('x-ms-client-request-id')).toBe('client-req-1');
      expect(res.headers.get('x-request-id')).toMatch(UUID);
      expect(res.headers.get('apim-request-id')).toMatch(UUID);
      expect(res.headers.get('apim-request-id')).not.toBe(res.headers.get('x-request-id'));
      // A PTU deployment does not send PAYG quota headers.
      expect(res.headers.get('x-ratelimit-remaining-tokens')).toBeNull();

      const body = (await res.json()) as {
        object: string;
        model: string;
        id: string;
        choices: { finish_reason: string; message: { role: string; content: string } }[];
        usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details: unknown; completion_tokens_details: unknown };
      };
      const promptTokens = chatPromptTokens(messages, encodeO200k);
      expect(body.object).toBe('chat.completion');
      expect(body.model).toBe('gpt-4o-2024-11-20');
      expect(body.id).toMatch(/^chatcmpl-/);
      expect(body.choices).toHaveLength(1);
      expect(body.choices[0]!.message.role).toBe('assistant');
      expect(body.choices[0]!.finish_reason).toBe('stop');
      expect(encodeO200k(body.choices[0]!.message.content)).toHaveLength(7);
      expect(body.usage.prompt_tokens).toBe(promptTokens);
      expect(body.usage.completion_tokens).toBe(7);
      expect(body.usage.total_tokens).toBe(promptTokens + 7);
      // The whole usage object, as Azure sends it for gpt-4o (no prompt caching, no reasoning modelled).
      expect(body.usage.prompt_tokens_details).toEqual({ audio_tokens: 0, cached_tokens: 0 });
      expect(body.usage.completion_tokens_details).toEqual({ accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: 0, rejected_prediction_tokens: 0 });

      const record = recordOf(fleet, res);
      expect(record).toMatchObject({
        backend: 'aoai-east',
        region: 'East US',
        kind: 'ptu',
        deployment: 'chat',
        operation: 'chat',
        stream: false,
        status: 200,
        reason: 'ok',
        promptTokens,
        completionTokens: 7,
        admissionCost: promptTokens + 100,
        priority: 'high',
        correlationId: 'corr-123',
        auth: 'api-key',
        apiVersion: API_VERSION,
      });
      expect(record.start).toBeLessThanOrEqual(record.end);
      // The subscription key is a secret: only a fingerprint reaches the ledger.
      const fingerprint = record.subscriptionKeyFingerprint;
      expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
      expect(fingerprint).not.toBe(key);
      expect(key).not.toContain(fingerprint!);
      expect(JSON.stringify(record)).not.toContain(key);
      expect(createHash('sha256').update(key).digest('hex')).toContain(fingerprint!);

      // Same key, same fingerprint; another key, another fingerprint; no key, none.
      const again = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages: HI }, { 'ocp-apim-subscription-key': key });
      const other = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages: HI }, { 'ocp-apim-subscription-key': 'another-key' });
      const none = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages: HI });
      expect(recordOf(fleet, again).subscriptionKeyFingerprint).toBe(fingerprint);
      expect(recordOf(fleet, other).subscriptionKeyFingerprint).not.toBe(fingerprint);
      expect(recordOf(fleet, none).subscriptionKeyFingerprint).toBeNull();
      expect(recordOf(fleet, none).priority).toBeNull();
      expect(recordOf(fleet, none).correlationId).toBeNull();

      // The JSONL file holds the same records, and never the key.
      await fleet.close();
      const text = await readFile(ledgerPath, 'utf8');
      const lines = text.trim().split('\n');
      expect(lines).toHaveLength(4);
      expect(JSON.parse(lines[0]!)).toEqual(record);
      expect(text).not.toContain(key);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts a Bearer token and records the auth kind', async () => {
    const fleet = await fleetOf(topology);
    const res = await fetch(chatUrl(fleet, 'aoai-east', 'chat'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer some-entra-token' },
      body: JSON.stringify({ messages: HI }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(recordOf(fleet, res).auth).toBe('bearer');
  });

  it('caps the completion at max_tokens with finish_reason length', async () => {
    const fleet = await fleetOf(topology);
    const res = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages: HI, max_tokens: 4 }, { 'x-fleet-completion-tokens': '10' });
    const body = (await res.json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(body.choices[0]!.finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBe(4);
    expect(recordOf(fleet, res).completionTokens).toBe(4);
  });
});

describe('streaming', () => {
  const topology = {
    resources: [{ name: 'aoai-east', region: 'East US', kind: 'ptu', deployments: [{ name: 'chat', model: 'gpt-4o', capacityTpm: 600_000 }] }],
  };

  type Chunk = {
    choices: { delta: { content?: string; role?: string }; finish_reason: string | null; content_filter_results: Record<string, unknown> }[];
    id: string;
    model: string;
    object: string;
    created: number;
    usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
    prompt_filter_results?: unknown[];
  };

  /** Splits an SSE body into its data payloads, checking every frame is `data: ...` plus a blank line. */
  function sseFrames(text: string): string[] {
    expect(text.endsWith('\n\n')).toBe(true);
    const frames = text.slice(0, -2).split('\n\n');
    for (const frame of frames) {
      expect(frame.startsWith('data: ')).toBe(true);
      expect(frame).not.toContain('\n');
    }
    return frames.map((frame) => frame.slice('data: '.length));
  }

  it('sends prompt filter, role, one frame per token, finish, usage, then [DONE]', async () => {
    const fleet = await fleetOf(topology);
    const tokens = 5;
    const res = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages: HI, stream: true, stream_options: { include_usage: true } }, { 'x-fleet-completion-tokens': String(tokens) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-fleet-backend')).toBe('aoai-east');
    const payloads = sseFrames(await res.text());

    expect(payloads).toHaveLength(tokens + 5);
    expect(payloads.at(-1)).toBe('[DONE]');
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p) as Chunk);

    const [filter, role, ...rest] = chunks;
    expect(filter).toMatchObject({ choices: [], id: '', model: '', object: '', created: 0 });
    expect(filter!.prompt_filter_results).toHaveLength(1);

    expect(role!.choices[0]!.delta).toEqual({ content: '', refusal: null, role: 'assistant' });
    expect(role!.choices[0]!.finish_reason).toBeNull();

    const tokenChunks = rest.slice(0, tokens);
    for (const chunk of tokenChunks) {
      expect(chunk.choices).toHaveLength(1);
      expect(typeof chunk.choices[0]!.delta.content).toBe('string');
      expect(chunk.choices[0]!.finish_reason).toBeNull();
      expect(Object.keys(chunk.choices[0]!.content_filter_results).sort()).toEqual(['hate', 'self_harm', 'sexual', 'violence']);
      expect(chunk.usage).toBeNull();
    }
    const finish = rest[tokens]!;
    expect(finish.choices[0]!.delta).toEqual({});
    expect(finish.choices[0]!.finish_reason).toBe('stop');
    expect(finish.usage).toBeNull();

    const usageChunk = rest[tokens + 1]!;
    expect(usageChunk.choices).toEqual([]);
    const promptTokens = chatPromptTokens(HI, encodeO200k);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens });

    // Every answer chunk belongs to the same completion.
    const ids = new Set(chunks.slice(1).map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^chatcmpl-/);
    for (const chunk of chunks.slice(1)) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.model).toBe('gpt-4o-2024-11-20');
    }

    // The streamed text is exactly completion_tokens tokens long.
    const content = tokenChunks.map((c) => c.choices[0]!.delta.content).join('');
    expect(encodeO200k(content)).toHaveLength(usageChunk.usage!.completion_tokens);

    const record = recordOf(fleet, res);
    expect(record).toMatchObject({ stream: true, status: 200, reason: 'ok', completionTokens: tokens, promptTokens });
    expect(record.firstByte).not.toBeNull();
    expect(record.firstByte!).toBeGreaterThanOrEqual(record.start);
    expect(record.end).toBeGreaterThanOrEqual(record.firstByte!);
  });

  it('sends no usage frame and no usage fields without include_usage', async () => {
    const fleet = await fleetOf(topology);
    const res = await post(chatUrl(fleet, 'aoai-east', 'chat'), { messages: HI, stream: true }, { 'x-fleet-completion-tokens': '3' });
    const payloads = sseFrames(await res.text());
    expect(payloads).toHaveLength(3 + 4);
    expect(payloads.at(-1)).toBe('[DONE]');
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p) as Chunk);
    for (const chunk of chunks) expect('usage' in chunk).toBe(false);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('modelled latency over HTTP', () => {
  // No jitter, so the plan is exact: 200 ms to the first token, then 30 ms per further token.
  const topology = {
    latencyScale: 1,
    resources: [
      {
        name: 'aoai-slow',
        region: 'East US',
        kind: 'ptu',
        deployments: [{ name: 'chat', model: 'gpt-4o', capacityTpm: 600_000, latency: { timeToFirstTokenMs: { mean: 200, stdDev: 0 }, perTokenMs: { mean: 30, stdDev: 0 } } }],
      },
    ],
  };
  const tokens = 6;
  const totalMs = 200 + (tokens - 1) * 30;
  /**
   * Only lower bounds, measured from when the request was sent: a busy machine may make
   * anything later, never earlier. The slack: Node's timers may fire up to about 1 ms early,
   * once per chained sleep, and the ledger's Date.now() readings are whole milliseconds.
   */
  const slackMs = (sleeps: number): number => sleeps + 1;

  it('a non-streamed answer takes the whole time the stream would', async () => {
    const fleet = await fleetOf(topology);
    const sent = performance.now();
    const res = await post(chatUrl(fleet, 'aoai-slow', 'chat'), { messages: HI }, { 'x-fleet-completion-tokens': String(tokens) });
    await res.json();
    expect(res.status).toBe(200);
    // Two sleeps: the time to first token, then the rest.
    expect(performance.now() - sent).toBeGreaterThanOrEqual(totalMs - slackMs(2));
    const record = recordOf(fleet, res);
    expect(record.end - record.start).toBeGreaterThanOrEqual(totalMs - slackMs(2));
  });

  it('a stream sends its first token after the time to first token, and the rest over the per-token time', async () => {
    const fleet = await fleetOf(topology);
    const sent = performance.now();
    const res = await post(chatUrl(fleet, 'aoai-slow', 'chat'), { messages: HI, stream: true }, { 'x-fleet-completion-tokens': String(tokens) });
    expect(res.status).toBe(200);
    // When each content frame had fully arrived, relative to sending the request.
    const contentFrameAt: number[] = [];
    const decoder = new TextDecoder();
    let buffered = '';
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const at = performance.now() - sent;
      buffered += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (frame === 'data: [DONE]') continue;
        const delta = (JSON.parse(frame.slice('data: '.length)) as { choices: { delta?: { content?: string; role?: string } }[] }).choices[0]?.delta;
        if (delta?.content !== undefined && delta.role === undefined) contentFrameAt.push(at);
      }
    }
    expect(contentFrameAt).toHaveLength(tokens);
    // Token i goes out after the time to first token and i gaps, each its own sleep: a stream
    // that sent its tokens at once would have them all arrive just after 200 ms.
    contentFrameAt.forEach((at, i) => expect(at, `token ${i}`).toBeGreaterThanOrEqual(200 + i * 30 - slackMs(i + 1)));
    const record = recordOf(fleet, res);
    expect(record.firstByte! - record.start).toBeGreaterThanOrEqual(200 - slackMs(1));
    expect(record.end - record.start).toBeGreaterThanOrEqual(totalMs - slackMs(tokens));
  });
});

describe('PTU saturation', () => {
  // 600 TPM with a 1 s bucket: 10 tokens make 100%, draining 10 tokens a second.
  const topology = {
    resources: [{ name: 'aoai-ptu', region: 'East US', kind: 'ptu', deployments: [{ name: 'tiny', model: 'gpt-4o', capacityTpm: 600, bucketSeconds: 1, utilizationHeader: true }] }],
  };
  const big = { messages: HI, max_tokens: 500 };
  const promptTokens = chatPromptTokens(HI, encodeO200k);

  it('admits the first request, then answers 429 with retry-after-ms and charges nothing', async () => {
    const fleet = await fleetOf(topology);
    const url = chatUrl(fleet, 'aoai-ptu', 'tiny');
    const first = await post(url, big, { 'x-fleet-completion-tokens': '500' });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    expect(recordOf(fleet, first)).toMatchObject({ status: 200, reason: 'ok', admissionCost: promptTokens + 500 });

    // The bucket holds prompt + 500 tokens against a 10-token 100%: about 50 s to drain.
    const second = await post(url, big);
    expect(second.status).toBe(429);
    const retryAfterMs = second.headers.get('retry-after-ms');
    expect(retryAfterMs).toMatch(/^[1-9]\d*$/);
    const ms = Number(retryAfterMs);
    // At most the whole excess over 100% at 10 tokens a second (100 ms per token).
    expect(ms).toBeLessThanOrEqual((promptTokens + 500 - 10) * 100);
    expect(second.headers.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
    expect(second.headers.get('x-ms-region')).toBe('East US');
    const body = (await second.json()) as AzureErrorBody;
    expect(body.error.code).toBe('429');
    expect(body.error.message).toContain(`Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${API_VERSION} have exceeded the provisioned throughput`);
    expect(body.error.message).toContain(`Please retry after ${Math.ceil(ms / 1000)} seconds`);

    const record = recordOf(fleet, second);
    expect(record).toMatchObject({ status: 429, reason: 'utilization', admissionCost: 0, completionTokens: 0, promptTokens });
  });

  it('computes retry-after-ms exactly and admits again once it has passed (manual clock)', async () => {
    const clock = new ManualClock();
    const fleet = await fleetOf(topology, { clock });
    const url = chatUrl(fleet, 'aoai-ptu', 'tiny');
    const first = await post(url, big, { 'x-fleet-completion-tokens': '500' });
    expect(first.status).toBe(200);
    // (prompt + 500) tokens over a 10-token bucket.
    const percent = `${(((promptTokens + 500) / 10) * 100).toFixed(1)}%`;
    expect(first.headers.get('azure-openai-deployment-utilization')).toBe(percent);

    const expectedMs = (promptTokens + 500 - 10) * 100;
    const second = await post(url, big);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after-ms')).toBe(String(expectedMs));
    expect(second.headers.get('retry-after')).toBe(String(Math.ceil(expectedMs / 1000)));
    expect(second.headers.get('azure-openai-deployment-utilization')).toBe(percent);

    clock.advance(expectedMs - 1);
    const stillFull = await post(url, big);
    expect(stillFull.status).toBe(429);
    expect(stillFull.headers.get('retry-after-ms')).toBe('1');
    expect(stillFull.headers.get('retry-after')).toBe('1');

    clock.advance(1);
    const admitted = await post(url, { messages: HI, max_tokens: 5 }, { 'x-fleet-completion-tokens': '5' });
    expect(admitted.status).toBe(200);
    expect(recordOf(fleet, admitted).admissionCost).toBe(promptTokens + 5);
  });
});

describe('PAYG quota', () => {
  const WINDOW_MS = 10_000;
  // 1 000 TPM: 6 RPM, which the 10 s request window rounds up to 1 request per window.
  const topology = {
    resources: [{ name: 'aoai-payg', region: 'West US', kind: 'payg', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1000 }] }],
  };
  // "user" + "hi" is 6 characters: ceil(6 / 4) = 2 estimated prompt tokens.
  const estimate = (maxTokens: number): number => 2 + maxTokens;

  it('reports x-ratelimit-* figures consistent with the configured TPM and RPM', async () => {
    const fleet = await fleetOf(topology);
    const res = await post(chatUrl(fleet, 'aoai-payg', 'gpt-4o'), { messages: HI, max_tokens: 10 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1000 - estimate(10)));
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('6');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('5');
    await res.arrayBuffer();
    expect(recordOf(fleet, res)).toMatchObject({ kind: 'payg', status: 200, reason: 'ok', admissionCost: estimate(10) });
  });

  it('throttles back-to-back requests on the 10 s request window (system clock)', async () => {
    const fleet = await fleetOf(topology);
    const url = chatUrl(fleet, 'aoai-payg', 'gpt-4o');
    const statuses: number[] = [];
    const throttled: Response[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(url, { messages: HI, max_tokens: 10 });
      statuses.push(res.status);
      if (res.status === 429) throttled.push(res);
      else await res.arrayBuffer();
    }
    const records = requestRecords(fleet);
    expect(records).toHaveLength(4);
    // Each window admits at most one request, and four quick requests touch at most a
    // couple of windows: whatever the alignment, admissions are bounded by the windows touched.
    const windowsTouched = Math.floor(records.at(-1)!.end / WINDOW_MS) - Math.floor(records[0]!.start / WINDOW_MS) + 1;
    const admitted = records.filter((r) => r.status === 200);
    expect(admitted.length).toBeLessThanOrEqual(windowsTouched);
    expect(admitted.length).toBeGreaterThanOrEqual(1);
    expect(throttled.length).toBe(4 - admitted.length);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    // A record whose start and end fall in one window was admitted in that window (the
    // limiter decides between the two): per window, at most one such admission.
    const perWindow = new Map<number, number>();
    for (const r of admitted) {
      const window = Math.floor(r.start / WINDOW_MS);
      if (Math.floor(r.end / WINDOW_MS) === window) perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
    }
    for (const count of perWindow.values()) expect(count).toBe(1);

    for (const res of throttled) {
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(10);
      expect(res.headers.get('x-ratelimit-reset-requests')).toBe(String(retryAfter));
      expect(res.headers.get('policy-id')).toBe('DeploymentRatelimit-Call');
      const body = (await res.json()) as AzureErrorBody;
      expect(body.error.code).toBe('RateLimitReached');
      expect(body.error.message).toContain('exceeded the call rate limit');
      expect(recordOf(fleet, res)).toMatchObject({ status: 429, reason: 'rpm', admissionCost: 0 });
    }
  });

  it('gives exact rpm and tpm throttles and resets at the window edges (manual clock)', async () => {
    // 3 s into a 10 s window and into a minute: the request window resets in 7 s, the minute in 57 s.
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 3));
    const fleet = await fleetOf(
      {
        resources: [
          {
            name: 'aoai-payg',
            region: 'West US',
            kind: 'payg',
            deployments: [
              { name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1000 },
              { name: 'wide', model: 'gpt-4o', capacityTpm: 1000, rpm: 600 },
            ],
          },
        ],
      },
      { clock },
    );

    // RPM: one request per 10 s window.
    const rpmUrl = chatUrl(fleet, 'aoai-payg', 'gpt-4o');
    expect((await post(rpmUrl, { messages: HI, max_tokens: 10 })).status).toBe(200);
    const rpm = await post(rpmUrl, { messages: HI, max_tokens: 10 });
    expect(rpm.status).toBe(429);
    expect(rpm.headers.get('retry-after')).toBe('7');
    expect(rpm.headers.get('x-ratelimit-reset-requests')).toBe('7');
    expect(rpm.headers.get('x-ratelimit-reset-tokens')).toBe('57');
    expect(rpm.headers.get('policy-id')).toBe('DeploymentRatelimit-Call');
    expect(rpm.headers.get('x-ratelimit-remaining-requests')).toBe('5');
    const rpmBody = (await rpm.json()) as AzureErrorBody;
    expect(rpmBody.error.code).toBe('RateLimitReached');
    expect(rpmBody.error.message).toBe(
      `Your requests to gpt-4o for gpt-4o in West US have exceeded the call rate limit for your current AIServices S0 pricing tier. This request was for ChatCompletions_Create under Azure OpenAI API version ${API_VERSION}. Please retry after 7 seconds. To increase your default rate limit, visit: https://aka.ms/oai/quotaincrease.`,
    );
    expect(recordOf(fleet, rpm)).toMatchObject({ reason: 'rpm', status: 429, admissionCost: 0 });
    clock.advance(6_999);
    expect((await post(rpmUrl, { messages: HI, max_tokens: 10 })).status).toBe(429);
    clock.advance(1);
    const nextWindow = await post(rpmUrl, { messages: HI, max_tokens: 10 });
    expect(nextWindow.status).toBe(200);
    expect(nextWindow.headers.get('x-ratelimit-remaining-requests')).toBe('4');

    // TPM: 1 000 estimated tokens a minute on the deployment with room for requests.
    const tpmUrl = chatUrl(fleet, 'aoai-payg', 'wide');
    const large = await post(tpmUrl, { messages: HI, max_tokens: 900 });
    expect(large.status).toBe(200);
    expect(large.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1000 - estimate(900)));
    const over = await post(tpmUrl, { messages: HI, max_tokens: 100 });
    expect(over.status).toBe(429);
    // Now 10 s into the minute: 50 s to its end.
    expect(over.headers.get('retry-after')).toBe('50');
    expect(over.headers.get('x-ratelimit-reset-tokens')).toBe('50');
    expect(over.headers.get('policy-id')).toBe('DeploymentRatelimit-Token');
    const overBody = (await over.json()) as AzureErrorBody;
    expect(overBody.error.code).toBe('RateLimitReached');
    expect(overBody.error.message).toContain('exceeded the token rate limit');
    expect(recordOf(fleet, over)).toMatchObject({ reason: 'tpm', status: 429, admissionCost: 0 });
    // Exactly what is left still fits.
    const exact = await post(tpmUrl, { messages: HI, max_tokens: 1000 - estimate(900) - 2 });
    expect(exact.status).toBe(200);
    expect(exact.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    clock.advance(50_000);
    const newMinute = await post(tpmUrl, { messages: HI, max_tokens: 100 });
    expect(newMinute.status).toBe(200);
    expect(newMinute.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1000 - estimate(100)));
  });

  it('throttles on tpm a request larger than the whole minute (system clock)', async () => {
    const fleet = await fleetOf(topology);
    const res = await post(chatUrl(fleet, 'aoai-payg', 'gpt-4o'), { messages: HI, max_tokens: 2000 });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('x-ratelimit-reset-tokens')).toBe(String(retryAfter));
    expect(res.headers.get('policy-id')).toBe('DeploymentRatelimit-Token');
    expect(((await res.json()) as AzureErrorBody).error.code).toBe('RateLimitReached');
    expect(recordOf(fleet, res)).toMatchObject({ reason: 'tpm', admissionCost: 0 });
  });

  it('answers a "high demand" capacity 429 below quota at capacity429Rate 1', async () => {
    const fleet = await fleetOf({
      resources: [{ name: 'aoai-payg', region: 'West US', kind: 'payg', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 100_000, capacity429Rate: 1 }] }],
    });
    for (let i = 0; i < 3; i++) {
      const res = await post(chatUrl(fleet, 'aoai-payg', 'gpt-4o'), { messages: HI });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('6');
      const body = (await res.json()) as AzureErrorBody;
      expect(body.error.code).toBe('429');
      expect(body.error.message).toContain('experiencing high demand');
      expect(body.error.message).toContain('Please retry after 6 seconds');
      expect(recordOf(fleet, res)).toMatchObject({ status: 429, reason: 'capacity', admissionCost: 0 });
    }
  });
});

describe('bad input', () => {
  let fleet: RunningFleet;
  const MAX_BODY = 2048;

  beforeAll(async () => {
    fleet = await startFleet({
      topology: parseTopology(
        JSON.stringify({
          seed: 7,
          latencyScale: 0,
          maxRequestBodyBytes: MAX_BODY,
          resources: [
            {
              name: 'aoai-open',
              region: 'East US',
              kind: 'ptu',
              deployments: [
                { name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 600_000 },
                { name: 'gpt-4', model: 'gpt-4', capacityTpm: 600_000 },
              ],
            },
            { name: 'aoai-keyed', region: 'West US', kind: 'ptu', apiKeys: ['right-key'], deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 600_000 }] },
          ],
        }),
        'test',
      ),
    });
  });
  afterAll(async () => {
    await fleet.close();
  });

  /** After every rejection the fleet still answers a good request. */
  async function expectStillServing(): Promise<void> {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { messages: HI }, { 'x-fleet-completion-tokens': '2' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(2);
  }

  async function expectRejected(res: Response, status: number, reason: RequestRecord['reason'], error: Partial<AzureErrorBody['error']>): Promise<RequestRecord> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-fleet-backend')).not.toBeNull();
    const body = (await res.json()) as AzureErrorBody;
    expect(body.error).toMatchObject(error);
    const record = recordOf(fleet, res);
    expect(record).toMatchObject({ status, reason, admissionCost: 0, completionTokens: 0 });
    await expectStillServing();
    return record;
  }

  it('missing api-version: 404 Resource not found', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o', ''), { messages: HI });
    const record = await expectRejected(res, 404, 'not-found', { code: '404', message: 'Resource not found' });
    expect(record.apiVersion).toBeNull();
  });

  it('malformed api-version: 404 Resource not found', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o', '?api-version=latest'), { messages: HI });
    await expectRejected(res, 404, 'not-found', { code: '404', message: 'Resource not found' });
  });

  it('a well-formed api-version Azure never served: 404 Resource not found, as for a missing one', async () => {
    for (const version of ['1999-01-01', '2024-13-45', '2024-10-21-preview']) {
      const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o', `?api-version=${version}`), { messages: HI });
      const record = await expectRejected(res, 404, 'not-found', { code: '404', message: 'Resource not found' });
      expect(record.apiVersion).toBe(version);
    }
    // A served preview still answers.
    expect((await post(chatUrl(fleet, 'aoai-open', 'gpt-4o', '?api-version=2025-04-01-preview'), { messages: HI })).status).toBe(200);
  });

  it('unknown deployment: 404 DeploymentNotFound', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'no-such-deployment'), { messages: HI });
    const record = await expectRejected(res, 404, 'not-found', { code: 'DeploymentNotFound' });
    expect(record.deployment).toBe('no-such-deployment');
  });

  it('no api-key or bearer: 401', async () => {
    const res = await fetch(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: HI }) });
    const record = await expectRejected(res, 401, 'unauthorized', { code: '401' });
    expect(record.auth).toBe('none');
  });

  it('wrong key where apiKeys are configured: 401; the right key or bearer token: 200', async () => {
    const url = chatUrl(fleet, 'aoai-keyed', 'gpt-4o');
    await expectRejected(await post(url, { messages: HI }, { 'api-key': 'wrong-key' }), 401, 'unauthorized', { code: '401' });
    await expectRejected(
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-key' }, body: JSON.stringify({ messages: HI }) }),
      401,
      'unauthorized',
      { code: '401' },
    );
    const right = await post(url, { messages: HI }, { 'api-key': 'right-key' });
    expect(right.status).toBe(200);
    await right.arrayBuffer();
    const bearer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer right-key' }, body: JSON.stringify({ messages: HI }) });
    expect(bearer.status).toBe(200);
    await bearer.arrayBuffer();
    // The key itself never reaches the ledger.
    expect(JSON.stringify(fleet.ledger.read(0, 10_000).records)).not.toContain('right-key');
  });

  it('text/plain content type: 415', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), JSON.stringify({ messages: HI }), { 'content-type': 'text/plain' });
    await expectRejected(res, 415, 'bad-request', { code: 'UnsupportedMediaType' });
  });

  it('malformed JSON: 400', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), '{"messages": [');
    const record = await expectRejected(res, 400, 'bad-request', { type: 'invalid_request_error', code: null });
    expect(record.operation).toBe('chat');
  });

  it("missing messages: 400 'messages' is a required property", async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { max_tokens: 5 });
    await expectRejected(res, 400, 'bad-request', { message: "'messages' is a required property", param: 'messages', type: 'invalid_request_error' });
  });

  it('messages not an array: 400', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { messages: 'hello' });
    await expectRejected(res, 400, 'bad-request', { message: `"hello" is not of type 'array' - 'messages'`, param: 'messages' });
  });

  it('a content part that is not an object, or has no type: 400, never a handler crash', async () => {
    const notObject = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { messages: [{ role: 'user', content: [null] }] });
    await expectRejected(notObject, 400, 'bad-request', { message: `null is not of type 'object' - 'messages.0.content.0'`, param: 'messages' });
    const noType = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { text: 'b' }] }] });
    await expectRejected(noType, 400, 'bad-request', { message: `'type' is a required property - 'messages.0.content.1'`, param: 'messages' });
    const typeNotString = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { messages: [{ role: 'user', content: [{ type: 7 }] }] });
    await expectRejected(typeNotString, 400, 'bad-request', { message: `7 is not of type 'string' - 'messages.0.content.0.type'`, param: 'messages' });
  });

  it('/completions on gpt-4o: 400 OperationNotSupported', async () => {
    const res = await post(`${endpointOf(fleet, 'aoai-open')}/openai/deployments/gpt-4o/completions?api-version=${API_VERSION}`, { prompt: 'hi' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as AzureErrorBody;
    expect(body.error.code).toBe('OperationNotSupported');
    expect(body.error.message).toMatch(/^The completion operation does not work with the specified model, gpt-4o\./);
    expect(recordOf(fleet, res)).toMatchObject({ status: 400, reason: 'bad-request', operation: 'completions', admissionCost: 0 });
    await expectStillServing();
  });

  it('/embeddings on gpt-4o: 400 OperationNotSupported', async () => {
    const url = `${endpointOf(fleet, 'aoai-open')}/openai/deployments/gpt-4o/embeddings?api-version=${API_VERSION}`;
    const res = await post(url, { input: 'hi' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as AzureErrorBody;
    expect(body.error.code).toBe('OperationNotSupported');
    expect(body.error.message).toMatch(/^The embeddings operation does not work with the specified model, gpt-4o\./);
    expect(recordOf(fleet, res)).toMatchObject({ status: 400, reason: 'bad-request', operation: 'embeddings', admissionCost: 0 });
    await expectStillServing();
  });

  it('prompt + max_tokens over the context window: 400 context_length_exceeded', async () => {
    const messages = [{ role: 'user', content: 'Summarise the history of rivers in two lines.' }];
    const prompt = chatPromptTokens(messages, encodeCl100k);
    const maxTokens = 8192 - prompt + 1;
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4'), { messages, max_tokens: maxTokens });
    const record = await expectRejected(res, 400, 'context-length', {
      code: 'context_length_exceeded',
      param: 'messages',
      message: `This model's maximum context length is 8192 tokens. However, you requested 8193 tokens (${prompt} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
    });
    expect(record.promptTokens).toBe(prompt);
    // One token less fits.
    const fits = await post(chatUrl(fleet, 'aoai-open', 'gpt-4'), { messages, max_tokens: maxTokens - 1 }, { 'x-fleet-completion-tokens': '1' });
    expect(fits.status).toBe(200);
    await fits.arrayBuffer();
  });

  it('body over maxRequestBodyBytes (declared length): 413, and the fleet keeps serving', async () => {
    const res = await post(chatUrl(fleet, 'aoai-open', 'gpt-4o'), { messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY * 3) }] });
    const record = await expectRejected(res, 413, 'bad-request', { code: 'RequestEntityTooLarge', message: `The request body is larger than the limit of ${MAX_BODY} bytes.` });
    expect(record).toMatchObject({ backend: 'aoai-open', deployment: 'gpt-4o', operation: 'unknown' });
  });

  it('chunked body over maxRequestBodyBytes: 413, and the fleet keeps serving', async () => {
    const url = new URL(chatUrl(fleet, 'aoai-open', 'gpt-4o'));
    const answer = await new Promise<{ status: number; body: string; requestId: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'api-key': 'k', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, requestId: String(res.headers['x-request-id']) }));
        res.on('error', reject);
      });
      // The server may close before the client has written everything; that is not the point here.
      req.on('error', () => undefined);
      req.write('{"messages":[{"role":"user","content":"');
      req.write('y'.repeat(MAX_BODY));
      req.end('"}]}');
    });
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.body) as AzureErrorBody).error.code).toBe('RequestEntityTooLarge');
    expect(requestRecords(fleet).find((r) => r.requestId === answer.requestId)).toMatchObject({ status: 413, reason: 'bad-request' });
    await expectStillServing();
  });

  it('unknown path: 404', async () => {
    const res = await post(`${endpointOf(fleet, 'aoai-open')}/openai/deployments/gpt-4o/images/generations?api-version=${API_VERSION}`, { prompt: 'a cat' });
    const record = await expectRejected(res, 404, 'not-found', { code: '404', message: 'Resource not found' });
    expect(record.operation).toBe('unknown');
    const root = await fetch(`${endpointOf(fleet, 'aoai-open')}/`);
    expect(root.status).toBe(404);
    await root.arrayBuffer();
    expect(recordOf(fleet, root)).toMatchObject({ status: 404, reason: 'not-found', deployment: '' });
    await expectStillServing();
  });
});

describe('embeddings', () => {
  const topology = {
    resources: [
      {
        name: 'aoai-embed',
        region: 'East US',
        kind: 'ptu',
        deployments: [
          { name: 'small', model: 'text-embedding-3-small', capacityTpm: 600_000 },
          { name: 'ada', model: 'text-embedding-ada-002', capacityTpm: 600_000 },
        ],
      },
    ],
  };
  type EmbeddingsBody = { object: string; model: string; data: { object: string; index: number; embedding: number[] | string }[]; usage: { prompt_tokens: number; total_tokens: number } };
  const embedUrl = (fleet: RunningFleet, deployment: string): string => `${endpointOf(fleet, 'aoai-embed')}/openai/deployments/${deployment}/embeddings?api-version=${API_VERSION}`;

  function decodeBase64Floats(text: string): number[] {
    const bytes = Buffer.from(text, 'base64');
    expect(bytes.length % 4).toBe(0);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }

  it('returns float vectors of the native width with usage and a ledger record', async () => {
    const fleet = await fleetOf(topology);
    const inputs = ['the quick brown fox', 'jumps over the lazy dog'];
    const res = await post(embedUrl(fleet, 'small'), { input: inputs });
    expect(res.status).toBe(200);
    const body = (await res.json()) as EmbeddingsBody;
    expect(body.object).toBe('list');
    expect(body.model).toBe('text-embedding-3-small');
    expect(body.data.map((d) => [d.object, d.index])).toEqual([
      ['embedding', 0],
      ['embedding', 1],
    ]);
    const tokens = inputs.reduce((sum, input) => sum + encodeCl100k(input).length, 0);
    expect(body.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    for (const item of body.data) {
      const vector = item.embedding as number[];
      expect(vector).toHaveLength(1536);
      expect(Math.sqrt(vector.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
    }
    expect(body.data[0]!.embedding).not.toEqual(body.data[1]!.embedding);
    expect(recordOf(fleet, res)).toMatchObject({ operation: 'embeddings', status: 200, reason: 'ok', promptTokens: tokens, completionTokens: 0 });
  });

  it('base64 decodes to the same values as float', async () => {
    const fleet = await fleetOf(topology);
    const floatBody = (await (await post(embedUrl(fleet, 'small'), { input: 'compare me', encoding_format: 'float' })).json()) as EmbeddingsBody;
    const base64Res = await post(embedUrl(fleet, 'small'), { input: 'compare me', encoding_format: 'base64' });
    expect(base64Res.status).toBe(200);
    const base64Body = (await base64Res.json()) as EmbeddingsBody;
    expect(typeof base64Body.data[0]!.embedding).toBe('string');
    const decoded = decodeBase64Floats(base64Body.data[0]!.embedding as string);
    const floats = floatBody.data[0]!.embedding as number[];
    expect(decoded).toHaveLength(1536);
    // Float output is rounded to 9 decimals; base64 carries the float32 bits.
    decoded.forEach((value, i) => expect(Math.abs(value - floats[i]!)).toBeLessThanOrEqual(1e-9));
  });

  it('honours dimensions on text-embedding-3-small, in both formats', async () => {
    const fleet = await fleetOf(topology);
    const asFloat = (await (await post(embedUrl(fleet, 'small'), { input: 'short', dimensions: 256 })).json()) as EmbeddingsBody;
    expect(asFloat.data[0]!.embedding).toHaveLength(256);
    const asBase64 = (await (await post(embedUrl(fleet, 'small'), { input: 'short', dimensions: 256, encoding_format: 'base64' })).json()) as EmbeddingsBody;
    expect(decodeBase64Floats(asBase64.data[0]!.embedding as string)).toHaveLength(256);

    const tooWide = await post(embedUrl(fleet, 'small'), { input: 'short', dimensions: 1537 });
    expect(tooWide.status).toBe(400);
    expect(((await tooWide.json()) as AzureErrorBody).error).toMatchObject({ param: 'dimensions', message: "Invalid value for 'dimensions' = 1537. Must be an integer between 1 and 1536." });
    expect(recordOf(fleet, tooWide)).toMatchObject({ status: 400, reason: 'bad-request', admissionCost: 0 });
  });

  it('rejects dimensions for a model that does not accept it', async () => {
    const fleet = await fleetOf(topology);
    const res = await post(embedUrl(fleet, 'ada'), { input: 'short', dimensions: 256 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as AzureErrorBody).error).toMatchObject({ param: 'dimensions', message: 'This model does not support specifying dimensions.', type: 'invalid_request_error' });
    expect(recordOf(fleet, res)).toMatchObject({ status: 400, reason: 'bad-request', operation: 'embeddings' });
    const plain = (await (await post(embedUrl(fleet, 'ada'), { input: 'short' })).json()) as EmbeddingsBody;
    expect(plain.data[0]!.embedding).toHaveLength(1536);
  });
});

describe('a ledger that cannot be written', () => {
  it('rejects the start, naming the ledger, instead of serving without one', async () => {
    // A folder where the ledger file should be: the open fails after the folders exist.
    const dir = await mkdtemp(join(tmpdir(), 'fleet-ledger-dir-'));
    const started = fleetOf({ resources: [{ name: 'aoai-a', region: 'East US', kind: 'ptu', deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 1000 }] }] }, { ledgerPath: dir });
    await expect(started).rejects.toThrow(`cannot open the ledger ${dir}: EISDIR`);
    await rm(dir, { recursive: true });
  });
});
