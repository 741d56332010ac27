import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from './fleet.ts';
import type { RequestRecord } from './ledger.ts';
import { parseTopology } from './topology.ts';

/**
 * The official `openai` npm package's AzureOpenAI client is the witness of wire
 * compatibility: if it parses our answers, streams our frames and honours our retry
 * headers, a gateway or an application will too.
 */
const apiVersion = '2024-10-21';
const messages = [
  { role: 'system' as const, content: 'You are a terse assistant.' },
  { role: 'user' as const, content: 'Name three rivers in Europe, please.' },
];

/** The cookbook formula, computed here with the encoder directly, independent of tokens.ts. */
function expectedPromptTokens(): number {
  return messages.reduce((sum, m) => sum + 3 + countTokens(m.role) + countTokens(m.content), 0) + 3;
}

let fleet: RunningFleet;
let endpoint: string;
let slowEndpoint: string;

beforeAll(async () => {
  const topology = parseTopology(
    JSON.stringify({
      seed: 7,
      latencyScale: 0,
      resources: [
        {
          name: 'aoai-test-ptu',
          region: 'East US',
          kind: 'ptu',
          deployments: [
            { name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 600000, completionLength: { kind: 'uniform', min: 20, max: 60 } },
            { name: 'text-embedding-3-small', model: 'text-embedding-3-small', capacityTpm: 600000 },
          ],
        },
        {
          // 3,000 TPM drains 0.05 tokens per ms; one second of capacity (50 tokens) is 100%.
          name: 'aoai-test-tiny',
          region: 'East US',
          kind: 'ptu',
          deployments: [{ name: 'gpt-4o', model: 'gpt-4o', capacityTpm: 3000, bucketSeconds: 1, completionLength: { kind: 'fixed', tokens: 150 } }],
        },
      ],
    }),
    'openai-compat.test',
  );
  fleet = await startFleet({ topology });
  endpoint = fleet.describe().backends[0]!.endpoint;
  slowEndpoint = fleet.describe().backends[1]!.endpoint;
});

afterAll(async () => {
  await fleet.close();
});

function client(at: string, extra: { fetch?: typeof fetch; maxRetries?: number; deployment?: string } = {}): AzureOpenAI {
  return new AzureOpenAI({ endpoint: at, apiKey: 'test-key', apiVersion, deployment: 'gpt-4o', ...extra });
}

describe('the official openai AzureOpenAI client against the fleet', () => {
  it('reads a chat completion whose usage matches the tokenizer', async () => {
    const answer = await client(endpoint).chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 100 });
    const content = answer.choices[0]?.message.content ?? '';
    expect(answer.object).toBe('chat.completion');
    expect(answer.model).toBe('gpt-4o-2024-11-20');
    expect(content.length).toBeGreaterThan(0);
    expect(answer.usage?.prompt_tokens).toBe(expectedPromptTokens());
    expect(answer.usage?.completion_tokens).toBe(countTokens(content));
    expect(answer.usage?.total_tokens).toBe(expectedPromptTokens() + countTokens(content));
  });

  it('streams with include_usage, and the usage chunk matches the streamed text', async () => {
    const stream = await client(endpoint).chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    let finishReason: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finishReason ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finishReason).toBe('stop');
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBe(countTokens(text));
    expect(usage?.prompt_tokens).toBe(expectedPromptTokens());
  });

  it('creates embeddings (the client asks for base64 and decodes it)', async () => {
    const embedder = client(endpoint, { deployment: 'text-embedding-3-small' });
    const result = await embedder.embeddings.create({ model: 'text-embedding-3-small', input: ['first text', 'second text'] });
    expect(result.data).toHaveLength(2);
    const [a, b] = [result.data[0]!.embedding, result.data[1]!.embedding];
    expect(a).toHaveLength(1536);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(a).not.toEqual(b);
    expect(result.usage.prompt_tokens).toBe(countTokens('first text') + countTokens('second text'));
  });

  it("retries a PTU 429 after the server's retry-after-ms", async () => {
    // Saturate the tiny deployment: 9 + 200 tokens admitted, settled to 9 + 150, which is
    // far over its 50-token bucket, so the next request must wait about two seconds.
    await client(slowEndpoint).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 200 });

    const attempts: { status: number; start: number; end: number; retryAfterMs: number | null }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const start = Date.now();
      const response = await fetch(input, init);
      const header = response.headers.get('retry-after-ms');
      attempts.push({ status: response.status, start, end: Date.now(), retryAfterMs: header === null ? null : Number(header) });
      return response;
    };
    const answer = await client(slowEndpoint, { fetch: recordingFetch, maxRetries: 2 }).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'again' }], max_tokens: 10 });

    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    const wait = attempts[0]!.retryAfterMs!;
    // The client's own backoff would retry after 0.375 to 0.5 s; the header asks for far more.
    expect(wait).toBeGreaterThan(1500);
    expect(attempts[1]!.start - attempts[0]!.end).toBeGreaterThanOrEqual(wait - 5);

    const tiny = fleet.ledger.read(0, 10_000).records.filter((r): r is RequestRecord => r.type === 'request' && r.backend === 'aoai-test-tiny');
    expect(tiny.map((r) => [r.status, r.reason])).toEqual([
      [200, 'ok'],
      [429, 'utilization'],
      [200, 'ok'],
    ]);
  });
});
