import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { droppedIterationsByStep, judgeCapacityRun } from './collect-capacity.ts';
import type { K8sPlanFile } from './k8s-plan-file.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spillway-k8s-capacity-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const t0 = Date.parse('2026-12-07T07:15:30.000Z');
/** A spillway_request Point as k6 writes it (k6's time is when the request ended). */
function request(startMs: number, durationMs: number, status = 200): string {
  const tags = { status: String(status), scenario: 'smoke', consumer: 'capacity-test', priority: 'none', operation: 'chat', stream: 'false', served_by: '', served_region: '', fd_origin: '', error_origin: '', gateway_reason: '', retry_after: '', remaining_tokens: '', prompt_tokens: '1', completion_tokens: '1' };
  return JSON.stringify({ metric: 'spillway_request', type: 'Point', data: { time: new Date(startMs + durationMs).toISOString(), value: durationMs, tags } });
}
/** A dropped iteration, as k6 v2.2.0 writes it: tagged with the k6 scenario of the step. */
const dropped = (at: number, scenario: string) => JSON.stringify({ metric: 'dropped_iterations', type: 'Point', data: { time: new Date(at).toISOString(), value: 1, tags: { scenario } } });

const plan: K8sPlanFile = {
  schemaVersion: 1,
  kind: 'capacity',
  runId: 'spillway-capacity-20261207-071530',
  namespace: 'load',
  parallelism: 2,
  gatewayUrl: 'https://apim.example.net/capacity/light',
  units: 2,
  peakRate: 20,
  maxRate: 100,
  renderedAt: '2026-12-07T07:15:30.000Z',
  plan: { name: 'smoke', description: 'x', durationSeconds: 8, deployment: 'gpt-4o', embeddingDeployment: 'e', apiVersion: '2024-10-21', entry: 'primary-region', traffic: [], timeline: [], verifiers: [], thresholds: {}, fleet: {} },
  capacity: {
    profile: 'light',
    basePath: '/capacity/light',
    holdSeconds: 4,
    settleSeconds: 1,
    criteria: { sloP95Ms: 500, errorBudget: 0.01, droppedTolerance: 0.01 },
    steps: [
      { rps: 10, trafficIndex: 0, startSeconds: 0, endSeconds: 4 },
      { rps: 20, trafficIndex: 1, startSeconds: 4, endSeconds: 8 },
    ],
  },
};

function samples(secondStep: { durationMs: number; dropped: number }): string {
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) lines.push(request(t0 + i * 100, 50));
  for (let i = 0; i < 80; i++) lines.push(request(t0 + 4000 + i * 50, secondStep.durationMs));
  for (let i = 0; i < secondStep.dropped; i++) lines.push(dropped(t0 + 5000 + i, 't1_capacity-test'));
  return `${lines.join('\n')}\n`;
}

async function judge(secondStep: { durationMs: number; dropped: number }) {
  const file = join(root, 'k6-samples.json');
  writeFileSync(file, samples(secondStep));
  return judgeCapacityRun({ plan, runDir: root, samplesFile: file, runners: [], say: () => undefined });
}

describe('judgeCapacityRun', () => {
  it('counts dropped iterations per step from their k6 scenario tag', async () => {
    const file = join(root, 'k6-samples.json');
    writeFileSync(file, `${[dropped(t0, 't0_capacity-test'), dropped(t0, 't1_capacity-test'), dropped(t0, 't1_capacity-test'), request(t0, 5)].join('\n')}\n`);
    expect([...(await droppedIterationsByStep(file)).entries()]).toEqual([[0, 1], [1, 2]]);
  });

  it('names the knee where a step first fails, per unit, saying the fleet was not checked', async () => {
    const result = await judge({ durationMs: 900, dropped: 0 });
    expect(result.steps.map((s) => [s.step.offeredRps, s.step.gatewayHeld])).toEqual([[10, true], [20, false]]);
    // Each step's window leaves out its first second: 30 of its 40 and 60 of its 80 requests.
    expect(result.steps.map((s) => s.step.requests)).toEqual([30, 60]);
    expect(result.knee).toEqual({ kind: 'knee', rps: 10, firstFailingRps: 20 });
    expect(result.rpsPerUnit).toBe(5);
    expect(result.exitCode).toBe(0);
    expect(result.lines.join('\n')).toMatch(/fleet's saturation was not checked/);
  });

  it('gives no knee when the runners dropped the step\'s iterations while the gateway held', async () => {
    const result = await judge({ durationMs: 50, dropped: 30 });
    expect(result.knee).toMatchObject({ kind: 'no-knee', cause: 'generator-saturated', atRps: 20 });
    expect(result.exitCode).toBe(3);
    expect(result.lines[0]).toMatch(/the runners could not keep up at 20 req\/s .*dropped 30 iterations/);
  });
});
