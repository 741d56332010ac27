/**
 * Fleet memory benchmark (not a test): does the fleet's memory stay flat however long the run?
 * Real k6 drives one fleet resource (in this process, ledger to a file, zero modelled latency)
 * closed-loop with a different prompt on every request, the worst case for what the fleet
 * remembers (request bodies, token counts) and for the ledger. Every --sample seconds the
 * benchmark forces a full garbage collection and reads the heap, so the figures are live
 * memory, not garbage not yet collected.
 *
 * Target: after the warm-up (--warmup seconds, while the bounded caches fill), the heap after
 * collection grows by less than 5 MB (or 5% of it, whichever is larger) to the end of the run.
 *
 *   npm run bench:fleet-memory [-- --seconds 120 --vus 16 --sample 10 --warmup 30]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startBenchFleet } from './bench-fleet.ts';
import { resolveK6 } from './k6-binary.ts';
import { driveWithK6 } from './k6-drive.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    vus: { type: 'string', default: '16' },
    sample: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '30' },
  },
});
const seconds = Number(values.seconds);
const vus = Number(values.vus);
const sampleSeconds = Number(values.sample);
const warmupSeconds = Number(values.warmup);

// A full collection on demand, without restarting Node with --expose-gc.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

interface Sample {
  atSeconds: number;
  requests: number;
  heapUsedMb: number;
  rssMb: number;
  externalMb: number;
}

async function main(): Promise<void> {
  const k6 = await resolveK6();
  const work = mkdtempSync(join(tmpdir(), 'spillway-bench-memory-'));
  const { fleet, chatUrl: url } = await startBenchFleet(work);
  const body = JSON.stringify({ messages: [{ role: 'system', content: 'You are a terse assistant.' }, { role: 'user', content: 'Summarise request {{unique}} in one line.' }], max_tokens: 40 });

  const samples: Sample[] = [];
  const started = performance.now();
  const sample = (): void => {
    collectGarbage();
    const memory = process.memoryUsage();
    const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
    samples.push({ atSeconds: Math.round((performance.now() - started) / 1000), requests: fleet.ledger.lastSeq, heapUsedMb: mb(memory.heapUsed), rssMb: mb(memory.rss), externalMb: mb(memory.external) });
  };
  sample();
  const timer = setInterval(sample, sampleSeconds * 1000);
  let phase;
  try {
    phase = await driveWithK6({ k6, target: 'fleet', url, body, headers: { 'content-type': 'application/json', 'api-key': 'bench', 'x-fleet-completion-tokens': '20' }, vus, seconds, work, uniqueBodies: true });
  } finally {
    clearInterval(timer);
    sample();
    await fleet.close();
  }

  const settled = samples.find((s) => s.atSeconds >= warmupSeconds) ?? samples[0]!;
  const last = samples.at(-1)!;
  const growthMb = Math.round((last.heapUsedMb - settled.heapUsedMb) * 10) / 10;
  const allowedMb = Math.max(5, settled.heapUsedMb * 0.05);
  const requestsAfterWarmup = last.requests - settled.requests;
  const result = {
    when: new Date().toISOString(),
    k6,
    settings: { seconds, vus, sampleSeconds, warmupSeconds, uniqueBodies: true },
    phase,
    samples,
    heapAfterWarmupMb: settled.heapUsedMb,
    heapAtEndMb: last.heapUsedMb,
    growthMb,
    requestsAfterWarmup,
    target: { growthMb: allowedMb },
  };
  const outDir = join(import.meta.dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'fleet-memory.json'), `${JSON.stringify(result, null, 2)}\n`);

  process.stdout.write(`fleet memory over ${seconds}s, ${vus} VUs, a different prompt every request (live memory after a full collection)\n`);
  process.stdout.write('    at   requests   heap MB    rss MB  external MB\n');
  for (const s of samples) process.stdout.write(`  ${String(s.atSeconds).padStart(4)}s ${String(s.requests).padStart(10)} ${s.heapUsedMb.toFixed(1).padStart(9)} ${s.rssMb.toFixed(1).padStart(9)} ${s.externalMb.toFixed(1).padStart(12)}\n`);
  process.stdout.write(
    `  heap growth after ${settled.atSeconds}s: ${growthMb.toFixed(1)} MB over ${requestsAfterWarmup} requests  (target < ${allowedMb.toFixed(1)} MB)  ${growthMb < allowedMb ? 'met' : 'NOT met'}\n`,
  );
  process.stdout.write('  written to bench/out/fleet-memory.json\n');
}

await main();
