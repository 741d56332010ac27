import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import { loadK6Config } from '../run/scenario-plan.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { bundleBuildOptions, bundleScenarios, BundleError, scenarioNames, type BundledScenario } from './bundle-scenarios.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

/** Module specifiers a bundle imports (static `import … from "x"` and `import "x"`). */
function importedModules(code: string): string[] {
  return [...code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)].map((m) => (m[1] ?? m[2]) as string);
}

/** The `sources` of a bundle's inline source map. */
function mappedSources(code: string): string[] {
  const match = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(code);
  if (!match) throw new Error('no inline source map');
  return (JSON.parse(Buffer.from(match[1] as string, 'base64').toString('utf8')) as { sources: string[] }).sources;
}

describe('bundleScenarios', () => {
  let outDir: string;
  let bundles: BundledScenario[];
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'spillway-bundles-'));
    bundles = await bundleScenarios({ outDir });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('lists exactly the scripts the scenarios of k6.config.json run', () => {
    const config = loadK6Config(join(repoRoot, 'k6.config.json'));
    // A plan runs the script of its own name unless it names another (smoke-full runs smoke's).
    const scripts = new Set(Object.entries(config.scenarios).map(([name, plan]) => plan.script ?? name));
    expect([...scenarioNames].sort()).toEqual([...scripts].sort());
  });

  it('bundles every scenario into one file named after it', () => {
    expect(bundles.map((b) => b.name)).toEqual([...scenarioNames]);
    for (const bundle of bundles) {
      expect(bundle.file).toBe(join(outDir, `${bundle.name}.js`));
      expect(existsSync(bundle.file)).toBe(true);
    }
  });

  it('imports nothing but k6 modules: no Node built-ins, no npm packages left unbundled', () => {
    const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    for (const bundle of bundles) {
      const code = readFileSync(bundle.file, 'utf8');
      const modules = importedModules(code);
      expect(modules.length).toBeGreaterThan(0);
      expect(modules.filter((m) => nodeBuiltins.has(m) || m.startsWith('node:'))).toEqual([]);
      expect(modules.filter((m) => m !== 'k6' && !m.startsWith('k6/'))).toEqual([]);
      expect(code).not.toMatch(/\brequire\(/);
    }
  });

  it('carries an inline source map of scenarios/ and no test support', () => {
    for (const bundle of bundles) {
      const sources = mappedSources(readFileSync(bundle.file, 'utf8'));
      expect(sources.some((s) => s.endsWith(`scenarios/${bundle.name}.scenario.ts`))).toBe(true);
      expect(sources.filter((s) => /k6-shims|test-support|\.test\.ts$/.test(s))).toEqual([]);
    }
  });

  it('uses the options the k6 runtime needs', () => {
    const options = bundleBuildOptions(['smoke'], outDir);
    expect(options).toMatchObject({ bundle: true, format: 'esm', platform: 'browser', target: 'es2022', external: ['k6', 'k6/*'], sourcemap: 'inline' });
    expect(options.entryPoints).toEqual([{ in: join(repoRoot, 'scenarios', 'smoke.scenario.ts'), out: 'smoke' }]);
  });

  it('bundles only the named scenarios and refuses unknown ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-bundles-'));
    try {
      expect(await bundleScenarios({ names: ['failover'], outDir: dir })).toEqual([{ name: 'failover', file: join(dir, 'failover.js') }]);
      await expect(bundleScenarios({ names: ['failover', 'chaos-monkey'], outDir: dir })).rejects.toThrow(BundleError);
      await expect(bundleScenarios({ names: ['chaos-monkey'], outDir: dir })).rejects.toThrow(/unknown scenario "chaos-monkey": the scenarios are smoke, spillover/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The bundles under the real, pinned k6 against the local topology (fleet, two regional
 * gateways, front door). `.ci/run` provisions k6 before the tests; elsewhere this is skipped
 * with the reason printed.
 */
const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') {
  process.stdout.write(`bundle-scenarios.test.ts: k6 runs skipped: k6 ${inspection.wantedVersion} is not provisioned (${inspection.reasons.join('; ')}); run: npx spillway tools install\n`);
}
const k6Path = inspection.status === 'found' ? inspection.tool.path : '';

interface K6Result {
  code: number;
  stdout: string;
  stderr: string;
}

function runK6(args: string[], env: Record<string, string>): Promise<K6Result> {
  return new Promise((resolvePromise) => {
    execFile(k6Path, args, { env: { ...process.env, K6_NO_USAGE_REPORT: 'true', ...env }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const keys = {
  'user-facing': 'local-user-facing-key',
  'critical-ops': 'local-critical-ops-key',
  batch: 'local-batch-key',
  'dev-test': 'local-dev-test-key',
};

function plan(name: string, baseUrl: string, summaryPath: string, durationSeconds = 8): Record<string, unknown> {
  const size = (value: number) => ({ kind: 'fixed', value });
  return {
    name,
    durationSeconds,
    units: 1,
    baseUrl,
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    embeddingDeployment: 'text-embedding-3-small',
    traffic: [
      { consumer: 'user-facing', key: keys['user-facing'], priority: 'medium', rate: 3, operation: 'chat', stream: false, promptWords: size(20), maxTokens: { kind: 'uniform', min: 10, max: 30 }, startSeconds: 0 },
      { consumer: 'critical-ops', key: keys['critical-ops'], priority: 'high', rate: 1, operation: 'chat', stream: true, promptWords: size(20), maxTokens: size(20), startSeconds: 1, endSeconds: durationSeconds - 1 },
      { consumer: 'batch', key: keys.batch, priority: 'none', rate: 0.5, operation: 'embeddings', stream: false, promptWords: size(10), maxTokens: size(1), startSeconds: 0, endSeconds: null },
      // 1,000 tokens a minute and 10 low-priority calls a minute: the gateway refuses most of these.
      { consumer: 'dev-test', key: keys['dev-test'], priority: 'low', rate: 2, operation: 'chat', stream: false, promptWords: size(40), maxTokens: size(120), startSeconds: 0 },
    ],
    thresholds: { 'http_req_duration{expected_response:true}': ['p(95)<5000'] },
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    summaryPath,
  };
}

/** The ClientRecord fields, as spillway_request tags (scenarios/lib/README.md). */
const clientTagNames = ['status', 'scenario', 'consumer', 'priority', 'operation', 'stream', 'served_by', 'served_region', 'fd_origin', 'error_origin', 'gateway_reason', 'retry_after', 'remaining_tokens', 'prompt_tokens', 'completion_tokens'] as const;
type RequestTags = Record<(typeof clientTagNames)[number] | 'group', string>;

describe.skipIf(inspection.status === 'missing')('the bundles under real k6', () => {
  let work: string;
  let bundles: BundledScenario[];
  let fleet: RunningFleet;
  let gateway: RunningGateway;
  let frontDoorUrl: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'spillway-k6-'));
    bundles = await bundleScenarios({ outDir: join(work, 'dist') });
    const topology = loadTopologyFile(defaultTopologyPath);
    topology.latencyScale = 0.05;
    topology.seed = 11;
    fleet = await startFleet({ topology });
    const endpoints = new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint]));
    gateway = await startGateway({ config: loadGatewayConfig(join(repoRoot, 'deploy', 'apim')), fleetEndpoints: endpoints, logsDir: null, seed: 11 });
    if (!gateway.frontDoor) throw new Error('deploy/apim has no front door');
    frontDoorUrl = gateway.frontDoor.url;
  });

  afterAll(async () => {
    await gateway?.close();
    await fleet?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('every bundle loads in k6 and turns its plan into one scenario per traffic class', async () => {
    for (const bundle of bundles) {
      const result = await runK6(['inspect', '--include-system-env-vars', bundle.file], { SPILLWAY_PLAN: JSON.stringify(plan(bundle.name, frontDoorUrl, join(work, 'unused.json'))) });
      expect({ bundle: bundle.name, code: result.code, stderr: result.stderr }).toEqual({ bundle: bundle.name, code: 0, stderr: '' });
      const options = JSON.parse(result.stdout) as { scenarios: Record<string, { executor: string; exec: string }> };
      expect(Object.keys(options.scenarios)).toEqual(['t0_user-facing', 't1_critical-ops', 't2_batch', 't3_dev-test']);
      expect(Object.values(options.scenarios).every((s) => s.executor === 'constant-arrival-rate' && s.exec === 'traffic')).toBe(true);
      for (const key of Object.values(keys)) expect(result.stdout).not.toContain(key);
    }
  });

  it('fails with exit code 107 and says why when SPILLWAY_PLAN is missing', async () => {
    const smoke = bundles.find((b) => b.name === 'smoke')!;
    const result = await runK6(['run', '--quiet', '--no-color', smoke.file], { SPILLWAY_PLAN: '' });
    expect(result.code).toBe(107);
    expect(result.stderr).toContain('SPILLWAY_PLAN is not set');
  });

  it('runs a plan through the front door and records one tagged sample per request, and the summary', async () => {
    const smoke = bundles.find((b) => b.name === 'smoke')!;
    const samplesPath = join(work, 'k6-samples.json');
    const exportPath = join(work, 'k6-summary-export.json');
    const summaryPath = join(work, 'k6-summary.json');
    const result = await runK6(['run', '--quiet', '--no-color', '--out', `json=${samplesPath}`, '--summary-export', exportPath, smoke.file], {
      SPILLWAY_PLAN: JSON.stringify(plan('smoke', frontDoorUrl, summaryPath)),
    });
    expect({ code: result.code, stderr: result.stderr.split('\n').filter((l) => /level=(error|warning)/.test(l)) }).toEqual({ code: 0, stderr: [] });

    const lines = readFileSync(samplesPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; metric: string; data: { value: number; tags: RequestTags } });
    const requests = lines.filter((l) => l.type === 'Point' && l.metric === 'spillway_request').map((l) => ({ value: l.data.value, tags: l.data.tags }));
    const httpReqs = lines.filter((l) => l.type === 'Point' && l.metric === 'http_reqs');
    expect(requests.length).toBeGreaterThan(20);
    expect(requests).toHaveLength(httpReqs.length);
    for (const { tags } of requests) {
      // k6 adds its own `group` tag ('' outside groups) to every sample.
      expect(Object.keys(tags).sort()).toEqual([...clientTagNames, 'group'].sort());
      expect(tags.scenario).toBe('smoke');
    }
    const t = requests.map((r) => r.tags);
    expect(t.filter((x) => x.status === '200').every((x) => x.served_by.startsWith('aoai-') && x.fd_origin === 'East US' && Number(x.prompt_tokens) > 0)).toBe(true);
    expect(t.some((x) => x.consumer === 'critical-ops' && x.stream === 'true' && x.priority === 'high' && x.status === '200' && Number(x.completion_tokens) > 0)).toBe(true);
    expect(t.some((x) => x.consumer === 'batch' && x.operation === 'embeddings' && x.priority === '' && x.status === '200' && x.completion_tokens === '0')).toBe(true);
    const refused = t.filter((x) => x.consumer === 'dev-test' && x.status === '429');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((x) => x.error_origin === 'gateway' && ['token-limit', 'rate-limit'].includes(x.gateway_reason) && x.retry_after !== '' && x.served_by === '')).toBe(true);
    expect(t.some((x) => x.consumer === 'user-facing' && x.status === '200' && Number(x.remaining_tokens) > 0)).toBe(true);

    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { scenario: string; units: number; metrics: Record<string, Record<string, number>>; thresholds: unknown; rootChecks: { name: string }[] };
    expect(summary).toMatchObject({ scenario: 'smoke', units: 1, thresholds: { 'http_req_duration{expected_response:true}': { 'p(95)<5000': { ok: true } } } });
    expect(summary.metrics.http_reqs?.count).toBe(requests.length);
    expect(summary.metrics['spillway_429{origin:gateway}']?.count).toBe(refused.length);
    expect(summary.metrics.http_req_duration).toHaveProperty('p(99)');
    expect(summary.rootChecks.map((c) => c.name)).toContain('an answer arrived (no timeout or connection error)');
    expect(existsSync(exportPath)).toBe(true);
    expect(result.stdout).toContain('spillway scenario smoke: 1 unit(s)');

    // Subscription keys stay out of everything k6 wrote or printed.
    const written = [readFileSync(samplesPath, 'utf8'), readFileSync(summaryPath, 'utf8'), readFileSync(exportPath, 'utf8'), result.stdout, result.stderr].join('\n');
    for (const key of Object.values(keys)) expect(written).not.toContain(key);
  });
});
