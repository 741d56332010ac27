/**
 * A gateway at a URL, anybody's (APIM, nginx, Envoy, a home-grown proxy), with Spillway's mock
 * fleet behind it. The fleet is either started by the run on fixed ports the gateway is
 * configured for (`--port-base`), or one already running that the run attaches to (`--fleet`,
 * the JSON line `spillway fleet up --json` printed), whose ledger the run collects over the
 * control API for its time window and whose faults it applies through the same API.
 *
 * What it can judge: the fleet's ledger is the oracle, written by the backends whoever sent the
 * requests, and k6's client records; the gateway's own logs, breaker events and front door
 * events are not Spillway's to read here (a real APIM's come from Log Analytics, a later
 * target). A region-down step takes only the fleet's side of the region down: the gateway is
 * not Spillway's to stop, and the run says so before it starts.
 */
import type { Topology } from '../../mocks/aoai/topology.ts';
import type { EvidenceKind } from '../contracts/evidence.ts';
import { UserFacingError } from '../contracts/user-facing-error.ts';
import type { FaultInjectors } from '../run/fault-timeline.ts';
import type { K6Config, ScenarioPlan, TimelineStep } from '../run/scenario-plan.ts';
import { startControlledFleet } from '../run/controlled-fleet.ts';
import { attachFleet } from './attached-fleet.ts';
import { startedFleetHandle, type FleetHandle } from './fleet-handle.ts';
import type { FleetDescription } from '../contracts/fleet-description.ts';
import { preflight } from './preflight.ts';
import { preflightProbes } from './preflight-probes.ts';
import type { RunningTarget, Target, TargetSetup } from './target.ts';

export class GatewayTargetError extends UserFacingError {}

export type FleetSource =
  /** The run starts the fleet: resource i of the topology on portBase + i. */
  | { mode: 'start'; topology: Topology; portBase: number }
  /** A fleet already running, described by `spillway fleet up --json`'s line (already read and checked). */
  | { mode: 'attach'; file: string; description: FleetDescription };

export interface GatewayTargetOptions {
  entryUrl: string;
  /** Path answering 200 when the gateway is up; null: no health check. */
  healthPath: string | null;
  fleet: FleetSource;
  k6Config: K6Config;
  plan: ScenarioPlan;
  env?: NodeJS.ProcessEnv;
}

const evidenceKinds: readonly EvidenceKind[] = ['ledger', 'client'];

export function gatewayTarget(options: GatewayTargetOptions): Target {
  const env = options.env ?? process.env;
  const entryUrl = options.entryUrl.replace(/\/+$/, '');
  const keyFor = (consumer: string): string => env[options.k6Config.consumers[consumer]!.keyEnv] ?? '';
  return {
    kind: 'gateway',
    stepKinds: ['fleet-fault', 'region-down'],
    evidenceKinds,
    stepScopes: (steps) => regionDownScopes(steps, entryUrl),
    async up(setup: TargetSetup): Promise<RunningTarget> {
      let fleet: FleetHandle;
      if (options.fleet.mode === 'start') {
        setup.say(`starting the mock fleet on ports from ${options.fleet.portBase}`);
        const topology = { ...options.fleet.topology, ...(setup.seed !== undefined ? { seed: setup.seed } : {}) };
        fleet = startedFleetHandle(await startControlledFleet({ topology, ledgerPath: setup.ledgerPath, portBase: options.fleet.portBase }, env));
      } else {
        setup.say(`attaching to the fleet of ${options.fleet.file} (control API ${options.fleet.description.control})`);
        fleet = await attachFleet({ description: options.fleet.description, ledgerPath: setup.ledgerPath, env, say: setup.say });
      }
      return running(entryUrl, fleet, options, keyFor, setup);
    },
  };
}

function running(entryUrl: string, fleet: FleetHandle, options: GatewayTargetOptions, keyFor: (consumer: string) => string, setup: TargetSetup): RunningTarget {
  const injectors: FaultInjectors = {
    'fleet-fault': async (step) => {
      const id = await fleet.injectFault({ ...step.fault, label: step.id });
      return () => fleet.clearFault(id);
    },
    'region-down': async (step) => {
      if (step.backends === false) throw new Error(`step ${step.id} takes only the gateway down ("backends": false), which this target cannot do`);
      const id = await fleet.injectFault({ kind: 'refuse', target: { region: step.region }, label: step.id });
      return () => fleet.clearFault(id);
    },
  };
  let closed = false;
  const notes = [...regionDownScopes(options.plan.timeline, entryUrl).entries()].map(([id, scope]) => `step ${id}: ${scope}`);
  return {
    entryUrl,
    fleet: fleet.description,
    injectors,
    keyFor,
    describe: () => ({ kind: 'gateway', entryUrl, fleet: fleet.mode, healthPath: options.healthPath ?? 'none', topology: { fleet: fleet.description }, notes }),
    preflight: () => preflight({ entryUrl, healthPath: options.healthPath, probes: preflightProbes(options.plan, options.k6Config, keyFor), findInLedger: fleet.findInLedger, say: setup.say }),
    progress: () => `${fleet.requestsSoFar()} backend requests so far`,
    async finishEvidence() {
      return [
        await fleet.finishLedger(),
        ...(['gatewayLogs', 'llmLogs', 'breakerEvents', 'frontDoorEvents'] as const).map((kind) => ({ kind, status: 'absent' as const, note: `a gateway at a URL: Spillway does not read its logs (${kind})` })),
      ];
    },
    async close() {
      if (closed) return;
      closed = true;
      await fleet.close();
    },
  };
}

/** What a region-down step really does against a gateway Spillway cannot stop. */
function regionDownScopes(steps: readonly TimelineStep[], entryUrl: string): Map<string, string> {
  const scopes = new Map<string, string>();
  for (const step of steps) {
    if (step.kind === 'region-down') scopes.set(step.id, `only the fleet's side: the backends in ${step.region} refuse connections, while the gateway at ${entryUrl} is not Spillway's to stop and keeps running`);
  }
  return scopes;
}

/** Refusals this target makes of a plan before anything starts (field paths as loadK6Config writes them). */
export function gatewayPlanProblems(plan: ScenarioPlan): string[] {
  return plan.timeline
    .filter((step) => step.kind === 'region-down' && step.backends === false)
    .map((step) => `scenarios.${plan.name}.timeline.${step.id}.backends: false takes only the gateway down, which a gateway at a URL (not Spillway's to stop) cannot do; against it a region-down step takes the fleet's side down only`);
}
