/**
 * One regional gateway of the emulator as its own process, so a `process` step can kill, pause
 * or restart it for real (harness/process/gateway-process.ts starts it). Its one argument is a
 * JSON GatewayProcessArgs. It serves the region's gateway on the given port from the
 * configuration in `configDir`, polls `configSource` when given (config-source.ts), writes its
 * log tables row by row into `logsDir` (durable-log-sink.ts), and prints one line,
 * `{"ready":true,"url":...,"pid":...}`, once it listens. SIGTERM and SIGINT close it cleanly.
 */
import { loadGatewayConfig } from '../../mocks/apim/config/index.ts';
import { fleetUrlMapper } from '../../mocks/apim/gateway/backend-forwarder.ts';
import { compileGateway } from '../../mocks/apim/gateway/compiled-gateway.ts';
import { startConfigSource, versionOfFolder } from '../../mocks/apim/gateway/config-source.ts';
import { startGatewayInstance } from '../../mocks/apim/gateway/gateway-instance.ts';
import { liveGateway } from '../../mocks/apim/gateway/live-gateway.ts';
import { systemClock } from '../../mocks/shared/clock.ts';
import { mathRng, seededRng } from '../../mocks/shared/rng.ts';
import { createDurableLogSink } from './durable-log-sink.ts';

export interface GatewayProcessArgs {
  configDir: string;
  region: string;
  port: number;
  host?: string;
  /** Fleet resource name → endpoint. */
  fleetEndpoints: [string, string][];
  logsDir: string;
  seed?: number;
  /** A folder in the APIOps layout polled for new configurations, and how often. */
  configSource?: { dir: string; pollSeconds: number };
}

const args = JSON.parse(process.argv[2] ?? '{}') as GatewayProcessArgs;
const config = loadGatewayConfig(args.configDir);
const region = config.regions.find((r) => r.name.toLowerCase() === args.region.toLowerCase());
if (!region) throw new Error(`no region "${args.region}" in ${args.configDir}`);
const live = liveGateway(compileGateway(config));
const logs = createDurableLogSink(args.logsDir);
const index = config.regions.indexOf(region);
const instance = await startGatewayInstance({
  gateway: live.gateway,
  region: { ...region, port: args.port },
  serviceName: 'spillway-emulator',
  clock: systemClock,
  rng: args.seed === undefined ? mathRng : seededRng(args.seed + index),
  logs,
  mapBackendUrl: fleetUrlMapper(new Map(args.fleetEndpoints)),
  capacity: config.capacity,
  ...(args.host ? { host: args.host } : {}),
});
// A test-only BREAKAGE (harness/drill/playbook-drills.e2e.test.ts sets it for one drill run): this gateway
// drops its configuration when its source is unreachable, as a real self-hosted gateway must not.
const dropsConfiguration = process.env.SPILLWAY_BREAKAGE === 'gateway-drops-configuration-on-disconnect';
if (dropsConfiguration) process.stderr.write('BREAKAGE: SPILLWAY_BREAKAGE=gateway-drops-configuration-on-disconnect: this gateway drops its configuration when its source is unreachable\n');
const source = args.configSource
  ? startConfigSource({
      dir: args.configSource.dir,
      pollSeconds: args.configSource.pollSeconds,
      initial: { compiled: live.current(), version: versionOfFolder(args.configDir) },
      apply: (next) => live.swap(next),
      logsDir: args.logsDir,
      ...(dropsConfiguration ? { whenUnreachable: 'drop-configuration' as const } : {}),
    })
  : null;
// The first poll at once: a restarted process serves the source's newest good version, not its seed's.
await source?.poll();
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  source?.stop();
  await instance.close();
  await logs.close();
  process.exit(0);
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());
process.stdout.write(`${JSON.stringify({ ready: true, url: instance.url, pid: process.pid, configVersion: source?.servingVersion ?? null })}\n`);
