import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { vuSizing } from '../../scenarios/lib/executors.ts';
import { ledgerRecordSchema, type RequestRecord } from '../contracts/ledger-record.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { readClientRecords } from '../evidence/k6-samples.ts';
import { readJsonl } from '../evidence/read-jsonl.ts';
import { bundleScenarios } from '../k6/bundle-scenarios.ts';
import { mergeSampleFiles, writeMergedSummaryExport } from '../evidence/merge-k6-outputs.ts';
import { startK6Generators } from '../run/k6-generators.ts';
import type { startK6 } from '../run/k6-runner.ts';
import { startK6InContainer } from '../containers/k6-container.ts';
import type { Runtime } from '../containers/container-runtime.ts';
import { checkClassesCoverGenerators } from '../run/load-generator-count.ts';
import { checkInvocation, defaultGatewayConfigDir, defaultK6ConfigFile, prepareRun, type Invocation, type RunOptions } from '../run/run-input.ts';
import { loadK6Config, type K6Config, type ScenarioPlan } from '../run/scenario-plan.ts';
import type { TargetFile } from '../targets/target-file.ts';
import type { GatewayLogSource } from '../targets/gateway-log-source.ts';
import type { RunningTarget } from '../targets/target.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { backendSaturation, type BackendLimits } from './backend-saturation.ts';
import { capacityConsumer, capacityProfiles, checkCapacityProfile, writeCapacityGatewayConfig } from './capacity-gateway-config.ts';
import type { CapacitySettings } from './capacity-options.ts';
import { capacityScenarioName, capacityScenarioPlan } from './capacity-plan.ts';
import { settleKnee, type JudgedStep, type KneeOutcome } from './find-knee.ts';
import { judgeStep, type StepCriteria, type StepJudgement } from './judge-step.ts';
import { watchCpu, type CpuReading } from './process-cpu.ts';
import type { UtilisationReading, UtilisationSource } from './utilisation/utilisation-source.ts';
import { nextBisectionRate, rampRates } from './step-schedule.ts';
import { pipelineProgress } from '../progress/pipeline-progress.ts';

/**
 * One capacity run over a target, the same targets `spillway run` drives (harness/targets): the
 * embedded default (the emulator's capacity model enabled on a working copy of the APIOps
 * folder), a gateway at a URL with Spillway's fleet started or attached, or a real APIM
 * described by a target file. The fleet a run starts is given ample room (capacity-plan.ts), so
 * that it is never the bottleneck; whichever fleet, its ledger is read once the load is over and
 * every step is checked against it before a knee is named.
 *
 * The load is one k6 process per step, each a constant arrival rate held for holdSeconds against
 * the profile's API on the primary region's gateway. The ramp climbs until a step fails (or the
 * generator falls behind, which ends the search: a higher rate would tell nothing), then
 * bisection narrows the edge; a failing step is held again to confirm it, and the knee is held
 * longer (confirmSeconds) to confirm it is sustainable (find-knee.ts settleKnee). Each step is
 * judged on its own window: requests that started after the first settleSeconds.
 *
 * Whatever happens once the command line is good, the run ends with a result: the steps so far
 * and, if it could not finish, the problem, which the command writes into the journal.
 */
export interface CapacityTargetFlags {
  /** APIOps folder of the embedded gateway (a working copy is what runs). */
  config?: string;
  gatewayUrl?: string;
  fleet?: string;
  portBase?: number;
  topology?: string;
  target?: string;
  healthPath?: string;
  allowRemote?: string;
  maxRate?: number;
  /** Where k6 runs: processes (default) or containers (docs/containers.md). */
  runtime?: Runtime;
}

export interface CapacityRunOptions {
  settings: CapacitySettings;
  where: CapacityTargetFlags;
  /** Bisection stops when the gap is within this fraction of the passing rate. */
  resolution: number;
  criteria: StepCriteria;
  backendLimits: BackendLimits;
  runDir: string;
  say: (line: string) => void;
  signal?: AbortSignal;
  /** For tests: the fleet's room when the run starts it (default: ample, capacity-plan.ts). */
  fleet?: ScenarioPlan['fleet'];
  /** For tests: the gateway-log source of a target file. */
  logSourceFor?: (file: TargetFile) => GatewayLogSource;
  /** For tests: the utilisation source of a target file with `metrics`. */
  utilisationFor?: (file: TargetFile) => UtilisationSource;
}

export interface JudgedStepRecord extends JudgedStep {
  /** 'ramp', 'bisection', 'repeat' (a failure held again), or 'hold' (confirming the knee). */
  phase: StepPhase;
  window: { start: number; end: number };
  cpu: CpuReading;
  /** The gateway's own utilisation over the step's window, where the target can read it. */
  utilisation: UtilisationReading | null;
  folder: string;
}

export type StepPhase = 'ramp' | 'bisection' | 'repeat' | 'hold';

export interface CapacityRunResult {
  /** The steps that count, in the order they ran (repeats replace the step they repeat). */
  steps: JudgedStepRecord[];
  /** Steps that failed once and were held again; the repeat is in steps. */
  unconfirmed: JudgedStepRecord[];
  /** Confirming holds at the knee, in order. */
  holds: JudgedStepRecord[];
  knee: KneeOutcome | null;
  /** Whether a hold confirmed the knee; null when none was tried. */
  kneeConfirmed: boolean | null;
  /** The emulator's capacity model, on the embedded default; null for a gateway Spillway does not run. */
  emulated: { units: number; requestsPerSecondPerUnit: number; queueLength: number; queueTimeoutSeconds: number } | null;
  target: { kind: string; entryUrl: string; apiBasePath: string; notes: string[]; utilisation: string | null };
  /** Why the run could not finish (nothing is concluded then); null when it did. */
  problem: string | null;
}

/** A capacity run that cannot go on (k6 failing a step, a target that brings no ledger): said as is. */
export class CapacityRunError extends UserFacingError {}

/** The most confirming holds: the knee, and at most two below it when it is not sustained. */
const maxHolds = 3;

/** The run's options for the target pipeline, with the capacity plan in place of a named scenario. */
export interface CapacityInvocation {
  runOptions: RunOptions;
  invocation: Invocation;
  embedded: boolean;
}

/**
 * The command line checked as `spillway run` checks it (flags that exclude each other, a remote
 * host without --allow-remote and --max-rate, paths that name nothing), with the capacity plan;
 * throws a usage error, creates nothing.
 */
export function checkCapacityInvocation(settings: CapacitySettings, where: CapacityTargetFlags, resultsDir: string, fleet?: ScenarioPlan['fleet']): CapacityInvocation {
  const embedded = where.gatewayUrl === undefined && where.target === undefined;
  if (!embedded && where.config !== undefined) throw new CapacityRunError('--config is the APIOps folder of the embedded gateway; against --gateway-url or --target the gateway is what it is (it must serve the profile\'s API, docs/capacity.md)');
  if (embedded) checkCapacityProfile(resolve(where.config ?? defaultGatewayConfigDir), settings.profile);
  const config: K6Config = loadK6Config(defaultK6ConfigFile);
  if (!config.consumers[capacityConsumer]) throw new CapacityRunError(`${defaultK6ConfigFile}: consumers.${capacityConsumer} is missing: a capacity run sends with that consumer's key (the Capacity Testing product's subscription)`);
  const plan = capacityScenarioPlan({ units: settings.units, maxRps: settings.maxRps, holdSeconds: settings.holdSeconds, apiBasePath: capacityProfiles[settings.profile].basePath, ...(fleet ? { fleet } : {}), ...(settings.maxVus !== null ? { maxVus: settings.maxVus } : {}) });
  const runOptions: RunOptions = {
    scenario: capacityScenarioName,
    units: settings.units,
    resultsDir,
    ...(where.config !== undefined ? { gatewayConfigDir: where.config } : {}),
    ...(where.gatewayUrl !== undefined ? { gatewayUrl: where.gatewayUrl } : {}),
    ...(where.fleet !== undefined ? { fleetFile: where.fleet } : {}),
    ...(where.portBase !== undefined ? { portBase: where.portBase } : {}),
    ...(where.topology !== undefined ? { topologyFile: where.topology } : {}),
    ...(where.target !== undefined ? { targetFile: where.target } : {}),
    ...(where.healthPath !== undefined ? { healthPath: where.healthPath } : {}),
    ...(where.allowRemote !== undefined ? { allowRemoteHost: where.allowRemote } : {}),
    ...(where.maxRate !== undefined ? { maxRate: where.maxRate } : {}),
    ...(where.runtime !== undefined ? { runtime: where.runtime } : {}),
    loadGenerators: settings.loadGenerators,
    ...(settings.oversubscribeGenerators ? { oversubscribeGenerators: true } : {}),
  };
  const invocation = checkInvocation(runOptions, { plan, config, configFile: defaultK6ConfigFile });
  // Every step must give each generator some of its VUs: the lowest step has the fewest.
  checkClassesCoverGenerators([{ consumer: capacityConsumer, ratePerUnit: settings.startRps / settings.units }], settings.units, settings.loadGenerators);
  if (settings.maxVus !== null && settings.loadGenerators > settings.maxVus) throw new CapacityRunError(`--load-generators ${settings.loadGenerators} is more than --max-vus ${settings.maxVus}: execution segments split the VUs, and a generator with none would drop its whole share`);
  return { runOptions, invocation, embedded };
}

export async function runCapacity(options: CapacityRunOptions, checked: CapacityInvocation): Promise<CapacityRunResult> {
  const { runDir, say, settings } = options;
  // Phases, each step and its load's figures as events, when the command displays them (harness/progress).
  const progress = pipelineProgress(say);
  const rampSteps = rampRates(settings).length;
  mkdirSync(runDir, { recursive: true });
  const result: CapacityRunResult = { steps: [], unconfirmed: [], holds: [], knee: null, kneeConfirmed: null, emulated: null, target: { kind: checked.embedded ? 'embedded' : checked.runOptions.targetFile !== undefined ? 'apim' : 'gateway', entryUrl: '', apiBasePath: capacityProfiles[settings.profile].basePath, notes: [], utilisation: null }, problem: null };
  const ledgerPath = join(runDir, 'ledger.jsonl');
  let running: RunningTarget | null = null;
  const judged: JudgedStepRecord[] = [];
  try {
    progress.phase('preparing');
    let runOptions = checked.runOptions;
    if (checked.embedded) {
      // The working copy is what runs: the capacity model enabled, every region at --units.
      const workingDir = join(runDir, 'gateway-config');
      writeCapacityGatewayConfig(resolve(checked.runOptions.gatewayConfigDir ?? defaultGatewayConfigDir), workingDir, settings.units);
      const config = loadGatewayConfig(workingDir);
      result.emulated = { units: settings.units, ...config.capacity };
      runOptions = { ...runOptions, gatewayConfigDir: workingDir };
    }
    const prepared = await prepareRun({ ...runOptions, ...(options.logSourceFor ? { logSourceFor: options.logSourceFor } : {}), ...(options.utilisationFor ? { utilisationFor: options.utilisationFor } : {}) }, checked.invocation);
    if (!prepared.target.evidenceKinds.includes('ledger')) throw new CapacityRunError(`the ${prepared.target.kind} target brings no fleet ledger, and a capacity run needs it to rule the backends out as the bottleneck (docs/capacity.md)`);
    result.target.notes = prepared.target.notes(checked.invocation.plan);
    for (const note of result.target.notes) say(`note: ${note}`);
    const k6 = await resolveTool(k6Spec, { install: false });
    const [bundle] = await bundleScenarios({ names: ['smoke'] });
    if (!bundle) throw new CapacityRunError('no bundle was produced for the smoke script');
    if (options.signal?.aborted) throw new CapacityRunError('interrupted before the target started');
    const runId = `${runDir.split('/').at(-1) ?? 'capacity'}`;
    progress.phase('starting');
    running = await prepared.target.up({ plan: checked.invocation.plan, runId, ledgerPath, logsDir: join(runDir, 'logs'), say });
    result.target.entryUrl = running.entryUrl;
    progress.phase('preflight');
    await running.preflight();
    const target = running;
    const containers = prepared.containers;
    const generators = settings.loadGenerators;
    const utilisation = running.utilisation ?? null;
    result.target.utilisation = utilisation?.describe ?? null;
    utilisation?.start();
    progress.phase('load');

    const runStep = async (rate: number, phase: StepPhase, seconds: number): Promise<JudgedStepRecord> => {
      if (options.signal?.aborted) throw new CapacityRunError('interrupted');
      const folder = join(runDir, `step-${String(judged.length + 1).padStart(2, '0')}-${rate}rps${phase === 'hold' ? '-hold' : ''}`);
      mkdirSync(folder, { recursive: true });
      const traffic = checked.invocation.plan.traffic[0]!;
      const k6Plan = {
        name: capacityScenarioName,
        script: 'smoke',
        durationSeconds: seconds,
        units: settings.units,
        baseUrl: `${target.entryUrl}${checked.invocation.plan.apiBasePath ?? ''}`,
        apiVersion: checked.invocation.plan.apiVersion,
        deployment: checked.invocation.plan.deployment,
        embeddingDeployment: checked.invocation.plan.embeddingDeployment,
        traffic: [{ ...traffic, key: target.keyFor(capacityConsumer), priority: 'none', rate, ratePerUnit: rate / settings.units, endSeconds: seconds, ...(settings.maxVus !== null ? { maxVUs: settings.maxVus } : {}) }],
        thresholds: {},
        summaryTrendStats: [],
        summaryPath: join(folder, 'summary.json'),
        runId,
      };
      const summaryExport = join(folder, 'k6-summary-export.json');
      const samplesFile = join(folder, 'k6-samples.json');
      // One k6 process per load generator, each its execution segment of the step (k6-generators.ts).
      const run = startK6Generators({
        k6: k6.path,
        script: bundle.file,
        count: generators,
        dir: folder,
        env: (files) => ({ SPILLWAY_PLAN: JSON.stringify({ ...k6Plan, summaryPath: files.summary }) }),
        withhold: ['SPILLWAY_CONTROL_TOKEN', ...Object.values(checked.invocation.config.consumers).map((c) => c.keyEnv)],
        // In a container: the same pinned k6, the step's folder and the bundle's mounted at their own paths (as `spillway run` does).
        ...(containers ? { launch: (a: Parameters<typeof startK6>[0]) => startK6InContainer({ image: containers.images.k6, argv: a.argv, env: a.env, mounts: [folder, dirname(bundle.file)], logFile: a.logFile, ...(a.onLine ? { onLine: a.onLine } : {}), ...(a.killAfterMs !== undefined ? { killAfterMs: a.killAfterMs } : {}) }) } : {}),
      });
      progress.step(judged.length + 1, rampSteps, rate, phase, seconds);
      const watch = progress.watchLoad({ startedAt: run.startedAt, totalSeconds: seconds, sampleFiles: run.generators.map((g) => g.files.samples), targetRpsAt: () => rate });
      const stopOnAbort = (): void => run.stop();
      options.signal?.addEventListener('abort', stopOnAbort, { once: true });
      const cpu = watchCpu(() => run.pids);
      const ticker = setInterval(() => cpu.sample(), 1000);
      const exit = await run.done.finally(() => {
        clearInterval(ticker);
        watch?.stop();
        options.signal?.removeEventListener('abort', stopOnAbort);
      });
      const cpuReading = cpu.stop();
      if (options.signal?.aborted) throw new CapacityRunError(`interrupted during the ${rate} req/s step`);
      if (exit.exitCode !== 0 && exit.exitCode !== 99) throw new CapacityRunError(`k6 did not complete the ${rate} req/s step (exit ${exit.exitCode ?? exit.signal}); see ${run.generators.map((g) => g.files.log).join(', ')}`);
      if (generators > 1) {
        // Judged once over every generator's requests, never per generator (merge-k6-outputs.ts).
        await mergeSampleFiles(run.generators.map((g) => g.files.samples), samplesFile);
        writeMergedSummaryExport(run.generators.map((g) => g.files.summaryExport), summaryExport);
      }
      // Judged by when each request started, so a request that waited belongs to the step that sent it.
      const samples = (await readClientRecords(samplesFile)).map((r) => ({ time: r.time - r.durationMs, durationMs: r.durationMs, status: r.status }));
      const first = samples.length > 0 ? Math.min(...samples.map((s) => s.time)) : exit.startedAt;
      const window = { start: first + settings.settleSeconds * 1000, end: first + seconds * 1000 };
      const summary = JSON.parse(readFileSync(summaryExport, 'utf8')) as { metrics?: Record<string, Record<string, number> | undefined> };
      const sizing = vuSizing(rate, settings.maxVus ?? undefined);
      const generator = {
        droppedIterations: summary.metrics?.dropped_iterations?.count ?? 0,
        vusBusyMax: summary.metrics?.vus?.max ?? 0,
        vusAllowed: sizing.maxVUs,
        vusPreallocated: sizing.preAllocatedVUs,
        ...(cpuReading.processCores !== null ? { cpu: { k6Cores: cpuReading.processCores, cores: cpuReading.cores } } : {}),
      };
      const step = judgeStep({ offeredRps: rate, window, samples, generator, criteria: options.criteria });
      const used = utilisation ? await utilisation.read(window) : null;
      // The fleet is checked once its ledger is complete (after the load); until then, room is assumed.
      const record: JudgedStepRecord = { step, backend: { saturated: false, reasons: [] }, phase, window, cpu: cpuReading, utilisation: used, folder };
      judged.push(record);
      const busiest = busiestMetric(used);
      const k6Cpu = `${cpuReading.processCores !== null ? `, k6 ${cpuReading.processCores.toFixed(2)} of ${cpuReading.cores} cores` : ''}${busiest?.average != null ? `, gateway ${busiest.name} ${busiest.average.toFixed(0)}%` : ''}`;
      say(`${String(rate).padStart(8)} req/s ${phase.padEnd(9)} ${seconds} s: ${step.throughputRps.toFixed(1)} req/s served, p95 ${step.p95Ms?.toFixed(0) ?? '-'} ms, errors ${(step.errorRate * 100).toFixed(1)}%${k6Cpu}: ${step.gatewayHeld && step.generatorKeptUp ? 'held' : step.reasons.join('; ')}`);
      return record;
    };

    // A step that fails, or whose generator fell behind, is held once more before it counts: on
    // a shared machine a moment's contention can fail a step well below the knee, while above the
    // knee the queue grows whatever the noise, so a second failure confirms it.
    const counted = result.steps;
    const confirmedStep = async (rate: number, phase: StepPhase): Promise<StepJudgement> => {
      const first = await runStep(rate, phase, settings.holdSeconds);
      if (first.step.gatewayHeld && first.step.generatorKeptUp) {
        counted.push(first);
        return first.step;
      }
      say(`${String(rate).padStart(8)} req/s held again to confirm`);
      result.unconfirmed.push(first);
      const repeat = await runStep(rate, 'repeat', settings.holdSeconds);
      counted.push(repeat);
      return repeat.step;
    };
    let passing: number | null = null;
    let failing: number | null = null;
    let generatorBehind = false;
    for (const rate of rampRates(settings)) {
      const step = await confirmedStep(rate, 'ramp');
      if (!step.generatorKeptUp) {
        generatorBehind = true;
        break;
      }
      if (!step.gatewayHeld) {
        failing = rate;
        break;
      }
      passing = rate;
    }
    /** Narrows [passing, failing] to the resolution; false when the generator fell behind. */
    const bisect = async (from: number, to: number): Promise<boolean> => {
      let [held, broke] = [from, to];
      for (let rate = nextBisectionRate(held, broke, options.resolution); rate !== null; rate = nextBisectionRate(held, broke, options.resolution)) {
        const step = await confirmedStep(rate, 'bisection');
        if (!step.generatorKeptUp) return false;
        if (step.gatewayHeld) held = rate;
        else broke = rate;
      }
      return true;
    };
    if (!generatorBehind && passing !== null && failing !== null) generatorBehind = !(await bisect(passing, failing));
    // The knee is held longer to show it lasts. A hold that fails shows the rate is not
    // sustainable: the edge lies between it and the passing rate below, which is bisected again
    // before the new knee is held in turn (settleKnee counts the failed hold as the failing step).
    if (settings.confirmSeconds > 0 && !generatorBehind) {
      for (let next = settleKnee(counted, result.holds, maxHolds).nextToConfirm; next !== null; next = settleKnee(counted, result.holds, maxHolds).nextToConfirm) {
        say(`${String(next).padStart(8)} req/s: holding the knee for ${settings.confirmSeconds} s to confirm it`);
        const hold = await runStep(next, 'hold', settings.confirmSeconds);
        result.holds.push(hold);
        if (hold.step.gatewayHeld || !hold.step.generatorKeptUp) continue;
        const below = counted.filter((s) => s.step.offeredRps < next! && s.step.gatewayHeld && s.step.generatorKeptUp).map((s) => s.step.offeredRps);
        if (below.length > 0 && !(await bisect(Math.max(...below), next))) break;
      }
    }
    if (utilisation) await completeUtilisation(utilisation, judged, say);
    const whole = { start: Math.min(...judged.map((s) => s.window.start)), end: Math.max(...judged.map((s) => s.window.end)) };
    progress.phase('collecting');
    await running.finishEvidence({ window: whole, requestsSent: 0, runId, judges: ['client', 'ledger'] });
    await running.close();
    running = null;

    progress.phase('verifying');
    const ledger = (await readJsonl(ledgerPath, ledgerRecordSchema)).filter((r): r is RequestRecord => r.type === 'request');
    for (const record of judged) record.backend = backendSaturation(ledger, record.window, options.backendLimits);
    const settled = settleKnee(result.steps, result.holds, maxHolds);
    result.knee = settled.knee;
    result.kneeConfirmed = settled.confirmed;
  } catch (error) {
    result.problem = error instanceof UserFacingError ? error.message : `${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  } finally {
    await running?.utilisation?.stop();
    await running?.close();
  }
  return result;
}

/** The metric a step's table row shows: the busiest (on the emulator, the region driven). */
export function busiestMetric(reading: UtilisationReading | null): { name: string; average: number | null } | null {
  const metrics = reading?.metrics ?? [];
  if (metrics.length === 0) return null;
  // APIM's capacity guidance reads Capacity (classic) or the gateway's CPU (v2); memory only beside them.
  const secondary = (name: string): number => Number(name === 'MemoryPercent_Gateway');
  const busiest = [...metrics].sort((a, b) => secondary(a.name) - secondary(b.name) || (b.average ?? -1) - (a.average ?? -1))[0]!;
  return { name: busiest.region ? `${busiest.name} (${busiest.region})` : busiest.name, average: busiest.average };
}

/**
 * Steps whose reading was not complete when they ended are read again: the emulator's last
 * sample may have come just before a step's end, and Azure Monitor publishes each minute some
 * minutes late. Read once more after a moment, then every 30 s for up to 6 minutes; what is still
 * missing then stays marked incomplete in the journal.
 */
async function completeUtilisation(source: UtilisationSource, steps: readonly JudgedStepRecord[], say: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 6 * 60_000;
  const reread = async (pending: readonly JudgedStepRecord[]): Promise<JudgedStepRecord[]> => {
    for (const step of pending) step.utilisation = await source.read(step.window);
    return pending.filter((s) => !s.utilisation!.complete);
  };
  let pending = steps.filter((s) => s.utilisation && !s.utilisation.complete);
  if (pending.length > 0) {
    // One more sampling interval or two (the emulator samples every 500 ms) before asking again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    pending = await reread(pending);
  }
  if (pending.length > 0) say(`waiting up to 6 minutes for ${source.describe} to publish the last steps' figures`);
  while (pending.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    pending = await reread(pending);
  }
  await source.stop();
}

/** The run's journal: settings, the target, every step as judged, the knee. No keys. */
export function writeCapacityJournal(file: string, journal: object): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(journal, null, 2)}\n`);
}
