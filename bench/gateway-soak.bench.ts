/**
 * Gateway soak benchmark (not a test): does the gateway emulator's memory stay flat, and how
 * much log does it write per request, when it is overloaded for a long time?
 *
 * What runs, all on loopback:
 *   fleet    `spillway fleet up` in its own process: the default topology's resources, with
 *            capacities nothing here reaches (the gateway is the bottleneck), --latency-scale;
 *   gateway  the two regional gateway emulators and the front door, as `spillway gateway up
 *            --fleet` starts them, in their own process (soak-gateway-process.ts, with
 *            --expose-gc), running a copy of the sample configuration whose token limits never
 *            say no (soak-config.ts) and with the capacity model on: each regional gateway
 *            serves --capacity requests per second (the sample has 1 unit per region), queues
 *            at most --queue more (at most --queue-timeout seconds), and drops the connection
 *            of anything beyond, as an overloaded APIM does;
 *   k6       an open model (constant arrival rate) at --overload (10) × --capacity requests per
 *            second through the front door, which sends everything to East US (priority 1),
 *            for --seconds. Open, not closed-loop: an overloaded gateway answers late or drops,
 *            and closed-loop clients would then slow down until the load fits.
 * With --closed-loop N instead: no capacity model, N closed-loop VUs (the gateway then runs at
 * whatever this machine's CPU allows, which is how the growth was first seen).
 *
 * With --as-shipped as well: the sample's own token limits (most requests then end in the
 * gateway's 429) and the default fleet topology, i.e. `spillway gateway up` exactly.
 *
 * Every --sample seconds the gateway process forces a full collection and reports its resident
 * set and live heap. Target: flat after warm-up, i.e. over the last --window seconds of the load
 * (default 300, or half the run when shorter) the resident set and the heap after collection
 * each stay within 10% (max/min − 1 ≤ 0.10); the least-squares trend of each is printed beside
 * it. Log volume: rows, bytes per row and bytes per request sent, per table (the front door's
 * events file split by event type).
 *
 * --snapshots writes a heap snapshot when the judged window starts and at the end (into the
 * work folder; --keep keeps it): for finding what grows. Writing one costs the process hundreds
 * of megabytes of resident memory it does not give back, so its RSS figures are not comparable.
 *
 *   npm run bench:gateway-soak [-- --seconds 600 --capacity 50 --overload 10 --vus 400
 *     --queue 50 --queue-timeout 2 --latency-scale 0.1 --sample 10 --window 300
 *     --closed-loop 0 --as-shipped --snapshots --keep]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { resolveK6 } from './k6-binary.ts';
import { logVolume } from './log-volume.ts';
import { soakConfigDir, soakTopologyFile } from './soak-config.ts';
import type { SoakReply, SoakRequest } from './soak-gateway-process.ts';
import { runSoakLoad, type SoakLoadResult } from './soak-k6.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    capacity: { type: 'string', default: '50' },
    overload: { type: 'string', default: '10' },
    vus: { type: 'string', default: '400' },
    queue: { type: 'string', default: '50' },
    'queue-timeout': { type: 'string', default: '2' },
    'latency-scale': { type: 'string', default: '0.1' },
    sample: { type: 'string', default: '10' },
    window: { type: 'string' },
    'closed-loop': { type: 'string', default: '0' },
    'as-shipped': { type: 'boolean', default: false },
    snapshots: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

function positive(flag: string, raw: string | undefined, options: { integer?: boolean; zero?: boolean } = {}): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !options.zero) || (options.integer && !Number.isInteger(value))) {
    throw new Error(`--${flag} must be a ${options.integer ? 'whole' : ''} number ${options.zero ? '>= 0' : '> 0'}, got "${raw}"`);
  }
  return value;
}

const seconds = positive('seconds', values.seconds);
const capacity = positive('capacity', values.capacity);
const overload = positive('overload', values.overload);
const vus = positive('vus', values.vus, { integer: true });
const queue = positive('queue', values.queue, { integer: true, zero: true });
const queueTimeout = positive('queue-timeout', values['queue-timeout']);
const latencyScale = positive('latency-scale', values['latency-scale'], { zero: true });
const sampleSeconds = positive('sample', values.sample);
const windowSeconds = values.window === undefined ? Math.min(300, seconds / 2) : positive('window', values.window);
const closedLoop = positive('closed-loop', values['closed-loop'], { integer: true, zero: true });
if (windowSeconds > seconds) throw new Error(`--window (${windowSeconds}) must not exceed --seconds (${seconds})`);
const repo = join(import.meta.dirname, '..');

interface Sample {
  atSeconds: number;
  /** False for the sample taken after k6 stopped (nothing in flight then): not judged. */
  underLoad: boolean;
  rssMb: number;
  /** Resident anonymous memory: the heap, malloc, buffers (rss less the mapped code files). */
  rssAnonMb: number | null;
  /** Live heap after a forced full collection, and what V8 has committed for the heap. */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  cpuSeconds: number;
  sockets: number;
}

/** Least-squares slope of `pick` over the samples, per minute. */
function slopePerMinute(samples: readonly Sample[], pick: (s: Sample) => number): number {
  if (samples.length < 2) return Number.NaN;
  const xs = samples.map((s) => s.atSeconds / 60);
  const ys = samples.map(pick);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/** The gateway process and a way to ask it things over IPC, one request at a time. */
class GatewayProcess {
  readonly #child: ChildProcess;
  readonly #replies: ((reply: SoakReply) => void)[] = [];

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (reply: SoakReply) => this.#replies.shift()?.(reply));
  }

  ask<T extends SoakReply['type']>(request: SoakRequest | null, expect: T): Promise<Extract<SoakReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`the gateway process exited (${code}) while the benchmark waited for "${expect}"`));
      this.#child.once('exit', onExit);
      // A gateway that stops answering must not keep the benchmark (and the load) running.
      const timeout = setTimeout(() => reject(new Error(`the gateway process did not answer "${expect}" within 120 s`)), 120_000);
      this.#replies.push((reply) => {
        clearTimeout(timeout);
        this.#child.off('exit', onExit);
        if (reply.type === expect) resolve(reply as Extract<SoakReply, { type: T }>);
        else reject(new Error(`the gateway process answered "${reply.type}", expected "${expect}"`));
      });
      if (request) this.#child.send(request);
    });
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
  }
}

async function startFleetProcess(work: string): Promise<{ process: ChildProcess; descriptionFile: string }> {
  const topology = values['as-shipped'] ? ['--latency-scale', String(latencyScale)] : ['--topology', soakTopologyFile(work, latencyScale)];
  const child = spawn(process.execPath, [join(repo, 'bin', 'spillway.js'), 'fleet', 'up', '--json', ...topology, '--ledger', join(work, 'fleet-ledger.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`spillway fleet up exited (${code}) before describing the fleet`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const descriptionFile = join(work, 'fleet.json');
  writeFileSync(descriptionFile, `${line}\n`);
  return { process: child, descriptionFile };
}

async function main(): Promise<void> {
  const k6 = await resolveK6();
  const work = mkdtempSync(join(tmpdir(), 'spillway-bench-soak-'));
  const logsDir = join(work, 'gateway-logs');
  const capacityModel = closedLoop > 0 ? null : { requestsPerSecondPerUnit: capacity, queueLength: queue, queueTimeoutSeconds: queueTimeout };
  const configDir = values['as-shipped'] && !capacityModel ? join(repo, 'deploy', 'apim') : soakConfigDir(repo, work, capacityModel, { liftTokenLimits: !values['as-shipped'] });
  const fleet = await startFleetProcess(work);
  let gateway: GatewayProcess | null = null;
  const samples: Sample[] = [];
  let timer: NodeJS.Timeout | undefined;
  let load: SoakLoadResult | undefined;
  let started = 0;
  try {
    const child = spawn(process.execPath, ['--expose-gc', join(import.meta.dirname, 'soak-gateway-process.ts'), '--config', configDir, '--fleet', fleet.descriptionFile, '--logs', logsDir], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    gateway = new GatewayProcess(child);
    const ready = await gateway.ask(null, 'ready');
    const g = gateway;
    let underLoad = true;
    const sample = async (): Promise<void> => {
      const { memory, cpuMicros, detail } = await g.ask({ type: 'sample' }, 'sample');
      const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
      const s: Sample = {
        atSeconds: Math.round((performance.now() - started) / 1000),
        underLoad,
        rssMb: mb(memory.rss),
        rssAnonMb: detail.rssAnonKb === null ? null : mb(detail.rssAnonKb * 1024),
        heapUsedMb: mb(memory.heapUsed),
        heapTotalMb: mb(memory.heapTotal),
        externalMb: mb(memory.external),
        cpuSeconds: Math.round(cpuMicros / 1e5) / 10,
        sockets: detail.resources.TCPSocketWrap ?? 0,
      };
      samples.push(s);
      const spaces = Object.entries(detail.spaces)
        .filter(([, space]) => space.size > 1024 * 1024)
        .map(([name, space]) => `${name.replace(/_space$/, '')} ${mb(space.used).toFixed(0)}/${mb(space.size).toFixed(0)}`)
        .join(', ');
      const resources = Object.entries(detail.resources).map(([kind, n]) => `${kind} ${n}`).join(', ');
      process.stderr.write(
        `  ${String(s.atSeconds).padStart(4)}s  rss ${s.rssMb.toFixed(1)} MB (anon ${((detail.rssAnonKb ?? 0) / 1024).toFixed(1)})  heap ${s.heapUsedMb.toFixed(1)} of ${mb(memory.heapTotal).toFixed(1)} MB [${spaces}]  V8 malloc ${mb(detail.mallocedMemory).toFixed(1)}  external ${s.externalMb.toFixed(1)} MB  cpu ${s.cpuSeconds.toFixed(1)} s  [${resources}]\n`,
      );
    };
    const snapshot = async (name: string): Promise<void> => {
      if (!values.snapshots) return;
      const { path } = await g.ask({ type: 'snapshot', path: join(work, `${name}.heapsnapshot`) }, 'snapshot');
      process.stderr.write(`  heap snapshot: ${path}\n`);
    };
    started = performance.now();
    await sample();
    // Samples are asked for one after another: a slow answer (the gateway busy) delays the
    // next rather than piling requests up.
    let sampling = Promise.resolve();
    timer = setInterval(() => {
      sampling = sampling.then(sample);
    }, sampleSeconds * 1000);
    const snapshotTimer = setTimeout(() => {
      sampling = sampling.then(() => snapshot('after-warmup'));
    }, (seconds - windowSeconds) * 1000);
    const path = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
    load = await runSoakLoad({
      k6,
      url: `${ready.frontDoor}${path}`,
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Say hello to the soak benchmark, briefly.' }], max_tokens: 40 }),
      headers: { 'content-type': 'application/json', 'api-key': 'local-user-facing-key', 'x-priority': 'medium', 'x-fleet-completion-tokens': '20' },
      seconds,
      work,
      vus: closedLoop > 0 ? closedLoop : vus,
      ...(closedLoop > 0 ? {} : { rate: capacity * overload }),
    });
    clearInterval(timer);
    clearTimeout(snapshotTimer);
    await sampling;
    underLoad = false;
    await sample();
    await snapshot('at-end');
    await gateway.ask({ type: 'stop' }, 'stopped');
  } finally {
    clearInterval(timer);
    gateway?.kill();
    fleet.process.kill('SIGINT');
  }

  if (!load) throw new Error('the load did not run');
  const tables = await logVolume(logsDir);
  const gatewayRows = tables.find((t) => t.table === 'ApiManagementGatewayLogs')?.rows ?? 0;
  const judged = samples.filter((s) => s.underLoad && s.atSeconds >= seconds - windowSeconds);
  const spread = (pick: (s: Sample) => number): number => {
    const v = judged.map(pick);
    return v.length === 0 ? Number.NaN : Math.max(...v) / Math.min(...v) - 1;
  };
  const rssSpread = spread((s) => s.rssMb);
  const heapSpread = spread((s) => s.heapUsedMb);
  // Spread alone cannot tell growth from a drop (V8 flushing start-up code, say): say which.
  const change = (pick: (s: Sample) => number): number => (judged.length < 2 ? Number.NaN : pick(judged.at(-1)!) / pick(judged[0]!) - 1);
  const rssChange = change((s) => s.rssMb);
  const heapChange = change((s) => s.heapUsedMb);
  const rssSlope = slopePerMinute(judged, (s) => s.rssMb);
  const heapSlope = slopePerMinute(judged, (s) => s.heapUsedMb);
  const perRequest = (bytes: number): number => Math.round((bytes / Math.max(load.requests, 1)) * 10) / 10;
  const result = {
    when: new Date().toISOString(),
    k6,
    settings: { seconds, capacityPerUnit: capacity, overload, vus, queue, queueTimeout, latencyScale, sampleSeconds, windowSeconds, closedLoop },
    load: { ...load, offeredRps: closedLoop > 0 ? null : capacity * overload },
    // Rows the East US and West US gateways wrote: requests they served (the rest were dropped
    // at their capacity queue, or never left k6).
    servedRps: Math.round((gatewayRows / seconds) * 10) / 10,
    samples,
    flatness: { windowSeconds, samples: judged.length, rssSpread, heapSpread, rssChange, heapChange, rssSlopeMbPerMinute: rssSlope, heapSlopeMbPerMinute: heapSlope, target: 0.1 },
    logs: tables.map((t) => ({ ...t, bytesPerRequest: perRequest(t.bytes), bytesPerRow: t.rows > 0 ? Math.round(t.bytes / t.rows) : 0 })),
    logBytesPerRequest: perRequest(tables.reduce((sum, t) => sum + t.bytes, 0)),
    work: values.keep ? work : null,
  };
  const outDir = join(import.meta.dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gateway-soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (!values.keep) rmSync(work, { recursive: true, force: true });

  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(
    closedLoop > 0
      ? `gateway soak: ${closedLoop} closed-loop VUs through the front door for ${seconds}s, no capacity model (real k6, loopback, fleet latency x${latencyScale})`
      : `gateway soak: ${capacity * overload} req/s offered through the front door for ${seconds}s, ${overload}x the gateway's capacity of ${capacity} req/s (queue ${queue}, ${queueTimeout}s) (real k6, loopback, fleet latency x${latencyScale})`,
  );
  out(
    `  k6: ${load.requests} requests (${load.rps.toFixed(0)}/s), ${load.ok} answered 200, ${load.dropped} arrivals k6 could not start (every VU busy); p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms`,
  );
  out(`  the gateways served ${result.servedRps} req/s (rows in ApiManagementGatewayLogs per second)`);
  out('    at     rss MB  anon MB   heap MB  (of) external MB   cpu s  sockets');
  for (const s of samples) {
    out(
      `  ${String(s.atSeconds).padStart(4)}s ${s.rssMb.toFixed(1).padStart(9)} ${(s.rssAnonMb ?? Number.NaN).toFixed(1).padStart(8)} ${s.heapUsedMb.toFixed(1).padStart(9)} ${s.heapTotalMb.toFixed(0).padStart(5)} ${s.externalMb.toFixed(1).padStart(11)} ${s.cpuSeconds.toFixed(1).padStart(7)} ${String(s.sockets).padStart(8)}${s.underLoad ? '' : '  (after the load)'}`,
    );
  }
  const verdict = (v: number): string => (v <= 0.1 ? 'met' : 'NOT met');
  out(
    `  last ${windowSeconds}s under load (${judged.length} samples): rss spread ${(rssSpread * 100).toFixed(1)}% ${verdict(rssSpread)}, heap-after-GC spread ${(heapSpread * 100).toFixed(1)}% ${verdict(heapSpread)} (target <= 10%); first to last sample: rss ${(rssChange * 100).toFixed(1)}%, heap ${(heapChange * 100).toFixed(1)}%; trend rss ${rssSlope.toFixed(2)} MB/min, heap ${heapSlope.toFixed(2)} MB/min`,
  );
  out('  log volume  table                                rows        bytes  bytes/row  bytes/request sent');
  for (const t of result.logs) out(`              ${t.table.padEnd(32)} ${String(t.rows).padStart(9)} ${String(t.bytes).padStart(12)} ${String(t.bytesPerRow).padStart(10)} ${t.bytesPerRequest.toFixed(1).padStart(19)}`);
  out(`  all logs: ${result.logBytesPerRequest} bytes per request sent`);
  out('  written to bench/out/gateway-soak.json');
}

await main();
