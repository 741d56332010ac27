import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientTags } from './classify.ts';
import { clearSamples, definedMetrics, samples } from './k6-shims/k6-metrics.ts';
import { isPaygBackend, metricNames, recordRequest } from './metrics.ts';

vi.mock('./k6-imports.ts', () => import('./k6-shims/index.ts'));

function tags(overrides: Partial<ClientTags> = {}): ClientTags {
  return {
    status: '200',
    scenario: 'spillover',
    consumer: 'user-facing',
    priority: 'medium',
    operation: 'chat',
    stream: 'false',
    served_by: 'aoai-eastus-ptu1',
    served_region: 'East US',
    fd_origin: 'East US',
    error_origin: '',
    gateway_reason: '',
    retry_after: '',
    remaining_tokens: '19000',
    prompt_tokens: '40',
    completion_tokens: '80',
    ...overrides,
  };
}

const of = (metric: string) => samples.filter((s) => s.metric === metric);

describe('metrics', () => {
  beforeEach(clearSamples);

  it('defines the four custom metrics once, spillway_request as a time trend', () => {
    expect(definedMetrics).toEqual([
      { name: 'spillway_request', type: 'trend', isTime: true },
      { name: 'spillway_tokens', type: 'counter', isTime: false },
      { name: 'spillway_429', type: 'counter', isTime: false },
      { name: 'spillway_spillover', type: 'rate', isTime: false },
    ]);
  });

  it('records one spillway_request sample per request, tagged with exactly the ClientRecord fields', () => {
    const t = tags();
    recordRequest(123.4, t);
    expect(of(metricNames.request)).toEqual([{ metric: 'spillway_request', type: 'trend', value: 123.4, tags: t }]);
  });

  it('counts the tokens of successful answers by consumer', () => {
    recordRequest(1, tags());
    recordRequest(1, tags({ status: '429', prompt_tokens: '0', completion_tokens: '0', error_origin: 'gateway' }));
    expect(of(metricNames.tokens)).toEqual([{ metric: 'spillway_tokens', type: 'counter', value: 120, tags: { scenario: 'spillover', consumer: 'user-facing' } }]);
  });

  it('counts 429s by who refused', () => {
    recordRequest(1, tags({ status: '429', served_by: '', error_origin: 'gateway', gateway_reason: 'token-limit' }));
    recordRequest(1, tags({ status: '429', error_origin: 'backend' }));
    recordRequest(1, tags({ status: '503', served_by: '', error_origin: 'gateway' }));
    expect(of(metricNames.tooManyRequests).map((s) => s.tags.origin)).toEqual(['gateway', 'backend']);
  });

  it('rates spillover over successful medium and no-priority answers only', () => {
    recordRequest(1, tags({ served_by: 'aoai-eastus-payg' }));
    recordRequest(1, tags({ served_by: 'aoai-eastus-ptu2' }));
    recordRequest(1, tags({ priority: '', served_by: 'aoai-westus-payg' }));
    recordRequest(1, tags({ priority: 'high', served_by: 'aoai-eastus-ptu1' }));
    recordRequest(1, tags({ priority: 'low', served_by: 'aoai-eastus-payg' }));
    recordRequest(1, tags({ status: '429', served_by: 'aoai-eastus-payg', error_origin: 'backend' }));
    expect(of(metricNames.spillover).map((s) => s.value)).toEqual([1, 0, 1]);
  });

  it('knows PAYG backends by their -payg suffix', () => {
    expect(isPaygBackend('aoai-eastus-payg')).toBe(true);
    expect(isPaygBackend('aoai-eastus-ptu1')).toBe(false);
    expect(isPaygBackend('')).toBe(false);
  });
});
