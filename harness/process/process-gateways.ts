import { join } from 'node:path';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import type { ScenarioPlan, StepOf } from '../run/scenario-plan.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';
import { mergeProcessLogs } from './process-log-merge.ts';

/**
 * The regional gateways of the embedded topology that run as their own processes: those a
 * `process` step names, and only when the plan has such steps (everything else stays in the
 * harness's process, as without them). Each starts from the run's configuration on a fixed
 * port; the front door (or k6, entering at that region) reaches it there. Its log tables are
 * written row by row into `<logsDir>/process-<region>/` and merged into the run's tables on
 * close, after every writer has closed.
 */
export interface ProcessGateways {
  /** By region name in lower case. */
  readonly byRegion: ReadonlyMap<string, GatewayProcess>;
  /** By the configuration's region name: the URL each listens on. */
  readonly urls: ReadonlyMap<string, string>;
  /** Stops every process, then merges their log tables into the run's. */
  close(): Promise<void>;
}

export function processSteps(plan: ScenarioPlan): StepOf<'process'>[] {
  return plan.timeline.filter((step): step is StepOf<'process'> => step.kind === 'process');
}

/** The configuration's names of the regions whose gateway a process step names. */
export function processGatewayRegions(plan: ScenarioPlan, config: GatewayConfig): string[] {
  const named = new Set(processSteps(plan).flatMap((step) => (step.process.of === 'gateway' ? [step.process.region.toLowerCase()] : [])));
  return config.regions.filter((region) => named.has(region.name.toLowerCase())).map((region) => region.name);
}

export async function startProcessGateways(args: {
  plan: ScenarioPlan;
  config: GatewayConfig;
  configDir: string;
  fleetEndpoints: ReadonlyMap<string, string>;
  logsDir: string;
  seed?: number;
}): Promise<ProcessGateways> {
  const started: GatewayProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(started.map((gateway) => gateway.close()));
    mergeProcessLogs(args.logsDir, started);
  };
  try {
    for (const region of processGatewayRegions(args.plan, args.config)) {
      started.push(
        await startGatewayProcess({
          configDir: args.configDir,
          region,
          fleetEndpoints: args.fleetEndpoints,
          dir: join(args.logsDir, `process-${region.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`),
          ...(args.seed !== undefined ? { seed: args.seed } : {}),
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    byRegion: new Map(started.map((gateway) => [gateway.region.toLowerCase(), gateway])),
    urls: new Map(started.map((gateway) => [gateway.region, gateway.url])),
    close,
  };
}

/**
 * What of a plan's process steps the embedded target cannot run, as `scenarios.<name>.<field>: why`:
 * a region-down step on a region whose gateway runs as a process (stopping it is what kill does).
 * A fleet member as its own process is run (fleet-members.ts); disconnect-config on one is
 * refused with the plan (harness/run/process-step-problems.ts).
 */
export function embeddedProcessProblems(plan: ScenarioPlan): string[] {
  const problems: string[] = [];
  const processRegions = new Set<string>();
  for (const step of processSteps(plan)) {
    if (step.process.of === 'gateway') processRegions.add(step.process.region.toLowerCase());
  }
  for (const step of plan.timeline) {
    if (step.kind === 'region-down' && processRegions.has(step.region.toLowerCase())) {
      problems.push(`scenarios.${plan.name}.timeline.${step.id}.region: the gateway of "${step.region}" runs as its own process for the plan's process steps; take it down with a process "kill" step instead`);
    }
  }
  return problems;
}
