import { beforeEach, describe, expect, it, vi } from 'vitest';
import { checkResults } from './k6-shims/k6-check.ts';
import { setExecution } from './k6-shims/k6-execution.ts';
import { respondWith, sentRequests } from './k6-shims/k6-http.ts';
import { clearSamples, samples } from './k6-shims/k6-metrics.ts';
import { checkNames, sendOne, trafficExec } from './traffic.ts';
import { testPlan, trafficClass } from './test-support.ts';

vi.mock('./k6-imports.ts', () => import('./k6-shims/index.ts'));

const plan = testPlan({
  name: 'priority',
  traffic: [trafficClass({ consumer: 'critical-ops', priority: 'high', key: 'k-critical' }), trafficClass({ consumer: 'batch', priority: 'low', key: 'k-batch', stream: true })],
});

describe('traffic', () => {
  beforeEach(() => {
    clearSamples();
    sentRequests.length = 0;
    checkResults.length = 0;
  });

  it('sends the class of the current k6 scenario and records what came back', () => {
    respondWith(() => ({ status: 200, headers: { 'X-Fleet-Backend': 'aoai-eastus-ptu2', 'X-Fleet-Region': 'East US' }, body: '{"usage":{"prompt_tokens":50,"completion_tokens":80}}', timings: { duration: 321, waiting: 300 } }));
    setExecution('t0_critical-ops', 4);
    trafficExec(plan)();
    expect(sentRequests).toHaveLength(1);
    expect(sentRequests[0]?.params.headers).toMatchObject({ 'api-key': 'k-critical', 'X-Priority': 'high' });
    const request = samples.find((s) => s.metric === 'spillway_request');
    expect(request?.value).toBe(321);
    expect(request?.tags).toMatchObject({ scenario: 'priority', consumer: 'critical-ops', priority: 'high', served_by: 'aoai-eastus-ptu2', status: '200', prompt_tokens: '50' });
    expect(checkResults.map((c) => [c.name, c.ok])).toEqual([
      [checkNames.answered, true],
      [checkNames.usage, true],
    ]);
  });

  it('sends the same request for the same iteration, and another for the next', () => {
    setExecution('t1_batch', 7, 1);
    trafficExec(plan)();
    setExecution('t1_batch', 7, 9);
    trafficExec(plan)();
    setExecution('t1_batch', 8, 1);
    trafficExec(plan)();
    expect(sentRequests[0]?.body).toBe(sentRequests[1]?.body);
    expect(sentRequests[2]?.body).not.toBe(sentRequests[0]?.body);
  });

  it('checks that a 429 carries Retry-After and that an answer arrived', () => {
    respondWith(() => ({ status: 429, headers: {}, body: '{"statusCode":429,"message":"Token limit is exceeded. Try again in 5 seconds."}' }));
    expect(sendOne(plan, 1, 0)).toMatchObject({ status: '429', error_origin: 'gateway', gateway_reason: 'token-limit', retry_after: '' });
    respondWith(() => ({ status: 0, headers: {}, body: null, error: 'request timeout', error_code: 1050 }));
    expect(sendOne(plan, 1, 1).status).toBe('0');
    expect(checkResults.map((c) => [c.name, c.ok])).toEqual([
      [checkNames.answered, true],
      [checkNames.retryAfter, false],
      [checkNames.answered, false],
    ]);
    expect(checkResults.every((c) => c.tags.scenario === 'priority' && c.tags.consumer === 'batch')).toBe(true);
  });

  it('refuses a class the plan does not have', () => {
    expect(() => sendOne(plan, 5, 0)).toThrow(/traffic class 5 does not exist/);
  });
});
