import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { vuSizing } from '../../scenarios/lib/executors.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { bundleScenarios } from '../k6/bundle-scenarios.ts';
import { defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';
import { configMapDataBytes, scriptConfigMap } from './script-configmap.ts';
import { testRunManifest } from './testrun-manifest.ts';

/**
 * `spillway k8s render`: the ConfigMap (the scenario's bundle) and the TestRun that run a
 * scenario on k6-operator, written as YAML for `kubectl apply -f`. Everything is checked and
 * built before the first file is written, so a refusal leaves nothing behind.
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
  k6ConfigFile?: string;
  now?: Date;
}

export interface RenderedManifests {
  name: string;
  runId: string;
  configMapFile: string;
  testRunFile: string;
  configMapBytes: number;
  /** Requests per second the runners offer together (the plan's rates at --units). */
  totalRate: number;
}

export class K8sRenderError extends UserFacingError {}

/**
 * Runner pods beyond this are more likely a typo than a plan: ten Premium v2 units at their
 * light-policy estimate (25,000 requests/s) need far fewer k6 runners than this.
 */
export const maxParallelism = 100;
/** k6's own image; the bundle targets the k6 version Spillway pins (harness/tools/tool-specs.ts). */
export const defaultK6Image = 'grafana/k6:2.2.0';
export const defaultKeySecret = 'spillway-subscription-keys';
export const defaultResultsClaim = 'spillway-results';

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkOptions(options: RenderOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.parallelism) || options.parallelism < 1 || options.parallelism > maxParallelism) problems.push(`--parallelism ${options.parallelism}: must be a whole number from 1 to ${maxParallelism}`);
  if (!Number.isInteger(options.units) || options.units < 1) problems.push(`--units ${options.units}: must be a whole number of at least 1`);
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(options.gatewayUrl)) problems.push(`--gateway-url "${options.gatewayUrl}": must be an http:// or https:// URL (the gateway or front door the runners load)`);
  for (const [flag, value] of [['--namespace', options.namespace], ['--key-secret', options.keySecret], ['--results-claim', options.resultsClaim]] as const) {
    if (!dnsLabel.test(value)) problems.push(`${flag} "${value}": must be a Kubernetes name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)`);
  }
  if (options.k6Image.trim() === '' || /\s/.test(options.k6Image)) problems.push(`--k6-image "${options.k6Image}": must be an image reference without spaces`);
  if (problems.length > 0) throw new K8sRenderError(problems.join('\n'));
}

/** A TestRun name: a DNS label, short enough for the operator's `<name>-<n>` jobs and `-initializer`. */
function testRunName(scenario: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
  return `spillway-${scenario}-${stamp}`;
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

export async function renderK8s(options: RenderOptions): Promise<RenderedManifests> {
  checkOptions(options);
  const configFile = options.k6ConfigFile ?? defaultK6ConfigFile;
  const config = loadK6Config(configFile);
  const plan = scenarioPlan(config, options.scenario, configFile);
  if (plan.timeline.length > 0 && !options.trafficOnly) {
    throw new K8sRenderError(
      `scenario "${plan.name}" has a fault timeline (${plan.timeline.map((step) => step.id).join(', ')}) that k6-operator's runners cannot apply; only \`spillway run\` injects faults. Render it with --traffic-only to run its traffic alone, or choose a scenario without faults`,
    );
  }
  // Execution segments split each class's VUs among the runners too: a runner given none of a
  // class's VUs would drop its share of that class's arrivals, an artefact of the split.
  for (const traffic of plan.traffic) {
    const rate = traffic.ratePerUnit * options.units;
    const { maxVUs } = vuSizing(rate);
    if (options.parallelism > maxVUs) {
      throw new K8sRenderError(`--parallelism ${options.parallelism}: more runners than the ${maxVUs} VUs of the ${traffic.consumer} class (${rate} requests/s at --units ${options.units}), so some runners would have none of its VUs and drop their share of its requests; use --parallelism ${maxVUs} or less`);
    }
  }
  const script = plan.script ?? plan.name;
  const name = testRunName(plan.name, options.now ?? new Date());
  // The operator names the initializer's job `<name>-initializer`, and a job's name is a DNS label.
  if (`${name}-initializer`.length > 63) throw new K8sRenderError(`scenario "${plan.name}": its name is too long for a TestRun name (${name}; the operator's \`${name}-initializer\` must fit in 63 characters), use a scenario name of at most ${plan.name.length - (name.length + 12 - 63)} characters`);
  const labels = { 'app.kubernetes.io/name': 'spillway', 'spillway/scenario': plan.name, 'spillway/run': name };
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
    gatewayUrl: options.gatewayUrl,
    runId: name,
    keySecret: options.keySecret,
  });
  const outDir = resolve(options.outDir);
  const configMapFile = join(outDir, `${name}.configmap.yaml`);
  const testRunFile = join(outDir, `${name}.testrun.yaml`);
  // Both documents are serialised before either is written.
  const configMapYaml = stringify(configMap, { lineWidth: 0 });
  const testRunYaml = stringify(testRun, { lineWidth: 0 });
  for (const file of [configMapFile, testRunFile]) {
    if (existsSync(file)) throw new K8sRenderError(`${file} already exists: nothing was written (render again in a second, or choose another --out)`);
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    throw new K8sRenderError(`--out ${options.outDir}: cannot create the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  writeFileSync(configMapFile, configMapYaml, { flag: 'wx' });
  writeFileSync(testRunFile, testRunYaml, { flag: 'wx' });
  return { name, runId: name, configMapFile, testRunFile, configMapBytes: configMapDataBytes(configMap.data), totalRate: plan.traffic.reduce((sum, t) => sum + t.ratePerUnit * options.units, 0) };
}
