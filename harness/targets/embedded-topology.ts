import type { FleetDescription, RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile, type Topology } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import { startControlledFleet } from './controlled-fleet.ts';
import type { ScenarioPlan } from '../run/scenario-plan.ts';
import { startNetworkLinks, type NetworkLinks } from '../network/network-links.ts';
import { resolveTool } from '../tools/resolve-tool.ts';
import { toxiproxySpec } from '../tools/tool-specs.ts';
import type { ToxiproxyServer } from '../network/toxiproxy-server.ts';
import { startProcessGateways, type ProcessGateways } from '../process/process-gateways.ts';
import { mergeMemberLedgers, processBackendNames, startFleetMembers, topologyWithout, type FleetMembers } from '../process/fleet-members.ts';
import { splitFleetHandle } from '../process/split-fleet.ts';
import { dirname, join } from 'node:path';
import type { FleetHandle } from './fleet-handle.ts';
import { startedFleetHandle } from './started-fleet.ts';

/**
 * The embedded default a run brings up when no gateway URL is given: the mock fleet, one
 * gateway emulator per configured region and the front door, all in this process, with the
 * ledger and every log table written into the run folder. Nothing is left half-started: a
 * failure closes what did start.
 */
export interface EmbeddedTopology {
  readonly fleet: RunningFleet;
  readonly gateway: RunningGateway;
  readonly config: GatewayConfig;
  readonly topology: Topology;
  /** Where k6 sends traffic: the front door, or the primary region's gateway. */
  readonly entryUrl: string;
  /**
   * The Toxiproxy proxies on the topology's links, when the plan has `network` steps (and only
   * then: a plan without them runs with no Toxiproxy at all); null otherwise.
   */
  readonly network: NetworkLinks | null;
  /**
   * The regional gateways that run as their own processes, when the plan has `process` steps on
   * gateways (harness/process/process-gateways.ts); null otherwise. `gateway` does not hold them.
   */
  readonly processes: ProcessGateways | null;
  /**
   * The fleet members that run as their own processes, when the plan has `process` steps on
   * backends (harness/process/fleet-members.ts); null otherwise. `fleet` then serves the others.
   */
  readonly members: FleetMembers | null;
  /** The whole fleet as the run uses it: `fleet` alone, or with the members (split-fleet.ts). */
  readonly fleetHandle: FleetHandle;
  describe(): { fleet: FleetDescription; frontDoor: string | null; regions: { name: string; url: string }[] };
  close(): Promise<void>;
}

/**
 * Applies a scenario's fleet settings: latency scale, and capacities by `<kind>:<deployment>`
 * (e.g. "ptu:gpt-4o": 9000 lowers every PTU gpt-4o deployment so saturation is reachable).
 */
export function scenarioTopology(base: Topology, fleet: ScenarioPlan['fleet']): Topology {
  const overrides = fleet.capacityTpm ?? {};
  for (const key of Object.keys(overrides)) {
    if (!/^(ptu|payg):.+$/.test(key)) throw new Error(`fleet.capacityTpm key "${key}" must be "<ptu|payg>:<deployment>"`);
  }
  return {
    ...base,
    latencyScale: fleet.latencyScale ?? base.latencyScale,
    resources: base.resources.map((resource) => ({
      ...resource,
      deployments: resource.deployments.map((deployment) => {
        const capacity = overrides[`${resource.kind}:${deployment.name}`];
        return capacity === undefined ? deployment : { ...deployment, capacityTpm: capacity };
      }),
    })),
  };
}

export async function startEmbeddedTopology(args: {
  plan: ScenarioPlan;
  configDir: string;
  /** The configuration read from configDir, when the caller has read it already (checking the run). */
  config?: GatewayConfig;
  topologyFile?: string;
  /** The scenario's topology, when the caller has built it already (checking the run). */
  topology?: Topology;
  ledgerPath: string;
  logsDir: string;
  seed?: number;
  /** Where SPILLWAY_CONTROL_TOKEN is read from (controlled-fleet.ts); default this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** The toxiproxy-server binary for `network` steps; default the pinned one, resolved (never built here). */
  toxiproxyBinary?: string;
  /** Starts Toxiproxy some other way (in a container: --runtime container); default the binary as a process. */
  startToxiproxy?: () => Promise<ToxiproxyServer>;
}): Promise<EmbeddedTopology> {
  const config = args.config ?? loadGatewayConfig(args.configDir);
  const topology = args.topology ? { ...args.topology } : scenarioTopology(loadTopologyFile(args.topologyFile ?? defaultTopologyPath), args.plan.fleet);
  if (args.seed !== undefined) topology.seed = args.seed;
  const wantsNetwork = args.plan.timeline.some((step) => step.kind === 'network');
  // Resolved before anything starts: a missing binary leaves nothing half-started.
  const toxiproxyBinary = wantsNetwork ? (args.startToxiproxy ? '' : (args.toxiproxyBinary ?? (await resolveTool(toxiproxySpec, { install: false })).path)) : null;
  const memberNames = processBackendNames(args.plan, topology);
  const members = memberNames.length > 0 ? await startFleetMembers({ topology, names: memberNames, dir: join(dirname(args.ledgerPath), 'fleet-members'), ...(args.env ? { env: args.env } : {}) }) : null;
  let fleet: RunningFleet;
  try {
    fleet = await startControlledFleet({ topology: members ? topologyWithout(topology, memberNames) : topology, ledgerPath: args.ledgerPath }, args.env);
  } catch (error) {
    await members?.close();
    throw error;
  }
  const fleetHandle = members ? splitFleetHandle(fleet, members, topology, args.ledgerPath) : startedFleetHandle(fleet);
  let network: NetworkLinks | null = null;
  let gateway: RunningGateway | null = null;
  let processes: ProcessGateways | null = null;
  let entryUrl: string;
  try {
    if (toxiproxyBinary !== null) network = await startNetworkLinks({ binary: toxiproxyBinary, backends: fleetHandle.description.backends, ...(args.startToxiproxy ? { startServer: args.startToxiproxy } : {}) });
    const links = network;
    const fleetEndpoints = links ? links.backendEndpoints : new Map(fleetHandle.description.backends.map((b) => [b.name, b.endpoint]));
    if (args.plan.timeline.some((step) => step.kind === 'process' && step.process.of === 'gateway')) {
      processes = await startProcessGateways({ plan: args.plan, config, configDir: args.configDir, fleetEndpoints, logsDir: args.logsDir, ...(args.seed !== undefined ? { seed: args.seed } : {}) });
    }
    gateway = await startGateway({
      config,
      fleetEndpoints,
      ...(processes ? { externalRegions: processes.urls } : {}),
      logsDir: args.logsDir,
      ...(args.seed !== undefined ? { seed: args.seed } : {}),
      ...(links ? { frontDoorOriginUrl: (region: string, url: string) => links.proxyGateway(region, url) } : {}),
    });
    const primaryName = config.regions[0]!.name;
    const primaryProcessUrl = processes?.urls.get(primaryName);
    const primary = primaryProcessUrl !== undefined ? { region: primaryName, url: primaryProcessUrl } : gateway.instances[0]!;
    if (args.plan.entry === 'front-door' && gateway.frontDoor) entryUrl = gateway.frontDoor.url;
    else if (links) {
      // Entering at the primary region, k6's link into that gateway is the one a gateway link breaks.
      entryUrl = await links.proxyGateway(primary.region, primary.url);
    } else entryUrl = primary.url;
  } catch (error) {
    await gateway?.close();
    await processes?.close();
    await network?.close();
    await fleet.close();
    await members?.close();
    throw error;
  }
  const started: RunningGateway = gateway;
  const startedProcesses = processes;
  return {
    fleet,
    gateway: started,
    config,
    topology,
    entryUrl,
    network,
    processes: startedProcesses,
    members,
    fleetHandle,
    describe: () => ({
      fleet: fleetHandle.description,
      frontDoor: started.frontDoor?.url ?? null,
      regions: config.regions.map((region) => ({ name: region.name, url: startedProcesses?.urls.get(region.name) ?? started.instance(region.name).url })),
    }),
    async close() {
      await started.close();
      // After the in-process gateway's log writers closed: it merges the processes' rows into the same files.
      await startedProcesses?.close();
      await network?.close();
      await fleet.close();
      if (members) {
        await members.close();
        // After every ledger writer closed: the members' records join the run's, renumbered.
        mergeMemberLedgers(args.ledgerPath, [...members.byName.values()]);
      }
    },
  };
}
