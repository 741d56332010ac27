/**
 * Analysis at scale (not a test): what it costs the harness to collect and judge the evidence
 * of a long, busy run. A synthetic run (bench/synthetic-evidence.ts: 1,000 gateway requests per
 * second, with spillover retries, a PTU failure, a regional outage and token-limit refusals) is
 * written to disk, then a fresh process reads it with the harness's own collectEvidence and
 * judges it with all five verifiers, as `spillway run` does after k6 exits. Reported: wall time
 * of each step, peak RSS, and both per evidence record, at several sizes, so that memory
 * growing faster than the evidence shows.
 *
 * Targets (issue "Judge any gateway", §4): for 10 minutes at 1,000 requests per second,
 * analysis no longer than 10% of the load time it judges (60 s) and peak RSS under 2 GB.
 *
 *   npm run bench:analysis [-- --seconds 600 --rate 1000 --sizes 0.25,0.5,1]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { collectEvidence } from '../harness/evidence/collect-evidence.ts';
import { fleetFacts } from '../harness/evidence/fleet-facts.ts';
import { loadK6Config } from '../harness/run/scenario-plan.ts';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../harness/run/run-scenario.ts';
import { expectationsFromConfig } from '../harness/verify/expectations-from-config.ts';
import { runVerifiers } from '../harness/verify/index.ts';
import { loadGatewayConfig } from '../mocks/apim/config/index.ts';
import { defaultTopologyPath, loadTopologyFile } from '../mocks/aoai/topology.ts';
import { describeUnstartedFleet, type FleetDescription } from '../mocks/aoai/fleet.ts';
import { writeSyntheticRun, type SyntheticRun } from './synthetic-evidence.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    rate: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '0.25,0.5,1' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});

const self = fileURLToPath(import.meta.url);

/** The sample's fleet, as `fleet up --json` describes it (endpoints do not matter here). */
const sampleFleet = (): FleetDescription => describeUnstartedFleet(loadTopologyFile(defaultTopologyPath));

if (values.child === 'generate') {
  const run = await writeSyntheticRun(values.dir!, { seconds: Number(values.seconds), rate: Number(values.rate), start: Date.UTC(2026, 0, 1, 12) });
  writeFileSync(join(values.dir!, 'synthetic.json'), JSON.stringify(run));
  process.exit(0);
}

if (values.child === 'analyze') {
  const dir = values.dir!;
  const run = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'synthetic.json'), 'utf8')) as SyntheticRun;
  const fleet = sampleFleet();
  const timeline = run.timeline.map((step) => ({ ...step }));
  const collectStarted = performance.now();
  const evidence = await collectEvidence(dir, run.window, timeline, fleetFacts(fleet, 'gpt-4o'));
  const collectMs = performance.now() - collectStarted;
  const afterCollect = process.memoryUsage().rss;
  const expectations = expectationsFromConfig({ gatewayConfig: loadGatewayConfig(defaultGatewayConfigDir), fleet, k6Config: loadK6Config(defaultK6ConfigFile), deployment: 'gpt-4o' });
  const verifyStarted = performance.now();
  const verdicts = runVerifiers(['spillover', 'circuit-breaker', 'priority', 'failover', 'token-limit'], evidence, expectations);
  const verifyMs = performance.now() - verifyStarted;
  const statuses = verdicts.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v.status]: (acc[v.status] ?? 0) + 1 }), {});
  const crashed = verdicts.filter((v) => v.measured.startsWith('the verifier threw')).map((v) => `${v.check}: ${v.measured}`);
  process.stdout.write(
    JSON.stringify({ collectMs, verifyMs, rssAfterCollectMb: afterCollect / 2 ** 20, peakRssMb: process.resourceUsage().maxRSS / 1024, statuses, crashed, records: { ledger: evidence.ledger.length, client: evidence.client.length, gatewayLogs: evidence.gatewayLogs.length, frontDoorEvents: evidence.frontDoorEvents.length } }),
  );
  process.exit(0);
}

// The parent: one generation and one analysis per size, each in its own process, so that each
// peak RSS is the analysis's alone.
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const sizes = values.sizes.split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), 'spillway-analysis-'));
const results: Record<string, unknown>[] = [];
const node = (args: string[]): string => {
  const child = spawnSync(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', self, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (child.status !== 0) throw new Error(`${args.join(' ')} failed (${child.status ?? child.signal}):\n${child.stderr}`);
  return child.stdout;
};
try {
  for (const size of sizes) {
    const loadSeconds = Math.round(seconds * size);
    const dir = join(work, `run-${loadSeconds}s`);
    mkdirSync(dir, { recursive: true });
    process.stdout.write(`writing ${loadSeconds} s at ${rate} req/s of synthetic evidence ...\n`);
    node(['--child', 'generate', '--dir', dir, '--seconds', String(loadSeconds), '--rate', String(rate)]);
    const measured = JSON.parse(node(['--child', 'analyze', '--dir', dir])) as { collectMs: number; verifyMs: number; peakRssMb: number; rssAfterCollectMb: number; statuses: Record<string, number>; crashed: string[]; records: { ledger: number; client: number; gatewayLogs: number; frontDoorEvents: number } };
    const analysisMs = measured.collectMs + measured.verifyMs;
    const records = measured.records.ledger + measured.records.client + measured.records.gatewayLogs + measured.records.frontDoorEvents;
    const row = { loadSeconds, rate, ...measured, analysisMs, analysisShareOfLoad: analysisMs / (loadSeconds * 1000), peakRssKbPerRecord: (measured.peakRssMb * 1024) / records };
    results.push(row);
    process.stdout.write(
      `  ${loadSeconds} s: ${measured.records.ledger} ledger records, ${measured.records.client} client, ${measured.records.gatewayLogs} gateway rows, ${measured.records.frontDoorEvents} front door events\n` +
        `  collect ${(measured.collectMs / 1000).toFixed(1)} s, verify ${(measured.verifyMs / 1000).toFixed(1)} s: analysis ${(100 * row.analysisShareOfLoad).toFixed(1)}% of the load time; peak RSS ${measured.peakRssMb.toFixed(0)} MB (${row.peakRssKbPerRecord.toFixed(2)} KB per record); verdicts ${JSON.stringify(measured.statuses)}${measured.crashed.length ? `; CRASHED: ${measured.crashed.join('; ')}` : ''}\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const full = results.find((r) => r.loadSeconds === seconds) as { analysisShareOfLoad: number; peakRssMb: number } | undefined;
if (full) {
  process.stdout.write(`\ntarget analysis <= 10% of load time: ${full.analysisShareOfLoad <= 0.1 ? 'met' : 'NOT met'} (${(100 * full.analysisShareOfLoad).toFixed(1)}%)\n`);
  process.stdout.write(`target peak RSS < 2 GB: ${full.peakRssMb < 2048 ? 'met' : 'NOT met'} (${full.peakRssMb.toFixed(0)} MB)\n`);
}
mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'out', 'analysis-scale.json'), `${JSON.stringify({ date: new Date().toISOString(), seconds, rate, results }, null, 2)}\n`);
