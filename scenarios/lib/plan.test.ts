import { describe, expect, it } from 'vitest';
import { parsePlan, PlanError, readPlan } from './plan.ts';
import { planWire } from './test-support.ts';

const parse = (wire: Record<string, unknown>, name = 'smoke') => parsePlan(JSON.stringify(wire), name);

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error('expected a PlanError');
}

describe('parsePlan', () => {
  it('reads a complete plan, filling the end of each class and normalising sizes', () => {
    const plan = parse(planWire({}, [{ promptWords: 25, maxTokens: { kind: 'uniform', min: 10, max: 20 } }, { startSeconds: 5, endSeconds: 20, priority: 'none', operation: 'embeddings' }]));
    expect(plan.name).toBe('smoke');
    expect(plan.traffic[0]).toMatchObject({ endSeconds: 30, promptWords: { kind: 'fixed', value: 25 }, maxTokens: { kind: 'uniform', min: 10, max: 20 } });
    expect(plan.traffic[1]).toMatchObject({ startSeconds: 5, endSeconds: 20, priority: 'none', operation: 'embeddings' });
    expect(plan.thresholds).toEqual({ 'http_req_duration{expected_response:true}': ['p(95)<5000'] });
    expect(plan.summaryTrendStats).toEqual(['avg', 'p(95)']);
  });

  it('drops a trailing slash from baseUrl and defaults thresholds and trend stats', () => {
    const plan = parse(planWire({ baseUrl: 'http://127.0.0.1:8080/', thresholds: undefined, summaryTrendStats: undefined }));
    expect(plan.baseUrl).toBe('http://127.0.0.1:8080');
    expect(plan.thresholds).toEqual({});
    expect(plan.summaryTrendStats).toBeUndefined();
    expect(parse(planWire({ summaryTrendStats: [] })).summaryTrendStats).toBeUndefined();
  });

  it('ignores fields it does not use (the harness may pass the class as configured, ratePerUnit included)', () => {
    const plan = parse(planWire({ description: 'x' }, [{ ratePerUnit: 2 }]));
    expect(plan.traffic[0]).not.toHaveProperty('ratePerUnit');
  });

  it('says how the script is meant to be started when SPILLWAY_PLAN is missing', () => {
    expect(problemsOf(() => readPlan({}, 'smoke'))).toMatch(/SPILLWAY_PLAN is not set: .*spillway run smoke/);
    expect(problemsOf(() => parsePlan('  ', 'smoke'))).toMatch(/not set/);
  });

  it('refuses text that is not JSON without quoting it (it holds subscription keys)', () => {
    const message = problemsOf(() => parsePlan('{"key": "secret-key-123", oops', 'smoke'));
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain('secret-key-123');
    expect(problemsOf(() => parsePlan('[1]', 'smoke'))).toMatch(/must be a JSON object/);
  });

  it("reads the run's id for the run marker, and refuses one that cannot travel in a header", () => {
    expect(parse(planWire({ runId: '2026-12-07T06-40-00Z-smoke' }), 'smoke').runId).toBe('2026-12-07T06-40-00Z-smoke');
    expect(parse(planWire(), 'smoke').runId).toBe('');
    expect(problemsOf(() => parse(planWire({ runId: 'two words\n' }), 'smoke'))).toMatch(/runId: must be 1 to 128 letters, digits or \. _ : - \(it travels in a header\)/);
  });

  it("reads a class's VU cap, and refuses one that is not a whole number of at least 1", () => {
    expect(parse(planWire({}, [{ maxVUs: 2 }])).traffic[0]!.maxVUs).toBe(2);
    expect(parse(planWire({}, [{}])).traffic[0]).not.toHaveProperty('maxVUs');
    expect(problemsOf(() => parse(planWire({}, [{ maxVUs: 0.5 }])))).toMatch(/traffic\[0\]\.maxVUs: must be a whole number of at least 1/);
  });

  it("reads a class's bearer token, and refuses one that cannot travel in a header without quoting it", () => {
    expect(parse(planWire({}, [{ bearer: 'eyJh.eyJz.c2ln' }])).traffic[0]!.bearer).toBe('eyJh.eyJz.c2ln');
    expect(parse(planWire({}, [{ bearer: 'eyJh.eyJz.' }])).traffic[0]!.bearer).toBe('eyJh.eyJz.');
    expect(parse(planWire({}, [{}])).traffic[0]).not.toHaveProperty('bearer');
    for (const bad of ['secret token', 'secret-token\r\nX-Injected: 1', 42, '']) {
      const message = problemsOf(() => parse(planWire({}, [{ bearer: bad }])));
      expect(message).toMatch(/traffic\[0\]\.bearer: must be a bearer token/);
      if (typeof bad === 'string' && bad !== '') expect(message).not.toContain('secret');
    }
  });

  it('refuses a plan for another scenario', () => {
    expect(problemsOf(() => parse(planWire(), 'failover'))).toMatch(/name: is "smoke", but this script is the "failover" scenario/);
  });

  it('lists every problem with its field path at once, never the key', () => {
    const message = problemsOf(() =>
      parse(
        planWire({ durationSeconds: 0, baseUrl: 'ftp://x', summaryPath: 'relative/summary.json', thresholds: { http_req_failed: 'rate<0.1' } }, [
          { rate: -1, priority: 'urgent', key: 42, stream: 'yes', promptWords: 0, maxTokens: { kind: 'uniform', min: 5, max: 2 } },
          { operation: 'embeddings', stream: true, startSeconds: 10, endSeconds: 5 },
        ]),
      ),
    );
    for (const expected of [
      'durationSeconds: must be a positive number',
      'baseUrl: must be an http:// or https:// URL',
      'summaryPath: must be an absolute path',
      'thresholds["http_req_failed"]: must be a list of expression strings',
      'traffic[0].rate: must be a positive number',
      'traffic[0].priority: must be one of high, medium, low, none',
      'traffic[0].key: must be a non-empty string (the subscription key)',
      'traffic[0].stream: must be true or false',
      'traffic[0].promptWords: must be a whole number >= 1',
      'traffic[0].maxTokens: uniform max is below min',
      'traffic[1].stream: embeddings cannot stream',
      'traffic[1].endSeconds: must be after startSeconds (10 s)',
    ]) {
      expect(message).toContain(expected);
    }
  });

  it('never quotes a key, even a malformed one', () => {
    const message = problemsOf(() => parse(planWire({}, [{ key: '', consumer: '' }, { key: 'local-batch-key', rate: 0 }])));
    expect(message).toContain('traffic[0].key: must be a non-empty string');
    expect(message).toContain('traffic[0].consumer: must be a non-empty string');
    expect(message).not.toContain('local-batch-key');
  });

  it('requires traffic classes and refuses an end after the run', () => {
    expect(problemsOf(() => parse(planWire({ traffic: [] })))).toMatch(/traffic: must be a non-empty list/);
    expect(problemsOf(() => parse(planWire({}, [{ endSeconds: 31 }])))).toMatch(/traffic\[0\]\.endSeconds: is after the run ends \(30 s\)/);
    expect(problemsOf(() => parse(planWire({}, [{ stream: undefined }])))).toMatch(/traffic\[0\]\.stream: missing/);
  });
});
