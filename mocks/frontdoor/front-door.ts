/**
 * The Azure Front Door emulator: a reverse proxy in front of the regional API Management
 * gateway emulators, with AFD's health probing and origin selection [research note §7].
 *
 * Per request: choose an origin (origin-selection.ts) from the probe-driven health state
 * (origin-health.ts, health-prober.ts), forward method, path and query, headers (with the
 * AFD additions of forwarded-headers.ts) and the body, and stream the response back as it
 * arrives, so an SSE stream reaches the client chunk by chunk. Connections to origins are kept
 * alive and reused; health probes use their own fresh connections.
 *
 * Failure handling (origin-errors.ts): an origin that refuses or drops the connection before
 * the response starts gets the front door's error page (503 by default); no response within the
 * origin response timeout gets 504; a response cut off mid-stream cuts the client's connection
 * too. There is no retry on another origin. A client that goes away aborts the origin request.
 *
 * Not emulated: caching, compression, rules engine, WAF, session affinity, the latency band,
 * several POPs, HTTPS on the listener, WebSocket upgrades.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../shared/clock.ts';
import type { Clock } from '../shared/clock.ts';
import { createEventLog } from './event-log.ts';
import { resolveOrigins, resolveProbe } from './front-door-config.ts';
import type { FrontDoorOriginConfig, ProbeConfig, ResolvedOrigin, ResolvedProbe } from './front-door-config.ts';
import type { FrontDoorEvent, ProbeEvent, RequestEvent } from './front-door-events.ts';
import { clientResponseHeaders, originRequestHeaders, wantsDebugInfo } from './forwarded-headers.ts';
import { requestHostname, startHealthProber } from './health-prober.ts';
import type { HealthProber } from './health-prober.ts';
import { createOriginHealth } from './origin-health.ts';
import {
  classifyOriginError,
  DEFAULT_ORIGIN_ERROR_STATUSES,
  DEFAULT_ORIGIN_RESPONSE_TIMEOUT_SECONDS,
  errorPage,
  OriginTimeoutError,
  statusForError,
  validateStatuses,
} from './origin-errors.ts';
import type { OriginErrorStatuses } from './origin-errors.ts';
import { createOriginSelector } from './origin-selection.ts';
import type { OriginChoice } from './origin-selection.ts';

export interface FrontDoorOptions {
  origins: readonly FrontDoorOriginConfig[];
  probe?: ProbeConfig;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Receives every event as it happens. */
  log?: (event: FrontDoorEvent) => void;
  /** Appends every event to this JSONL file (in batches; the folder must exist). */
  eventsPath?: string;
  /** How many events `events()` keeps; default 10,000; 0 keeps none (the file is then the record). */
  retainEvents?: number;
  /** The `X-Azure-FDID` value; default a random GUID per front door. */
  frontDoorId?: string;
  /** Time to wait for the origin's response headers; default 30 s (AFD's default). */
  originResponseTimeoutSeconds?: number;
  /** Statuses for origin failures; default 503 for connection failures and 504 for timeouts. */
  originErrorStatus?: Partial<OriginErrorStatuses>;
  /** Source of event timestamps and X-Azure-Ref dates; default the system clock. */
  clock?: Clock;
  /** Makes X-Azure-Ref values; default a timestamp plus random hex. */
  newRef?: () => string;
}

export interface LastProbe {
  time: string;
  success: boolean;
  status?: number;
  error?: string;
}

export interface OriginSnapshot {
  name: string;
  url: string;
  priority: number;
  weight: number;
  enabled: boolean;
  healthy: boolean;
  /** Successes among the last `sampleSize` probe results. */
  successes: number;
  sampleSize: number;
  probes: number;
  lastProbe?: LastProbe;
  /** ISO time of the last health change. */
  changedAt?: string;
}

export interface FrontDoor {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly frontDoorId: string;
  readonly probe: ResolvedProbe;
  /** The origins and their health, as of now. */
  origins(): OriginSnapshot[];
  /** The retained events, oldest first. */
  events(): FrontDoorEvent[];
  /** Enables or disables an origin (a failover drill, like APIM's disableGateway). */
  setOriginEnabled(name: string, enabled: boolean): void;
  /** Stops probing, closes the listener and every connection, and flushes the events file. */
  stop(): Promise<void>;
}

/** AFD's newer X-Azure-Ref shape: a UTC timestamp, then a unique id. */
function defaultRef(clock: Clock): string {
  const stamp = new Date(clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(16).toString('hex')}`;
}

export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const origins: ResolvedOrigin[] = resolveOrigins(options.origins);
  const probe = resolveProbe(options.probe);
  const clock = options.clock ?? systemClock;
  const statuses = validateStatuses({ ...DEFAULT_ORIGIN_ERROR_STATUSES, ...options.originErrorStatus });
  const responseTimeoutSeconds = options.originResponseTimeoutSeconds ?? DEFAULT_ORIGIN_RESPONSE_TIMEOUT_SECONDS;
  if (!Number.isFinite(responseTimeoutSeconds) || responseTimeoutSeconds <= 0) {
    throw new RangeError(`originResponseTimeoutSeconds must be positive, got ${responseTimeoutSeconds}`);
  }
  const frontDoorId = options.frontDoorId ?? randomUUID();
  const newRef = options.newRef ?? (() => defaultRef(clock));
  const byName = new Map(origins.map((o) => [o.name, o]));
  const iso = (): string => new Date(clock.now()).toISOString();

  const eventLog = createEventLog<FrontDoorEvent>({
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.eventsPath !== undefined ? { eventsPath: options.eventsPath } : {}),
    ...(options.retainEvents !== undefined ? { retain: options.retainEvents } : {}),
  });
  const health = createOriginHealth(
    origins.map((o) => o.name),
    probe,
    clock,
  );
  const selector = createOriginSelector();
  const lastProbes = new Map<string, LastProbe>();

  // Keep-alive pools to the origins; probes bypass them (agent: false).
  const httpAgent = new HttpAgent({ keepAlive: true });
  const httpsAgent = new HttpsAgent({ keepAlive: true });

  function recordProbe(event: ProbeEvent): void {
    lastProbes.set(event.origin, {
      time: event.time,
      success: event.success,
      ...(event.status !== undefined ? { status: event.status } : {}),
      ...(event.error !== undefined ? { error: event.error } : {}),
    });
  }

  function sendError(res: ServerResponse, status: number, ref: string): void {
    const body = errorPage(ref);
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-azure-ref': ref,
    });
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const ref = newRef();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let choice: OriginChoice | undefined;
    let originStatus: number | undefined;
    let errorInfo = 'NoError';
    let logged = false;

    const logRequest = (): void => {
      if (logged) return;
      logged = true;
      const event: RequestEvent = {
        type: 'request',
        time: iso(),
        ref,
        method,
        path,
        ...(choice !== undefined ? { origin: choice.origin, selection: choice.mode } : {}),
        ...(res.headersSent ? { status: res.statusCode } : {}),
        ...(originStatus !== undefined ? { originStatus } : {}),
        errorInfo,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      };
      eventLog.emit(event);
    };

    choice = selector.select(origins, (name) => health.isHealthy(name));
    if (choice === undefined) {
      errorInfo = 'NoEnabledOrigin';
      req.resume();
      res.on('close', logRequest);
      sendError(res, statuses.connectionFailure, ref);
      return;
    }
    const origin = byName.get(choice.origin) as ResolvedOrigin;
    const https = origin.url.protocol === 'https:';
    const upstream = (https ? httpsRequest : httpRequest)({
      method,
      hostname: requestHostname(origin.url),
      port: origin.url.port === '' ? undefined : Number(origin.url.port),
      path,
      agent: https ? httpsAgent : httpAgent,
      headers: originRequestHeaders(req.rawHeaders, {
        clientHost: req.headers.host,
        socketIp: req.socket.remoteAddress ?? '',
        httpVersion: req.httpVersion,
        clientProtocol: 'http',
        ref,
        frontDoorId,
        hostHeader: origin.hostHeader,
      }),
    });

    const timer = setTimeout(() => upstream.destroy(new OriginTimeoutError(responseTimeoutSeconds)), responseTimeoutSeconds * 1000);

    upstream.on('response', (originRes) => {
      clearTimeout(timer);
      originStatus = originRes.statusCode ?? 502;
      res.writeHead(
        originStatus,
        originRes.statusMessage || undefined,
        clientResponseHeaders(originRes.rawHeaders, {
          ref,
          origin: origin.name,
          originStatus,
          debug: wantsDebugInfo(req.headers['x-azure-debuginfo']),
        }),
      );
      // Send the status line now: an SSE client must not wait for the first chunk to see headers.
      res.flushHeaders();
      originRes.on('error', () => undefined);
      originRes.on('close', () => {
        // The origin cut the response short: the client must see a broken stream, not a clean end.
        if (!originRes.complete) {
          if (errorInfo === 'NoError') errorInfo = 'OriginConnectionAborted';
          res.destroy();
        }
      });
      originRes.pipe(res);
    });

    upstream.on('error', (error) => {
      clearTimeout(timer);
      if (errorInfo === 'ClientDisconnected') return;
      const info = classifyOriginError(error);
      errorInfo = info;
      if (!res.headersSent) {
        // No retry on another origin: AFD documents none [origin-errors.ts].
        sendError(res, statusForError(info, statuses), ref);
      } else {
        res.destroy();
      }
    });

    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) {
        // The client left (or we cut it off): stop the origin request as well.
        if (errorInfo === 'NoError') errorInfo = 'ClientDisconnected';
        upstream.destroy();
      }
      logRequest();
    });

    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  // Node closes an idle keep-alive connection after 5 s by default; k6 reuses a connection idle
  // for exactly that long often enough (a VU pacing at 1 request a second behind a slow answer)
  // that a request lands on a socket being closed and fails with no status, which a failover
  // check then counts as a client error. Azure Front Door keeps idle client connections far
  // longer; 65 s, like the gateway and the fleet, keeps the race out of every short run.
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const prober: HealthProber = startHealthProber({
    targets: origins.map((o) => ({ name: o.name, url: o.url, hostHeader: o.hostHeader })),
    probe,
    health,
    clock,
    log: (event) => {
      if (event.type === 'probe') recordProbe(event);
      eventLog.emit(event);
    },
  });

  let stopping: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    frontDoorId,
    probe,
    origins() {
      return origins.map((o) => {
        const state = health.state(o.name);
        const last = lastProbes.get(o.name);
        return {
          name: o.name,
          url: o.url.origin,
          priority: o.priority,
          weight: o.weight,
          enabled: o.enabled,
          healthy: state.healthy,
          successes: state.successes,
          sampleSize: state.sampleSize,
          probes: state.probes,
          ...(last !== undefined ? { lastProbe: { ...last } } : {}),
          ...(state.changedAt !== undefined ? { changedAt: new Date(state.changedAt).toISOString() } : {}),
        };
      });
    },
    events() {
      return eventLog.events();
    },
    setOriginEnabled(name, enabled) {
      const origin = byName.get(name);
      if (origin === undefined) throw new Error(`unknown origin "${name}"`);
      origin.enabled = enabled;
    },
    stop() {
      stopping ??= (async () => {
        await prober.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        httpAgent.destroy();
        httpsAgent.destroy();
        await eventLog.close();
      })();
      return stopping;
    },
  };
}
