/**
 * Capacity benchmark (issue 15, section 4; not a test: it reports, it does not assert).
 *
 *  1. The highest request rate this machine's k6 offers the embedded default cleanly, with every
 *     verifier's evidence recorded: `spillway run` (the fleet, both regional gateways and the
 *     front door in the run's process; k6's samples, the ledger, the gateway's log tables and the
 *     front door's events written; all five verifiers run), at constant arrival rates climbing
 *     through --rates, each held --seconds, all on loopback. The gateway runs a copy of the
 *     sample whose token limits never say no and the fleet has room for everything, so every
 *     request runs the whole path. A step is clean when k6 dropped at most 1% of its iterations,
 *     achieved at least 95% of the rate, at most 1% of requests failed, and the run completed.
 *     The ramp stops at the first step that is not clean, or after a clean one whose CPU was
 *     pegged (the run's main thread at 95% of a core, or k6 and the run together at 95% of the
 *     machine; other work on a shared machine is reported, not counted).
 *  2. Where the CPU goes, per step: k6, the run's process (its main thread split by a CPU
 *     profile into fleet, gateways, front door, harness and what no part owns, and its other
 *     threads), and the rest of the machine, as % of all its cores (offered-rate-step.ts).
 *  3. Knee-finding accuracy: `spillway capacity` three times against the emulator's capacity
 *     model at 2 units × 150 req/s (knee-runs.ts): each knee and its error against 300 req/s.
 *
 * Writes bench/out/capacity.json. The numbers come from whatever machine runs it; on a machine
 * shared with other work they move with that work (the "rest of machine" column shows how much).
 *
 *   npm run bench:capacity [-- --rates 100,200,300,400,500,600,800,1000,1200,1600 --seconds 20
 *     --knee-runs 3 --skip-ramp --spillway <checkout> --keep]
 *
 * --spillway <checkout>: run `capacity` from another checkout's bin/spillway.js (an export of
 * the last commit, say, while this tree's command is being reworked); the ramp always runs this
 * tree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveK6 } from '../k6-binary.ts';
import { soakConfigDir } from '../soak-config.ts';
import { kneeArgs, kneeCapacity, kneeConfigDir, kneeTruthRps, runKnee, type KneeRun } from './knee-runs.ts';
import { runOfferedRateStep, type StepResult } from './offered-rate-step.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '100,200,300,400,500,600,800,1000,1200,1600' },
    seconds: { type: 'string', default: '20' },
    'knee-runs': { type: 'string', default: '3' },
    'skip-ramp': { type: 'boolean', default: false },
    spillway: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const rates = values.rates.split(',').map((raw) => {
  const rate = Number(raw);
  // Loopback only and bounded: the scenario schema refuses more than 300,000/s, this bench more.
  if (!Number.isInteger(rate) || rate <= 0 || rate > 5000) throw new Error(`--rates: "${raw}" must be a whole number of requests per second from 1 to 5000`);
  return rate;
});
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 5 || seconds > 120) throw new Error(`--seconds must be a whole number from 5 to 120, got "${values.seconds}"`);
const kneeRuns = Number(values['knee-runs']);
if (!Number.isInteger(kneeRuns) || kneeRuns < 0 || kneeRuns > 10) throw new Error(`--knee-runs must be a whole number from 0 to 10, got "${values['knee-runs']}"`);

const repo = join(import.meta.dirname, '..', '..');
const kneeCli = values.spillway === undefined ? repo : resolve(values.spillway);
if (!existsSync(join(kneeCli, 'bin', 'spillway.js'))) throw new Error(`--spillway: ${kneeCli} has no bin/spillway.js`);
const out = (line: string): boolean => process.stdout.write(`${line}\n`);
const say = (line: string): boolean => process.stderr.write(`${line}\n`);
const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-');
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}

/** Why a step is not clean (empty when it is). */
function uncleanReasons(step: StepResult): string[] {
  const reasons: string[] = [];
  if (step.journalStatus !== 'completed') reasons.push(`the run ended ${step.journalStatus}`);
  if (step.k6.droppedShare > 0.01) reasons.push(`k6 dropped ${(step.k6.droppedShare * 100).toFixed(1)}% of iterations (> 1%)`);
  if (step.k6.achievedRps < 0.95 * step.offeredRps) reasons.push(`achieved ${f0(step.k6.achievedRps)} req/s, ${((1 - step.k6.achievedRps / step.offeredRps) * 100).toFixed(1)}% short (> 5%)`);
  if (step.k6.failedShare > 0.01) reasons.push(`${(step.k6.failedShare * 100).toFixed(1)}% of requests failed (> 1%)`);
  return reasons;
}

function pegged(step: StepResult): string | null {
  if (step.runMainThreadPercentOfOneCore >= 95) return `the run's main thread used ${f0(step.runMainThreadPercentOfOneCore)}% of a core`;
  // Our own processes only: on a shared machine, other work can fill the cores at any rate
  // (reported beside each step as the rest of the machine), which says nothing about this stack.
  const ours = step.cpuPercentOfMachine.k6 + step.cpuPercentOfMachine.run;
  if (ours >= 95) return `k6 and the run together used ${f0(ours)}% of the machine`;
  return null;
}

async function main(): Promise<void> {
  await resolveK6();
  const work = mkdtempSync(join(tmpdir(), 'spillway-bench-capacity-'));
  const started = new Date();
  const loadBefore = loadavg();
  const steps: (StepResult & { clean: boolean; reasons: string[]; pegged: string | null })[] = [];
  const knees: KneeRun[] = [];
  try {
    if (!values['skip-ramp']) {
      const configDir = soakConfigDir(repo, work, null, { liftTokenLimits: true });
      for (const rps of rates) {
        say(`offered rate: ${rps} req/s for ${seconds} s (spillway run, embedded default, every verifier)...`);
        const step = await runOfferedRateStep({ repo, work, configDir, rps, seconds, keep: values.keep });
        const reasons = uncleanReasons(step);
        const peggedBy = pegged(step);
        steps.push({ ...step, clean: reasons.length === 0, reasons, pegged: peggedBy });
        say(
          `  ${reasons.length === 0 ? 'clean' : `not clean: ${reasons.join('; ')}`}; achieved ${f0(step.k6.achievedRps)} req/s; CPU k6 ${f1(step.cpuPercentOfMachine.k6)}%, run ${f1(step.cpuPercentOfMachine.run)}% of the machine (main thread ${f0(step.runMainThreadPercentOfOneCore)}% of a core)${peggedBy ? `; pegged: ${peggedBy}` : ''}`,
        );
        if (reasons.length > 0 || peggedBy) break;
      }
    }
    if (kneeRuns > 0) {
      const configDir = kneeConfigDir(repo, work);
      for (let run = 1; run <= kneeRuns; run++) {
        say(`knee accuracy: spillway capacity, run ${run} of ${kneeRuns}...`);
        const knee = await runKnee(kneeCli, work, configDir, run);
        knees.push(knee);
        say(`  ${knee.kneeRps === null ? `no knee: ${knee.outcome}` : `knee ${knee.kneeRps} req/s (${((knee.error ?? 0) * 100).toFixed(1)}% against ${kneeTruthRps})`}, exit ${knee.exitCode}, ${f0(knee.wallSeconds)} s`);
      }
    }
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }

  const clean = steps.filter((s) => s.clean);
  const highestClean = clean.length === 0 ? null : Math.max(...clean.map((s) => s.offeredRps));
  const stoppedBy = steps.at(-1) && (!steps.at(-1)!.clean || steps.at(-1)!.pegged) ? { rps: steps.at(-1)!.offeredRps, reasons: steps.at(-1)!.reasons, pegged: steps.at(-1)!.pegged } : null;
  const result = {
    when: started.toISOString(),
    commit: commit(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadAverageBefore: loadBefore, loadAverageAfter: loadavg(), shared: 'a 2-core machine shared with other agents running tests: the rest-of-machine column is their CPU' },
    settings: { rates, seconds, kneeRuns, profiler: 'node --cpu-prof, a sample every 5 ms, on every step of the ramp' },
    offeredRate: {
      method:
        'spillway run on the embedded default (fleet, 2 regional gateways, front door in one process; k6 samples, ledger, gateway logs, front door events written; 5 verifiers), one traffic class through the front door (10-word prompts, max_tokens 10), token limits lifted, fleet with room. Rates from k6 (http_reqs / step seconds, dropped_iterations, http_req_failed); CPU from /proc over k6 lifetime; split from the CPU profile.',
      highestCleanRps: highestClean,
      stoppedBy,
      steps,
    },
    kneeAccuracy: {
      cli: kneeCli === repo ? 'this tree' : kneeCli,
      method: `node bin/spillway.js capacity --config <copy of deploy/apim with emulator.json capacity ${JSON.stringify(kneeCapacity)}> ${kneeArgs.join(' ')}; the knee read from capacity-journal.json`,
      truthRps: kneeTruthRps,
      runs: knees,
      withinTenPercent: knees.filter((k) => k.error !== null && Math.abs(k.error) <= 0.1).length,
    },
  };
  const outDir = join(repo, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'capacity.json'), `${JSON.stringify(result, null, 2)}\n`);

  out(`capacity benchmark, ${result.when}, commit ${result.commit}; ${result.machine.shared}; load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}`);
  if (steps.length > 0) {
    out('');
    out(`1. Offered rate: spillway run on the embedded default, every evidence recorded, ${seconds} s per step (k6's counts; CPU from /proc over k6's lifetime, % of all ${result.machine.cores} cores)`);
    out('   offered  achieved  dropped  failed   k6 CPU  run CPU  main thr (of 1 core)  other thr  rest of machine  ledger / gw logs / FD events  phases setup/load/analysis s  verdict');
    for (const s of steps) {
      const c = s.cpuPercentOfMachine;
      out(
        `   ${String(s.offeredRps).padStart(7)} ${f0(s.k6.achievedRps).padStart(9)} ${(s.k6.droppedShare * 100).toFixed(1).padStart(7)}% ${(s.k6.failedShare * 100).toFixed(1).padStart(6)}% ${f1(c.k6).padStart(7)}% ${f1(c.run).padStart(7)}% ${f0(s.runMainThreadPercentOfOneCore).padStart(11)}%          ${f1(c.runOtherThreads).padStart(8)}% ${f1(c.restOfMachine).padStart(15)}%  ${`${s.evidence.ledgerRows} / ${s.evidence.gatewayLogRows} / ${s.evidence.frontDoorRequestEvents}`.padStart(27)}  ${[s.phasesMs.setup, s.phasesMs.load, s.phasesMs.analysis].map((ms) => ((ms ?? 0) / 1000).toFixed(1)).join(' / ').padStart(27)}  ${s.clean ? 'clean' : 'NOT clean'}${s.pegged ? ' (pegged)' : ''}`,
      );
    }
    out(`   highest rate offered cleanly: ${highestClean === null ? 'none' : `${highestClean} req/s`}${stoppedBy ? `; stopped at ${stoppedBy.rps} req/s: ${[...stoppedBy.reasons, ...(stoppedBy.pegged ? [`pegged: ${stoppedBy.pegged}`] : [])].join('; ')}` : '; every rate tried was clean (raise --rates)'}`);
    out('');
    out("2. Where the run process's main thread went (CPU profile over k6's lifetime), % of all cores");
    const parts = [...new Set(steps.flatMap((s) => s.split.map((p) => p.part)))];
    out(`   ${'part'.padEnd(56)} ${steps.map((s) => `${s.offeredRps}/s`.padStart(8)).join(' ')}`);
    for (const part of parts) out(`   ${part.padEnd(56)} ${steps.map((s) => `${f1(s.split.find((p) => p.part === part)?.percentOfMachine ?? 0)}%`.padStart(8)).join(' ')}`);
    out(`   ${'(k6, for comparison)'.padEnd(56)} ${steps.map((s) => `${f1(s.cpuPercentOfMachine.k6)}%`.padStart(8)).join(' ')}`);
  }
  if (knees.length > 0) {
    out('');
    out(`3. Knee accuracy: spillway capacity (${result.kneeAccuracy.cli}'s CLI) against 2 units × 150 req/s (truth ${kneeTruthRps} req/s), ${kneeArgs.join(' ')}`);
    for (const k of knees) out(`   run ${k.run}: ${k.kneeRps === null ? `no knee (${k.outcome})` : `knee ${k.kneeRps} req/s, error ${((k.error ?? 0) * 100).toFixed(1)}%`}; exit ${k.exitCode}; ${k.steps ?? '?'} steps; ${f0(k.wallSeconds)} s`);
    out(`   within 10% of ${kneeTruthRps}: ${result.kneeAccuracy.withinTenPercent} of ${knees.length}`);
  }
  out('');
  out('written to bench/out/capacity.json');
}

await main();
