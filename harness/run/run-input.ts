/**
 * What a run is given, checked in two steps.
 *
 * 1. checkInvocation: the command line itself (numbers, flags that exclude each other, the k6
 *    configuration and the scenario it names, the results folder). A mistake here is a usage
 *    error: exit 2 with nothing created, since there is no run yet to write a journal for.
 * 2. prepareRun: everything the run will drive, once it has an identity: the target (embedded,
 *    or a gateway at a URL with the fleet started on fixed ports or attached to), the plan
 *    against that fleet and target (step kinds it cannot apply, names it does not have), the
 *    expectations, the keys. A refusal here is before any load too, but the run writes its
 *    journal and junit.xml saying why (harness/run/run-scenario.ts), so CI has something to read.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeUnstartedFleet, type FleetDescription } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { checkFleetReachable, liveFleetDescription, loadFleetFile } from '../targets/fleet-file.ts';
import { embeddedTarget } from '../targets/embedded-target.ts';
import { gatewayTarget, type FleetSource } from '../targets/gateway-target.ts';
import { FleetControlClient } from '../targets/fleet-control-client.ts';
import type { GatewayLogSource } from '../targets/gateway-log-source.ts';
import { AzureMonitorUtilisation } from '../capacity/utilisation/azure-monitor-utilisation.ts';
import { prepareContainerRuntime, type PreparedContainerRuntime, type Runtime } from '../containers/container-runtime.ts';
import { startToxiproxyContainer } from '../containers/toxiproxy-container.ts';
import type { UtilisationSource } from '../capacity/utilisation/utilisation-source.ts';
import { logAnalyticsGatewayLogs } from '../targets/log-analytics-logs.ts';
import { entryUrlOf, loadTargetFile, type TargetFile } from '../targets/target-file.ts';
import { apimHealthPath } from '../targets/preflight.ts';
import { refusedSteps, type Target } from '../targets/target.ts';
import { checkExpectationsAgainstRun } from '../verify/expectations-against-fleet.ts';
import { loadExpectationsFile } from '../verify/expectations-file.ts';
import { expectationsFromConfig } from '../verify/expectations-from-config.ts';
import type { Expectations } from '../verify/expectations.ts';
import { scenarioTopology } from '../targets/embedded-topology.ts';
import type { ExpectationsSource } from './expectations-mode.ts';
import type { FaultInjectors } from './fault-timeline.ts';
import { checkClassesCoverGenerators, checkLoadGeneratorCount } from './load-generator-count.ts';
import { checkOutputFolder } from './output-paths.ts';
import { planProblems } from './plan-against-topology.ts';
import { loadK6Config, scenarioPlan, ScenarioPlanError, type K6Config, type ScenarioPlan } from './scenario-plan.ts';
import { checkThresholdsEvaluable, ThresholdEvaluationError } from './thresholds-from-samples.ts';

export interface RunOptions {
  scenario: string;
  units: number;
  k6ConfigFile?: string;
  /** APIOps folder of the emulated gateway (the embedded target). */
  gatewayConfigDir?: string;
  /**
   * The configuration the gateway is supposed to have, when it differs from what it runs
   * (drills of misconfiguration, or a gateway at a URL held to an APIOps folder).
   */
  expectationsConfigDir?: string;
  /** Expectations given explicitly (harness/verify/expectations-file.ts). */
  expectationsFile?: string;
  /** A gateway at a URL instead of the embedded default (the gateway target). */
  gatewayUrl?: string;
  /** With gatewayUrl: attach to the fleet this file describes (`spillway fleet up --json`'s line). */
  fleetFile?: string;
  /**
   * A real API Management described by a target file (harness/targets/target-file.ts): its
   * URLs, key variables, Log Analytics workspace and fleet. Excludes gatewayUrl.
   */
  targetFile?: string;
  /** For tests: the gateway-log source of a target file (default: its Log Analytics workspace). */
  logSourceFor?: (file: TargetFile) => GatewayLogSource;
  /** For tests: the utilisation source of a target file with `metrics` (default: Azure Monitor). */
  utilisationFor?: (file: TargetFile) => UtilisationSource;
  /** With gatewayUrl and no fleetFile: the run starts the fleet, resource i on portBase + i. */
  portBase?: number;
  /** The topology of the fleet the run starts (default: mocks/aoai/default-topology.json). */
  topologyFile?: string;
  /** The gateway's health check path; 'none' skips it. Default APIM's status path. */
  healthPath?: string;
  /**
   * Load toward anything but loopback needs both: the host, named explicitly (so a typo or a
   * copied command cannot aim load at production), and a cap on requests per second, which the
   * plan's total rate (scaled by --units) must not exceed.
   */
  allowRemoteHost?: string;
  maxRate?: number;
  /**
   * k6 processes that share the load (default 1), each running its execution segment of the
   * test; their samples are merged and judged once (harness/run/k6-generators.ts). More than the
   * machine's cores is refused unless oversubscribeGenerators.
   */
  loadGenerators?: number;
  oversubscribeGenerators?: boolean;
  /**
   * Where k6 (and Toxiproxy, for network steps) run: as processes (default) or in containers
   * through testcontainers (harness/containers), refused without an engine before anything starts.
   */
  runtime?: Runtime;
  resultsDir?: string;
  seed?: number;
  progress?: (line: string) => void;
  signal?: AbortSignal;
  onLoadPhase?: (edge: 'start' | 'end') => void;
  /** For tests only: wraps the target's fault injectors, to make a step (or its rollback) fail. */
  wrapFaultInjectors?: (injectors: FaultInjectors) => FaultInjectors;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const defaultK6ConfigFile = join(repo, 'k6.config.json');
export const defaultGatewayConfigDir = join(repo, 'deploy', 'apim');

export class RunInputError extends UserFacingError {}

export interface Invocation {
  config: K6Config;
  configFile: string;
  plan: ScenarioPlan;
  resultsDir: string;
}

/**
 * Step 1: the command line. Throws a usage error; creates nothing. A plan built by the command
 * rather than named in k6.config.json (`spillway capacity`'s) is given with the configuration
 * whose consumers it uses, and is checked against the same flags.
 */
export function checkInvocation(options: RunOptions, built?: { plan: ScenarioPlan; config: K6Config; configFile: string }): Invocation {
  if (!Number.isInteger(options.units) || options.units < 1 || options.units > 30) {
    throw new RunInputError(`--units must be a whole number from 1 to 30 (APIM's largest unit count per region), got ${String(options.units)}`);
  }
  const configFile = built?.configFile ?? resolve(options.k6ConfigFile ?? defaultK6ConfigFile);
  const config = built?.config ?? loadK6Config(configFile);
  const plan = built?.plan ?? scenarioPlan(config, options.scenario, configFile);
  if (options.targetFile !== undefined) {
    for (const [flag, given] of [['--gateway-url', options.gatewayUrl], ['--fleet', options.fleetFile], ['--port-base', options.portBase], ['--topology', options.topologyFile], ['--health-path', options.healthPath]] as const) {
      if (given !== undefined) throw new RunInputError(`${flag} and --target both say what the run drives: the target file holds the gateway's URLs, its fleet and its health path`);
    }
  } else if (options.gatewayUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.gatewayUrl);
    } catch {
      throw new RunInputError(`--gateway-url "${options.gatewayUrl}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RunInputError(`--gateway-url must be http or https, got ${url.protocol}`);
    // Credentials in the URL would reach the journal and every message; a query or fragment
    // would break every path the run appends. Keys go in the environment (k6.config.json's keyEnv).
    if (url.username !== '' || url.password !== '') throw new RunInputError('--gateway-url must not carry credentials (user:password@): subscription keys go in the environment variables k6.config.json names');
    if (url.search !== '' || url.hash !== '') throw new RunInputError(`--gateway-url must be the gateway's base URL, without a query or fragment, got "${url.search}${url.hash}"`);
    checkLoadSafety(url, plan, options);
    if (options.fleetFile === undefined && options.portBase === undefined) {
      throw new RunInputError('--gateway-url needs the fleet behind the gateway: --fleet <file> attaches to one started with `spillway fleet up --json`, --port-base <n> starts one on the ports the gateway is configured for');
    }
    if (options.gatewayConfigDir !== undefined) throw new RunInputError('--config is the APIOps folder of the embedded gateway; against --gateway-url, hold the gateway to a folder with --expectations-config');
    if (options.fleetFile !== undefined && options.portBase !== undefined) throw new RunInputError('--fleet attaches to a fleet already running and --port-base starts one: give one of them');
    if (options.fleetFile !== undefined && options.topologyFile !== undefined) throw new RunInputError('--topology shapes a fleet the run starts; an attached fleet (--fleet) has its own');
  } else {
    for (const [flag, given] of [['--fleet', options.fleetFile], ['--port-base', options.portBase], ['--health-path', options.healthPath], ['--topology', options.topologyFile], ['--allow-remote', options.allowRemoteHost], ['--max-rate', options.maxRate]] as const) {
      if (given !== undefined) throw new RunInputError(`${flag} needs --gateway-url: the embedded default starts its own fleet and gateways`);
    }
  }
  if (options.healthPath !== undefined && options.healthPath !== 'none' && !options.healthPath.startsWith('/')) {
    throw new RunInputError(`--health-path must be a path starting with "/", or "none", got "${options.healthPath}"`);
  }
  if (options.expectationsFile !== undefined && options.expectationsConfigDir !== undefined) {
    throw new RunInputError('--expectations and --expectations-config each say where the expectations come from; give one of them');
  }
  // A path that names nothing is a mistake on the command line, like a bad number: refused
  // here with nothing created. What the files say is checked with the run (prepareRun).
  for (const [flag, path, kind] of [
    ['--config', options.gatewayConfigDir, 'folder'],
    ['--expectations-config', options.expectationsConfigDir, 'folder'],
    ['--expectations', options.expectationsFile, 'file'],
    ['--fleet', options.fleetFile, 'file'],
    ['--topology', options.topologyFile, 'file'],
    ['--target', options.targetFile, 'file'],
  ] as const) {
    if (path === undefined) continue;
    const stat = statSync(resolve(path), { throwIfNoEntry: false });
    if (!stat) throw new RunInputError(`${flag} ${resolve(path)}: does not exist`);
    if (kind === 'folder' ? !stat.isDirectory() : !stat.isFile()) throw new RunInputError(`${flag} ${resolve(path)}: not a ${kind}`);
  }
  checkLoadGenerators(options, plan);
  const resultsDir = resolve(options.resultsDir ?? 'results');
  checkOutputFolder(options.resultsDir ?? 'results', '--results');
  return { config, configFile, plan, resultsDir };
}

/**
 * --load-generators: a whole number, within the machine's cores (or oversubscribed on purpose);
 * with several, every traffic class must have a VU for each generator, and the plan's
 * thresholds must be ones that can be judged over the merged samples (thresholds-from-samples.ts).
 */
function checkLoadGenerators(options: RunOptions, plan: ScenarioPlan): void {
  const count = options.loadGenerators ?? 1;
  try {
    checkLoadGeneratorCount(count, { oversubscribe: options.oversubscribeGenerators === true });
    if (count > 1) {
      checkClassesCoverGenerators(plan.traffic, options.units, count);
      checkThresholdsEvaluable(plan.thresholds);
    }
  } catch (error) {
    if (error instanceof ThresholdEvaluationError) throw new RunInputError(`--load-generators ${count}: scenario "${plan.name}": ${error.message}; run it with one generator, where k6 judges its thresholds itself`);
    throw error;
  }
}

/** Where the verdicts' expectations come from, resolved once the fleet is known. */
export type ExpectationsPlan =
  | { source: ExpectationsSource; explicit: Expectations }
  | { source: ExpectationsSource; config: GatewayConfig }
  | null;

export interface PreparedRun {
  target: Target;
  /** The container engine and the local images, with --runtime container; null for processes. */
  containers: PreparedContainerRuntime | null;
  expectations: ExpectationsPlan;
  /** What the target says before the run about steps it applies only in part, by step id. */
  scopes: Map<string, string>;
}

/** Step 2: the target and everything checked against it. Throws a UserFacingError; starts nothing. */
export async function prepareRun(options: RunOptions, invocation: Invocation): Promise<PreparedRun> {
  const { config, configFile, plan } = invocation;
  const fail = (problems: string[]): never => {
    throw new ScenarioPlanError(`the plan does not fit this run:\n${problems.map((p) => `  ${configFile}: ${p}`).join('\n')}`);
  };
  let target: Target;
  let fleet: FleetDescription;
  let gatewayConfig: GatewayConfig | null = null;
  // The engine is found and the images built first: without an engine, nothing else is done.
  const containers = options.runtime === 'container' ? await prepareContainerRuntime({ flag: '--runtime container', ...(options.progress ? { log: options.progress } : {}) }) : null;

  if (options.targetFile !== undefined) {
    const prepared = await prepareApimTarget(options, invocation);
    target = prepared.target;
    fleet = prepared.fleet;
    gatewayConfig = prepared.gatewayConfig;
  } else if (options.gatewayUrl === undefined) {
    const configDir = resolve(options.gatewayConfigDir ?? defaultGatewayConfigDir);
    gatewayConfig = loadGatewayConfig(configDir);
    const baseTopology = loadTopologyFile(defaultTopologyPath);
    // Checked against the fleet before the plan's capacity overrides apply: those are checked here too.
    const problems = planProblems(plan, { fleet: describeUnstartedFleet(baseTopology), gatewayConfig, units: options.units });
    if (problems.length > 0) fail(problems);
    const topology = scenarioTopology(baseTopology, plan.fleet);
    fleet = describeUnstartedFleet(topology);
    target = embeddedTarget({ configDir, config: gatewayConfig, topology, k6Config: config, plan, ...(containers ? { startToxiproxy: () => startToxiproxyContainer({ image: containers!.images.toxiproxy }) } : {}) });
  } else {
    const missing = [...new Set(plan.traffic.map((t) => config.consumers[t.consumer]!.keyEnv))].filter((name) => !process.env[name]);
    if (missing.length > 0) throw new RunInputError(`a gateway at a URL needs its subscription keys in the environment: set ${missing.join(', ')}`);
    let source: FleetSource;
    if (options.fleetFile !== undefined) {
      const file = resolve(options.fleetFile);
      const fromFile = loadFleetFile(file);
      await checkFleetReachable(fromFile, process.env, { source: file });
      const description = await liveFleetDescription(fromFile, file, process.env);
      source = { mode: 'attach', file, description };
      fleet = description;
    } else {
      if (options.portBase === undefined) throw new Error('checkInvocation lets --gateway-url through only with --fleet or --port-base');
      const baseTopology = loadTopologyFile(options.topologyFile !== undefined ? resolve(options.topologyFile) : defaultTopologyPath);
      const problems = planProblems(plan, { fleet: describeUnstartedFleet(baseTopology), gatewayConfig: null, units: options.units });
      if (problems.length > 0) fail(problems);
      const topology = scenarioTopology(baseTopology, plan.fleet);
      source = { mode: 'start', topology, portBase: options.portBase };
      fleet = describeUnstartedFleet(topology);
    }
    if (source.mode === 'attach') {
      const problems = planProblems(plan, { fleet, gatewayConfig: null, units: options.units });
      if (problems.length > 0) fail(problems);
    }
    target = gatewayTarget({
      entryUrl: options.gatewayUrl,
      healthPath: options.healthPath === 'none' ? null : (options.healthPath ?? apimHealthPath),
      fleet: source,
      k6Config: config,
      plan,
    });
  }

  const targetProblems = target.planProblems(plan);
  if (targetProblems.length > 0) fail(targetProblems);
  const refused = refusedSteps(target, plan.timeline);
  if (refused) throw new RunInputError(refused);

  let expectations: ExpectationsPlan = null;
  const source = expectationsSourceOf(options);
  if (source?.mode === 'file') {
    const explicit = loadExpectationsFile(source.file);
    checkExpectationsAgainstRun(source.file, explicit, {
      fleet: fleet.backends.map((r) => ({ name: r.name, region: r.region, kind: r.kind })),
      gateway: gatewayConfig ? { backendIds: [...gatewayConfig.backends.keys()], regions: gatewayConfig.regions.map((r) => r.name) } : null,
      consumers: Object.keys(config.consumers),
    });
    expectations = { source, explicit };
  } else if (source?.mode === 'intended-configuration') {
    const intended = loadGatewayConfig(source.dir);
    // Checked as a file would be: a breaker or backend the fleet does not have would be judged
    // on nothing. Names do not depend on ports, so the fleet before it starts serves.
    const derived = expectationsFromConfig({ gatewayConfig: intended, fleet, k6Config: config, deployment: plan.deployment });
    checkExpectationsAgainstRun(source.dir, derived, {
      fleet: fleet.backends.map((r) => ({ name: r.name, region: r.region, kind: r.kind })),
      gateway: gatewayConfig ? { backendIds: [...gatewayConfig.backends.keys()], regions: gatewayConfig.regions.map((r) => r.name) } : null,
      consumers: Object.keys(config.consumers),
    });
    expectations = { source, config: intended };
  } else if (source && gatewayConfig) {
    expectations = { source, config: gatewayConfig };
  } else if (options.targetFile !== undefined && plan.verifiers.length > 0) {
    throw new RunInputError(
      `scenario "${plan.name}" runs verifiers (${plan.verifiers.join(', ')}): hold the API Management to its APIOps folder (--config <dir>, the layout its extractor writes) or to --expectations <file>`,
    );
  } else if (plan.verifiers.length > 0) {
    throw new RunInputError(
      `scenario "${plan.name}" runs verifiers (${plan.verifiers.join(', ')}), which judge a gateway at a URL against expectations you give: ` +
        '--expectations <file> (`spillway expectations --config <apiops-dir>` writes one from an APIOps folder; docs/expectations.md shows how for other gateways), or --expectations-config <apiops-dir>',
    );
  }
  return { target, containers, expectations, scopes: target.stepScopes(plan.timeline) };
}

/**
 * Which question the run's verdicts answer (expectations-mode.ts), from the options given; null
 * for a gateway at a URL given neither a file nor a folder (nothing of its configuration is known).
 */
export function expectationsSourceOf(options: Pick<RunOptions, 'expectationsFile' | 'expectationsConfigDir' | 'gatewayConfigDir' | 'gatewayUrl' | 'targetFile'>): ExpectationsSource | null {
  if (options.expectationsFile !== undefined) return { mode: 'file', file: resolve(options.expectationsFile) };
  if (options.targetFile !== undefined) {
    // A real APIM's configuration is what its APIOps folder says, when one is given.
    if (options.expectationsConfigDir !== undefined) return { mode: 'intended-configuration', dir: resolve(options.expectationsConfigDir), gatewayConfigDir: options.gatewayConfigDir !== undefined ? resolve(options.gatewayConfigDir) : resolve(options.targetFile) };
    return options.gatewayConfigDir !== undefined ? { mode: 'configuration-under-test', dir: resolve(options.gatewayConfigDir) } : null;
  }
  const runs = options.gatewayUrl ?? resolve(options.gatewayConfigDir ?? defaultGatewayConfigDir);
  if (options.expectationsConfigDir !== undefined) return { mode: 'intended-configuration', dir: resolve(options.expectationsConfigDir), gatewayConfigDir: runs };
  if (options.gatewayUrl !== undefined) return null;
  return { mode: 'configuration-under-test', dir: runs };
}

/** Whether a URL's host is this machine's loopback (where load needs no permission). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Load toward a host other than loopback is refused unless the command names that host
 * (--allow-remote) and caps the rate (--max-rate), and the plan's total rate at these --units
 * stays within the cap: k6's open-model executors send exactly the planned rate, so the cap holds.
 */
function checkLoadSafety(url: URL, plan: ScenarioPlan, options: RunOptions): void {
  const total = plan.traffic.reduce((sum, t) => sum + t.ratePerUnit * options.units, 0);
  if (isLoopbackHost(url.hostname)) {
    if (options.maxRate !== undefined && total > options.maxRate) throw new RunInputError(`--max-rate ${options.maxRate}: scenario "${plan.name}" sends ${total} requests/s at ${options.units} unit(s), more than the cap`);
    return;
  }
  if (options.allowRemoteHost === undefined || options.maxRate === undefined) {
    throw new RunInputError(
      `--gateway-url ${url.host} is not this machine: load toward another host needs --allow-remote ${url.hostname} (the host, named) and --max-rate <requests/s> (a cap the run will not exceed; scenario "${plan.name}" sends ${total} requests/s at ${options.units} unit(s))`,
    );
  }
  if (options.allowRemoteHost.toLowerCase() !== url.hostname.toLowerCase()) throw new RunInputError(`--allow-remote ${options.allowRemoteHost} does not name the host of --gateway-url (${url.hostname}): load goes only where it is allowed`);
  if (total > options.maxRate) throw new RunInputError(`--max-rate ${options.maxRate}: scenario "${plan.name}" sends ${total} requests/s at ${options.units} unit(s), more than the cap; lower --units or raise the cap`);
}

/**
 * A real API Management from its target file: the keys its consumers use must be in the
 * environment, its fleet must answer (the live description is used), its load must be allowed
 * (--allow-remote, --max-rate), and its gateway logs come from its Log Analytics workspace.
 */
async function prepareApimTarget(options: RunOptions, invocation: Invocation): Promise<{ target: Target; fleet: FleetDescription; gatewayConfig: GatewayConfig | null }> {
  const { config, plan } = invocation;
  const file = resolve(options.targetFile!);
  const target = loadTargetFile(file);
  const entryUrl = entryUrlOf(target, plan.entry);
  checkLoadSafety(new URL(entryUrl), plan, options);
  const keyEnvs = Object.fromEntries(Object.keys(config.consumers).map((consumer) => [consumer, target.keys[consumer] ?? config.consumers[consumer]!.keyEnv]));
  const missing = [...new Set(plan.traffic.map((t) => keyEnvs[t.consumer]!))].filter((name) => !process.env[name]);
  if (missing.length > 0) throw new RunInputError(`${file}: the API Management's subscription keys must be in the environment: set ${missing.join(', ')}`);
  // The fleet's token is named by the file; the fleet client reads it under its usual name.
  const token = process.env[target.fleet.tokenEnv];
  const env: NodeJS.ProcessEnv = { ...process.env, SPILLWAY_CONTROL_TOKEN: token ?? '' };
  const fromControl = await FleetControlClient.for({ control: target.fleet.control }, env)
    .describe()
    .catch((error: unknown) => {
      throw new RunInputError(`${file}: fleet.control ${target.fleet.control}: ${error instanceof Error ? error.message : String(error)}${token ? '' : ` (${target.fleet.tokenEnv} is not set; a fleet beyond loopback needs its token)`}`);
    });
  await checkFleetReachable(fromControl, env, { source: file });
  const problems = planProblems(plan, { fleet: fromControl, gatewayConfig: null, units: options.units });
  if (problems.length > 0) throw new ScenarioPlanError(`the plan does not fit this run:\n${problems.map((p) => `  ${invocation.configFile}: ${p}`).join('\n')}`);
  const gatewayConfig = options.gatewayConfigDir !== undefined ? loadGatewayConfig(resolve(options.gatewayConfigDir)) : null;
  const logs = options.logSourceFor ? options.logSourceFor(target) : logAnalyticsGatewayLogs({ workspaceId: target.workspaceId, ...(options.progress ? { say: options.progress } : {}) });
  // Read only when asked for (a capacity run); the client is built lazily, without a network call.
  const metrics = target.metrics;
  const utilisation = metrics ? (options.utilisationFor?.(target) ?? new AzureMonitorUtilisation({ resourceId: metrics.resourceId, region: metrics.region ?? target.gateways[0]!.region, ...(metrics.tier ? { tier: metrics.tier } : {}) })) : undefined;
  return {
    target: gatewayTarget({ kind: 'apim', entryUrl, healthPath: target.healthPath, fleet: { mode: 'attach', file, description: fromControl }, k6Config: config, plan, logs, keyEnvs, env, ...(utilisation ? { utilisation } : {}) }),
    fleet: fromControl,
    gatewayConfig,
  };
}
