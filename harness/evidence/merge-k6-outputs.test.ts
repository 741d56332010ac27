import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeSampleFiles, mergeSummaryCounters, writeMergedSummaryExport } from './merge-k6-outputs.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'merge-k6-'));
  dirs.push(dir);
  return dir;
}

const declaration = (metric: string, type: string): string => JSON.stringify({ type: 'Metric', data: { name: metric, type, contains: 'time', thresholds: [], submetrics: null }, metric });
const point = (metric: string, time: string, value: number, generator: string): string => JSON.stringify({ metric, type: 'Point', data: { time, value, tags: { generator } } });

describe('mergeSampleFiles', () => {
  it('keeps every sample, each metric declaration once, and orders samples by time across files', async () => {
    const dir = tempDir();
    // k6 trims trailing zeros of the nanoseconds: .1 and .10003 must not sort as text (".1Z" > ".10003Z").
    const a = [declaration('http_req_duration', 'trend'), point('http_req_duration', '2026-01-01T00:00:00.1Z', 1, 'a'), declaration('http_req_failed', 'rate'), point('http_req_failed', '2026-01-01T00:00:00.3Z', 0, 'a'), point('http_req_duration', '2026-01-01T00:00:01Z', 2, 'a')];
    const b = [declaration('http_req_duration', 'trend'), point('http_req_duration', '2026-01-01T00:00:00.10003Z', 3, 'b'), point('http_req_duration', '2026-01-01T00:00:00.000001+00:00', 4, 'b'), point('http_req_duration', '2026-01-01T01:00:00.2+01:00', 5, 'b')];
    writeFileSync(join(dir, 'a.json'), `${a.join('\n')}\n`);
    writeFileSync(join(dir, 'b.json'), `${b.join('\n')}\n`);
    const out = join(dir, 'merged.json');
    const merged = await mergeSampleFiles([join(dir, 'a.json'), join(dir, 'b.json'), join(dir, 'never-written.json')], out);
    expect(merged).toEqual({ points: 6, metrics: 2, missing: [join(dir, 'never-written.json')] });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; metric: string; data: { value?: number } });
    expect(lines.filter((l) => l.type === 'Metric').map((l) => l.metric)).toEqual(['http_req_duration', 'http_req_failed']);
    // a: d1 .1, f0 .3, d2 1.0; b: d3 .10003, d4 .000001 (out of order within b, as k6 can write), d5 .2 (written +01:00).
    // Merged by each file's head: d1 < d3 (text would say otherwise), d3 < f0, d4 < f0, d5 < f0, then f0, d2.
    expect(lines.filter((l) => l.type === 'Point').map((l) => `${l.metric === 'http_req_failed' ? 'f' : 'd'}${l.data.value}`)).toEqual(['d1', 'd3', 'd4', 'd5', 'f0', 'd2']);
  });

  it('orders samples within the same millisecond by their microseconds', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), `${point('m', '2026-01-01T00:00:00.0009Z', 1, 'a')}\n`);
    writeFileSync(join(dir, 'b.json'), `${point('m', '2026-01-01T00:00:00.000123456Z', 2, 'b')}\n`);
    await mergeSampleFiles([join(dir, 'a.json'), join(dir, 'b.json')], join(dir, 'out.json'));
    expect(readFileSync(join(dir, 'out.json'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { data: { value: number } }).data.value)).toEqual([2, 1]);
  });

  it('copies lines that are neither samples nor declarations, and writes an empty file from no samples', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), `{"type":"Other","x":1}\n\n${point('vus', '2026-01-01T00:00:00Z', 1, 'a')}\n`);
    const merged = await mergeSampleFiles([join(dir, 'a.json')], join(dir, 'out.json'));
    expect(merged).toEqual({ points: 1, metrics: 0, missing: [] });
    expect(readFileSync(join(dir, 'out.json'), 'utf8').split('\n')[0]).toBe('{"type":"Other","x":1}');
    expect(await mergeSampleFiles([], join(dir, 'none.json'))).toEqual({ points: 0, metrics: 0, missing: [] });
    expect(readFileSync(join(dir, 'none.json'), 'utf8')).toBe('');
  });

  it('streams many samples through in order', async () => {
    const dir = tempDir();
    const files = [0, 1, 2].map((g) => join(dir, `g${g}.json`));
    files.forEach((file, g) => writeFileSync(file, `${Array.from({ length: 20_000 }, (_, i) => point('http_reqs', new Date(Date.UTC(2026, 0, 1) + i * 3 + g).toISOString(), 1, String(g))).join('\n')}\n`));
    const merged = await mergeSampleFiles(files, join(dir, 'out.json'));
    expect(merged.points).toBe(60_000);
    const times = readFileSync(join(dir, 'out.json'), 'utf8').trim().split('\n').map((line) => Date.parse((JSON.parse(line) as { data: { time: string } }).data.time));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });
});

describe('mergeSummaryCounters', () => {
  it('sums requests, dropped iterations, iterations and the VU peaks; a generator without dropped iterations counts 0', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ metrics: { http_reqs: { count: 90, rate: 1 }, iterations: { count: 90 }, dropped_iterations: { count: 2 }, vus: { max: 3, value: 0 }, vus_max: { max: 10 }, http_req_duration: { 'p(95)': 12 } } }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ metrics: { http_reqs: { count: 91 }, iterations: { count: 91 }, vus: { max: 4 }, vus_max: { max: 10 } } }));
    expect(mergeSummaryCounters([join(dir, 'a.json'), join(dir, 'b.json'), join(dir, 'c.json')])).toEqual({ httpReqs: 181, droppedIterations: 2, iterations: 181, vusMax: 7, vusAllocatedMax: 20, missing: [join(dir, 'c.json')] });
  });

  it('writes the merged counters in k6 shape, without percentiles or thresholds, for the readers of the summary export', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ metrics: { http_reqs: { count: 5 }, http_req_duration: { 'p(95)': 12, thresholds: { 'p(95)<1': true } } } }));
    writeMergedSummaryExport([join(dir, 'a.json'), join(dir, 'a.json')], join(dir, 'out.json'));
    const written = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { metrics: Record<string, Record<string, number>>; spillway: { merged: string } };
    expect(written.metrics.http_reqs).toEqual({ count: 10 });
    expect(written.metrics.http_req_duration).toBeUndefined();
    expect(written.spillway.merged).toMatch(/upper bound/);
  });

  it('names a summary export that is not JSON', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(() => mergeSummaryCounters([join(dir, 'bad.json')])).toThrow(/bad\.json: not a k6 summary export/);
  });
});
