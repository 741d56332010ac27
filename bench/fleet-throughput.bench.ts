/**
 * Fleet throughput benchmark (not a test): real k6 drives non-streaming chat completions at
 * zero modeled latency against
 *   A) one resource of the mock fleet (msw handlers over node:http, tokenizer, limiter, ledger)
 *   B) a bare node:http server answering the same bytes,
 *   C) msw alone: the fleet's node:http adapter and msw's getResponse with one handler that
 *      answers those bytes, prepared as the fleet prepares them, and does nothing else,
 * alternating A, B, C in the same run so that machine noise hits them alike. It reports
 * requests per second and p99 for each and the ratio A/B (target: at least 0.5), and the
 * cost of one PTU admission decision (target: under 20 µs). C is not part of the target: it
 * splits the gap between A and B into what serving through msw costs (C against B) and what
 * the fleet's own work costs (A against C).
 *
 * Before the rounds, both get an unrecorded warm-up (--warmup seconds).
 *
 *   npm run bench:fleet [-- --seconds 8 --vus 32 --rounds 2 --warmup 3 --unique-bodies]
 *
 * --unique-bodies makes every request's prompt different (k6 writes its VU and iteration into
 * it), so the fleet cannot recognise a body it has seen: the worst case for its body memo.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RequestHandler } from 'msw';
import { PtuLimiter } from '../mocks/aoai/ptu-limiter.ts';
import { ManualClock } from '../mocks/shared/clock.ts';
import { bufferedResponse, startMswNodeServer } from '../mocks/shared/msw-node-server.ts';
import { UrlMemoHttpHandler } from '../mocks/shared/url-memo-http-handler.ts';
import { startBenchFleet } from './bench-fleet.ts';
import { resolveK6 } from './k6-binary.ts';
import { driveWithK6, meanOf, type Phase } from './k6-drive.ts';
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    vus: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '3' },
    'unique-bodies': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const vus = Number(values.vus);
const rounds = Number(values.rounds);
const warmupSeconds = Number(values.warmup);
const uniqueBodies = values['unique-bodies'];

// With --unique-bodies, k6 writes its VU and iteration numbers into the prompt, so that the
// fleet parses, validates and tokenizes every body afresh instead of recognising a repeat.
const promptText = uniqueBodies ? 'Say hello to the benchmark, briefly. This is request {{unique}}.' : 'Say hello to the benchmark, briefly.';
const requestBody = JSON.stringify({ messages: [{ role: 'user', content: promptText }], max_tokens: 40 });
const sampleRequestBody = requestBody.replace('{{unique}}', '0.0');
const requestHeaders = { 'content-type': 'application/json', 'api-key': 'bench', 'x-fleet-completion-tokens': '20' };

function admissionCostNs(): { nsPerDecision: number; decisions: number } {
  const clock = new ManualClock();
  const limiter = new PtuLimiter({ capacityTpm: 600_000, bucketSeconds: 10 }, clock);
  const decisions = 2_000_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    clock.advance(1);
    const decision = limiter.tryAdmit(300);
    if (decision.admitted) limiter.settle(decision.ticket, 280);
  }
  return { nsPerDecision: Number(process.hrtime.bigint() - started) / decisions, decisions };
}

async function main(): Promise<void> {
  const k6 = await resolveK6();
  const work = mkdtempSync(join(tmpdir(), 'spillway-bench-'));
  const { fleet, chatUrl: fleetUrl } = await startBenchFleet(work);
  // The reference answers with the very bytes and headers the fleet sends, and writes them as
  // the fleet does: the head and a text body in one write (see PreparedAnswer.body).
  const sample = await fetch(fleetUrl, { method: 'POST', body: sampleRequestBody, headers: requestHeaders });
  const sampleBody = await sample.text();
  const sampleHeaders: Record<string, string> = {};
  sample.headers.forEach((value, name) => {
    if (name !== 'date' && name !== 'connection' && name !== 'keep-alive') sampleHeaders[name] = value;
  });
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, sampleHeaders).end(sampleBody));
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`;

  // bufferedResponse sets content-length itself.
  const { 'content-length': _length, ...mswHeaders } = sampleHeaders;
  // The adapter asks for the handlers on every request: built once per origin, as the fleet does.
  let mswHandlers: { base: string; list: RequestHandler[] } | undefined;
  const mswOnly = await startMswNodeServer({
    handlers: (base) => {
      // The fleet's own kind of handler (an msw HttpHandler that remembers URL matches).
      if (mswHandlers?.base !== base) mswHandlers = { base, list: [new UrlMemoHttpHandler('POST', `${base}/openai/deployments/:deployment/chat/completions`, () => bufferedResponse(sampleBody, { status: 200, headers: mswHeaders }))] };
      return mswHandlers.list;
    },
  });
  const mswUrl = `${mswOnly.origin}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`;
  const targets = [
    ['fleet', fleetUrl],
    ['bare', bareUrl],
    ['msw', mswUrl],
  ] as const;

  const phases: Phase[] = [];
  try {
    // Unrecorded warm-up of each first, as the gateway benchmark does: the fleet is JavaScript
    // that V8 compiles under load during its first seconds, which the bare server hardly needs.
    if (warmupSeconds > 0) {
      for (const [target, url] of targets) {
        await driveWithK6({ k6, target: `${target}@warmup`, url, body: requestBody, headers: requestHeaders, vus, seconds: warmupSeconds, work, uniqueBodies });
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const [target, url] of targets) phases.push(await driveWithK6({ k6, target, url, body: requestBody, headers: requestHeaders, vus, seconds, work, uniqueBodies }));
    }
  } finally {
    await fleet.close();
    await mswOnly.close();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
  }

  const mean = (target: string, key: 'rps' | 'p50' | 'p99'): number => meanOf(phases, target, key);
  const admission = admissionCostNs();
  const result = {
    when: new Date().toISOString(),
    k6,
    settings: { seconds, vus, rounds, warmupSeconds, completionTokens: 20, uniqueBodies },
    phases,
    fleet: { rps: mean('fleet', 'rps'), p50Ms: mean('fleet', 'p50'), p99Ms: mean('fleet', 'p99') },
    bare: { rps: mean('bare', 'rps'), p50Ms: mean('bare', 'p50'), p99Ms: mean('bare', 'p99') },
    mswOnly: { rps: mean('msw', 'rps'), p50Ms: mean('msw', 'p50'), p99Ms: mean('msw', 'p99') },
    throughputRatio: mean('fleet', 'rps') / mean('bare', 'rps'),
    mswOnlyToBare: mean('msw', 'rps') / mean('bare', 'rps'),
    fleetToMswOnly: mean('fleet', 'rps') / mean('msw', 'rps'),
    ptuAdmission: admission,
    targets: { throughputRatio: 0.5, ptuAdmissionMicroseconds: 20 },
  };
  const outDir = join(import.meta.dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, uniqueBodies ? 'fleet-throughput-unique-bodies.json' : 'fleet-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);

  const line = (name: string, v: { rps: number; p50Ms: number; p99Ms: number }): string => `  ${name.padEnd(26)} ${v.rps.toFixed(0).padStart(7)} req/s   p50 ${v.p50Ms.toFixed(2).padStart(7)} ms   p99 ${v.p99Ms.toFixed(2).padStart(7)} ms`;
  process.stdout.write(`fleet throughput, ${rounds} rounds of ${seconds}s each with ${vus} VUs (real k6 on loopback, zero modeled latency${uniqueBodies ? ', a different body every request' : ''})\n`);
  process.stdout.write(`${line('mock fleet', result.fleet)}\n${line('bare node:http, same bytes', result.bare)}\n${line('msw alone, same bytes', result.mswOnly)}\n`);
  process.stdout.write(`  ratio fleet/bare           ${result.throughputRatio.toFixed(2)}  (target >= 0.5)  ${result.throughputRatio >= 0.5 ? 'met' : 'NOT met'}\n`);
  process.stdout.write(`  where the gap is           msw alone/bare ${result.mswOnlyToBare.toFixed(2)}, fleet/msw alone ${result.fleetToMswOnly.toFixed(2)}\n`);
  process.stdout.write(`  PTU admission decision     ${(admission.nsPerDecision / 1000).toFixed(3)} µs  (target < 20 µs)  ${admission.nsPerDecision < 20_000 ? 'met' : 'NOT met'}\n`);
  const failures = phases.reduce((sum, p) => sum + p.failed, 0);
  if (failures > 0) process.stdout.write(`  warning: ${failures} requests failed during the run\n`);
  process.stdout.write(`  written to bench/out/${uniqueBodies ? 'fleet-throughput-unique-bodies.json' : 'fleet-throughput.json'}\n`);
}

await main();
