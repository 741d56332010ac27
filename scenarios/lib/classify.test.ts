import { describe, expect, it } from 'vitest';
import { classify, errorOrigin, gatewayReason, header, type ResponseLike } from './classify.ts';
import { testPlan, trafficClass } from './test-support.ts';

const plan = testPlan({ name: 'token-limit' });
const traffic = trafficClass({ consumer: 'dev-test', priority: 'medium' });

/** Headers as k6 hands them over: canonicalised names. */
const throughFrontDoor = { 'X-Fd-Origin': 'East US', 'X-Azure-Ref': '20261122T0000Z-abc' };
const fromBackend = { ...throughFrontDoor, 'X-Fleet-Backend': 'aoai-eastus-ptu1', 'X-Fleet-Region': 'East US' };
const gatewayBody = (status: number, message: string) => JSON.stringify({ statusCode: status, message });

function response(status: number, headers: Record<string, string>, body: string | null): ResponseLike {
  return { status, headers, body };
}

describe('classify', () => {
  it('records a successful chat answer with its backend, region, front door origin and usage', () => {
    const tags = classify(
      response(200, { ...fromBackend, 'X-Gateway-Remaining-Tokens': '19871', 'Content-Type': 'application/json' }, JSON.stringify({ choices: [], usage: { prompt_tokens: 49, completion_tokens: 80 } })),
      plan,
      traffic,
    );
    expect(tags).toEqual({
      status: '200',
      scenario: 'token-limit',
      consumer: 'dev-test',
      priority: 'medium',
      operation: 'chat',
      stream: 'false',
      served_by: 'aoai-eastus-ptu1',
      served_region: 'East US',
      fd_origin: 'East US',
      error_origin: '',
      gateway_reason: '',
      retry_after: '',
      remaining_tokens: '19871',
      prompt_tokens: '49',
      completion_tokens: '80',
    });
  });

  it('reads a stream\'s usage frame', () => {
    const body = 'data: {"choices":[],"usage":null}\n\ndata: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":10}}\n\ndata: [DONE]\n\n';
    const tags = classify(response(200, fromBackend, body), plan, trafficClass({ stream: true, priority: 'none' }));
    expect(tags).toMatchObject({ stream: 'true', priority: '', prompt_tokens: '9', completion_tokens: '10' });
  });

  it('attributes the gateway\'s own refusals and names why', () => {
    const cases: [number, string, string][] = [
      [429, 'Token limit is exceeded. Try again in 42 seconds.', 'token-limit'],
      [429, 'Rate limit is exceeded. Try again in 17 seconds.', 'rate-limit'],
      [403, 'Token quota is exceeded. Try again in 00:59:12.', 'token-quota'],
      [403, 'Out of call volume quota. Quota will be replenished in 00:10:00.', 'quota'],
      [503, 'Backend pool is temporarily unavailable: every member is tripped by its circuit breaker.', 'pool-exhausted'],
      [401, 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.', 'other'],
      [504, 'Backend did not respond in time.', 'other'],
    ];
    for (const [status, message, reason] of cases) {
      const tags = classify(response(status, { ...throughFrontDoor, 'Retry-After': '42', 'X-Gateway-Remaining-Tokens': '0' }, gatewayBody(status, message)), plan, traffic);
      expect({ message, origin: tags.error_origin, reason: tags.gateway_reason }).toEqual({ message, origin: 'gateway', reason });
      expect(tags).toMatchObject({ served_by: '', retry_after: '42', remaining_tokens: '0', prompt_tokens: '0', completion_tokens: '0' });
    }
  });

  it('calls any gateway 503 without a backend pool-exhausted', () => {
    expect(gatewayReason(response(503, {}, gatewayBody(503, 'Service unavailable')), 'gateway')).toBe('pool-exhausted');
  });

  it('attributes errors a backend answered, passed through by the gateway', () => {
    const azure429 = JSON.stringify({ error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded the token rate limit. Please retry after 6 seconds.' } });
    const tags = classify(response(429, { ...fromBackend, 'Retry-After': '6' }, azure429), plan, traffic);
    expect(tags).toMatchObject({ status: '429', error_origin: 'backend', gateway_reason: '', served_by: 'aoai-eastus-ptu1', retry_after: '6' });
    expect(classify(response(500, fromBackend, JSON.stringify({ error: { code: 'InternalServerError' } })), plan, traffic).error_origin).toBe('backend');
  });

  it('attributes an Azure OpenAI error body to the backend even without the fleet\'s header (a real backend)', () => {
    expect(errorOrigin(response(429, {}, JSON.stringify({ error: { code: '429', message: 'retry' } })))).toBe('backend');
  });

  it('attributes Front Door\'s own error page to the front door', () => {
    const page = "<!DOCTYPE html>\n<html><head><title>Our services aren't available right now</title></head></html>";
    const tags = classify(response(503, { 'Content-Type': 'text/html; charset=utf-8', 'X-Azure-Ref': 'ref' }, page), plan, traffic);
    expect(tags).toMatchObject({ status: '503', error_origin: 'frontdoor', gateway_reason: '', fd_origin: '', served_by: '' });
    expect(errorOrigin(response(504, { 'X-Azure-Ref': 'ref' }, ''))).toBe('frontdoor');
  });

  it('attributes the gateway\'s JSON to the gateway behind a real Front Door (no x-fd-origin)', () => {
    expect(errorOrigin(response(429, { 'X-Azure-Ref': 'ref' }, gatewayBody(429, 'Rate limit is exceeded. Try again in 3 seconds.')))).toBe('gateway');
  });

  it('falls back to the gateway for other answers that came through an origin, or with no front door', () => {
    expect(errorOrigin(response(502, throughFrontDoor, 'Bad Gateway'))).toBe('gateway');
    expect(errorOrigin(response(404, {}, ''))).toBe('gateway');
  });

  it('records a request that got no answer as status 0 with no origin', () => {
    const tags = classify(response(0, {}, null), plan, traffic);
    expect(tags).toMatchObject({ status: '0', error_origin: '', gateway_reason: '', served_by: '', fd_origin: '', prompt_tokens: '0' });
  });

  it('finds headers whatever their case', () => {
    expect(header({ 'x-fleet-backend': 'a' }, 'X-Fleet-Backend')).toBe('a');
    expect(header({ 'X-Fleet-Backend': 'b' }, 'x-fleet-backend')).toBe('b');
    expect(header({}, 'x-fleet-backend')).toBe('');
  });
});
