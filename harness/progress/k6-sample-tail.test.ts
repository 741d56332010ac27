import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tailK6Samples } from './k6-sample-tail.ts';
import { plannedRate } from './load-watch.ts';

const t0 = Date.UTC(2026, 11, 7, 11, 40, 0);

/** One `spillway_request` point as k6 writes it (microseconds, the tags the scenarios set). */
function point(atMs: number, status: number): string {
  const time = new Date(atMs).toISOString().replace('Z', '123+00:00');
  return `${JSON.stringify({ type: 'Point', metric: 'spillway_request', data: { time, value: 12.5, tags: { status: String(status), scenario: 'smoke', consumer: 'user-facing' } } })}\n`;
}
/** A line of k6's own that is not Spillway's. */
const builtin = `${JSON.stringify({ type: 'Point', metric: 'http_reqs', data: { time: '2026-12-07T11:40:00.000000+00:00', value: 1, tags: { status: '200' } } })}\n`;

describe("following k6's samples while it writes them", () => {
  it('counts responses and errors by kind across polls, a line cut mid-way included, in every generator file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-tail-'));
    const [one, two] = [join(dir, 'generator-1.json'), join(dir, 'generator-2.json')];
    const tail = tailK6Samples(() => [one, two]);
    tail.poll(); // neither file exists yet: nothing, no error
    expect(tail.responses).toBe(0);

    writeFileSync(one, `${JSON.stringify({ type: 'Metric', metric: 'spillway_request', data: {} })}\n${point(t0, 200)}${builtin}${point(t0 + 100, 429)}`);
    const cut = point(t0 + 200, 503);
    appendFileSync(one, cut.slice(0, 40));
    writeFileSync(two, point(t0 + 50, 0) + point(t0 + 60, 404));
    tail.poll();
    expect(tail.responses).toBe(4);
    expect(tail.errors).toEqual({ total: 3, throttled: 1, server: 0, network: 1, other: 1 });

    appendFileSync(one, cut.slice(40) + point(t0 + 300, 200));
    tail.poll();
    expect(tail.responses).toBe(6);
    expect(tail.errors).toEqual({ total: 4, throttled: 1, server: 1, network: 1, other: 1 });
  });

  it('skips what is not a file without blocking on it (a FIFO put in its place)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-tail-'));
    const fifo = join(dir, 'k6-samples.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // In a child process: a plain open of a FIFO with no writer never returns, and would hang
    // this test's own process rather than fail it; the child is killed after 20 s instead.
    const module = pathToFileURL(join(import.meta.dirname, 'k6-sample-tail.ts')).href;
    const script = `const { tailK6Samples } = await import(${JSON.stringify(module)}); const tail = tailK6Samples(() => [${JSON.stringify(fifo)}]); tail.poll(); process.stdout.write(String(tail.responses));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect({ status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr }).toEqual({ status: 0, signal: null, stdout: '0', stderr: '' });
  });

  it('gives the rate over the recent window, allowing for the delay k6 writes with', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-tail-'));
    const file = join(dir, 'k6-samples.json');
    // 20 responses a second for 10 s, then 40 a second for 10 s.
    let text = '';
    for (let ms = 0; ms < 20_000; ms += ms < 10_000 ? 50 : 25) text += point(t0 + ms, 200);
    writeFileSync(file, text);
    const tail = tailK6Samples(() => [file]);
    tail.poll();
    expect(tail.rate(t0 + 500)).toBeNull(); // not a second of responses yet
    expect(tail.rate(t0 + 4_000)).toBe(20); // [0 s, 3 s): since the first response
    expect(tail.rate(t0 + 9_000)).toBe(20); // [3 s, 8 s)
    expect(tail.rate(t0 + 21_000)).toBe(40); // [15 s, 20 s)
  });
});

describe("the plan's rate at a moment", () => {
  it('adds every class sending then, scaled by units', () => {
    const rate = plannedRate(
      [
        { ratePerUnit: 10, startSeconds: 0 },
        { ratePerUnit: 5, startSeconds: 10, endSeconds: 20 },
      ],
      2,
      30,
    );
    expect([rate(0), rate(9.9), rate(10), rate(19.9), rate(20), rate(30)]).toEqual([20, 20, 30, 30, 20, 20]);
  });
});
