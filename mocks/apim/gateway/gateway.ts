import { join } from 'node:path';
import { systemClock, type Clock } from '../../shared/clock.ts';
import { mathRng, seededRng } from '../../shared/rng.ts';
import { startFrontDoor, type FrontDoor } from '../../frontdoor/front-door.ts';
import type { GatewayConfig } from '../config/types.ts';
import { fleetUrlMapper } from './backend-forwarder.ts';
import { compileGateway, type CompiledGateway } from './compiled-gateway.ts';
import { createGatewayLogSink, type GatewayLogSink } from './gateway-log-sink.ts';
import { healthPath, startGatewayInstance, type GatewayInstance } from './gateway-instance.ts';

/**
 * The local stand-in for a multi-region APIM: one gateway instance per configured region,
 * each on its own port, and the Front Door emulator in front of them when the configuration
 * has one. Backend URLs of the form https://<resource>.openai.azure.com map onto the fleet.
 */
export interface GatewayOptions {
  config: GatewayConfig;
  /** Fleet resource name → endpoint (from the fleet's description). */
  fleetEndpoints?: ReadonlyMap<string, string>;
  /** Where the log tables are written; null keeps them in memory only. */
  logsDir: string | null;
  /**
   * Keep the latest rows in memory (logs.recent) and the front door's latest events
   * (frontDoor.events()) even when writing files; by default only without a logs folder. See
   * gateway-log-sink.ts: held beside the files, they cost garbage collection work per request.
   */
  keepRecentLogs?: boolean;
  serviceName?: string;
  seed?: number;
  clock?: Clock;
  host?: string;
  /**
   * Where the front door reaches a region's gateway, given the instance's own URL: the harness
   * puts a Toxiproxy proxy there for network faults (harness/network). Default the instance's URL.
   */
  frontDoorOriginUrl?: (region: string, instanceUrl: string) => Promise<string>;
  /**
   * The gateway to serve, when the caller compiled it (a live one a config source swaps,
   * live-gateway.ts); default compiled from `config`.
   */
  compiled?: CompiledGateway;
  /**
   * Regions whose gateway runs elsewhere (its own process, for process faults:
   * harness/process), by region name to its URL: not started here; the front door reaches them there.
   */
  externalRegions?: ReadonlyMap<string, string>;
}

export interface RunningGateway {
  readonly compiled: CompiledGateway;
  readonly instances: readonly GatewayInstance[];
  readonly frontDoor: FrontDoor | null;
  readonly logs: GatewayLogSink;
  instance(region: string): GatewayInstance;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const compiled = options.compiled ?? compileGateway(options.config);
  const clock = options.clock ?? systemClock;
  const keepRecent = options.keepRecentLogs ?? options.logsDir === null;
  const logs = createGatewayLogSink(options.logsDir, { keepRecent });
  const mapBackendUrl = fleetUrlMapper(options.fleetEndpoints ?? new Map());
  const instances: GatewayInstance[] = [];
  let frontDoor: FrontDoor | null = null;
  try {
    for (const [index, region] of options.config.regions.entries()) {
      if (options.externalRegions?.has(region.name)) continue;
      instances.push(
        await startGatewayInstance({
          gateway: compiled,
          region,
          serviceName: options.serviceName ?? 'spillway-emulator',
          clock,
          rng: options.seed === undefined ? mathRng : seededRng(options.seed + index),
          logs,
          mapBackendUrl,
          capacity: options.config.capacity,
          ...(options.host ? { host: options.host } : {}),
        }),
      );
    }
    const fd = options.config.frontDoor;
    if (fd) {
      const origins = [];
      for (const origin of fd.origins) {
        const external = options.externalRegions?.get(origin.region);
        const instance = external === undefined ? instances.find((i) => i.region === origin.region) : { region: origin.region, url: external };
        if (!instance) throw new Error(`frontDoor origin names region "${origin.region}", which is not a configured region`);
        const url = options.frontDoorOriginUrl ? await options.frontDoorOriginUrl(instance.region, instance.url) : instance.url;
        origins.push({ name: origin.region, url, priority: origin.priority, weight: origin.weight, enabled: origin.enabled });
      }
      frontDoor = await startFrontDoor({
        origins,
        probe: { intervalSeconds: fd.probeIntervalSeconds, sampleSize: fd.sampleSize, successfulSamplesRequired: fd.successfulSamplesRequired, path: fd.probePath || healthPath, method: fd.probeMethod },
        ...(fd.port !== undefined ? { port: fd.port } : {}),
        ...(options.logsDir ? { eventsPath: join(options.logsDir, 'front-door-events.jsonl') } : {}),
        ...(keepRecent ? {} : { retainEvents: 0 }),
        clock,
      });
    }
  } catch (error) {
    await Promise.all(instances.map((instance) => instance.close()));
    await logs.close();
    throw error;
  }
  return {
    compiled,
    instances,
    frontDoor,
    logs,
    instance(region) {
      const found = instances.find((i) => i.region.toLowerCase() === region.toLowerCase());
      if (!found) throw new Error(`no gateway instance in region "${region}"`);
      return found;
    },
    async close() {
      await frontDoor?.stop();
      await Promise.all(instances.map((instance) => instance.close()));
      await logs.close();
    },
  };
}
