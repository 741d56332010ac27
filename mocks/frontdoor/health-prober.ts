/**
 * Probes every origin on a fixed interval and feeds the results to the health state machine.
 *
 * Documented behaviour this follows [DOC AFD-HP, research note §7]:
 * - probes carry `User-Agent: Edge Health Probe`; AFD also marks them `X-FD-HealthProbe: 1`
 *   [DOC front-door-http-headers-protocol];
 * - HEAD by default, GET optional; the path defaults to APIM's `/status-0123456789abcdef`;
 * - each probe uses a new TCP connection (no warm connections), hence `agent: false`;
 * - only a complete 200 response is a success; another status, a timeout, a refused or reset
 *   connection, or a response cut off before its end is a failure.
 *
 * Choices where the docs are silent (see docs/frontdoor.md):
 * - the emulator is one POP, so there is one prober per origin rather than one per edge location;
 * - the first probe of each origin goes out at start, then one every interval, measured from the
 *   start of the previous probe; a probe that overruns the interval (timeout above the interval)
 *   delays the next one instead of overlapping it, and missed ticks are skipped;
 * - a probe timeout, default min(interval, 10 s), covers the whole exchange up to the last byte
 *   (AFD measures probe latency to the last byte);
 * - disabled origins are probed too, so their state is current when they are enabled again.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { systemClock } from '../shared/clock.ts';
import type { Clock } from '../shared/clock.ts';
import { createEventLog } from './event-log.ts';
import type { EventLog } from './event-log.ts';
import type { ProbeMethod, ResolvedProbe } from './front-door-config.ts';
import type { HealthEvent, ProbeEvent, ProberEvent } from './front-door-events.ts';
import type { OriginHealth } from './origin-health.ts';

export const PROBE_USER_AGENT = 'Edge Health Probe';

export interface ProbeTarget {
  name: string;
  url: URL;
  /** Host header for the probe; undefined sends the origin URL's host. */
  hostHeader?: string | undefined;
}

export interface ProbeOutcome {
  success: boolean;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface ProbeRequest {
  method: ProbeMethod;
  path: string;
  timeoutMs: number;
}

/** The host name for node's request options: URL.hostname keeps IPv6 brackets, node wants them off. */
export function requestHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Sends one probe on a fresh connection and reports whether it counts as a success. Never rejects. */
export function probeOrigin(target: ProbeTarget, probe: ProbeRequest, signal?: AbortSignal): Promise<ProbeOutcome> {
  const started = performance.now();
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let req: ClientRequest | undefined;
    const finish = (outcome: Omit<ProbeOutcome, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ ...outcome, durationMs: Math.round((performance.now() - started) * 1000) / 1000 });
    };
    const onAbort = (): void => {
      req?.destroy();
      finish({ success: false, error: 'aborted' });
    };
    if (signal?.aborted) {
      finish({ success: false, error: 'aborted' });
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const options: RequestOptions = {
      method: probe.method,
      hostname: requestHostname(target.url),
      port: target.url.port === '' ? undefined : Number(target.url.port),
      path: probe.path,
      // A new TCP connection per probe [DOC AFD-HP]; agent: false also sends Connection: close.
      agent: false,
      headers: {
        host: target.hostHeader ?? target.url.host,
        'user-agent': PROBE_USER_AGENT,
        'x-fd-healthprobe': '1',
      },
    };
    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    req = send(options, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      res.on('error', (error: NodeJS.ErrnoException) => finish({ success: false, status, error: error.code ?? error.message }));
      res.on('end', () => finish({ success: status === 200, status }));
      // No valid response: the connection ended before the whole response arrived.
      res.on('close', () => {
        if (!res.complete) finish({ success: false, status, error: 'response incomplete' });
      });
      res.resume();
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish({ success: false, error: error.code ?? error.message }));
    timer = setTimeout(() => {
      finish({ success: false, error: 'timeout' });
      req?.destroy();
    }, probe.timeoutMs);
    req.end();
  });
}

export interface HealthProberOptions {
  targets: readonly ProbeTarget[];
  probe: ResolvedProbe;
  health: OriginHealth;
  clock?: Clock;
  /** Receives every probe result and health change, in order. */
  log?: (event: ProberEvent) => void;
  /** Appends the same events to this JSONL file. */
  eventsPath?: string;
}

export interface HealthProber {
  /** Stops probing, aborts probes in flight (their results are not recorded) and closes the JSONL file. */
  stop(): Promise<void>;
}

export function startHealthProber(options: HealthProberOptions): HealthProber {
  const clock = options.clock ?? systemClock;
  const { probe, health } = options;
  const intervalMs = probe.intervalSeconds * 1000;
  const log: EventLog<ProberEvent> = createEventLog<ProberEvent>({
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.eventsPath !== undefined ? { eventsPath: options.eventsPath } : {}),
    retain: 0,
  });
  const timestamp = (ms: number): string => new Date(ms).toISOString();

  // The health event follows the probe event that caused it: record() runs after the emit below.
  const unsubscribe = health.onChange((change) => {
    const event: HealthEvent = {
      type: 'health',
      time: timestamp(change.at),
      origin: change.origin,
      healthy: change.healthy,
      successes: change.successes,
      sampleSize: change.sampleSize,
    };
    log.emit(event);
  });

  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();

  async function probeOnce(target: ProbeTarget): Promise<void> {
    const outcome = await probeOrigin(target, probe, abort.signal);
    if (stopped) return;
    const event: ProbeEvent = {
      type: 'probe',
      time: timestamp(clock.now()),
      origin: target.name,
      method: probe.method,
      path: probe.path,
      success: outcome.success,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      durationMs: outcome.durationMs,
    };
    log.emit(event);
    health.record(target.name, outcome.success);
  }

  function run(target: ProbeTarget, scheduledAt: number): void {
    if (stopped) return;
    const started = performance.now();
    const pending = probeOnce(target);
    inFlight.add(pending);
    void pending.finally(() => {
      inFlight.delete(pending);
      if (stopped) return;
      // Interval measured from the previous start; an overrun skips the missed ticks.
      const next = Math.max(scheduledAt + intervalMs, started, performance.now());
      // At least 0: `next` may be the moment computed just above, already a little past.
      const timer = setTimeout(() => {
        timers.delete(timer);
        run(target, next);
      }, Math.max(0, next - performance.now()));
      timers.add(timer);
    });
  }

  const now = performance.now();
  for (const target of options.targets) run(target, now);

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      abort.abort();
      await Promise.allSettled([...inFlight]);
      unsubscribe();
      await log.close();
    },
  };
}
