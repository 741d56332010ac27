import type { PlanTraffic, SpillwayPlan } from './plan.ts';

/** Plans for unit tests (never bundled: only *.test.ts files import this). */
export function trafficClass(overrides: Partial<PlanTraffic> = {}): PlanTraffic {
  return {
    consumer: 'user-facing',
    key: 'local-user-facing-key',
    priority: 'medium',
    rate: 2,
    operation: 'chat',
    stream: false,
    promptWords: { kind: 'fixed', value: 40 },
    maxTokens: { kind: 'fixed', value: 80 },
    startSeconds: 0,
    endSeconds: 30,
    ...overrides,
  };
}

export function testPlan(overrides: Partial<SpillwayPlan> = {}): SpillwayPlan {
  return {
    name: 'smoke',
    durationSeconds: 30,
    units: 1,
    baseUrl: 'http://127.0.0.1:8080',
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    embeddingDeployment: 'text-embedding-3-small',
    traffic: [trafficClass()],
    thresholds: {},
    summaryTrendStats: undefined,
    summaryPath: '/tmp/spillway-test/k6-summary.json',
    runId: '',
    ...overrides,
  };
}

/** The JSON the harness would put in SPILLWAY_PLAN (wire form: endSeconds may be null, sizes plain numbers). */
export function planWire(overrides: Record<string, unknown> = {}, traffic: Record<string, unknown>[] = [{}]): Record<string, unknown> {
  return {
    name: 'smoke',
    durationSeconds: 30,
    units: 1,
    baseUrl: 'http://127.0.0.1:8080',
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    embeddingDeployment: 'text-embedding-3-small',
    traffic: traffic.map((t) => ({
      consumer: 'user-facing',
      key: 'local-user-facing-key',
      priority: 'medium',
      rate: 2,
      operation: 'chat',
      stream: false,
      promptWords: { kind: 'fixed', value: 40 },
      maxTokens: { kind: 'fixed', value: 80 },
      startSeconds: 0,
      endSeconds: null,
      ...t,
    })),
    thresholds: { 'http_req_duration{expected_response:true}': ['p(95)<5000'] },
    summaryTrendStats: ['avg', 'p(95)'],
    summaryPath: '/tmp/spillway-test/k6-summary.json',
    ...overrides,
  };
}
