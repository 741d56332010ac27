import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZodError } from 'zod';
import type { FleetDescription } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile, type Topology } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { collectEvidence, evidencePaths } from '../evidence/collect-evidence.ts';
import { fleetFacts } from '../evidence/fleet-facts.ts';
import { describeExpectations, type ExpectationsSource } from './expectations-mode.ts';
import { HarnessCrash } from './harness-crash.ts';
import { bundleScenarios } from '../k6/bundle-scenarios.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { expectationsFromConfig } from '../verify/expectations-from-config.ts';
import { checkExpectationsAgainstRun } from '../verify/expectations-against-fleet.ts';
import { loadExpectationsFile } from '../verify/expectations-file.ts';
import type { Expectations } from '../verify/expectations.ts';
import { runVerifiers } from '../verify/index.ts';
import type { Verdict } from '../verify/verdict.ts';
import { scenarioTopology, startEmbeddedTopology, type EmbeddedTopology } from './embedded-topology.ts';
import { startTimeline, timelineFailure, type FaultInjectors, type RunningTimeline } from './fault-timeline.ts';
import { renderJUnit } from '../../reports/junit.renderer.ts';
import { exitCodeFor, journalSchemaVersion, writeJournal, type Journal, type RunStatus } from './journal.ts';
import { k6ExitMeanings, startK6, type K6Exit, type K6Run } from './k6-runner.ts';
import { checkOutputFolder } from './output-paths.ts';
import { planProblems } from './plan-against-topology.ts';
import { loadK6Config, scenarioPlan, ScenarioPlanError, type K6Config, type ScenarioPlan } from './scenario-plan.ts';
import { thresholdVerdicts } from './threshold-verdicts.ts';

/**
 * One verification run, step by step: check the input, resolve k6, bundle the scenario,
 * bring the topology up (the embedded default), preflight, start k6 and the fault timeline,
 * wait, tear down, collect the evidence, judge it, write the journal. Whatever happens, the
 * topology is closed, k6 is stopped and a journal is written.
 */
export interface RunOptions {
  scenario: string;
  units: number;
  k6ConfigFile?: string;
  /** APIOps folder of the emulated gateway. */
  gatewayConfigDir?: string;
  /**
   * The configuration the gateway is supposed to have, when it differs from what it runs
   * (drills of misconfiguration): the verifiers' expectations are read from this APIOps folder
   * while the emulated gateway runs gatewayConfigDir. Default: gatewayConfigDir.
   */
  expectationsConfigDir?: string;
  /**
   * Expectations given explicitly (a JSON file in the `Expectations` shape, see
   * harness/verify/expectations-file.ts): they replace what is read from the configuration.
   */
  expectationsFile?: string;
  /**
   * A gateway (or front door) at a URL instead of the embedded default. Keys then come from
   * the environment variables k6.config.json names; fleet faults and a region going down need
   * the embedded topology, so a scenario with a timeline is refused before anything starts.
   */
  gatewayUrl?: string;
  resultsDir?: string;
  seed?: number;
  /** Progress for people (the terminal). */
  progress?: (line: string) => void;
  /** Aborts the run (Ctrl-C). */
  signal?: AbortSignal;
  /** Called as the load phase starts and ends (the benchmark measures the harness's CPU in between). */
  onLoadPhase?: (edge: 'start' | 'end') => void;
  /**
   * For tests only: wraps the fault injectors, so that a test can make a step fail when it
   * fires (the checks before the run leave no natural way to) and see what the run decides.
   */
  wrapFaultInjectors?: (injectors: FaultInjectors) => FaultInjectors;
}

export interface RunResult {
  runId: string;
  runDir: string;
  journalFile: string;
  journal: Journal;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const defaultK6ConfigFile = join(repo, 'k6.config.json');
export const defaultGatewayConfigDir = join(repo, 'deploy', 'apim');

export class RunInputError extends UserFacingError {}

/** What checkRunInput read and checked, for the run to use rather than read again. */
export interface CheckedRunInput {
  config: K6Config;
  plan: ScenarioPlan;
  configFile: string;
  expectations: Expectations | null;
  /** The embedded topology's gateway configuration and fleet (the scenario's); null against a gateway URL. */
  gatewayConfig: GatewayConfig | null;
  topology: Topology | null;
  /** The configuration the expectations are read from, when it differs from the one the gateway runs. */
  expectedConfig: GatewayConfig | null;
}

/**
 * Checks everything a run is given before anything starts, so that a mistake is an error that
 * names the option, file or field, with nothing started and nothing written: the options, the
 * plan and its traffic windows and rates, the timeline's targets against the fleet and the
 * gateway configuration, an expectations file against them, and the results folder.
 */
export function checkRunInput(options: RunOptions): CheckedRunInput {
  if (!Number.isInteger(options.units) || options.units < 1 || options.units > 30) {
    throw new RunInputError(`--units must be a whole number from 1 to 30 (APIM's largest unit count per region), got ${String(options.units)}`);
  }
  const configFile = resolve(options.k6ConfigFile ?? defaultK6ConfigFile);
  const config = loadK6Config(configFile);
  const plan = scenarioPlan(config, options.scenario, configFile);
  if (options.gatewayUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.gatewayUrl);
    } catch {
      throw new RunInputError(`--gateway-url "${options.gatewayUrl}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RunInputError(`--gateway-url must be http or https, got ${url.protocol}`);
    if (plan.timeline.length > 0) {
      throw new RunInputError(`scenario "${plan.name}" has a fault timeline (${plan.timeline.map((s) => s.id).join(', ')}), which needs the embedded topology; run it without --gateway-url`);
    }
    const missing = [...new Set(plan.traffic.map((t) => config.consumers[t.consumer]!.keyEnv))].filter((name) => !process.env[name]);
    if (missing.length > 0) throw new RunInputError(`a remote gateway needs subscription keys in the environment: set ${missing.join(', ')}`);
  }
  if (options.expectationsFile !== undefined && options.expectationsConfigDir !== undefined) {
    throw new RunInputError('--expectations and --expectations-config each say where the expectations come from; give one of them');
  }
  const embedded = options.gatewayUrl === undefined;
  const gatewayConfig = embedded ? loadGatewayConfig(resolve(options.gatewayConfigDir ?? defaultGatewayConfigDir)) : null;
  const baseTopology = embedded ? loadTopologyFile(defaultTopologyPath) : null;
  const problems = planProblems(plan, { topology: baseTopology, gatewayConfig, units: options.units });
  if (problems.length > 0) throw new ScenarioPlanError(`the plan does not fit this run:\n${problems.map((p) => `  ${configFile}: ${p}`).join('\n')}`);
  const topology = baseTopology ? scenarioTopology(baseTopology, plan.fleet) : null;
  // Read here so that a broken expectations folder is refused before anything starts.
  const expectedConfig = options.expectationsConfigDir !== undefined ? loadGatewayConfig(resolve(options.expectationsConfigDir)) : null;

  const expectations = options.expectationsFile !== undefined ? loadExpectationsFile(resolve(options.expectationsFile)) : null;
  if (expectations && topology && gatewayConfig) {
    checkExpectationsAgainstRun(resolve(options.expectationsFile!), expectations, {
      fleet: topology.resources.map((r) => ({ name: r.name, region: r.region, kind: r.kind })),
      gateway: { backendIds: [...gatewayConfig.backends.keys()], regions: gatewayConfig.regions.map((r) => r.name) },
      consumers: Object.keys(config.consumers),
    });
  }
  checkOutputFolder(options.resultsDir ?? 'results', '--results');
  return { config, plan, configFile, expectations, gatewayConfig, topology, expectedConfig };
}

export async function runScenario(options: RunOptions): Promise<RunResult> {
  const say = options.progress ?? (() => undefined);
  const { config, plan, expectations: explicitExpectations, gatewayConfig: checkedConfig, topology: checkedTopology, expectedConfig } = checkRunInput(options);
  const k6 = await resolveTool(k6Spec, { install: false });

  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${plan.name}`;
  const runDir = resolve(options.resultsDir ?? 'results', runId);
  const paths = evidencePaths(runDir);
  mkdirSync(paths.logsDir, { recursive: true });
  const journalFile = join(runDir, 'journal.json');
  const phases: Record<string, number> = {};
  const mark = (phase: string, since: number): void => {
    phases[phase] = Date.now() - since;
  };

  const journal: Journal = {
    schemaVersion: journalSchemaVersion,
    runId,
    scenario: plan.name,
    status: 'incomplete',
    exitCode: 2,
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    plan: { ...plan, units: options.units },
    target: { kind: 'embedded', entryUrl: '' },
    tools: [{ name: k6.name, version: k6.version, path: k6.path, source: k6.source }],
    timeline: [],
    k6: { exitCode: null, signal: null, meaning: 'not started', startedAt: null, endedAt: null, bundle: null },
    evidence: {},
    verdicts: [],
    phases,
  };

  let topology: EmbeddedTopology | null = null;
  let timeline: RunningTimeline | null = null;
  let k6Run: K6Run | null = null;
  let status = 'incomplete' as RunStatus;
  let verdicts: Verdict[] = [];
  // A person or a signal stopping the run interrupts it; the harness crashing makes it
  // incomplete, the harness's failure (harness-crash.ts).
  const onAbort = (): void => {
    status = options.signal?.reason instanceof HarnessCrash ? 'incomplete' : 'interrupted';
    k6Run?.stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const setupStarted = Date.now();
    const script = plan.script ?? plan.name;
    if (options.gatewayUrl === undefined || options.expectationsFile !== undefined) say(describeExpectations(expectationsSourceOf(options)));
    say(`bundling scenarios/${script}.scenario.ts with esbuild`);
    const [bundle] = await bundleScenarios({ names: [script] });
    if (!bundle) throw new Error(`no bundle was produced for ${script}`);
    journal.k6.bundle = relative(repo, bundle.file);
    if (options.signal?.aborted) throw new Error('interrupted before the topology started');

    let entryUrl: string;
    if (options.gatewayUrl !== undefined) {
      entryUrl = options.gatewayUrl.replace(/\/+$/, '');
      journal.target = { kind: 'remote', entryUrl };
      say(`checking the gateway at ${entryUrl}`);
    } else {
      say('starting the mock fleet, the regional gateways and the front door');
      topology = await startEmbeddedTopology({
        plan,
        configDir: resolve(options.gatewayConfigDir ?? defaultGatewayConfigDir),
        ...(checkedConfig ? { config: checkedConfig } : {}),
        ...(checkedTopology ? { topology: checkedTopology } : {}),
        ledgerPath: paths.ledger,
        logsDir: paths.logsDir,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
      entryUrl = topology.entryUrl;
      journal.target = { kind: 'embedded', entryUrl, topology: topology.describe() };
    }
    await preflight(entryUrl);
    mark('setup', setupStarted);
    if (options.signal?.aborted) throw new Error('interrupted before k6 started');

    const loadStarted = Date.now();
    options.onLoadPhase?.('start');
    const k6Plan = {
      name: plan.name,
      script,
      durationSeconds: plan.durationSeconds,
      units: options.units,
      baseUrl: entryUrl,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o',
      embeddingDeployment: 'text-embedding-3-small',
      traffic: plan.traffic.map((t) => {
        const consumer = config.consumers[t.consumer]!;
        // The key travels to k6 in its environment only; the journal keeps the plan without keys.
        const key = options.gatewayUrl !== undefined ? (process.env[consumer.keyEnv] ?? '') : consumer.localKey;
        return { ...t, key, priority: t.priority ?? consumer.priority, rate: t.ratePerUnit * options.units };
      }),
      thresholds: plan.thresholds,
      summaryTrendStats: config.k6.summaryTrendStats ?? [],
      summaryPath: paths.k6Summary,
    };
    say(`running k6 ${k6.version}: ${plan.name}, ${plan.durationSeconds} s, ${options.units} unit${options.units === 1 ? '' : 's'}`);
    k6Run = startK6({
      k6: k6.path,
      argv: ['run', '--quiet', '--no-color', '--out', `json=${paths.client}`, '--summary-export', paths.k6SummaryExport, bundle.file],
      env: { SPILLWAY_PLAN: JSON.stringify(k6Plan) },
      withhold: ['SPILLWAY_CONTROL_TOKEN', ...Object.values(config.consumers).map((c) => c.keyEnv)],
      logFile: join(runDir, 'k6-output.log'),
      onLine: (line) => {
        if (/level=(error|warning)/.test(line)) say(`k6: ${line}`);
      },
    });
    const running = topology;
    const injectors: FaultInjectors = {
      fleet: async (step) => {
        if (!running) throw new Error('fleet faults need the embedded topology');
        const rule = injectFault(running, { ...step.fleet, label: step.id });
        return async () => {
          running.fleet.faults.clear(rule.id);
        };
      },
      regionDown: async (step) => {
        if (!running) throw new Error('a region going down needs the embedded topology');
        const { region, backends } = step.regionDown!;
        const instance = running.gateway.instance(region);
        // The region's resources are labelled with the step, so the evidence ties them to it.
        const refused = backends === false ? null : injectFault(running, { kind: 'refuse', target: { region }, label: step.id });
        try {
          await instance.stopListening();
        } catch (error) {
          if (refused) running.fleet.faults.clear(refused.id);
          throw error;
        }
        return async () => {
          if (refused) running.fleet.faults.clear(refused.id);
          await instance.resumeListening();
        };
      },
    };
    // A step that fails when it fires ends the run at once: without its fault the run cannot
    // be judged, so k6 is stopped rather than left to drive the rest of it for nothing.
    let stoppedForTimeline = false;
    timeline = startTimeline(plan.timeline, k6Run.startedAt, options.wrapFaultInjectors ? options.wrapFaultInjectors(injectors) : injectors, Date.now, (fault, what) => {
      say(`${((Date.now() - (k6Run?.startedAt ?? Date.now())) / 1000).toFixed(1).padStart(6)} s  ${what} ${fault.id} (${fault.action} ${fault.target})${fault.error ? `: ${fault.error}` : ''}`);
      if (what === 'failed' && !stoppedForTimeline) {
        stoppedForTimeline = true;
        say(`stopping k6: timeline step ${fault.id} failed, and the run cannot be judged without it`);
        k6Run?.stop();
      }
    });
    const ticker = setInterval(() => {
      const elapsed = `${((Date.now() - k6Run!.startedAt) / 1000).toFixed(0).padStart(6)} s`;
      say(running ? `${elapsed}  ${running.fleet.ledger.lastSeq} backend requests so far` : `${elapsed}  running`);
    }, 15_000);
    const exit: K6Exit = await k6Run.done;
    options.onLoadPhase?.('end');
    clearInterval(ticker);
    await timeline.stop();
    journal.timeline = timeline.applied;
    journal.k6 = {
      exitCode: exit.exitCode,
      signal: exit.signal,
      meaning: exit.exitCode === null ? `stopped by ${exit.signal ?? 'an error'}` : (k6ExitMeanings[exit.exitCode] ?? 'unknown exit code'),
      startedAt: new Date(exit.startedAt).toISOString(),
      endedAt: new Date(exit.endedAt).toISOString(),
      bundle: journal.k6.bundle,
    };
    mark('load', loadStarted);

    const analysisStarted = Date.now();
    const fleetDescription: FleetDescription | null = topology?.fleet.describe() ?? null;
    const gatewayConfig = topology ? (expectedConfig ?? topology.config) : null;
    await topology?.close();
    topology = null;
    if (status === 'interrupted') throw new Error('interrupted');
    const failedStep = timelineFailure(timeline.applied);
    if (failedStep) throw new Error(failedStep);
    if (exit.exitCode !== 0 && exit.exitCode !== 99) {
      throw new Error(`k6 did not complete the run: ${journal.k6.meaning} (exit ${exit.exitCode ?? exit.signal}); see k6-output.log`);
    }

    say('collecting evidence and running the verifiers');
    const evidence = await collectEvidence(runDir, { start: exit.startedAt, end: exit.endedAt }, timeline.applied, fleetDescription ? fleetFacts(fleetDescription, 'gpt-4o') : null);
    journal.evidence = { ...evidence.files, k6SummaryExport: relative(runDir, paths.k6SummaryExport), k6Output: 'k6-output.log', journal: 'journal.json' };
    const thresholds = thresholdVerdicts(paths.k6SummaryExport, relative(runDir, paths.k6SummaryExport), plan.thresholds);
    const expectationsSource = expectationsSourceOf(options);
    if (explicitExpectations || gatewayConfig) journal.expectations = { ...expectationsSource, description: describeExpectations(expectationsSource) };
    if (gatewayConfig && fleetDescription) {
      const expectations = explicitExpectations ?? expectationsFromConfig({ gatewayConfig, fleet: fleetDescription, k6Config: config, deployment: 'gpt-4o' });
      verdicts = [...thresholds, ...runVerifiers(plan.verifiers, evidence, expectations)];
    } else {
      // Against a remote gateway there is no fleet ledger or gateway log here yet (Log
      // Analytics is the source for that): only the client-side checks can be judged.
      verdicts = [
        ...thresholds,
        ...plan.verifiers.map((name): Verdict => ({
          check: name,
          status: 'inconclusive',
          expected: 'evidence from the fleet ledger and the gateway logs',
          measured: 'a remote gateway: no ledger or gateway logs in this run',
          tolerance: 'n/a',
          explanation: `The ${name} verifier judges the backend ledger and the gateway's logs, which a remote gateway run does not collect yet${explicitExpectations ? ' (the expectations you gave are recorded in the journal and will apply once it does)' : ''}.`,
          evidence: [],
        })),
      ];
    }
    if (options.signal?.aborted) throw new Error('interrupted during the analysis'); // not 'completed' over the stop
    status = 'completed';
    mark('analysis', analysisStarted);
  } catch (error) {
    journal.problem = error instanceof Error ? error.message : String(error);
    if (status !== 'interrupted') status = 'incomplete';
  } finally {
    if (options.signal?.reason instanceof HarnessCrash) journal.problem = `${options.signal.reason.message}; k6, the fault timeline and the topology were stopped`;
    options.signal?.removeEventListener('abort', onAbort);
    k6Run?.stop();
    if (k6Run) await k6Run.done;
    await timeline?.stop();
    if (timeline) journal.timeline = timeline.applied;
    await topology?.close();
  }

  journal.status = status;
  journal.verdicts = verdicts;
  journal.exitCode = exitCodeFor(status, verdicts);
  journal.endedAt = new Date().toISOString();
  writeJournal(journalFile, journal);
  writeFileSync(join(runDir, 'junit.xml'), renderJUnit(journal));
  return { runId, runDir, journalFile, journal };
}

/**
 * Injects a fault rule into the embedded fleet; a rule the fleet refuses becomes an error that
 * says which field and why (the fleet's own ZodError message is a JSON dump of its issues).
 */
function injectFault(topology: EmbeddedTopology, request: unknown): ReturnType<EmbeddedTopology['fleet']['faults']['inject']> {
  try {
    return topology.fleet.faults.inject(request);
  } catch (error) {
    if (error instanceof ZodError) throw new Error(`the fleet refused the fault: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    throw error;
  }
}

/** Every endpoint must answer before any load starts: the gateway's health path through the entry. */
async function preflight(entryUrl: string): Promise<void> {
  const url = `${entryUrl}/status-0123456789abcdef`;
  let lastError = '';
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      lastError = `status ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new ScenarioPlanError(`the gateway at ${entryUrl} does not answer its health endpoint (${lastError}); nothing was sent`);
}

/** Which question the run's verdicts answer (expectations-mode.ts), from the options given. */
export function expectationsSourceOf(options: Pick<RunOptions, 'expectationsFile' | 'expectationsConfigDir' | 'gatewayConfigDir'>): ExpectationsSource {
  if (options.expectationsFile !== undefined) return { mode: 'file', file: resolve(options.expectationsFile) };
  const gatewayConfigDir = resolve(options.gatewayConfigDir ?? defaultGatewayConfigDir);
  if (options.expectationsConfigDir !== undefined) return { mode: 'intended-configuration', dir: resolve(options.expectationsConfigDir), gatewayConfigDir };
  return { mode: 'configuration-under-test', dir: gatewayConfigDir };
}
