/**
 * Gateway overhead benchmark (not a test): real k6 drives non-streaming chat completions at
 * zero modeled latency, side by side in one run, against
 *   direct   one fleet backend, no gateway (the fleet runs in its own process);
 *   emulator the East US gateway instance running the sample configuration (deploy/apim):
 *            region-aware priority routing, the backend pool with its breakers, retry, the
 *            per-subscription token limit, managed identity and token metrics all active;
 *   node     a bare node:http reverse proxy to the same backend (node-proxy.ts), in this
 *            process as the emulator is: the floor any node:http gateway pays on this machine,
 *            so the emulator's own share is emulator − node;
 *   nginx    Debian's nginx as a plain reverse proxy to the same backend (1 worker, keepalive
 *            upstream), the reference for what any proxy costs on this machine.
 * Two measures per target, alternated in rounds:
 *   latency    an open-model phase at a fixed rate well below every target's saturation
 *              (--rate, default 100 req/s), so added latency is the pipeline's own cost and
 *              not queueing;
 *   throughput a closed-loop phase (--vus) that saturates the target.
 * Targets: added latency p50 (emulator − direct, at the fixed rate) at most 1 ms; throughput
 * at least a third of nginx's. The gateway's CPU time per request (this process's, over the
 * emulator phases) is reported beside them: it is steadier than latency on a shared machine.
 *
 * The sample's consumer-class token limits (at most 50,000 TPM) would turn most of a
 * benchmark's requests into 429s, which measures rejections instead of the pipeline. So the
 * benchmark runs a copy of the sample whose tokens-per-minute figures are multiplied by
 * 100,000: the token-limit policy still counts every request, it just never says no.
 *
 * Before the rounds, every target gets an unrecorded closed-loop warm-up (--warmup seconds).
 *
 *   npm run bench:gateway [-- --seconds 8 --vus 32 --rounds 2 --warmup 3]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { FleetDescription } from '../mocks/aoai/fleet.ts';
import { loadGatewayConfig } from '../mocks/apim/config/index.ts';
import { startGateway } from '../mocks/apim/gateway/gateway.ts';
import { driveWithK6, meanOf, type Phase } from './k6-drive.ts';
import { resolveK6 } from './k6-binary.ts';
import { startNodeProxy } from './node-proxy.ts';
import { soakConfigDir, soakTopologyFile } from './soak-config.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, vus: { type: 'string', default: '32' }, rounds: { type: 'string', default: '2' }, rate: { type: 'string', default: '100' }, warmup: { type: 'string', default: '3' } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const vus = Number(values.vus);
const rounds = Number(values.rounds);
const warmupSeconds = Number(values.warmup);
const repo = join(import.meta.dirname, '..');

function findNginx(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  throw new Error('nginx is needed as the reference proxy: apt-get install nginx-light (Debian) and run again');
}

async function startNginx(work: string, upstreamPort: number): Promise<{ url: string; stop: () => void }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const prefix = join(work, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${prefix}/nginx.pid; error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  upstream fleet { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://fleet; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
`,
  );
  const child = spawn(findNginx(), ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const k6 = await resolveK6();
  const work = mkdtempSync(join(tmpdir(), 'spillway-bench-gateway-'));
  // The fleet runs in its own process (`spillway fleet up`), as nginx does: each proxy's
  // process then does only its own work. Its topology has the default's resource names (the
  // sample's backend URLs name them), capacities no benchmark reaches and no modeled latency.
  const topologyFile = soakTopologyFile(work, 0);
  const fleetProcess = spawn(process.execPath, [join(repo, 'bin', 'spillway.js'), 'fleet', 'up', '--json', '--topology', topologyFile, '--ledger', join(work, 'ledger.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fleetLine = await new Promise<string>((resolve) => createInterface({ input: fleetProcess.stdout }).once('line', resolve));
  const endpoints = new Map((JSON.parse(fleetLine) as FleetDescription).backends.map((b) => [b.name, b.endpoint]));
  const gateway = await startGateway({ config: loadGatewayConfig(soakConfigDir(repo, work, null, { liftTokenLimits: true })), fleetEndpoints: endpoints, logsDir: join(work, 'logs'), seed: 1 });
  const direct = endpoints.get('aoai-eastus-ptu1')!;
  const nginx = await startNginx(work, Number(new URL(direct).port));
  const nodeProxy = await startNodeProxy(direct);

  const path = '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21';
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'Say hello to the benchmark, briefly.' }], max_tokens: 40 });
  const headers = { 'content-type': 'application/json', 'x-fleet-completion-tokens': '20' };
  const targets = [
    { target: 'direct', url: `${direct}${path}`, headers: { ...headers, 'api-key': 'bench' } },
    { target: 'emulator', url: `${gateway.instance('East US').url}${path}`, headers: { ...headers, 'api-key': 'local-user-facing-key', 'x-priority': 'medium' } },
    { target: 'node', url: `${nodeProxy.url}${path}`, headers: { ...headers, 'api-key': 'bench' } },
    { target: 'nginx', url: `${nginx.url}${path}`, headers: { ...headers, 'api-key': 'bench' } },
  ];
  const phases: Phase[] = [];
  // The gateway (and the node:http proxy) run in this process and nothing else here works
  // during a phase, so this process's CPU time over a phase, per request, is that proxy's cost:
  // far steadier than latency when other load shares the machine. At the fixed rate it is
  // several times the closed-loop figure: between requests other processes evict the caches.
  const cpuPerRequest: { target: string; us: number }[] = [];
  const drive = async (phase: Parameters<typeof driveWithK6>[0]): Promise<void> => {
    const before = process.cpuUsage();
    const result = await driveWithK6(phase);
    const used = process.cpuUsage(before);
    phases.push(result);
    if ((phase.target.startsWith('emulator') || phase.target.startsWith('node')) && result.requests > 0) cpuPerRequest.push({ target: phase.target, us: (used.user + used.system) / result.requests });
  };
  try {
    // Unrecorded warm-up of every target first: the fleet and the gateway are JavaScript, and
    // without it round 1 measures V8 compiling them (nginx needs none) rather than their cost.
    if (warmupSeconds > 0) {
      for (const t of targets) await driveWithK6({ k6, target: `${t.target}@warmup`, url: t.url, body, headers: t.headers, vus, seconds: warmupSeconds, work });
    }
    for (let round = 0; round < rounds; round++) {
      for (const t of targets) {
        await drive({ k6, target: `${t.target}@rate`, url: t.url, body, headers: t.headers, vus: 16, rate, seconds, work });
        await drive({ k6, target: t.target, url: t.url, body, headers: t.headers, vus, seconds, work });
      }
    }
  } finally {
    nginx.stop();
    await nodeProxy.close();
    await gateway.close();
    fleetProcess.kill('SIGINT');
  }

  const summary = (target: string) => ({ rps: meanOf(phases, target, 'rps'), p50Ms: meanOf(phases, target, 'p50'), p99Ms: meanOf(phases, target, 'p99') });
  const atRate = (target: string) => summary(`${target}@rate`);
  const meanCpu = (target: string): number => {
    const values = cpuPerRequest.filter((c) => c.target === target).map((c) => c.us);
    return values.reduce((sum, v) => sum + v, 0) / Math.max(values.length, 1);
  };
  const result = {
    when: new Date().toISOString(),
    settings: { seconds, vus, rounds, rate, warmupSeconds },
    phases,
    direct: summary('direct'),
    emulator: summary('emulator'),
    node: summary('node'),
    nginx: summary('nginx'),
    latencyAtRate: { direct: atRate('direct'), emulator: atRate('emulator'), node: atRate('node'), nginx: atRate('nginx') },
    emulatorAddedP50Ms: atRate('emulator').p50Ms - atRate('direct').p50Ms,
    nodeProxyAddedP50Ms: atRate('node').p50Ms - atRate('direct').p50Ms,
    nginxAddedP50Ms: atRate('nginx').p50Ms - atRate('direct').p50Ms,
    emulatorAddedP99Ms: atRate('emulator').p99Ms - atRate('direct').p99Ms,
    throughputVsNginx: summary('emulator').rps / summary('nginx').rps,
    emulatorCpuUsPerRequest: { atRate: meanCpu('emulator@rate'), closedLoop: meanCpu('emulator') },
    nodeProxyCpuUsPerRequest: { atRate: meanCpu('node@rate'), closedLoop: meanCpu('node') },
    targets: { addedP50Ms: 1, throughputVsNginx: 1 / 3 },
  };
  mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'out', 'gateway-overhead.json'), `${JSON.stringify(result, null, 2)}\n`);
  const line = (name: string, v: { rps: number; p50Ms: number; p99Ms: number }): string => `  ${name.padEnd(34)} ${v.rps.toFixed(0).padStart(6)} req/s   p50 ${v.p50Ms.toFixed(2).padStart(7)} ms   p99 ${v.p99Ms.toFixed(2).padStart(7)} ms`;
  process.stdout.write(`gateway overhead, ${rounds} rounds of ${seconds}s each with ${vus} VUs (real k6, loopback, zero modeled latency)\n`);
  process.stdout.write(`latency at ${rate} req/s (open model):\n`);
  process.stdout.write(`${line('fleet direct', result.latencyAtRate.direct)}\n${line('emulator (sample policies)', result.latencyAtRate.emulator)}\n${line('bare node:http proxy', result.latencyAtRate.node)}\n${line('nginx reverse proxy', result.latencyAtRate.nginx)}\n`);
  process.stdout.write(`throughput with ${vus} VUs (closed loop):\n`);
  process.stdout.write(`${line('fleet direct', result.direct)}\n${line('emulator (sample policies)', result.emulator)}\n${line('bare node:http proxy', result.node)}\n${line('nginx reverse proxy', result.nginx)}\n`);
  process.stdout.write(`  emulator added p50 ${result.emulatorAddedP50Ms.toFixed(2)} ms, p99 ${result.emulatorAddedP99Ms.toFixed(2)} ms at ${rate} req/s (target p50 <= 1 ms) ${result.emulatorAddedP50Ms <= 1 ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`  references added p50: bare node:http proxy ${result.nodeProxyAddedP50Ms.toFixed(2)} ms (the emulator's own share: ${(result.emulatorAddedP50Ms - result.nodeProxyAddedP50Ms).toFixed(2)} ms), nginx ${result.nginxAddedP50Ms.toFixed(2)} ms\n`);
  process.stdout.write(`  CPU per request at ${rate} req/s / closed loop: emulator ${result.emulatorCpuUsPerRequest.atRate.toFixed(0)} / ${result.emulatorCpuUsPerRequest.closedLoop.toFixed(0)} us, bare node:http proxy ${result.nodeProxyCpuUsPerRequest.atRate.toFixed(0)} / ${result.nodeProxyCpuUsPerRequest.closedLoop.toFixed(0)} us\n`);
  process.stdout.write(`  emulator throughput / nginx ${result.throughputVsNginx.toFixed(2)} (target >= 0.33) ${result.throughputVsNginx >= 1 / 3 ? 'met' : 'NOT met'}\n`);
  const failures = phases.reduce((sum, p) => sum + p.failed, 0);
  if (failures > 0) process.stdout.write(`  warning: ${failures} requests did not answer 200\n`);
  process.stdout.write('  written to bench/out/gateway-overhead.json\n');
}

await main();
