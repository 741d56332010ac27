import { describe, expect, it } from 'vitest';
import { breakdownThresholds, buildOptions } from './options.ts';
import { testPlan, trafficClass } from './test-support.ts';

describe('buildOptions', () => {
  const plan = testPlan({
    traffic: [trafficClass({ key: 'secret-1' }), trafficClass({ consumer: 'batch', key: 'secret-2' }), trafficClass({ key: 'secret-3', operation: 'embeddings' })],
    thresholds: { 'http_req_duration{expected_response:true}': ['p(95)<5000'] },
    summaryTrendStats: ['avg', 'p(95)'],
  });

  it('has a scenario per class, the plan thresholds and the trend stats', () => {
    const options = buildOptions(plan);
    expect(Object.keys(options.scenarios ?? {})).toEqual(['t0_user-facing', 't1_batch', 't2_user-facing']);
    expect(options.thresholds).toMatchObject({ 'http_req_duration{expected_response:true}': ['p(95)<5000'] });
    expect(options.summaryTrendStats).toEqual(['avg', 'p(95)']);
    expect(JSON.stringify(options)).not.toMatch(/secret-/);
  });

  it('leaves k6\'s default trend stats when the plan names none', () => {
    expect(buildOptions(testPlan())).not.toHaveProperty('summaryTrendStats');
  });

  it('adds always-true thresholds so k6 computes the 429 and token breakdowns', () => {
    expect(breakdownThresholds(plan)).toEqual({
      'spillway_429{origin:gateway}': ['count>=0'],
      'spillway_429{origin:backend}': ['count>=0'],
      'spillway_tokens{consumer:user-facing}': ['count>=0'],
      'spillway_tokens{consumer:batch}': ['count>=0'],
    });
  });

  it('lets a plan threshold on the same metric win', () => {
    const options = buildOptions(testPlan({ thresholds: { 'spillway_429{origin:gateway}': ['count<10'] } }));
    expect(options.thresholds?.['spillway_429{origin:gateway}']).toEqual(['count<10']);
  });
});
