import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectK8sRun } from './collect-k8s.ts';
import { renderK8s } from './render-k8s.ts';

/**
 * collect's refusals, before anything is written: a plan file that is not one, runners of
 * another run, damaged samples. Merging and judging real runners' output is in
 * collect-k8s.e2e.test.ts.
 */
let root: string;
let planFile: string;
let runId: string;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'spillway-k8s-collect-'));
  const rendered = await renderK8s({ scenario: 'spillover', parallelism: 2, gatewayUrl: 'https://apim.example.net', maxRate: 100, units: 1, namespace: 'load', outDir: join(root, 'k8s'), k6Image: 'grafana/k6:2.2.0', keySecret: 'spillway-subscription-keys', resultsClaim: 'spillway-results', now: new Date('2026-12-07T07:15:30Z') });
  planFile = rendered.planFile;
  runId = rendered.runId;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const point = JSON.stringify({ type: 'Point', metric: 'http_reqs', data: { time: '2026-12-07T07:15:31.000000Z', value: 1, tags: {} } });
function runnerFolder(pod: string, samples = `${point}\n`): void {
  const dir = join(root, 'fetched', pod);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'k6-samples.json'), samples);
  writeFileSync(join(dir, 'k6-summary-export.json'), '{"metrics":{}}');
}
const collect = (plan = planFile) => collectK8sRun({ folder: join(root, 'fetched'), planFile: plan, resultsDir: join(root, 'results') });

describe('collectK8sRun refuses, writing no run folder', () => {
  it('a plan file that is missing, not JSON, or not a plan, naming the file and the field', async () => {
    runnerFolder(`${runId}-1-aaaaa`);
    await expect(collect(join(root, 'nope.plan.json'))).rejects.toThrow(/--plan .*nope\.plan\.json: cannot read it \(ENOENT\); it is the <run>\.plan\.json/);
    writeFileSync(join(root, 'bad.plan.json'), '{"schemaVersion": 1,');
    await expect(collect(join(root, 'bad.plan.json'))).rejects.toThrow(/bad\.plan\.json: not JSON/);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(root, 'wrong.plan.json'), JSON.stringify({ ...plan, parallelism: 0 }));
    await expect(collect(join(root, 'wrong.plan.json'))).rejects.toThrow(/wrong\.plan\.json: not a plan .*\n\s+parallelism: /);
    expect(existsSync(join(root, 'results'))).toBe(false);
  });

  it("runners of another run than the plan's", async () => {
    runnerFolder('spillway-spillover-20261206-000000-1-aaaaa');
    runnerFolder('spillway-spillover-20261206-000000-2-bbbbb');
    await expect(collect()).rejects.toThrow(/are not runners of run spillway-spillover-20261207-071530/);
    expect(existsSync(join(root, 'results'))).toBe(false);
  });

  it("a runner's truncated samples, naming the file and the line", async () => {
    runnerFolder(`${runId}-1-aaaaa`);
    runnerFolder(`${runId}-2-bbbbb`, `${point}\n${point.slice(0, 30)}`);
    await expect(collect()).rejects.toThrow(new RegExp(`${runId}-2-bbbbb/k6-samples\\.json:2: not a line of k6's JSON output`));
    expect(existsSync(join(root, 'results'))).toBe(false);
  });

  it('a run collected before', async () => {
    runnerFolder(`${runId}-1-aaaaa`);
    runnerFolder(`${runId}-2-bbbbb`);
    mkdirSync(join(root, 'results', runId), { recursive: true });
    await expect(collect()).rejects.toThrow(/already exists: run .* was collected before/);
  });
});
