/**
 * The embedded default: the mock fleet, one APIM gateway emulator per configured region and the
 * front door, all started by the run in this process (harness/targets/embedded-topology.ts). It
 * applies every step kind, and brings every kind of evidence: the fleet's ledger and the
 * emulator's own log tables, breaker events and front door events, written into the run folder.
 */
import type { Topology } from '../../mocks/aoai/topology.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { evidenceKinds } from '../contracts/evidence.ts';
import { EmulatorUtilisation } from '../capacity/utilisation/emulator-utilisation.ts';
import { startEmbeddedTopology, type EmbeddedTopology } from './embedded-topology.ts';
import type { ToxiproxyServer } from '../network/toxiproxy-server.ts';
import type { FaultInjectors } from '../run/fault-timeline.ts';
import type { K6Config, ScenarioPlan, TimelineStep } from '../run/scenario-plan.ts';
import { fleetFaultInjector, type FleetHandle } from './fleet-handle.ts';
import { networkInjector } from './network-injector.ts';
import { linkProxyNames } from '../network/network-links.ts';
import { toxiproxySpec } from '../tools/tool-specs.ts';
import { embeddedProcessProblems, processGatewayRegions } from '../process/process-gateways.ts';
import { processBackendNames } from '../process/fleet-members.ts';
import { processInjector } from '../process/process-injector.ts';
import { apimHealthPath, preflight } from './preflight.ts';
import { preflightProbes } from './preflight-probes.ts';
import type { RunningTarget, Target, TargetSetup } from './target.ts';

export interface EmbeddedTargetOptions {
  configDir: string;
  /** The configuration and scenario topology the run checked (not read again). */
  config: GatewayConfig;
  topology: Topology;
  k6Config: K6Config;
  plan: ScenarioPlan;
  /** Starts Toxiproxy in a container (--runtime container); default a process. */
  startToxiproxy?: () => Promise<ToxiproxyServer>;
}

export function embeddedTarget(options: EmbeddedTargetOptions): Target {
  return {
    kind: 'embedded',
    stepKinds: ['fleet-fault', 'region-down', 'network', 'process'],
    evidenceKinds,
    stepScopes: (steps) => networkScopes(steps, options),
    planProblems: (plan) => embeddedProcessProblems(plan),
    notes: (plan) => [
      ...(plan.timeline.some((step) => step.kind === 'network')
        ? [`network steps run through Toxiproxy ${toxiproxySpec.version} (a toxiproxy-server process): a proxy in front of every fleet backend and of each regional gateway the front door (or k6) reaches`]
        : []),
      ...processGatewayRegions(plan, options.config).map((region) => `process steps: the gateway of ${region} runs as its own process (on a fixed port, its logs merged into the run's when it ends); the other regions stay in the harness`),
      ...processBackendNames(plan, options.topology).map((backend) => `process steps: fleet member ${backend} runs as its own process (on a fixed port, its ledger merged into fleet-ledger.jsonl and renumbered when the run ends); the rest of the fleet stays in the harness`),
    ],
    async up(setup: TargetSetup): Promise<RunningTarget> {
      setup.say('starting the mock fleet, the regional gateways and the front door');
      const topology = await startEmbeddedTopology({
        plan: options.plan,
        configDir: options.configDir,
        config: options.config,
        topology: options.topology,
        ledgerPath: setup.ledgerPath,
        logsDir: setup.logsDir,
        ...(setup.seed !== undefined ? { seed: setup.seed } : {}),
        ...(options.startToxiproxy ? { startToxiproxy: options.startToxiproxy } : {}),
      });
      return runningEmbedded(topology, topology.fleetHandle, options, setup);
    },
  };
}

function runningEmbedded(topology: EmbeddedTopology, fleet: FleetHandle, options: EmbeddedTargetOptions, setup: TargetSetup): RunningTarget {
  const injectors: FaultInjectors = {
    'fleet-fault': fleetFaultInjector(fleet),
    ...(topology.network ? { network: networkInjector(topology.network) } : {}),
    ...(topology.processes || topology.members ? { process: processInjector(topology.processes?.byRegion ?? new Map(), topology.members?.byName ?? new Map()) } : {}),
    'region-down': async (step) => {
      const instance = topology.gateway.instance(step.region);
      // The region's resources are labelled with the step, so the evidence ties them to it.
      const refused = step.backends === false ? null : await fleet.injectFault({ kind: 'refuse', target: { region: step.region }, label: step.id });
      try {
        await instance.stopListening();
      } catch (error) {
        if (refused) await fleet.clearFault(refused);
        throw error;
      }
      return async () => {
        if (refused) await fleet.clearFault(refused);
        await instance.resumeListening();
      };
    },
  };
  const keyFor = (consumer: string): string => options.k6Config.consumers[consumer]!.localKey;
  let closed = false;
  return {
    entryUrl: topology.entryUrl,
    fleet: fleet.description,
    injectors,
    keyFor,
    describe: () => ({ kind: 'embedded', entryUrl: topology.entryUrl, fleet: 'started', healthPath: apimHealthPath, topology: topology.describe() }),
    preflight: () => preflight({ entryUrl: topology.entryUrl, healthPath: apimHealthPath, probes: preflightProbes(options.plan, options.k6Config, keyFor), findInLedger: fleet.findInLedger, say: setup.say }),
    utilisation: new EmulatorUtilisation({ instances: topology.gateway.instances }),
    progress: () => `${fleet.requestsSoFar()} backend requests so far`,
    async finishEvidence() {
      // The emulator wrote its rows into the run folder as it went: nothing to wait for.
      return [
        await fleet.finishLedger(),
        ...(['gatewayLogs', 'llmLogs', 'breakerEvents'] as const).map((kind) => ({ kind, status: 'collected' as const })),
        topology.gateway.frontDoor
          ? { kind: 'frontDoorEvents' as const, status: 'collected' as const }
          : { kind: 'frontDoorEvents' as const, status: 'absent' as const, note: 'the gateway configuration has no front door' },
      ];
    },
    async close() {
      if (closed) return;
      closed = true;
      await topology.close();
    },
  };
}

/**
 * Which Toxiproxy proxies each network step acts on, said before the run and recorded with the
 * step, so the evidence shows the links a fault really touched (a region's backends are several).
 */
function networkScopes(steps: readonly TimelineStep[], options: EmbeddedTargetOptions): Map<string, string> {
  const backends = options.topology.resources.map((r) => ({ name: r.name, region: r.region }));
  const gatewayRegions = options.config.regions.map((r) => r.name);
  const scopes = new Map<string, string>();
  for (const step of steps) {
    if (step.kind !== 'network') continue;
    const proxies = linkProxyNames(step.link, backends, gatewayRegions);
    const what = step.toxic.type === 'down' ? 'disabled' : `toxic ${step.toxic.type} on the ${step.stream} stream${step.toxicity < 1 ? ` of ${Math.round(step.toxicity * 100)}% of connections` : ''}`;
    scopes.set(step.id, `Toxiproxy ${what}: ${proxies.length === 1 ? 'proxy' : 'proxies'} ${proxies.join(', ')}`);
  }
  return scopes;
}
