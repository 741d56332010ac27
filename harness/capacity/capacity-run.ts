import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTopologyPath, loadTopologyFile, type Topology } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import { ledgerRecordSchema, type RequestRecord } from '../contracts/ledger-record.ts';
import { readClientRecords } from '../evidence/k6-samples.ts';
import { readJsonl } from '../evidence/read-jsonl.ts';
import { bundleScenarios } from '../k6/bundle-scenarios.ts';
import { startK6 } from '../run/k6-runner.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-input.ts';
import { loadK6Config, scenarioPlan } from '../run/scenario-plan.ts';
import { startEmbeddedTopology } from '../targets/embedded-topology.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { vuSizing } from '../../scenarios/lib/executors.ts';
import { backendSaturation, type BackendLimits } from './backend-saturation.ts';
import { writeCapacityGatewayConfig } from './capacity-gateway-config.ts';
import { findKnee, type JudgedStep, type KneeOutcome } from './find-knee.ts';
import { judgeStep, type StepCriteria, type StepJudgement } from './judge-step.ts';
import { nextBisectionRate, rampRates } from './step-schedule.ts';

/**
 * One capacity run on the embedded default: the emulator's capacity model enabled on a working
 * copy of the APIOps folder (capacity-gateway-config.ts), a fleet with ample room (huge TPM and
 * RPM, latency scaled down) so it is never the bottleneck, and one k6 process per step, each a
 * constant arrival rate held for holdSeconds against the primary region's gateway. The ramp
 * climbs until a step fails (or the generator falls behind, which ends the search: a higher
 * rate would tell nothing), then bisection narrows the edge; a failing step is held again to
 * confirm it. Each step is judged on its own
 * window: requests that started after the first settleSeconds. The fleet's ledger is read once
 * the gateway is down, and each step is checked against it before a knee is named.
 */
export interface CapacityRunOptions {
  units: number;
  configDir?: string;
  startRps: number;
  stepRps: number;
  maxRps: number;
  holdSeconds: number;
  settleSeconds: number;
  /** Bisection stops when the gap is within this fraction of the passing rate. */
  resolution: number;
  criteria: StepCriteria;
  backendLimits: BackendLimits;
  runDir: string;
  say: (line: string) => void;
}

export interface CapacityRunResult {
  steps: JudgedStep[];
  /** Steps that failed once and were held again; the repeat is in steps. */
  unconfirmed: JudgedStep[];
  knee: KneeOutcome;
  emulated: { units: number; requestsPerSecondPerUnit: number; queueLength: number; queueTimeoutSeconds: number };
}

/** A run that could not finish (k6 failing a step): said as is, exit 2. */
export class CapacityRunError extends UserFacingError {}

/** The consumer whose key the steps use; the light profile applies no budget to it. */
const consumer = 'critical-ops';

export async function runCapacity(options: CapacityRunOptions): Promise<CapacityRunResult> {
  const { runDir, say } = options;
  const configDir = join(runDir, 'gateway-config');
  mkdirSync(runDir, { recursive: true });
  writeCapacityGatewayConfig(options.configDir ?? defaultGatewayConfigDir, configDir, options.units);
  const config = loadGatewayConfig(configDir);
  const emulated = { units: options.units, ...config.capacity };
  const k6Config = loadK6Config(defaultK6ConfigFile);
  const plan = { ...scenarioPlan(k6Config, 'smoke', defaultK6ConfigFile), entry: 'primary-region' as const };
  const k6 = await resolveTool(k6Spec, { install: false });
  const [bundle] = await bundleScenarios({ names: ['smoke'] });
  if (!bundle) throw new CapacityRunError('no bundle was produced for smoke');
  const ledgerPath = join(runDir, 'ledger.jsonl');
  say(`starting the embedded gateway (capacity model: ${options.units} unit(s) × ${config.capacity.requestsPerSecondPerUnit} req/s) and a fleet with ample room`);
  const topology = await startEmbeddedTopology({ plan, configDir, config, topology: roomyFleet(loadTopologyFile(defaultTopologyPath)), ledgerPath, logsDir: join(runDir, 'logs') });

  const judged: StepJudgement[] = [];
  /** Steps held again to confirm them: kept in the journal, not judged for the knee. */
  const unconfirmed: StepJudgement[] = [];
  const windows = new Map<StepJudgement, { start: number; end: number }>();
  try {
    const runStep = async (rate: number): Promise<StepJudgement> => {
      const stepDir = join(runDir, `step-${String(judged.length + 1).padStart(2, '0')}-${rate}rps`);
      mkdirSync(stepDir, { recursive: true });
      const k6Plan = {
        name: 'smoke',
        script: 'smoke',
        durationSeconds: options.holdSeconds,
        units: options.units,
        baseUrl: topology.entryUrl,
        apiVersion: plan.apiVersion,
        deployment: plan.deployment,
        embeddingDeployment: plan.embeddingDeployment,
        traffic: [{ consumer, key: k6Config.consumers[consumer]!.localKey, priority: 'none', rate, operation: 'chat', stream: false, startSeconds: 0, endSeconds: options.holdSeconds, ratePerUnit: rate / options.units, promptWords: { kind: 'fixed', value: 1 }, maxTokens: { kind: 'fixed', value: 1 } }],
        thresholds: {},
        summaryTrendStats: [],
        summaryPath: join(stepDir, 'summary.json'),
        runId: '',
      };
      const summaryExport = join(stepDir, 'k6-summary-export.json');
      const samplesFile = join(stepDir, 'k6-samples.json');
      const run = startK6({ k6: k6.path, argv: ['run', '--quiet', '--no-color', '--out', `json=${samplesFile}`, '--summary-export', summaryExport, bundle.file], env: { SPILLWAY_PLAN: JSON.stringify(k6Plan) }, withhold: ['SPILLWAY_CONTROL_TOKEN'], logFile: join(stepDir, 'k6-output.log') });
      const exit = await run.done;
      if (exit.exitCode !== 0 && exit.exitCode !== 99) throw new CapacityRunError(`k6 did not complete the ${rate} req/s step (exit ${exit.exitCode ?? exit.signal}); see ${join(stepDir, 'k6-output.log')}`);
      // Judged by when each request started, so a request that waited belongs to the step that sent it.
      const samples = (await readClientRecords(samplesFile)).map((r) => ({ time: r.time - r.durationMs, durationMs: r.durationMs, status: r.status }));
      const first = Math.min(...samples.map((s) => s.time));
      const window = { start: first + options.settleSeconds * 1000, end: first + options.holdSeconds * 1000 };
      const summary = JSON.parse(readFileSync(summaryExport, 'utf8')) as { metrics?: Record<string, Record<string, number> | undefined> };
      const generator = { droppedIterations: summary.metrics?.dropped_iterations?.count ?? 0, vusBusyMax: summary.metrics?.vus?.max ?? 0, vusAllowed: vuSizing(rate).maxVUs, vusPreallocated: vuSizing(rate).preAllocatedVUs };
      const step = judgeStep({ offeredRps: rate, window, samples: samples.length > 0 ? samples : [], generator, criteria: options.criteria });
      judged.push(step);
      windows.set(step, window);
      say(`${String(rate).padStart(8)} req/s offered: ${step.throughputRps.toFixed(1)} req/s served, p95 ${step.p95Ms?.toFixed(0) ?? '-'} ms, errors ${(step.errorRate * 100).toFixed(1)}%: ${step.gatewayHeld && step.generatorKeptUp ? 'held' : step.reasons.join('; ')}`);
      return step;
    };

    // A step that fails, or whose generator fell behind, is held once more before it counts: on
    // a shared machine a moment's contention can fail a step well below the knee, while above the
    // knee the queue grows whatever the noise, so a second failure confirms it.
    const confirmedStep = async (rate: number): Promise<StepJudgement> => {
      const first = await runStep(rate);
      if (first.gatewayHeld && first.generatorKeptUp) return first;
      say(`${String(rate).padStart(8)} req/s held again to confirm`);
      unconfirmed.push(first);
      return runStep(rate);
    };
    let passing: number | null = null;
    let failing: number | null = null;
    for (const rate of rampRates(options)) {
      const step = await confirmedStep(rate);
      if (!step.generatorKeptUp) break;
      if (!step.gatewayHeld) {
        failing = rate;
        break;
      }
      passing = rate;
    }
    if (passing !== null && failing !== null && judged.every((s) => s.generatorKeptUp || unconfirmed.includes(s))) {
      for (let rate = nextBisectionRate(passing, failing, options.resolution); rate !== null; rate = nextBisectionRate(passing, failing, options.resolution)) {
        const step = await confirmedStep(rate);
        if (!step.generatorKeptUp) break;
        if (step.gatewayHeld) passing = rate;
        else failing = rate;
      }
    }
  } finally {
    await topology.close();
  }

  const ledger = (await readJsonl(ledgerPath, ledgerRecordSchema)).filter((r): r is RequestRecord => r.type === 'request');
  const withBackend = (step: StepJudgement): JudgedStep => ({ step, backend: backendSaturation(ledger, windows.get(step)!, options.backendLimits) });
  const steps = judged.filter((step) => !unconfirmed.includes(step)).map(withBackend);
  return { steps, unconfirmed: unconfirmed.map(withBackend), knee: findKnee(steps), emulated };
}

/** The default fleet with room to spare: TPM and RPM far above any step, latency a hundredth of its model's. */
function roomyFleet(topology: Topology): Topology {
  return {
    ...topology,
    latencyScale: 0.01,
    resources: topology.resources.map((resource) => ({
      ...resource,
      deployments: resource.deployments.map((d) => ({ ...d, capacityTpm: 1_000_000_000, ...(resource.kind === 'payg' ? { rpm: 100_000_000 } : {}) })),
    })),
  };
}

/** The run's journal: options, the emulated capacity, every step as judged, the knee. No keys. */
export function writeCapacityJournal(file: string, journal: object): void {
  writeFileSync(file, `${JSON.stringify(journal, null, 2)}\n`);
}
