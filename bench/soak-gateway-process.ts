/**
 * The gateway side of the soak benchmark (gateway-soak.bench.ts), in its own process so that
 * its memory is the gateway's alone: the regional gateway emulators and the front door, as
 * `spillway gateway up --fleet <file>` starts them, attached to a fleet running in another
 * process. Started by the benchmark with --expose-gc and an IPC channel; it answers
 *   { type: 'sample' }          with the memory after a forced full collection;
 *   { type: 'snapshot', path }  by writing a heap snapshot there (for finding what grows);
 *   { type: 'stop' }            by closing everything (which flushes the logs) and exiting.
 *
 *   node --expose-gc bench/soak-gateway-process.ts --config <dir> --fleet <file> --logs <dir>
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import type { FleetDescription } from '../mocks/aoai/fleet.ts';
import { loadGatewayConfig } from '../mocks/apim/config/index.ts';
import { startGateway } from '../mocks/apim/gateway/gateway.ts';

export type SoakRequest = { type: 'sample' } | { type: 'snapshot'; path: string } | { type: 'stop' };

export interface SoakMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Where the resident set goes, to tell the V8 heap's reserve from memory outside it. */
export interface SoakMemoryDetail {
  /** Per V8 heap space: bytes committed (size) and live after the collection (used). */
  spaces: Record<string, { size: number; used: number }>;
  /** Memory V8 itself holds through malloc (compiler zones, etc.). */
  mallocedMemory: number;
  /** /proc/self/status: anonymous and file-backed resident memory, in kB (Linux only). */
  rssAnonKb: number | null;
  rssFileKb: number | null;
  /** Handles and requests the event loop holds, by kind (sockets, timers, fs requests). */
  resources: Record<string, number>;
}

export type SoakReply =
  | { type: 'ready'; frontDoor: string; regions: { name: string; url: string }[] }
  | { type: 'sample'; memory: SoakMemory; cpuMicros: number; detail: SoakMemoryDetail }
  | { type: 'snapshot'; path: string }
  | { type: 'stopped' };

const { values } = parseArgs({ options: { config: { type: 'string' }, fleet: { type: 'string' }, logs: { type: 'string' } } });
if (!values.config || !values.fleet || !values.logs) throw new Error('soak-gateway-process: --config, --fleet and --logs are required');
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('soak-gateway-process: run with --expose-gc');
const send = (reply: SoakReply): void => {
  process.send?.(reply);
};

const fleet = JSON.parse(readFileSync(values.fleet, 'utf8').trim()) as FleetDescription;
const gateway = await startGateway({
  config: loadGatewayConfig(values.config),
  fleetEndpoints: new Map(fleet.backends.map((b) => [b.name, b.endpoint])),
  logsDir: values.logs,
  seed: 1,
});
if (!gateway.frontDoor) throw new Error(`soak-gateway-process: ${values.config} has no frontDoor section`);

function memoryDetail(): SoakMemoryDetail {
  const spaces: SoakMemoryDetail['spaces'] = {};
  for (const space of getHeapSpaceStatistics()) spaces[space.space_name] = { size: space.space_size, used: space.space_used_size };
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // not Linux: the two fields stay null
  }
  const kb = (field: string): number | null => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : null;
  };
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  return { spaces, mallocedMemory: getHeapStatistics().malloced_memory, rssAnonKb: kb('RssAnon'), rssFileKb: kb('RssFile'), resources };
}

process.on('message', (message: SoakRequest) => {
  if (message.type === 'sample') {
    collect();
    const usage = process.cpuUsage();
    send({ type: 'sample', memory: process.memoryUsage(), cpuMicros: usage.user + usage.system, detail: memoryDetail() });
  } else if (message.type === 'snapshot') {
    collect();
    send({ type: 'snapshot', path: writeHeapSnapshot(message.path) });
  } else if (message.type === 'stop') {
    void gateway.close().then(() => {
      send({ type: 'stopped' });
      process.disconnect();
    });
  }
});
// The benchmark going away (killed, crashed) must not leave the gateway serving.
process.on('disconnect', () => void gateway.close().then(() => process.exit(0)));
send({ type: 'ready', frontDoor: gateway.frontDoor.url, regions: gateway.instances.map((i) => ({ name: i.region, url: i.url })) });
