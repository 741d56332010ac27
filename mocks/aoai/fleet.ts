import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'msw';
import { systemClock, type Clock } from '../shared/clock.ts';
import { startMswNodeServer, type MswNodeServer } from '../shared/msw-node-server.ts';
import { mathRng, seededRng, type Rng } from '../shared/rng.ts';
import { aoaiHandlers, type ResourceRuntime } from './aoai-handlers.ts';
import { azureErrors, errorResponse } from './azure-errors.ts';
import { controlGate, isLoopbackHost } from './control-gate.ts';
import { controlHandlers } from './control-handlers.ts';
import { createDeploymentRuntime, type DeploymentRuntime } from './deployment-runtime.ts';
import { FaultRules, type FaultChange } from './fault-rules.ts';
import { Ledger } from './ledger.ts';
import { baseResponseHeaders } from './response-headers.ts';
import type { Topology } from './topology.ts';
import type { FleetDescription } from '../../harness/contracts/fleet-description.ts';

/**
 * A running mock Azure OpenAI fleet: one loopback listener per resource, a control API,
 * and the ledger. `describe()` is the contract other tools read (`fleet up --json`).
 */
export interface FleetOptions {
  topology: Topology;
  /** JSONL ledger file; null keeps the ledger in memory only. */
  ledgerPath?: string | null;
  ledgerWindow?: number;
  /** How long the ledger batches records before writing them (default 100 ms); 0 writes each at once (a fleet member there to be killed). */
  ledgerFlushMs?: number;
  /** Resource i listens on portBase + i (unless the topology fixes its port). */
  portBase?: number;
  controlPort?: number;
  /** Where the control API listens (default 127.0.0.1); anything beyond loopback needs controlToken. */
  controlHost?: string;
  /** When set, the control API requires `Authorization: Bearer <token>` and may be reached from other hosts. */
  controlToken?: string;
  clock?: Clock;
}

/** The description's shape is a contract the harness reads (harness/contracts/fleet-description.ts). */
export type { FleetDescription } from '../../harness/contracts/fleet-description.ts';

/**
 * The description a fleet of this topology would give, without starting it (no endpoint is
 * listening: they read http://127.0.0.1:0). For deriving expectations and sizing from a
 * topology alone, in tests and benchmarks.
 */
export function describeUnstartedFleet(topology: Topology): FleetDescription {
  return {
    backends: topology.resources.map((resource) => ({
      name: resource.name,
      region: resource.region,
      kind: resource.kind,
      endpoint: 'http://127.0.0.1:0',
      deployments: resource.deployments.map((d) => ({ name: d.name, model: d.model, capacityTpm: d.capacityTpm })),
    })),
    control: 'http://127.0.0.1:0',
    ledger: null,
  };
}

export interface RunningFleet {
  describe(): FleetDescription;
  readonly ledger: Ledger;
  readonly faults: FaultRules;
  /** The deployments' live state, by backend then deployment name (for tests and benchmarks). */
  readonly deployments: ReadonlyMap<string, ReadonlyMap<string, DeploymentRuntime>>;
  close(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<RunningFleet> {
  const { topology } = options;
  // Checked before anything starts: an open fault API would let anyone on the network break the fleet.
  if (options.controlHost !== undefined && !isLoopbackHost(options.controlHost) && !options.controlToken) {
    throw new Error(`the control API would listen on ${options.controlHost}, beyond loopback, without a token: set SPILLWAY_CONTROL_TOKEN (callers then send Authorization: Bearer <token>)`);
  }
  const clock = options.clock ?? systemClock;
  const ledger = new Ledger({ path: options.ledgerPath ?? null, ...(options.ledgerWindow ? { windowSize: options.ledgerWindow } : {}), ...(options.ledgerFlushMs !== undefined ? { flushMs: options.ledgerFlushMs } : {}) });
  // Nothing listens before the ledger's file is open: a fleet whose ledger cannot be written
  // must fail to start, not serve requests whose records go nowhere.
  await ledger.opened();
  const seed = topology.seed ?? Math.floor(Math.random() * 2 ** 31);
  const rngFor = (index: number): Rng => (topology.seed === undefined ? mathRng : seededRng(seed + index * 7919));

  const servers = new Map<string, MswNodeServer>();
  const expiryTimers = new Set<NodeJS.Timeout>();
  let reconciling: Promise<void> = Promise.resolve();
  let closed = false;

  const reconcileListeners = (): void => {
    // Refuse faults take whole listeners down; serialise the changes so that quick
    // inject/clear pairs land in order.
    reconciling = reconciling.then(async () => {
      if (closed) return;
      const refused = faults.refusedBackends(topology.resources);
      for (const [name, server] of servers) {
        // A listener that cannot come back (its port was taken while it was down) stays
        // down until the next change retries it; it must not stop the others, nor leave
        // the chain rejected (later changes would be skipped) or the rejection unhandled.
        try {
          if (refused.has(name) && server.listening) await server.stopListening();
          else if (!refused.has(name) && !server.listening) await server.resumeListening();
        } catch (error) {
          process.stderr.write(`fleet: ${name}: could not ${refused.has(name) ? 'stop' : 'resume'} listening on port ${server.port}: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
    });
  };

  /**
   * Expires a timed rule at its time. A timer can fire a millisecond before the clock reaches
   * it; the rule then is not due yet, and without another timer a refused listener would stay
   * down for good (nothing else asks a rule that no request reaches to expire), so it waits again.
   */
  const scheduleExpiry = (id: string, expiresAt: number): void => {
    const timer = setTimeout(() => {
      expiryTimers.delete(timer);
      faults.expire();
      if (faults.list().some((rule) => rule.id === id)) scheduleExpiry(id, expiresAt);
    }, Math.max(1, expiresAt - clock.now()));
    expiryTimers.add(timer);
  };
  const onFaultChange = (change: FaultChange): void => {
    ledger.append({ type: 'fault', at: clock.now(), action: change.action, rule: change.rule });
    if (change.action === 'inject' && change.rule.expiresAt !== null) scheduleExpiry(change.rule.id, change.rule.expiresAt);
    if (change.rule.kind === 'refuse') reconcileListeners();
  };
  const faults = new FaultRules(
    clock,
    onFaultChange,
    topology.resources.map((resource) => ({ name: resource.name, region: resource.region, deployments: resource.deployments.map((d) => d.name) })),
  );

  const stats = new Map<string, Map<number, number>>();
  ledger.subscribe((entry) => {
    if (entry.type !== 'request') return;
    let byStatus = stats.get(entry.backend);
    if (!byStatus) stats.set(entry.backend, (byStatus = new Map()));
    byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
  });

  const deploymentsByBackend = new Map<string, Map<string, DeploymentRuntime>>();
  try {
    for (const [index, resource] of topology.resources.entries()) {
      const deployments = new Map<string, DeploymentRuntime>();
      resource.deployments.forEach((deployment, d) => deployments.set(deployment.name, createDeploymentRuntime(deployment, resource.kind, clock, rngFor(index * 100 + d + 1))));
      deploymentsByBackend.set(resource.name, deployments);
      const runtime: ResourceRuntime = { resource, deployments, faults, ledger, clock, rng: rngFor(index * 100), latencyScale: topology.latencyScale, seed };
      // Built for the origin the adapter serves them on (absolute paths: see aoaiHandlers).
      let served: { base: string; handlers: RequestHandler[] } | undefined;
      const handlersFor = (base: string): RequestHandler[] => {
        if (served?.base !== base) served = { base, handlers: aoaiHandlers(runtime, base) };
        return served.handlers;
      };
      const port = resource.port !== 0 ? resource.port : options.portBase !== undefined ? options.portBase + index : 0;
      const rejectWithoutHandler = (request: Request, status: 404 | 413): Response => {
        const requestId = randomUUID();
        const url = new URL(request.url);
        ledger.append({
          type: 'request',
          start: clock.now(),
          firstByte: clock.now(),
          end: clock.now(),
          backend: resource.name,
          region: resource.region,
          kind: resource.kind,
          deployment: /\/openai\/deployments\/([^/]+)/.exec(url.pathname)?.[1] ?? '',
          operation: 'unknown',
          stream: false,
          status,
          reason: status === 404 ? 'not-found' : 'bad-request',
          promptTokens: 0,
          completionTokens: 0,
          admissionCost: 0,
          priority: request.headers.get('x-priority'),
          subscription: null,
          subscriptionKeyFingerprint: null,
          auth: 'none',
          correlationId: request.headers.get('x-correlation-id'),
          requestId,
          apiVersion: url.searchParams.get('api-version'),
        });
        const headers = baseResponseHeaders({ backend: resource.name, region: resource.region, requestId, clientRequestId: request.headers.get('x-ms-client-request-id') });
        return errorResponse(status === 404 ? azureErrors.missingApiVersion() : azureErrors.bodyTooLarge(topology.maxRequestBodyBytes), headers);
      };
      const server = await startMswNodeServer({
        handlers: handlersFor,
        host: topology.host,
        port,
        maxBodyBytes: topology.maxRequestBodyBytes,
        onBodyTooLarge: (request) => rejectWithoutHandler(request, 413),
        onUnhandled: (request) => rejectWithoutHandler(request, 404),
      });
      servers.set(resource.name, server);
    }
  } catch (error) {
    // Nothing is left half-started: close what did start, then report.
    await Promise.all([...servers.values()].map((server) => server.close()));
    await ledger.close();
    throw new Error(`could not start the fleet: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const describe = (): FleetDescription => ({
    backends: topology.resources.map((resource) => ({
      name: resource.name,
      region: resource.region,
      kind: resource.kind,
      endpoint: servers.get(resource.name)!.origin,
      deployments: resource.deployments.map((d) => ({ name: d.name, model: d.model, capacityTpm: d.capacityTpm })),
    })),
    control: control.origin,
    ledger: ledger.path,
  });

  let control: MswNodeServer;
  try {
    const handlers = controlHandlers({
      describe,
      faults,
      ledger,
      stats: () => Object.fromEntries([...stats].map(([backend, byStatus]) => [backend, Object.fromEntries(byStatus)])),
    });
    control = await startMswNodeServer({
      handlers: () => handlers,
      host: options.controlHost ?? '127.0.0.1',
      port: options.controlPort ?? 0,
      gate: controlGate(options.controlToken),
      onUnhandled: () => Response.json({ error: 'no such control endpoint' }, { status: 404 }),
    });
  } catch (error) {
    await Promise.all([...servers.values()].map((server) => server.close()));
    await ledger.close();
    throw error;
  }

  return {
    describe,
    ledger,
    faults,
    deployments: deploymentsByBackend,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of expiryTimers) clearTimeout(timer);
      await reconciling.catch(() => undefined);
      await Promise.all([control.close(), ...[...servers.values()].map((server) => server.close())]);
      await ledger.close();
    },
  };
}
