/**
 * Run benchmark (not a test):
 *  1. `spillway run smoke` on the embedded default, its wall time split into set-up, load and
 *     analysis (from the journal's phases). Target: under 120 s in all.
 *  2. The harness's own CPU while real k6 drives 1,000 requests per second: a run against a
 *     remote target (a bare node:http server in a separate process answering a canned chat
 *     completion), so the harness process does only orchestration (k6 child, timers, output),
 *     measured with process.cpuUsage() over the load phase. Target: under 5% of one core.
 *
 *   npm run bench:run [-- --rate 1000 --seconds 20]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from '../harness/run/run-scenario.ts';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '20' }, 'skip-smoke': { type: 'boolean', default: false } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const repo = join(import.meta.dirname, '..');

async function smokeWallTime(work: string): Promise<{ totalMs: number; phases: Record<string, number>; exitCode: number }> {
  const started = Date.now();
  const result = await runScenario({ scenario: 'smoke', units: 1, resultsDir: join(work, 'results'), seed: 1 });
  return { totalMs: Date.now() - started, phases: result.journal.phases, exitCode: result.journal.exitCode };
}

/** A canned-answer server in its own process, so its CPU is not the harness's. */
async function startTarget(): Promise<{ url: string; stop: () => void }> {
  const answer = JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 } });
  const code = `
    const http = require('node:http');
    const body = ${JSON.stringify(answer)};
    const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'x-fleet-backend': 'bench-ptu', 'x-fleet-region': 'East US' }).end(body)); });
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function orchestrationCpu(work: string): Promise<{ cpuPercentOfOneCore: number; loadMs: number; requests: number }> {
  const target = await startTarget();
  // A bench-only configuration: one consumer class at `rate` requests per second, no timeline.
  const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };
  const config = {
    consumers: base.consumers,
    scenarios: { throughput: { description: 'orchestration overhead', script: 'spillover', durationSeconds: seconds, entry: 'primary-region', traffic: [{ consumer: 'user-facing', ratePerUnit: rate, promptWords: { kind: 'fixed', value: 5 }, maxTokens: { kind: 'fixed', value: 5 } }] } },
  };
  const configFile = join(work, 'k6.bench.json');
  writeFileSync(configFile, JSON.stringify(config));
  process.env.SPILLWAY_KEY_USER_FACING ??= 'bench-key';
  let cpuAtStart = process.cpuUsage();
  let wallAtStart = 0;
  let cpuMicros = 0;
  let loadMs = 0;
  try {
    const result = await runScenario({
      scenario: 'throughput',
      units: 1,
      k6ConfigFile: configFile,
      resultsDir: join(work, 'results'),
      gatewayUrl: target.url,
      onLoadPhase: (edge) => {
        if (edge === 'start') {
          cpuAtStart = process.cpuUsage();
          wallAtStart = Date.now();
        } else {
          const used = process.cpuUsage(cpuAtStart);
          cpuMicros = used.user + used.system;
          loadMs = Date.now() - wallAtStart;
        }
      },
    });
    const summary = JSON.parse(readFileSync(join(result.runDir, 'k6-summary-export.json'), 'utf8')) as { metrics: { http_reqs?: { count: number } } };
    return { cpuPercentOfOneCore: (cpuMicros / 1000 / loadMs) * 100, loadMs, requests: summary.metrics.http_reqs?.count ?? 0 };
  } finally {
    target.stop();
  }
}

const work = mkdtempSync(join(tmpdir(), 'spillway-bench-run-'));
const smoke = values['skip-smoke'] ? null : await smokeWallTime(work);
const cpu = await orchestrationCpu(work);
const result = { when: new Date().toISOString(), smoke, orchestration: { rate, seconds, ...cpu }, targets: { smokeSeconds: 120, cpuPercentOfOneCore: 5 } };
mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'out', 'run-orchestration.json'), `${JSON.stringify(result, null, 2)}\n`);
if (smoke) {
  const p = smoke.phases;
  process.stdout.write(`spillway run smoke: ${(smoke.totalMs / 1000).toFixed(1)} s (target < 120 s) ${smoke.totalMs < 120_000 ? 'met' : 'NOT met'}; set-up ${((p.setup ?? 0) / 1000).toFixed(1)} s, load ${((p.load ?? 0) / 1000).toFixed(1)} s, analysis ${((p.analysis ?? 0) / 1000).toFixed(1)} s; exit code ${smoke.exitCode}\n`);
}
process.stdout.write(`harness CPU while k6 drives ${rate} req/s for ${seconds} s: ${cpu.cpuPercentOfOneCore.toFixed(2)}% of one core (target < 5%) ${cpu.cpuPercentOfOneCore < 5 ? 'met' : 'NOT met'}; ${cpu.requests} requests (${(cpu.requests / (cpu.loadMs / 1000)).toFixed(0)}/s achieved)\n`);
process.stdout.write('written to bench/out/run-orchestration.json\n');
