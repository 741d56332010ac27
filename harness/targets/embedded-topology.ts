import type { FleetDescription, RunningFleet } from '../../mocks/aoai/fleet.ts';
import { defaultTopologyPath, loadTopologyFile, type Topology } from '../../mocks/aoai/topology.ts';
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import type { GatewayConfig } from '../../mocks/apim/config/types.ts';
import { startGateway, type RunningGateway } from '../../mocks/apim/gateway/gateway.ts';
import { startControlledFleet } from './controlled-fleet.ts';
import type { ScenarioPlan } from '../run/scenario-plan.ts';

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
}): Promise<EmbeddedTopology> {
  const config = args.config ?? loadGatewayConfig(args.configDir);
  const topology = args.topology ? { ...args.topology } : scenarioTopology(loadTopologyFile(args.topologyFile ?? defaultTopologyPath), args.plan.fleet);
  if (args.seed !== undefined) topology.seed = args.seed;
  const fleet = await startControlledFleet({ topology, ledgerPath: args.ledgerPath }, args.env);
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      config,
      fleetEndpoints: new Map(fleet.describe().backends.map((b) => [b.name, b.endpoint])),
      logsDir: args.logsDir,
      ...(args.seed !== undefined ? { seed: args.seed } : {}),
    });
  } catch (error) {
    await fleet.close();
    throw error;
  }
  const primary = gateway.instances[0]!;
  const entryUrl = args.plan.entry === 'front-door' && gateway.frontDoor ? gateway.frontDoor.url : primary.url;
  return {
    fleet,
    gateway,
    config,
    topology,
    entryUrl,
    describe: () => ({
      fleet: fleet.describe(),
      frontDoor: gateway.frontDoor?.url ?? null,
      regions: gateway.instances.map((instance) => ({ name: instance.region, url: instance.url })),
    }),
    async close() {
      await gateway.close();
      await fleet.close();
    },
  };
}
