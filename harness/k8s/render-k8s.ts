import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkClassesCoverGenerators, LoadGeneratorCountError } from '../run/load-generator-count.ts';
import { bundleScenarios } from '../k6/bundle-scenarios.ts';
import { defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config, scenarioPlan, type K6Config, type ScenarioPlan } from '../run/scenario-plan.ts';
import { capacityConsumer, capacityStaircase, peakRate, type StaircaseOptions } from './capacity-staircase.ts';
import { maxParallelism } from './k8s-defaults.ts';
import { k8sPlanFileVersion, type CapacityPlan, type K8sPlanFile } from './k8s-plan-file.ts';
import { configMapDataBytes, scriptConfigMap } from './script-configmap.ts';
import { testRunManifest } from './testrun-manifest.ts';

/**
 * `spillway k8s render`: the ConfigMap (the scenario's bundle) and the TestRun that run a
 * scenario, or a capacity staircase, on k6-operator, written as YAML for `kubectl apply -f`,
 * and beside them the resolved plan without keys (`<run>.plan.json`) that `spillway k8s
 * collect` judges the runners' results by. Everything is checked and built before the first
 * file is written, so a refusal leaves nothing behind.
 */
export interface RenderOptions {
  scenario: string;
  parallelism: number;
  gatewayUrl: string;
  units: number;
  namespace: string;
  outDir: string;
  k6Image: string;
  keySecret: string;
  resultsClaim: string;
  /**
   * Accept a scenario whose plan has a fault timeline, running only its traffic: the runners
   * cannot inject faults (the harness does that, beside the load, in `spillway run`).
   */
  trafficOnly?: boolean;
  /**
   * The most requests per second the plan may send at its busiest (--max-rate): the runners load
   * a remote gateway, so a plan above the cap is refused before anything is written.
   */
  maxRate: number;
  /** Render a capacity staircase instead of a scenario (`spillway k8s render capacity`). */
  capacity?: CapacityRenderOptions;
  k6ConfigFile?: string;
  now?: Date;
}

export interface RenderedManifests {
  name: string;
  runId: string;
  configMapFile: string;
  testRunFile: string;
  /** The resolved plan without keys, for `spillway k8s collect`. */
  planFile: string;
  configMapBytes: number;
  /** Requests per second the runners offer together at the plan's busiest (its rates at --units). */
  totalRate: number;
  /** The URL the runners send to: the gateway URL, and for a capacity run its profile's path. */
  baseUrl: string;
}

export class K8sRenderError extends UserFacingError {}

// The options' defaults and limits live in a module of their own, for the command line (k8s-defaults.ts says why).
export { defaultK6Image, defaultKeySecret, defaultResultsClaim, maxParallelism } from './k8s-defaults.ts';

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkOptions(options: RenderOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.parallelism) || options.parallelism < 1 || options.parallelism > maxParallelism) problems.push(`--parallelism ${options.parallelism}: must be a whole number from 1 to ${maxParallelism}`);
  if (!Number.isInteger(options.units) || options.units < 1) problems.push(`--units ${options.units}: must be a whole number of at least 1`);
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(options.gatewayUrl)) problems.push(`--gateway-url "${options.gatewayUrl}": must be an http:// or https:// URL (the gateway or front door the runners load)`);
  for (const [flag, value] of [['--namespace', options.namespace], ['--key-secret', options.keySecret], ['--results-claim', options.resultsClaim]] as const) {
    if (!dnsLabel.test(value)) problems.push(`${flag} "${value}": must be a Kubernetes name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)`);
  }
  if (!(options.maxRate > 0 && Number.isFinite(options.maxRate))) problems.push(`--max-rate ${options.maxRate}: must be a positive number of requests per second`);
  if (options.capacity) problems.push(...capacityProblems(options.capacity));
  if (options.k6Image.trim() === '' || /\s/.test(options.k6Image)) problems.push(`--k6-image "${options.k6Image}": must be an image reference without spaces`);
  if (problems.length > 0) throw new K8sRenderError(problems.join('\n'));
}

function capacityProblems(capacity: CapacityRenderOptions): string[] {
  const problems: string[] = [];
  for (const [flag, value] of [['--start-rps', capacity.startRps], ['--step-rps', capacity.stepRps], ['--max-rps', capacity.maxRps], ['--hold-seconds', capacity.holdSeconds], ['--slo-p95-ms', capacity.sloP95Ms]] as const) {
    if (!(value > 0 && Number.isFinite(value))) problems.push(`${flag} ${value}: must be a positive number`);
  }
  if (capacity.startRps > capacity.maxRps) problems.push(`--start-rps ${capacity.startRps} is above --max-rps ${capacity.maxRps}: the staircase would have no step`);
  if (!(capacity.settleSeconds >= 0 && capacity.settleSeconds < capacity.holdSeconds)) problems.push(`--settle-seconds ${capacity.settleSeconds}: must be from 0 and below --hold-seconds (${capacity.holdSeconds}), so each step keeps a window to judge`);
  if (!(capacity.errorBudget >= 0 && capacity.errorBudget < 1)) problems.push(`--error-budget ${capacity.errorBudget}: must be from 0 up to (not including) 1`);
  const steps = capacity.startRps > 0 && capacity.stepRps > 0 && capacity.maxRps >= capacity.startRps ? Math.ceil((capacity.maxRps - capacity.startRps) / capacity.stepRps) + 1 : 0;
  // A scenario plan runs at most an hour (scenario-plan.ts); so does a staircase.
  if (steps * capacity.holdSeconds > 3600) problems.push(`the staircase would run ${steps} steps of ${capacity.holdSeconds} s (${steps * capacity.holdSeconds} s), more than an hour: widen --step-rps or shorten --hold-seconds`);
  return problems;
}

/** A TestRun name: a DNS label, short enough for the operator's `<name>-<n>` jobs and `-initializer`. */
function testRunName(label: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
  return `spillway-${label}-${stamp}`;
}

async function bundleText(script: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-k8s-bundle-'));
  try {
    const [bundle] = await bundleScenarios({ names: [script], outDir: dir });
    return readFileSync(bundle!.file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `spillway k8s render capacity` adds to the options: the staircase and how each step is judged. */
export type CapacityRenderOptions = Omit<StaircaseOptions, 'units'>;

/** The plan a render runs: a scenario of k6.config.json, or a capacity staircase. */
function resolvePlan(options: RenderOptions, config: K6Config, configFile: string): { plan: ScenarioPlan; capacity?: CapacityPlan; label: string; baseUrl: string } {
  const gateway = options.gatewayUrl.replace(/\/+$/, '');
  if (options.capacity) {
    if (options.trafficOnly) throw new K8sRenderError('--traffic-only: a capacity staircase has no fault timeline to leave out');
    if (!config.consumers[capacityConsumer]) throw new K8sRenderError(`${configFile}: no consumer "${capacityConsumer}", whose key (a subscription to the Capacity Testing product) the capacity steps send`);
    const { plan, capacity } = capacityStaircase({ ...options.capacity, units: options.units }, config);
    return { plan, capacity, label: 'capacity', baseUrl: `${gateway}${capacity.basePath}` };
  }
  if (options.scenario === 'capacity') throw new K8sRenderError('capacity: give the staircase (--start-rps, --step-rps, --max-rps, --hold-seconds), as `spillway k8s render capacity` describes');
  const plan = scenarioPlan(config, options.scenario, configFile);
  if (plan.timeline.length > 0 && !options.trafficOnly) {
    throw new K8sRenderError(
      `scenario "${plan.name}" has a fault timeline (${plan.timeline.map((step) => step.id).join(', ')}) that k6-operator's runners cannot apply; only \`spillway run\` injects faults. Render it with --traffic-only to run its traffic alone, or choose a scenario without faults`,
    );
  }
  // A bearer token is minted or read by the harness when a run starts (harness/auth) and
  // reaches k6 with the plan; a runner pod has neither the signing key nor the variable, and a
  // token written into a manifest would be a secret in a file. Refused rather than sent without.
  const withTokens = plan.traffic.flatMap((t, i) => (t.bearerToken ? [`traffic[${i}].bearerToken (${t.consumer})`] : []));
  if (withTokens.length > 0) {
    throw new K8sRenderError(`scenario "${plan.name}": ${withTokens.join(', ')}: k6-operator's runners cannot send bearer tokens (the harness makes them when \`spillway run\` starts, and a token must not be written into a manifest); run it with \`spillway run\`, or remove the field to load the gateway without tokens`);
  }
  return { plan, label: plan.name, baseUrl: gateway };
}

export async function renderK8s(options: RenderOptions): Promise<RenderedManifests> {
  checkOptions(options);
  const configFile = options.k6ConfigFile ?? defaultK6ConfigFile;
  const config = loadK6Config(configFile);
  const { plan, capacity, label, baseUrl } = resolvePlan(options, config, configFile);
  // The runners load a gateway somewhere else, at a rate many machines together can reach: the
  // render refuses a plan above the cap it was given, as `spillway run --max-rate` does.
  const rate = peakRate(plan, options.units);
  if (rate > options.maxRate) {
    throw new K8sRenderError(`--max-rate ${options.maxRate}: ${label === 'capacity' ? 'the capacity staircase' : `scenario "${plan.name}"`} sends ${rate} requests/s at its busiest${label === 'capacity' ? '' : ` at --units ${options.units}`}, more than the cap; ${label === 'capacity' ? 'lower --max-rps' : 'lower --units'} or raise the cap`);
  }
  // Execution segments split each class's VUs among the runners, as among local generators: the
  // same rule (harness/run/load-generator-count.ts), said of --parallelism.
  try {
    checkClassesCoverGenerators(plan.traffic, options.units, options.parallelism, '--parallelism');
  } catch (error) {
    throw error instanceof LoadGeneratorCountError ? new K8sRenderError(error.message) : error;
  }
  const script = plan.script ?? plan.name;
  const name = testRunName(label, options.now ?? new Date());
  // The operator names the initializer's job `<name>-initializer`, and a job's name is a DNS label.
  if (`${name}-initializer`.length > 63) throw new K8sRenderError(`scenario "${plan.name}": its name is too long for a TestRun name (${name}; the operator's \`${name}-initializer\` must fit in 63 characters), use a scenario name of at most ${plan.name.length - (name.length + 12 - 63)} characters`);
  const labels = { 'app.kubernetes.io/name': 'spillway', 'spillway/scenario': label, 'spillway/run': name };
  const scriptFile = `${script}.js`;
  const configMap = scriptConfigMap({ name: `${name}-script`, namespace: options.namespace, labels, file: scriptFile, bundle: await bundleText(script) });
  const testRun = testRunManifest({
    name,
    namespace: options.namespace,
    labels,
    parallelism: options.parallelism,
    configMap: configMap.metadata.name,
    scriptFile,
    k6Image: options.k6Image,
    resultsClaim: options.resultsClaim,
    plan,
    config,
    units: options.units,
    gatewayUrl: baseUrl,
    runId: name,
    keySecret: options.keySecret,
  });
  const planFile: K8sPlanFile = {
    schemaVersion: k8sPlanFileVersion,
    kind: capacity ? 'capacity' : 'scenario',
    runId: name,
    namespace: options.namespace,
    parallelism: options.parallelism,
    gatewayUrl: baseUrl,
    units: options.units,
    peakRate: rate,
    maxRate: options.maxRate,
    renderedAt: (options.now ?? new Date()).toISOString(),
    plan,
    ...(capacity ? { capacity } : {}),
  };
  const outDir = resolve(options.outDir);
  const files = {
    configMap: join(outDir, `${name}.configmap.yaml`),
    testRun: join(outDir, `${name}.testrun.yaml`),
    plan: join(outDir, `${name}.plan.json`),
  };
  // Every document is serialised before any is written.
  const texts: [string, string][] = [
    [files.configMap, stringify(configMap, { lineWidth: 0 })],
    [files.testRun, stringify(testRun, { lineWidth: 0 })],
    [files.plan, `${JSON.stringify(planFile, null, 2)}\n`],
  ];
  for (const [file] of texts) {
    if (existsSync(file)) throw new K8sRenderError(`${file} already exists: nothing was written (render again in a second, or choose another --out)`);
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new K8sRenderError(`--out ${options.outDir}: cannot create the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const written: string[] = [];
  try {
    for (const [file, text] of texts) {
      writeFileSync(file, text, { flag: 'wx' });
      written.push(file);
    }
  } catch (error) {
    // All three or none: manifests without their plan could be applied and never judged.
    for (const file of written) rmSync(file, { force: true });
    throw new K8sRenderError(`${texts[written.length]![0]}: cannot write it (${(error as NodeJS.ErrnoException).code ?? String(error)}); nothing was left behind`);
  }
  return { name, runId: name, configMapFile: files.configMap, testRunFile: files.testRun, planFile: files.plan, configMapBytes: configMapDataBytes(configMap.data), totalRate: rate, baseUrl };
}
