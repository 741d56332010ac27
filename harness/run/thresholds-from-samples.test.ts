import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { checkThresholdsEvaluable, evaluateThresholdsFromSamples, k6Percentile, parseThreshold, thresholdVerdictsFromSamples } from './thresholds-from-samples.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thresholds-'));
  dirs.push(dir);
  return dir;
}

const k6 = await inspectTool(k6Spec);
const skipK6 = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : null;
if (skipK6) process.stdout.write(`thresholds-from-samples.test.ts: the comparison with k6's own evaluation is skipped: ${skipK6}\n`);

const declaration = (metric: string, type: string): string => JSON.stringify({ type: 'Metric', data: { name: metric, type, contains: 'default', thresholds: [], submetrics: null }, metric });
const point = (metric: string, value: number, tags: Record<string, string> = {}): string => JSON.stringify({ metric, type: 'Point', data: { time: '2026-01-01T00:00:00Z', value, tags } });

function samplesFile(lines: string[]): string {
  const file = join(tempDir(), 'k6-samples.json');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('k6Percentile', () => {
  it('interpolates between the sorted values at rank p × (count − 1), as k6 does', () => {
    const sorted = [10, 20, 30, 40, 50];
    expect(k6Percentile(sorted, 0.5)).toBe(30);
    expect(k6Percentile(sorted, 0.95)).toBeCloseTo(48, 12); // rank 3.8: 40 + 0.8 × 10
    expect(k6Percentile(sorted, 0.9)).toBeCloseTo(46, 12);
    expect(k6Percentile(sorted, 1)).toBe(50);
    expect(k6Percentile([7], 0.95)).toBe(7);
    expect(k6Percentile([], 0.95)).toBe(0);
  });
});

describe('parseThreshold', () => {
  it('reads the metric, its tag filter (spaces and quotes trimmed), the aggregate, the operator and the number', () => {
    expect(parseThreshold('http_req_duration{expected_response:true}', 'p(95)<5000')).toMatchObject({ metric: 'http_req_duration', tags: { expected_response: 'true' }, aggregate: { kind: 'p', percent: 95 }, operator: '<', value: 5000 });
    expect(parseThreshold(`m{ a : "x" , 'b':y}`, ' rate <= 0.05 ')).toMatchObject({ metric: 'm', tags: { a: 'x', b: 'y' }, aggregate: { kind: 'rate' }, operator: '<=', value: 0.05 });
    expect(parseThreshold('m', 'p(99.9)>=1').aggregate).toEqual({ kind: 'p', percent: 99.9 });
    expect(parseThreshold('m', 'count!=3').operator).toBe('!=');
  });

  it('refuses what it cannot read, naming the metric and the expression', () => {
    expect(() => parseThreshold('http_req_duration', 'p95<5000')).toThrow('k6 threshold http_req_duration "p95<5000": "p95" is not an aggregate');
    expect(() => parseThreshold('m', 'avg<')).toThrow(/"avg<": not an expression k6 understands/);
    expect(() => parseThreshold('m', 'avg<abc')).toThrow(/"abc" is not a number/);
    expect(() => parseThreshold('m{a}', 'avg<1')).toThrow(/m\{a\} "avg<1": the tag filter "a" is not key:value/);
    expect(() => parseThreshold('m{a:b', 'avg<1')).toThrow(/one \{…\} at the end/);
  });
});

describe('checkThresholdsEvaluable', () => {
  it("accepts the shipped plans' thresholds", () => {
    const config = JSON.parse(readFileSync(new URL('../../k6.config.json', import.meta.url), 'utf8')) as { scenarios: Record<string, { thresholds?: Record<string, string[]> }> };
    for (const plan of Object.values(config.scenarios)) expect(() => checkThresholdsEvaluable(plan.thresholds ?? {})).not.toThrow();
  });

  it("refuses a counter's rate, a gauge's value and an aggregate of another type, naming them", () => {
    expect(() => checkThresholdsEvaluable({ http_reqs: ['rate>100'] })).toThrow(/k6 threshold http_reqs "rate>100": a counter's rate .* each load generator measures separately/);
    expect(() => checkThresholdsEvaluable({ vus: ['value<10'] })).toThrow(/k6 threshold vus "value<10": a gauge's value/);
    expect(() => checkThresholdsEvaluable({ http_req_failed: ['p(95)<1'] })).toThrow(/p does not apply to http_req_failed, a rate \(k6 accepts rate\)/);
    expect(() => checkThresholdsEvaluable({ my_metric: ['rate<1'] })).toThrow(/type of my_metric is not known/);
    expect(checkThresholdsEvaluable({ my_trend: ['p(99)<1'] })).toHaveLength(1);
  });
});

describe('evaluateThresholdsFromSamples', () => {
  it('judges only the samples of the tag filter, with every aggregate', async () => {
    const file = samplesFile([
      declaration('http_req_duration', 'trend'),
      ...[10, 20, 30, 40, 50].map((v) => point('http_req_duration', v, { expected_response: 'true' })),
      point('http_req_duration', 1000, { expected_response: 'false' }),
      declaration('http_req_failed', 'rate'),
      ...[0, 0, 0, 1].map((v) => point('http_req_failed', v)),
      declaration('spillway_429', 'counter'),
      point('spillway_429', 1, { origin: 'gateway' }),
      point('spillway_429', 2, { origin: 'backend' }),
    ]);
    const declared = {
      'http_req_duration{expected_response:true}': ['p(95)<48.5', 'p(95)<48', 'avg==30', 'min>=10', 'max<=50', 'med===30'],
      http_req_duration: ['max<1000'],
      http_req_failed: ['rate<0.3', 'rate<0.25'],
      'spillway_429{origin:gateway}': ['count<2'],
    };
    const evaluated = await evaluateThresholdsFromSamples(file, declared);
    expect(evaluated.map((e) => [e.threshold.name, e.threshold.expression, e.samples, e.measured, e.passed])).toEqual([
      ['http_req_duration{expected_response:true}', 'p(95)<48.5', 5, expect.closeTo(48, 12), true],
      ['http_req_duration{expected_response:true}', 'p(95)<48', 5, expect.closeTo(48, 12), false],
      ['http_req_duration{expected_response:true}', 'avg==30', 5, 30, true],
      ['http_req_duration{expected_response:true}', 'min>=10', 5, 10, true],
      ['http_req_duration{expected_response:true}', 'max<=50', 5, 50, true],
      ['http_req_duration{expected_response:true}', 'med===30', 5, 30, true],
      ['http_req_duration', 'max<1000', 6, 1000, false],
      ['http_req_failed', 'rate<0.3', 4, 0.25, true],
      ['http_req_failed', 'rate<0.25', 4, 0.25, false],
      ['spillway_429{origin:gateway}', 'count<2', 1, 1, true],
    ]);
  });

  it('treats no samples as k6 does: a trend is 0, a rate is skipped', async () => {
    const file = samplesFile([declaration('http_req_failed', 'rate')]);
    const evaluated = await evaluateThresholdsFromSamples(file, { 'http_req_duration{expected_response:true}': ['p(95)<1', 'avg>0'], http_req_failed: ['rate<0.05'] });
    expect(evaluated.map((e) => [e.measured, e.passed])).toEqual([
      [0, true],
      [0, false],
      [undefined, true],
    ]);
  });

  it('names a samples file that is missing, or a line that is not JSON', async () => {
    await expect(evaluateThresholdsFromSamples('/nowhere/k6-samples.json', { http_req_failed: ['rate<1'] })).rejects.toThrow(/\/nowhere\/k6-samples.json: the raw samples .* were not written/);
    const file = samplesFile([point('http_req_failed', 0), '{"metric":"http_req_failed",']);
    await expect(evaluateThresholdsFromSamples(file, { http_req_failed: ['rate<1'] })).rejects.toThrow(/k6-samples.json:2: not valid JSON/);
  });

  it('gives verdicts in the shape of k6\'s own (threshold-verdicts.ts)', async () => {
    const file = samplesFile([...[0, 1].map((v) => point('http_req_failed', v))]);
    const [verdict] = await thresholdVerdictsFromSamples(file, 'k6-samples.json', { http_req_failed: ['rate<0.05'] }, 2);
    expect(verdict).toMatchObject({ check: 'k6 threshold http_req_failed', status: 'fail', expected: 'rate<0.05', measured: 'rate = 0.5 over 2 samples', evidence: [{ file: 'k6-samples.json' }] });
    expect(verdict!.explanation).toMatch(/merged raw samples of 2 load generators/);
  });
});

/**
 * k6 itself, on loopback: a server answering after 0-49 ms, 500 to every tenth request, loaded
 * for 3 s; k6's own summary export (its evaluation) against this module's over the same run's
 * raw samples.
 */
describe.skipIf(skipK6 !== null)("against k6's own evaluation", () => {
  it('computes the same aggregates and verdicts as k6 over one real k6 output', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    let served = 0;
    const server = createServer((_request, response) => {
      const n = served++;
      setTimeout(() => {
        response.statusCode = n % 10 === 9 ? 500 : 200;
        response.end('ok');
      }, (n * 37) % 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const thresholds = {
      'http_req_duration{expected_response:true}': ['p(95)<1', 'p(95)<10000', 'p(90)<10000', 'p(99.9)<10000', 'avg<10000', 'med<10000', 'min<10000', 'max<10000'],
      http_req_failed: ['rate<0.05', 'rate<0.5'],
    };
    writeFileSync(
      join(dir, 'script.js'),
      `import http from 'k6/http';
export const options = { scenarios: { a: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '3s', preAllocatedVUs: 5, maxVUs: 20 } },
  thresholds: ${JSON.stringify(thresholds)}, summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99.9)'] };
export default function () { http.get('http://127.0.0.1:${port}/'); }
`,
    );
    try {
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(k6.status === 'found' ? k6.tool.path : 'k6', ['run', '--quiet', '--no-color', '--out', `json=${join(dir, 'samples.json')}`, '--summary-export', join(dir, 'summary.json'), join(dir, 'script.js')], { stdio: 'ignore', env: { ...process.env, K6_NO_USAGE_REPORT: 'true' } });
        child.on('close', resolve);
      });
      expect(code, 'k6 exits 99: one threshold of each metric is meant to fail').toBe(99);
    } finally {
      server.close();
    }
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { metrics: Record<string, Record<string, number> & { thresholds: Record<string, boolean> }> };
    const evaluated = await evaluateThresholdsFromSamples(join(dir, 'samples.json'), thresholds);
    expect(evaluated[0]!.samples).toBeGreaterThan(50);
    for (const { threshold, measured, passed } of evaluated) {
      const k6Metric = summary.metrics[threshold.name]!;
      const key = threshold.aggregate.kind === 'p' ? `p(${threshold.aggregate.percent})` : threshold.aggregate.kind === 'rate' ? 'value' : threshold.aggregate.kind;
      // k6's own aggregate and verdict (in a summary export, true means the threshold failed).
      expect(measured, `${threshold.name} ${key}`).toBeCloseTo(k6Metric[key]!, 9);
      expect(passed, `${threshold.name} ${threshold.expression}`).toBe(!k6Metric.thresholds[threshold.expression]);
    }
    expect(evaluated.filter((e) => !e.passed).map((e) => e.threshold.expression)).toEqual(['p(95)<1', 'rate<0.05']);
  });
});
