import { describe, expect, it } from 'vitest';
import { seededRandom } from './random.ts';
import { buildRequest, chatRequest, embeddingsRequest, priorityHeader, REQUEST_TIMEOUT_SECONDS } from './requests.ts';
import { testPlan, trafficClass } from './test-support.ts';

const plan = testPlan({ baseUrl: 'https://gw.example.net' });

describe('chat requests', () => {
  it('post to the AI API with the subscription key, the priority and the filler prompt', () => {
    const request = chatRequest(plan, trafficClass({ priority: 'high', consumer: 'critical-ops', key: 'k-1' }), seededRandom(1));
    expect(request.url).toBe('https://gw.example.net/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(request.params.headers).toEqual({ 'api-key': 'k-1', 'content-type': 'application/json', 'X-Priority': 'high' });
    expect(request.params).toMatchObject({ responseType: 'text', timeout: `${REQUEST_TIMEOUT_SECONDS}s` });
    const body = JSON.parse(request.body) as { messages: { role: string; content: string }[]; max_tokens: number; stream?: boolean };
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]?.role).toBe('user');
    expect(body.messages[0]?.content.split(' ')).toHaveLength(40);
    expect(body.max_tokens).toBe(80);
    expect(body.stream).toBeUndefined();
  });

  it('tag the http_* samples with the plan scenario, consumer, priority and operation, never the key', () => {
    const request = chatRequest(plan, trafficClass({ key: 'secret-key' }), seededRandom(1));
    expect(request.params.tags).toEqual({ scenario: 'smoke', consumer: 'user-facing', priority: 'medium', operation: 'chat' });
    expect(JSON.stringify(request.params.tags)).not.toContain('secret-key');
  });

  it('carry a class\'s bearer token in Authorization (and nothing for a class without one), never in a tag', () => {
    const withToken = chatRequest(plan, trafficClass({ bearer: 'eyJh.eyJz.c2ln' }), seededRandom(1));
    expect(withToken.params.headers.Authorization).toBe('Bearer eyJh.eyJz.c2ln');
    expect(JSON.stringify(withToken.params.tags)).not.toContain('eyJh');
    expect(embeddingsRequest(plan, trafficClass({ operation: 'embeddings', bearer: 'eyJh.eyJz.' }), seededRandom(1)).params.headers.Authorization).toBe('Bearer eyJh.eyJz.');
    expect(chatRequest(plan, trafficClass(), seededRandom(1)).params.headers).not.toHaveProperty('Authorization');
  });

  it("carry the run's id as x-spillway-run when the plan has one (how a gateway's own logs are told apart by run), never as a tag", () => {
    const marked = chatRequest(testPlan({ runId: '2026-12-07T06-40-00Z-smoke' }), trafficClass(), seededRandom(1));
    expect(marked.params.headers['x-spillway-run']).toBe('2026-12-07T06-40-00Z-smoke');
    expect(Object.values(marked.params.tags)).not.toContain('2026-12-07T06-40-00Z-smoke');
    expect(embeddingsRequest(testPlan({ runId: 'r1' }), trafficClass({ operation: 'embeddings' }), seededRandom(1)).params.headers['x-spillway-run']).toBe('r1');
    expect(chatRequest(plan, trafficClass(), seededRandom(1)).params.headers).not.toHaveProperty('x-spillway-run');
  });

  it('send no X-Priority for priority none, and tag it as empty', () => {
    const traffic = trafficClass({ priority: 'none' });
    const request = chatRequest(plan, traffic, seededRandom(1));
    expect(request.params.headers).not.toHaveProperty('X-Priority');
    expect(request.params.tags.priority).toBe('');
    expect(priorityHeader(traffic)).toBe('');
  });

  it('ask a stream for its usage frame', () => {
    const body = JSON.parse(chatRequest(plan, trafficClass({ stream: true }), seededRandom(1)).body) as Record<string, unknown>;
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('draw sizes from the distributions, the same for the same random source', () => {
    const traffic = trafficClass({ promptWords: { kind: 'uniform', min: 5, max: 50 }, maxTokens: { kind: 'uniform', min: 10, max: 100 } });
    const a = chatRequest(plan, traffic, seededRandom(9));
    const b = chatRequest(plan, traffic, seededRandom(9));
    expect(a.body).toBe(b.body);
    expect(a.promptWords).toBeGreaterThanOrEqual(5);
    expect(a.promptWords).toBeLessThanOrEqual(50);
    expect(a.maxTokens).toBeGreaterThanOrEqual(10);
    expect(a.maxTokens).toBeLessThanOrEqual(100);
  });
});

describe('embeddings requests', () => {
  it('post the filler input to the embeddings deployment without max_tokens', () => {
    const request = embeddingsRequest(plan, trafficClass({ operation: 'embeddings', promptWords: { kind: 'fixed', value: 12 } }), seededRandom(1));
    expect(request.url).toBe('https://gw.example.net/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21');
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['input']);
    expect(String(body.input).split(' ')).toHaveLength(12);
    expect(request.params.tags.operation).toBe('embeddings');
  });

  it('is what buildRequest picks for the embeddings operation', () => {
    expect(buildRequest(plan, trafficClass({ operation: 'embeddings' }), seededRandom(1)).url).toContain('/embeddings?');
    expect(buildRequest(plan, trafficClass(), seededRandom(1)).url).toContain('/chat/completions?');
  });
});
