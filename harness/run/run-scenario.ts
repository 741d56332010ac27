import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvidence } from '../contracts/evidence.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { verifiers } from '../verify/index.ts';
import { collectEvidence, evidencePaths } from '../evidence/collect-evidence.ts';
import { fleetFacts } from '../evidence/fleet-facts.ts';
import { bundleScenarios } from '../k6/bundle-scenarios.ts';
import type { RunningTarget } from '../targets/target.ts';
import { apimHealthPath, preflightMarkerPrefix, type PreflightRecord } from '../targets/preflight.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { expectationsFromConfig } from '../verify/expectations-from-config.ts';
import type { Expectations } from '../verify/expectations.ts';
import { runVerifiers } from '../verify/index.ts';
import type { Verdict } from '../verify/verdict.ts';
import { renderJUnit } from '../../reports/junit.renderer.ts';
import { describeReportFailure, writeRunReports } from '../../reports/render-outputs.ts';
import type { LoadedEvidence } from '../../reports/run-folder.ts';
import { describeExpectations } from './expectations-mode.ts';
import { startTimeline, timelineFailure, type RunningTimeline } from './fault-timeline.ts';
import { openBeforeGate, type BeforeGate, type OpenedGate } from './before-gate.ts';
import { HarnessCrash } from './harness-crash.ts';
import { pipelineProgress } from '../progress/pipeline-progress.ts';
import { plannedRate, type LoadWatch } from '../progress/load-watch.ts';
import { exitCodeFor, journalSchemaVersion, writeJournal, type Journal, type RunStatus } from './journal.ts';
import { k6ExitMeanings, type K6Exit, type startK6 } from './k6-runner.ts';
import { startK6InContainer } from '../containers/k6-container.ts';
import type { PreparedContainerRuntime } from '../containers/container-runtime.ts';
import { startK6Generators, type GeneratorsExit, type K6GeneratorsRun } from './k6-generators.ts';
import { mergeSampleFiles, writeMergedSummaryExport } from '../evidence/merge-k6-outputs.ts';
import { checkInvocation, prepareRun, type ExpectationsPlan, type Invocation, type PreparedRun, type RunOptions } from './run-input.ts';
import { thresholdVerdicts } from './threshold-verdicts.ts';
import { thresholdVerdictsFromSamples } from './thresholds-from-samples.ts';
import { bearerTokenVariables, resolveBearerTokens } from '../auth/bearer-tokens.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { defaultGatewayConfigDir } from './run-input.ts';

export { checkInvocation, defaultGatewayConfigDir, defaultK6ConfigFile, expectationsSourceOf, RunInputError, type RunOptions } from './run-input.ts';

/**
 * One verification run, as a short pipeline: check the command line, open the run (its folder
 * and journal), prepare the target and check the plan against it, bundle the scenario, bring
 * the target up and preflight it, run k6 with the fault timeline, finish the evidence and take
 * the target down, judge, and write the journal and its renderings. Whatever the target (the
 * embedded default, a gateway at a URL with Spillway's fleet behind it; later a real APIM and
 * containers, harness/targets), the steps are these.
 *
 * Once the command line is good, a journal and junit.xml are written whatever happens, a refusal
 * before load included; k6 is stopped, the timeline rolled back and the target closed.
 */
export interface RunResult {
  runId: string;
  runDir: string;
  journalFile: string;
  journal: Journal;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** What a drill adds to a run: its before-gate (harness/run/before-gate.ts). */
export interface RunHooks {
  beforeGate?: BeforeGate;
}

export async function runScenario(options: RunOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const say = options.progress ?? (() => undefined);
  // Phases, faults and the load's figures as events, when the command displays them (harness/progress).
  const progress = pipelineProgress(options.progress);
  const invocation = checkInvocation(options);
  const run = openRun(invocation, options);
  const { journal, paths } = run;

  let target: RunningTarget | null = null;
  let timeline: RunningTimeline | null = null;
  let k6Run: K6GeneratorsRun | null = null;
  let ticker: NodeJS.Timeout | undefined;
  let loadWatch: LoadWatch | null = null;
  let gate: OpenedGate | null = null;
  let status = 'incomplete' as RunStatus;
  let verdicts: Verdict[] = [];
  // The evidence the analysis read, handed to the reports so they need not read it again.
  let loaded: LoadedEvidence | undefined;
  // A person or a signal stopping the run interrupts it; the harness crashing makes it
  // incomplete, the harness's failure (harness-crash.ts).
  const onAbort = (): void => {
    status = options.signal?.reason instanceof HarnessCrash ? 'incomplete' : 'interrupted';
    k6Run?.stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const stopIfAborted = (when: string): void => {
    if (options.signal?.aborted) throw new RunNotJudged(`interrupted ${when}`);
  };

  try {
    const setupStarted = Date.now();
    progress.phase('preparing');
    const prepared = await prepareRun(options, invocation);
    recordPlanAgainstTarget(journal, prepared, say);
    const bearerTokens = planBearerTokens(invocation, options);
    const k6 = await resolveTool(k6Spec, { install: false });
    journal.tools = [{ name: k6.name, version: k6.version, path: k6.path, source: k6.source }];
    const bundle = await bundleScript(invocation, journal, say);
    stopIfAborted('before the target started');

    progress.phase('starting');
    target = await prepared.target.up({ plan: invocation.plan, runId: run.runId, ledgerPath: paths.ledger, logsDir: paths.logsDir, say, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    journal.target = { ...target.describe(), notes: journal.target.notes };
    progress.phase('preflight');
    const preflightRecords = await target.preflight();
    run.mark('setup', setupStarted);
    stopIfAborted('before k6 started');

    const loadStarted = Date.now();
    options.onLoadPhase?.('start');
    progress.phase('load');
    const running = target;
    k6Run = startLoad(invocation, options, running, bundle, k6, run, say, prepared.containers, bearerTokens);
    // The steady state judged before the first fault: when it does not hold, the faults are
    // never applied and k6 is stopped (k6 stops cleanly on SIGINT; the evidence so far is kept).
    if (hooks.beforeGate) {
      const gateTarget = running;
      gate = openBeforeGate(hooks.beforeGate, { runDir: run.dir, runId: run.runId, loadStartedAt: k6Run.startedAt, baseUrl: `${gateTarget.entryUrl}${invocation.plan.apiBasePath ?? ''}`, keyFor: (consumer) => gateTarget.keyFor(consumer) }, (why) => {
        say(`stopping k6 before the method's faults: ${why}`);
        k6Run?.stop();
      });
    }
    const injectors = options.wrapFaultInjectors ? options.wrapFaultInjectors(running.injectors) : running.injectors;
    // A step that fails when it fires ends the run at once: without its fault the run cannot
    // be judged, so k6 is stopped rather than left to drive the rest of it for nothing.
    let stoppedForTimeline = false;
    const since = (): string => `${((Date.now() - (k6Run?.startedAt ?? Date.now())) / 1000).toFixed(1).padStart(6)} s`;
    timeline = startTimeline(invocation.plan.timeline, k6Run.startedAt, injectors, Date.now, (fault, what) => {
      const problem = fault.error ?? (what === 'rollback-failed' ? fault.rollbackError : undefined);
      if (!progress.fault(fault, what, k6Run?.startedAt ?? Date.now())) say(`${since()}  ${what} ${fault.id} (${fault.action} ${fault.target})${problem ? `: ${problem}` : ''}`);
      if ((what === 'failed' || what === 'rollback-failed') && !stoppedForTimeline) {
        stoppedForTimeline = true;
        say(`stopping k6: timeline step ${fault.id} ${what === 'failed' ? 'failed' : 'could not be rolled back'}, and the run cannot be judged`);
        k6Run?.stop();
      }
    }, prepared.scopes, gate && hooks.beforeGate ? { atSeconds: hooks.beforeGate.atSeconds, held: gate.held } : undefined);
    // A displayed run reads the load's figures every second from k6's samples; lines otherwise, every 15 s.
    loadWatch = progress.watchLoad({ startedAt: k6Run.startedAt, totalSeconds: invocation.plan.durationSeconds, sampleFiles: k6Run.generators.map((g) => g.files.samples), targetRpsAt: plannedRate(invocation.plan.traffic, options.units, invocation.plan.durationSeconds), detail: () => running.progress() });
    if (!loadWatch) ticker = setInterval(() => say(`${since()}  ${running.progress()}`), 15_000);
    const exit: GeneratorsExit = await k6Run.done;
    options.onLoadPhase?.('end');
    loadWatch?.stop();
    clearInterval(ticker);
    gate?.close();
    await timeline.stop();
    journal.timeline = timeline.applied;
    recordK6Exit(journal, exit);
    run.mark('load', loadStarted);

    const analysisStarted = Date.now();
    progress.phase('collecting');
    // Several generators' outputs become the run's own files, where one k6 would have written them.
    if (k6Run.count > 1) await mergeGeneratorOutputs(k6Run, paths, say);
    const sources = await running.finishEvidence({ window: { start: exit.startedAt, end: exit.endedAt }, requestsSent: requestsSent(paths.k6SummaryExport), runId: run.runId });
    const fleet = running.fleet;
    // What the target learned while running (a workspace's ingestion lag) goes into the journal too.
    journal.target = { ...running.describe(), notes: journal.target.notes };
    await running.close();
    target = null;
    if (status === 'interrupted') throw new RunNotJudged('interrupted');
    if (gate?.stopped) throw new RunNotJudged(`stopped before the method's faults, none applied: ${gate.stopped}`);
    const failedStep = timelineFailure(timeline.applied);
    if (failedStep) throw new RunNotJudged(failedStep);
    if (exit.exitCode !== 0 && exit.exitCode !== 99) throw new RunNotJudged(`k6 did not complete the run: ${journal.k6.meaning} (exit ${exit.exitCode ?? exit.signal}); see ${k6LogNames(k6Run).join(', ')}`);

    progress.phase('verifying');
    say('collecting evidence and running the verifiers');
    const evidence = runTraffic(preflightRecords, await collectEvidence(run.dir, { start: exit.startedAt, end: exit.endedAt }, timeline.applied, fleetFacts(fleet, invocation.plan.deployment), [...sources, { kind: 'client', status: 'collected' }]));
    journal.evidence = { ...evidence.files, k6SummaryExport: relative(run.dir, paths.k6SummaryExport), ...generatorEvidence(k6Run, run.dir), journal: 'journal.json' };
    journal.evidenceSources = evidence.sources;
    // One k6 judged all the samples itself; several each judged only their share, so the
    // thresholds are judged once over the merged samples, as k6 computes them.
    const thresholds =
      k6Run.count === 1
        ? thresholdVerdicts(paths.k6SummaryExport, relative(run.dir, paths.k6SummaryExport), invocation.plan.thresholds)
        : await thresholdVerdictsFromSamples(paths.client, relative(run.dir, paths.client), invocation.plan.thresholds, k6Run.count);
    const expectations = resolveExpectations(prepared.expectations, invocation, fleet);
    if (prepared.expectations) journal.expectations = { ...prepared.expectations.source, description: describeExpectations(prepared.expectations.source) } as Journal['expectations'];
    if (expectations) journal.tokenBudgets = Object.fromEntries(Object.entries(expectations.consumers).map(([consumer, settings]) => [consumer, { tokensPerMinute: settings.tokensPerMinute }]));
    verdicts = [...thresholds, ...(expectations ? runVerifiers(invocation.plan.verifiers, evidence, expectations) : [])];
    loaded = evidence;
    stopIfAborted('during the analysis'); // not 'completed' over the stop
    status = 'completed';
    run.mark('analysis', analysisStarted);
  } catch (error) {
    journal.problem = problemOf(error, run.dir);
    if (status !== 'interrupted') status = 'incomplete';
  } finally {
    clearInterval(ticker);
    loadWatch?.stop();
    if (options.signal?.reason instanceof HarnessCrash) journal.problem = `${options.signal.reason.message}; k6, the fault timeline and the target were stopped`;
    options.signal?.removeEventListener('abort', onAbort);
    k6Run?.stop();
    if (k6Run) await k6Run.done;
    gate?.close();
    await timeline?.stop();
    if (timeline) journal.timeline = timeline.applied;
    await target?.close();
  }
  return run.close(status, verdicts, loaded);
}

/** The run's folder and journal: from here on, whatever happens, both are written. */
function openRun(invocation: Invocation, options: RunOptions) {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-${invocation.plan.name}`;
  const dir = join(invocation.resultsDir, runId);
  const paths = evidencePaths(dir);
  mkdirSync(dir, { recursive: true });
  const journalFile = join(dir, 'journal.json');
  const phases: Record<string, number> = {};
  const journal: Journal = {
    schemaVersion: journalSchemaVersion,
    runId,
    scenario: invocation.plan.name,
    status: 'incomplete',
    exitCode: 2,
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    plan: { ...invocation.plan, units: options.units },
    // What is known of the target before it comes up; the target's own description replaces it.
    target: { kind: options.gatewayUrl === undefined ? 'embedded' : 'gateway', entryUrl: options.gatewayUrl ?? '', fleet: options.fleetFile !== undefined ? 'attached' : 'started', healthPath: options.healthPath ?? apimHealthPath, notes: [] },
    tools: [],
    timeline: [],
    k6: { exitCode: null, signal: null, meaning: 'not started', startedAt: null, endedAt: null, bundle: null, loadGenerators: options.loadGenerators ?? 1 },
    evidence: {},
    verdicts: [],
    phases,
  };
  return {
    runId,
    dir,
    paths,
    journal,
    mark(phase: string, since: number): void {
      phases[phase] = Date.now() - since;
    },
    close(status: RunStatus, verdicts: Verdict[], loaded?: LoadedEvidence): RunResult {
      journal.status = status;
      journal.verdicts = verdicts;
      journal.exitCode = exitCodeFor(status, verdicts);
      journal.endedAt = new Date().toISOString();
      writeJournal(journalFile, journal);
      writeFileSync(join(dir, 'junit.xml'), renderJUnit(journal));
      // The other reports after the journal and junit.xml, so that a renderer that fails costs
      // neither (it is logged in report-error.log; reports/render-outputs.ts).
      const reports = writeRunReports(dir, ['html', 'md', 'json'], loaded);
      for (const failed of reports.failed) options.progress?.(`report: ${describeReportFailure(dir, failed)}`);
      return { runId, runDir: dir, journalFile, journal };
    },
  };
}

/**
 * What the target says about the plan before anything starts, printed and kept in the journal:
 * its own notes, the steps it applies only in part, and the verifiers whose evidence it cannot
 * bring (they will be inconclusive, saying so, rather than judge without it).
 */
function recordPlanAgainstTarget(journal: Journal, prepared: PreparedRun, say: (line: string) => void): void {
  const plan = journal.plan;
  const lacking = plan.verifiers.flatMap((name) => {
    const missing = verifiers[name].needs.filter((kind) => kind !== 'client' && !prepared.target.evidenceKinds.includes(kind));
    return missing.length > 0 ? [`the ${name} verifier needs ${missing.join(', ')}, which the ${prepared.target.kind} target does not bring: its verdict will be inconclusive`] : [];
  });
  const notes = [...prepared.target.notes(plan), ...[...prepared.scopes.entries()].map(([id, scope]) => `step ${id}: ${scope}`), ...lacking];
  journal.target.notes = notes;
  for (const note of notes) say(`note: ${note}`);
  if (prepared.expectations) say(describeExpectations(prepared.expectations.source));
}

async function bundleScript(invocation: Invocation, journal: Journal, say: (line: string) => void): Promise<string> {
  const script = invocation.plan.script ?? invocation.plan.name;
  say(`bundling scenarios/${script}.scenario.ts with esbuild`);
  const [bundle] = await bundleScenarios({ names: [script] });
  if (!bundle) throw new RunNotJudged(`no bundle was produced for ${script}`);
  journal.k6.bundle = relative(repo, bundle.file);
  return bundle.file;
}

/**
 * Starts k6 on the bundle with the resolved plan: rates scaled by --units, the target's URL and
 * keys; as --load-generators k6 processes, each on its execution segment (k6-generators.ts).
 */
function startLoad(
  invocation: Invocation,
  options: RunOptions,
  target: RunningTarget,
  bundle: string,
  k6: { path: string; version: string },
  run: ReturnType<typeof openRun>,
  say: (line: string) => void,
  containers: PreparedContainerRuntime | null,
  bearerTokens: readonly (string | null)[],
): K6GeneratorsRun {
  const { plan, config } = invocation;
  const script = plan.script ?? plan.name;
  const k6Plan = {
    name: plan.name,
    script,
    durationSeconds: plan.durationSeconds,
    units: options.units,
    baseUrl: `${target.entryUrl}${plan.apiBasePath ?? ''}`,
    apiVersion: plan.apiVersion,
    deployment: plan.deployment,
    embeddingDeployment: plan.embeddingDeployment,
    // The key travels to k6 in its environment only; the journal keeps the plan without keys.
    // So does a class's bearer token (harness/auth/bearer-tokens.ts); the journal keeps only how it is made.
    traffic: plan.traffic.map((t, i) => ({ ...t, key: target.keyFor(t.consumer), ...(bearerTokens[i] ? { bearer: bearerTokens[i] } : {}), priority: t.priority ?? config.consumers[t.consumer]!.priority, rate: t.ratePerUnit * options.units })),
    thresholds: plan.thresholds,
    summaryTrendStats: config.k6.summaryTrendStats ?? [],
    summaryPath: run.paths.k6Summary,
    runId: run.runId,
  };
  const count = options.loadGenerators ?? 1;
  say(`running k6 ${k6.version}: ${plan.name}, ${plan.durationSeconds} s, ${options.units} unit${options.units === 1 ? '' : 's'}${count > 1 ? `, ${count} load generators` : ''}${containers ? `, in containers (${containers.images.k6})` : ''}`);
  return startK6Generators({
    k6: k6.path,
    script: bundle,
    count,
    dir: run.dir,
    // Each generator's handleSummary writes its own summary (one generator: the run's k6-summary.json).
    env: (files) => ({ SPILLWAY_PLAN: JSON.stringify({ ...k6Plan, summaryPath: files.summary }) }),
    withhold: ['SPILLWAY_CONTROL_TOKEN', ...Object.values(config.consumers).map((c) => c.keyEnv), ...bearerTokenVariables(plan)],
    onLine: (line, index) => {
      if (/level=(error|warning)/.test(line)) say(`k6${count > 1 ? ` (generator ${index + 1})` : ''}: ${line}`);
    },
    // In a container the image is the same pinned k6; the run folder and the bundle's folder are
    // mounted at their own paths, and only the plan's environment goes in (no key variables).
    ...(containers ? { launch: (a: Parameters<typeof startK6>[0]) => startK6InContainer({ image: containers.images.k6, argv: a.argv, env: a.env, mounts: [run.dir, dirname(bundle)], logFile: a.logFile, ...(a.onLine ? { onLine: a.onLine } : {}), ...(a.killAfterMs !== undefined ? { killAfterMs: a.killAfterMs } : {}) }) } : {}),
  });
}

/**
 * The bearer token of each traffic class, made before the target starts so that a missing
 * variable or named value is refused with nothing started. Named values come from the embedded
 * gateway's own configuration (--config), the one its validate-jwt policy reads.
 */
function planBearerTokens(invocation: Invocation, options: RunOptions): (string | null)[] {
  const embedded = options.gatewayUrl === undefined && options.targetFile === undefined;
  return resolveBearerTokens(invocation.plan, {
    env: process.env,
    namedValues: embedded ? () => loadGatewayConfig(options.gatewayConfigDir ?? defaultGatewayConfigDir).namedValues : null,
    nowSeconds: Math.floor(Date.now() / 1000),
    where: `${invocation.configFile}: scenarios.${invocation.plan.name}.`,
  });
}

function meaningOf(exit: K6Exit): string {
  return exit.exitCode === null ? `stopped by ${exit.signal ?? 'an error'}` : (k6ExitMeanings[exit.exitCode] ?? 'unknown exit code');
}

function recordK6Exit(journal: Journal, exit: GeneratorsExit): void {
  const several = exit.generators.length > 1;
  journal.k6 = {
    exitCode: exit.exitCode,
    signal: exit.signal,
    // With several generators each k6 judged the thresholds on its own share only; the verdicts judge the merged samples.
    meaning: several && exit.exitCode === 99 ? `${meaningOf(exit)} on a generator's own share (the thresholds' verdicts judge the merged samples)` : meaningOf(exit),
    startedAt: new Date(exit.startedAt).toISOString(),
    endedAt: new Date(exit.endedAt).toISOString(),
    bundle: journal.k6.bundle,
    loadGenerators: exit.generators.length,
    ...(several
      ? {
          generators: exit.generators.map((g) => ({ index: g.index, segment: g.segment, exitCode: g.exitCode, signal: g.signal, meaning: meaningOf(g), startedAt: new Date(g.startedAt).toISOString(), endedAt: new Date(g.endedAt).toISOString() })),
        }
      : {}),
  };
}

/**
 * The generators' raw samples merged into the run's k6-samples.json and their summary exports'
 * counters into its k6-summary-export.json (merge-k6-outputs.ts), where one k6 writes them, so
 * that the evidence and the requests sent are read as for one k6.
 */
async function mergeGeneratorOutputs(generators: K6GeneratorsRun, paths: ReturnType<typeof evidencePaths>, say: (line: string) => void): Promise<void> {
  const samples = await mergeSampleFiles(generators.generators.map((g) => g.files.samples), paths.client);
  const counters = writeMergedSummaryExport(generators.generators.map((g) => g.files.summaryExport), paths.k6SummaryExport);
  say(`merged ${generators.count} load generators: ${samples.points} samples, ${counters.httpReqs} requests sent${samples.missing.length + counters.missing.length > 0 ? ` (not written: ${[...samples.missing, ...counters.missing].join(', ')})` : ''}`);
}

/** k6's log files, as the run folder names them. */
function k6LogNames(generators: K6GeneratorsRun): string[] {
  return generators.count === 1 ? ['k6-output.log'] : generators.generators.map((g) => `generator-${g.index + 1}/k6-output.log`);
}

/** The journal's evidence entries for k6's own files: its log, or each generator's files. */
function generatorEvidence(generators: K6GeneratorsRun, runDir: string): Record<string, string> {
  if (generators.count === 1) return { k6Output: 'k6-output.log' };
  return Object.fromEntries(
    generators.generators.flatMap((g) => [
      [`k6Output.generator-${g.index + 1}`, relative(runDir, g.files.log)],
      [`k6Samples.generator-${g.index + 1}`, relative(runDir, g.files.samples)],
      [`k6SummaryExport.generator-${g.index + 1}`, relative(runDir, g.files.summaryExport)],
    ]),
  );
}

/** The expectations the verifiers hold the gateway to, now that the fleet it ran with is known. */
function resolveExpectations(plan: ExpectationsPlan, invocation: Invocation, fleet: RunningTarget['fleet']): Expectations | null {
  if (!plan) return null;
  if ('explicit' in plan) return plan.explicit;
  return expectationsFromConfig({ gatewayConfig: plan.config, fleet, k6Config: invocation.config, deployment: invocation.plan.deployment });
}

/**
 * The ledger's requests that are the run's traffic: those that arrived while k6 ran. The
 * preflight's requests (and a gateway's retries of them, sharing a correlation id) came before;
 * an attached fleet's ledger may also hold what others sent before or after the run.
 */
function runTraffic(records: readonly PreflightRecord[], evidence: RunEvidence): RunEvidence {
  const requestIds = new Set(records.map((r) => r.requestId));
  const correlationIds = new Set(records.flatMap((r) => (r.correlationId ? [r.correlationId] : [])));
  const ledger = evidence.ledger.filter(
    (r) => r.start >= evidence.window.start && r.start <= evidence.window.end && !requestIds.has(r.requestId) && !(r.correlationId && correlationIds.has(r.correlationId)) && !r.correlationId?.startsWith(preflightMarkerPrefix),
  );
  return ledger.length === evidence.ledger.length ? evidence : { ...evidence, ledger };
}

/** How many requests k6 sent (its summary export's http_reqs count); 0 when it wrote none. */
function requestsSent(summaryExport: string): number {
  try {
    const summary = JSON.parse(readFileSync(summaryExport, 'utf8')) as { metrics?: { http_reqs?: { count?: unknown } } };
    const count = summary.metrics?.http_reqs?.count;
    return typeof count === 'number' && Number.isFinite(count) ? count : 0;
  } catch {
    return 0;
  }
}

/** An end the run decided on (interrupted, a step that failed, k6 that died): said as is. */
class RunNotJudged extends UserFacingError {}

/**
 * The journal's `problem`: a message written for people as is; anything else is a harness bug
 * or an environment failure nobody phrased, whose stack is kept in the run folder for the report.
 */
function problemOf(error: unknown, runDir: string): string {
  if (error instanceof UserFacingError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  try {
    writeFileSync(join(runDir, 'harness-error.log'), error instanceof Error && error.stack ? `${error.stack}\n` : `${message}\n`);
    return `${message} (not a message Spillway wrote for you: the stack is in harness-error.log; please report it with the run folder)`;
  } catch {
    return message;
  }
}

