/**
 * A gateway at a URL, anybody's (APIM, nginx, Envoy, a home-grown proxy), with Spillway's mock
 * fleet behind it. The fleet is either started by the run on fixed ports the gateway is
 * configured for (`--port-base`), or one already running that the run attaches to (`--fleet`,
 * the JSON line `spillway fleet up --json` printed), whose ledger the run collects over the
 * control API and whose faults it applies through the same API.
 *
 * What it can judge: the fleet's ledger is the oracle, written by the backends whoever sent the
 * requests, and k6's client records; the gateway's own logs, breaker events and front door
 * events are not Spillway's to read here (a real APIM's come from Log Analytics, a later
 * target). A region-down step takes only the fleet's side of the region down: the gateway is
 * not Spillway's to stop, and the run says so before it starts.
 */
import type { Topology } from '../../mocks/aoai/topology.ts';
import type { EvidenceKind } from '../contracts/evidence.ts';
import type { FleetDescription } from '../contracts/fleet-description.ts';
import { startControlledFleet } from './controlled-fleet.ts';
import type { FaultInjectors } from '../run/fault-timeline.ts';
import type { K6Config, ScenarioPlan, TimelineStep } from '../run/scenario-plan.ts';
import { attachFleet } from './attached-fleet.ts';
import { fleetFaultInjector, type FleetHandle } from './fleet-handle.ts';
import { preflight } from './preflight.ts';
import { preflightProbes } from './preflight-probes.ts';
import { startedFleetHandle } from './started-fleet.ts';
import { absentEvidence, type RunningTarget, type Target, type TargetSetup } from './target.ts';

export type FleetSource =
  /** The run starts the fleet: resource i of the topology on portBase + i. */
  | { mode: 'start'; topology: Topology; portBase: number }
  /** A fleet already running, described by `spillway fleet up --json`'s line (read, checked against the live fleet). */
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

const broughtEvidence: readonly EvidenceKind[] = ['ledger', 'client'];

export function gatewayTarget(options: GatewayTargetOptions): Target {
  const env = options.env ?? process.env;
  const entryUrl = options.entryUrl.replace(/\/+$/, '');
  const keyFor = (consumer: string): string => env[options.k6Config.consumers[consumer]!.keyEnv] ?? '';
  const target: Target = {
    kind: 'gateway',
    stepKinds: ['fleet-fault', 'region-down'],
    evidenceKinds: broughtEvidence,
    stepScopes: (steps) => regionDownScopes(steps, entryUrl),
    planProblems: (plan) =>
      plan.timeline.flatMap((step) =>
        step.kind === 'region-down' && step.backends === false
          ? [`scenarios.${plan.name}.timeline.${step.id}.backends: false takes only the gateway down, which a gateway at a URL (not Spillway's to stop) cannot do; against it a region-down step takes the fleet's side down only`]
          : [],
      ),
    notes: (plan) =>
      options.fleet.mode === 'attach' && (plan.fleet.capacityTpm !== undefined || plan.fleet.latencyScale !== undefined)
        ? ["the plan's fleet settings (capacityTpm, latencyScale) do not apply to an attached fleet: it keeps its own, which the verifiers use (recorded in the journal)"]
        : [],
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
      return running(target, entryUrl, fleet, options, keyFor, setup);
    },
  };
  return target;
}

function running(target: Target, entryUrl: string, fleet: FleetHandle, options: GatewayTargetOptions, keyFor: (consumer: string) => string, setup: TargetSetup): RunningTarget {
  const injectors: FaultInjectors = {
    'fleet-fault': fleetFaultInjector(fleet),
    // Only the fleet's side (planProblems refuses a step that would take only the gateway down).
    'region-down': async (step) => {
      const id = await fleet.injectFault({ kind: 'refuse', target: { region: step.region }, label: step.id });
      return () => fleet.clearFault(id);
    },
  };
  let closed = false;
  return {
    entryUrl,
    fleet: fleet.description,
    injectors,
    keyFor,
    describe: () => ({ kind: 'gateway', entryUrl, fleet: fleet.mode, healthPath: options.healthPath ?? 'none', topology: { fleet: fleet.description } }),
    preflight: () => preflight({ entryUrl, healthPath: options.healthPath, probes: preflightProbes(options.plan, options.k6Config, keyFor), findInLedger: fleet.findInLedger, say: setup.say }),
    progress: () => `${fleet.requestsSoFar()} backend requests so far`,
    finishEvidence: async () => [await fleet.finishLedger(), ...absentEvidence(target, 'a gateway at a URL: Spillway does not read its own logs')],
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
