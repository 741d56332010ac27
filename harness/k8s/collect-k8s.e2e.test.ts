import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';
import { startEmbeddedTopology, type EmbeddedTopology } from '../targets/embedded-topology.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { journalSchema } from '../contracts/journal.ts';
import type { Journal } from '../run/journal.ts';
import { collectK8sRun } from './collect-k8s.ts';
import { kubeletEnv } from './kubelet-env-support.ts';
import { renderK8s, type RenderOptions } from './render-k8s.ts';
import type { RunnerEnvVar } from './runner-plan.ts';

/**
 * A k6-operator run without a cluster: the manifests rendered, the runner's env expanded as the
 * kubelet would, and the real k6 run twice side by side with the two execution segments the
 * operator gives two runners, against the embedded emulator on loopback, each writing into a
 * folder named as the runner pod's; then `collect` merges and judges them. About 20 s of k6.
 */
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')}); run: npx spillway tools install` : null;
if (skip) process.stdout.write(`collect-k8s.e2e.test.ts skipped: ${skip}\n`);

let work: string;
let topology: EmbeddedTopology;
const config = loadK6Config(defaultK6ConfigFile);
const localKeys = Object.fromEntries(Object.values(config.consumers).map((c) => [c.keyEnv, c.localKey]));

beforeAll(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'spillway-k8s-collect-e2e-'));
  const plan = { ...scenarioPlan(config, 'smoke', defaultK6ConfigFile), entry: 'primary-region' as const, fleet: { latencyScale: 0.01 } };
  topology = await startEmbeddedTopology({ plan, configDir: defaultGatewayConfigDir, ledgerPath: join(work, 'ledger.jsonl'), logsDir: join(work, 'logs') });
}, 60_000);
afterAll(async () => {
  await topology?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What k6-operator passes its two runners (pkg/segmentation): each its half of the same sequence. */
const segments = [
  ['--execution-segment', '0:1/2', '--execution-segment-sequence', '0,1/2,1'],
  ['--execution-segment', '1/2:1', '--execution-segment-sequence', '0,1/2,1'],
];

function runK6(script: string, env: Record<string, string>, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(k6.status === 'found' ? k6.tool.path : 'k6', ['run', '--quiet', '--no-color', ...args, script], { env: { PATH: process.env.PATH ?? '', HOME: work, K6_NO_USAGE_REPORT: 'true', ...env }, timeout: 90_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
    });
  });
}

/** Renders, then runs the TestRun's two runners as k6 would on the cluster; returns the fetched run folder and the plan file. */
async function runOnFakeCluster(name: string, options: Partial<RenderOptions>): Promise<{ folder: string; planFile: string; runId: string; exits: number[] }> {
  const rendered = await renderK8s({
    scenario: 'spillover',
    parallelism: 2,
    gatewayUrl: topology.entryUrl,
    maxRate: 100,
    units: 1,
    namespace: 'load',
    outDir: join(work, name, 'manifests'),
    k6Image: 'grafana/k6:2.2.0',
    keySecret: 'spillway-subscription-keys',
    resultsClaim: 'spillway-results',
    ...options,
  });
  const configMap = parse(readFileSync(rendered.configMapFile, 'utf8')) as { data: Record<string, string> };
  const testRun = parse(readFileSync(rendered.testRunFile, 'utf8')) as { spec: { script: { configMap: { file: string } }; runner: { env: RunnerEnvVar[] } } };
  const script = join(work, name, testRun.spec.script.configMap.file);
  writeFileSync(script, configMap.data[testRun.spec.script.configMap.file]!);
  const folder = join(work, name, rendered.runId);
  // The initializer pod can leave an empty folder on the claim: collect must pass over it.
  mkdirSync(join(folder, `${rendered.runId}-initializer-x7k2p`), { recursive: true });
  const runs = ['q4t9z', 'm2c8w'].map((suffix, index) => {
    const pod = `${rendered.runId}-${index + 1}-${suffix}`;
    const dir = join(folder, pod);
    mkdirSync(dir, { recursive: true });
    const env = kubeletEnv(testRun.spec.runner.env, localKeys, pod);
    // The runner writes Spillway's summary to /results on the cluster; here, to its own folder.
    const k6Plan = JSON.parse(env.SPILLWAY_PLAN!) as { summaryPath: string };
    k6Plan.summaryPath = join(dir, 'k6-summary.json');
    return runK6(script, { SPILLWAY_PLAN: JSON.stringify(k6Plan) }, [...segments[index]!, '--out', `json=${join(dir, 'k6-samples.json')}`, '--summary-export', join(dir, 'k6-summary-export.json')]);
  });
  const exits = await Promise.all(runs);
  // 99: the runner's own thresholds, judged on its segment alone, were crossed; k6 still wrote everything.
  for (const run of exits) expect([0, 99], run.stderr).toContain(run.code);
  return { folder, planFile: rendered.planFile, runId: rendered.runId, exits: exits.map((run) => run.code) };
}

function pointsOf(file: string, metric: string): { value: number; tags: Record<string, string> }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"metric":"${metric}"`) && line.includes('"type":"Point"'))
    .map((line) => (JSON.parse(line) as { data: { value: number; tags: Record<string, string> } }).data);
}

describe.skipIf(skip !== null)('spillway k8s collect over two real k6 runners', () => {
  it('merges the runners\' samples and judges the thresholds once over them; verifiers without their evidence are inconclusive', { timeout: 120_000 }, async () => {
    // A short spillover plan with a threshold only the merged samples meet: about 60 requests
    // together, about 30 per runner, and `count>=40` over http_reqs.
    const k6ConfigFile = join(work, 'k6.config.json');
    const raw = JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { scenarios: Record<string, Record<string, unknown>> };
    raw.scenarios.spillover = {
      ...raw.scenarios.spillover,
      durationSeconds: 6,
      traffic: [
        { consumer: 'user-facing', ratePerUnit: 5, promptWords: { kind: 'fixed', value: 5 }, maxTokens: { kind: 'fixed', value: 5 } },
        { consumer: 'critical-ops', ratePerUnit: 5, promptWords: { kind: 'fixed', value: 5 }, maxTokens: { kind: 'fixed', value: 5 } },
      ],
      timeline: [],
      verifiers: ['spillover', 'token-limit'],
      thresholds: { http_reqs: ['count>=40'], 'http_req_duration{expected_response:true}': ['p(95)<20000'] },
    };
    writeFileSync(k6ConfigFile, JSON.stringify(raw));
    const { folder, planFile, runId, exits } = await runOnFakeCluster('scenario', { k6ConfigFile });
    // What k6-operator leaves you with: each runner failing `count>=40` over its own half.
    expect(exits).toEqual([99, 99]);

    const collected = await collectK8sRun({ folder, planFile, resultsDir: join(work, 'results') });
    expect(collected.kind).toBe('scenario');
    if (collected.kind !== 'scenario') return;
    const perRunner = collected.runners.map((r) => pointsOf(r.samples, 'http_reqs').length);
    expect(perRunner).toHaveLength(2);
    for (const count of perRunner) expect(count).toBeGreaterThan(0);
    const total = perRunner[0]! + perRunner[1]!;
    // Each runner alone is below the threshold; the merged samples are not.
    expect(Math.max(...perRunner)).toBeLessThan(40);
    expect(pointsOf(join(collected.runDir, 'k6-samples.json'), 'http_reqs')).toHaveLength(total);

    const journal = JSON.parse(readFileSync(collected.scenario.journalFile, 'utf8')) as Journal;
    expect(journalSchema.safeParse(journal).error).toBeUndefined();
    expect(journal).toMatchObject({ runId, scenario: 'spillover', status: 'completed', target: { kind: 'gateway', entryUrl: topology.entryUrl } });
    expect(journal.target.notes[0]).toMatch(/k6-operator's TestRun .* 2 runners/);
    const count = journal.verdicts.find((v) => v.check === 'k6 threshold http_reqs')!;
    expect(count).toMatchObject({ status: 'pass', measured: `count = ${total} over ${total} samples` });
    const durations = pointsOf(join(collected.runDir, 'k6-samples.json'), 'http_req_duration').filter((p) => p.tags.expected_response === 'true');
    expect(journal.verdicts.find((v) => v.check === 'k6 threshold http_req_duration{expected_response:true}')!.measured).toMatch(new RegExp(`over ${durations.length} samples$`));
    const spillover = journal.verdicts.find((v) => v.check === 'spillover')!;
    expect(spillover.status).toBe('inconclusive');
    expect(spillover.explanation).toMatch(/ledger is absent \(a k6-operator run brings only the runners' client samples/);
    expect(journal.verdicts.find((v) => v.check === 'token-limit')).toMatchObject({ status: 'inconclusive', measured: 'no expectations were given' });
    expect(journal.exitCode).toBe(3);
    expect(readFileSync(join(collected.runDir, 'junit.xml'), 'utf8')).toContain('k6 threshold http_reqs');
  });

  it('judges a capacity staircase step by step from the merged samples', { timeout: 120_000 }, async () => {
    const { folder, planFile } = await runOnFakeCluster('capacity', {
      scenario: 'capacity',
      gatewayUrl: topology.entryUrl,
      capacity: { startRps: 10, stepRps: 10, maxRps: 20, holdSeconds: 4, settleSeconds: 1, profile: 'light', sloP95Ms: 1000, errorBudget: 0.01, droppedTolerance: 0.01 },
    });
    const lines: string[] = [];
    const collected = await collectK8sRun({ folder, planFile, resultsDir: join(work, 'results'), say: (line) => lines.push(line) });
    expect(collected.kind, lines.join('\n')).toBe('capacity');
    if (collected.kind !== 'capacity') return;
    const steps = collected.capacity.steps.map((s) => s.step);
    expect(steps.map((s) => s.offeredRps)).toEqual([10, 20]);
    // Each step's requests in its 3 s window, from both runners: about rate × 3.
    for (const step of steps) {
      expect(step.requests, lines.join('\n')).toBeGreaterThanOrEqual(step.offeredRps * 3 * 0.8);
      expect(step.requests).toBeLessThanOrEqual(step.offeredRps * 3 * 1.2);
    }
    const journal = JSON.parse(readFileSync(collected.capacity.journalFile, 'utf8')) as { runners: string[]; steps: { droppedIterations: number; backend: string }[]; conclusion: string[] };
    expect(journal.runners).toHaveLength(2);
    expect(journal.steps[0]!.backend).toMatch(/not checked/);
    expect(journal.conclusion.join('\n')).toMatch(/no bisection/);
  });
});
