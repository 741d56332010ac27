import { describe, expect, it } from 'vitest';
import { machineSummary, renderText, summaryOutputs, type SummaryData } from './summary.ts';
import { testPlan } from './test-support.ts';

const plan = testPlan({ name: 'spillover', units: 2, thresholds: { http_req_failed: ['rate<0.05'], 'http_req_duration{expected_response:true}': ['p(95)<5000'] }, summaryPath: '/runs/r1/k6-summary.json' });

/** The shape k6 v2.2.0 hands to handleSummary (trimmed from a real run). */
const data: SummaryData = {
  root_group: { checks: [{ name: 'an answer arrived (no timeout or connection error)', passes: 53, fails: 0 }] },
  state: { testRunDurationMs: 6041.07 },
  metrics: {
    http_reqs: { type: 'counter', contains: 'default', values: { count: 53, rate: 8.77 } },
    http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.0377, passes: 2, fails: 51 }, thresholds: { 'rate<0.05': { ok: true } } },
    http_req_duration: { type: 'trend', contains: 'time', values: { avg: 77.7, min: 2.7, med: 33.2, max: 377.8, 'p(90)': 289.6, 'p(95)': 325.2 } },
    'http_req_duration{expected_response:true}': { type: 'trend', contains: 'time', values: { avg: 80, 'p(95)': 330 }, thresholds: { 'p(95)<5000': { ok: false } } },
    http_req_waiting: { type: 'trend', contains: 'time', values: { avg: 70, 'p(95)': 300 } },
    http_req_blocked: { type: 'trend', contains: 'time', values: { avg: 0.3 } },
    data_received: { type: 'counter', contains: 'data', values: { count: 35931, rate: 11976 } },
    spillway_request: { type: 'trend', contains: 'time', values: { avg: 77.7, 'p(95)': 325.2 } },
    spillway_tokens: { type: 'counter', contains: 'default', values: { count: 2196, rate: 363.5 } },
    'spillway_tokens{consumer:user-facing}': { type: 'counter', contains: 'default', values: { count: 2196, rate: 363.5 }, thresholds: { 'count>=0': { ok: true } } },
    spillway_429: { type: 'counter', contains: 'default', values: { count: 18, rate: 2.98 } },
    'spillway_429{origin:gateway}': { type: 'counter', contains: 'default', values: { count: 18, rate: 2.98 }, thresholds: { 'count>=0': { ok: true } } },
    spillway_spillover: { type: 'rate', contains: 'default', values: { rate: 0.174, passes: 4, fails: 19 } },
  },
};

describe('machineSummary', () => {
  const summary = machineSummary(plan, data);

  it('names the scenario and its units and keeps the run duration', () => {
    expect(summary).toMatchObject({ scenario: 'spillover', units: 2, testRunDurationMs: 6041.07 });
  });

  it('keeps the http totals, latency, Spillway\'s metrics and the thresholded ones, and drops the rest', () => {
    expect(Object.keys(summary.metrics)).toEqual([
      'http_req_duration',
      'http_req_duration{expected_response:true}',
      'http_req_failed',
      'http_req_waiting',
      'http_reqs',
      'spillway_429',
      'spillway_429{origin:gateway}',
      'spillway_request',
      'spillway_spillover',
      'spillway_tokens',
      'spillway_tokens{consumer:user-facing}',
    ]);
    expect(summary.metrics.http_reqs).toEqual({ count: 53, rate: 8.77 });
    expect(summary.metrics.http_req_failed).toEqual({ rate: 0.0377, passes: 2, fails: 51 });
  });

  it('reports the plan\'s thresholds only, with whether each held', () => {
    expect(summary.thresholds).toEqual({
      http_req_failed: { 'rate<0.05': { ok: true } },
      'http_req_duration{expected_response:true}': { 'p(95)<5000': { ok: false } },
    });
  });

  it('lists the root checks', () => {
    expect(summary.rootChecks).toEqual([{ name: 'an answer arrived (no timeout or connection error)', passes: 53, fails: 0 }]);
  });

  it('copes with a run that sent nothing', () => {
    const empty = machineSummary(testPlan(), { metrics: {} });
    expect(empty).toEqual({ scenario: 'smoke', units: 1, testRunDurationMs: null, metrics: {}, thresholds: {}, rootChecks: [] });
    expect(renderText(empty)).toContain('requests');
    expect(renderText({ ...empty, metrics: { http_req_duration: {} } })).not.toContain('http_req_duration');
  });
});

describe('summary outputs', () => {
  it('writes the JSON to plan.summaryPath and a short text to stdout', () => {
    const outputs = summaryOutputs(plan, data);
    expect(Object.keys(outputs).sort()).toEqual(['/runs/r1/k6-summary.json', 'stdout']);
    expect(JSON.parse(outputs['/runs/r1/k6-summary.json'] ?? '')).toEqual(machineSummary(plan, data));
    const text = outputs.stdout ?? '';
    expect(text).toContain('spillway scenario spillover: 2 unit(s), 6.0 s');
    expect(text).toContain('53 (8.77/s), failed 3.8%');
    expect(text).toContain('429s                   18 (gateway 18, backend 0)');
    expect(text).toContain('spillover to PAYG      17.4% of 23 medium answers');
    expect(text).toMatch(/ok {5}http_req_failed: rate<0.05/);
    expect(text).toMatch(/FAILED http_req_duration\{expected_response:true\}: p\(95\)<5000/);
    expect(text.split('\n').length).toBeLessThan(20);
  });
});
