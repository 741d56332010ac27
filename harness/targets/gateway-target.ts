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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMarkerHeader } from '../../scenarios/lib/requests.ts';
import { preflight, PreflightError } from './preflight.ts';
import { preflightProbes } from './preflight-probes.ts';
import { startedFleetHandle } from './started-fleet.ts';
import type { GatewayLogSource } from './gateway-log-source.ts';
import type { UtilisationSource } from '../capacity/utilisation/utilisation-source.ts';
import { absentEvidence, type RunningTarget, type Target, type TargetSetup } from './target.ts';

export type FleetSource =
  /** The run starts the fleet: resource i of the topology on portBase + i. */
  | { mode: 'start'; topology: Topology; portBase: number }
  /** A fleet already running, described by `spillway fleet up --json`'s line (read, checked against the live fleet). */
  | { mode: 'attach'; file: string; description: FleetDescription };

export interface GatewayTargetOptions {
  /** 'apim' for a real API Management read through its Log Analytics workspace (target file). */
  kind?: 'gateway' | 'apim';
  entryUrl: string;
  /** The gateway's own logs, when they can be read (a real APIM's workspace); absent: not read. */
  logs?: GatewayLogSource;
  /** The gateway's own utilisation, when it can be read (a real APIM's Azure Monitor metrics). */
  utilisation?: UtilisationSource;
  /** Consumer class → the variable holding its key; default k6.config.json's keyEnv. */
  keyEnvs?: Record<string, string>;
  /** Path answering 200 when the gateway is up; null: no health check. */
  healthPath: string | null;
  fleet: FleetSource;
  k6Config: K6Config;
  plan: ScenarioPlan;
  env?: NodeJS.ProcessEnv;
}

const broughtEvidence: readonly EvidenceKind[] = ['ledger', 'client'];
const withLogs: readonly EvidenceKind[] = ['ledger', 'client', 'gatewayLogs', 'llmLogs'];

export function gatewayTarget(options: GatewayTargetOptions): Target {
  const env = options.env ?? process.env;
  const entryUrl = options.entryUrl.replace(/\/+$/, '');
  const keyFor = (consumer: string): string => env[options.keyEnvs?.[consumer] ?? options.k6Config.consumers[consumer]!.keyEnv] ?? '';
  const target: Target = {
    kind: options.kind ?? 'gateway',
    stepKinds: ['fleet-fault', 'region-down'],
    evidenceKinds: options.logs ? withLogs : broughtEvidence,
    stepScopes: (steps) => regionDownScopes(steps, entryUrl),
    planProblems: (plan) =>
      plan.timeline.flatMap((step) =>
        step.kind === 'region-down' && step.backends === false
          ? [`scenarios.${plan.name}.timeline.${step.id}.backends: false takes only the gateway down, which a gateway at a URL (not Spillway's to stop) cannot do; against it a region-down step takes the fleet's side down only`]
          : step.kind === 'network'
            ? [
                `scenarios.${plan.name}.timeline.${step.id}: a network step puts Toxiproxy on the links into the fleet's backends or a gateway, which needs the gateway pointed at the proxies; a gateway at a URL is somebody else's to configure, so it cannot be rerouted: run the plan on the embedded default, or use fleet-fault steps (reset, refuse, hang, latency) for the backends' side`,
              ]
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
  let ingestionLagMs: { p50: number; max: number } | undefined;
  let preflightLagMs: { p50: number; max: number } | undefined;
  const logs = options.logs;
  return {
    entryUrl,
    fleet: fleet.description,
    injectors,
    keyFor,
    describe: () => ({
      kind: target.kind,
      entryUrl,
      fleet: fleet.mode,
      healthPath: options.healthPath ?? 'none',
      topology: { fleet: fleet.description },
      ...(logs ? { gatewayLogs: { source: logs.describe, ...(ingestionLagMs ? { ingestionLagMs } : {}), ...(preflightLagMs ? { preflightLagMs } : {}) } } : {}),
    }),
    async preflight() {
      // The workspace first: a run whose gateway logs cannot be read is refused before any load.
      if (logs) await logs.check();
      const probes = preflightProbes(options.plan, options.k6Config, keyFor, { everyConsumer: target.kind === 'apim' });
      const marker = `${setup.runId}-preflight`;
      const sent = Date.now();
      const records = await preflight({ entryUrl, healthPath: options.healthPath, probes, findInLedger: fleet.findInLedger, say: setup.say, ...(logs ? { headers: { [runMarkerHeader]: marker } } : {}) });
      if (logs) {
        // The probes' rows must reach the workspace too: this proves the diagnostic setting logs
        // the marker header, and measures the ingestion lag before the run commits to its load.
        setup.say(`preflight: waiting for the probes' rows in ${logs.describe}`);
        const scratch = mkdtempSync(join(tmpdir(), 'spillway-preflight-logs-'));
        try {
          const seen = await logs.collect({ window: { start: sent, end: Date.now() }, runMarker: marker, expectedRequests: probes.length, logsDir: scratch });
          const gatewayRows = seen.sources.find((source) => source.kind === 'gatewayLogs');
          if (gatewayRows?.status !== 'collected') {
            throw new PreflightError(`preflight: the gateway's rows for the preflight requests did not reach ${logs.describe} (${gatewayRows?.note ?? 'no rows'}): check that its diagnostic setting sends ApiManagementGatewayLogs (resource-specific) and logs the request header ${runMarkerHeader} (docs/log-analytics.md); nothing was sent to load the gateway`);
          }
          if (seen.ingestionLagMs) {
            preflightLagMs = seen.ingestionLagMs;
            setup.say(`preflight: the workspace had the rows; ingestion lag p50 ${Math.round(seen.ingestionLagMs.p50 / 1000)} s, max ${Math.round(seen.ingestionLagMs.max / 1000)} s`);
          }
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      }
      return records;
    },
    ...(options.utilisation ? { utilisation: options.utilisation } : {}),
    progress: () => `${fleet.requestsSoFar()} backend requests so far`,
    async finishEvidence(load) {
      const ledger = await fleet.finishLedger();
      if (!logs) return [ledger, ...absentEvidence(target, 'a gateway at a URL: Spillway does not read its own logs')];
      if (load.judges && !load.judges.includes('gatewayLogs')) return [ledger, ...absentEvidence({ kind: target.kind, evidenceKinds: ['ledger', 'client'] }, 'not read: this run judges no gateway rows')];
      setup.say(`waiting for the gateway's rows in ${logs.describe} (${load.requestsSent} requests sent)`);
      const collected = await logs.collect({ window: load.window, runMarker: load.runId, expectedRequests: load.requestsSent, logsDir: setup.logsDir });
      ingestionLagMs = collected.ingestionLagMs;
      return [ledger, ...collected.sources, ...absentEvidence(target, 'API Management in Azure: breaker and front door events are not in its workspace')];
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
