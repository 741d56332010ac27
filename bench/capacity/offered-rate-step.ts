import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChild, machineCpu, processCpu, threadCpu } from './process-cpu.ts';
import { splitProfile, type CpuProfile } from './profile-split.ts';

/**
 * One step of the offered-rate ramp: `spillway run` on the embedded default (the fleet, both
 * regional gateways and the front door in the run's process, every kind of evidence written:
 * k6's samples, the ledger, the gateway's log tables, the front door's events, then the
 * verifiers), k6 offering one constant arrival rate for `seconds`. The run is a child process
 * started exactly as the CLI is, plus `--cpu-prof` (sampling every 5 ms) so its CPU can be split
 * between the fleet, the gateways, the front door and the harness.
 *
 * While it runs, /proc is read every 250 ms: the run's process (all threads, and its main thread
 * alone, where the event loop runs), k6 (its child) and the whole machine. The measured window is
 * k6's lifetime as seen by that polling (from its first sighting to its disappearance).
 */
export interface StepSettings {
  repo: string;
  work: string;
  /** The APIOps folder the gateway runs (a copy of the sample whose token limits never say no). */
  configDir: string;
  rps: number;
  seconds: number;
  keep: boolean;
}

export interface StepResult {
  offeredRps: number;
  seconds: number;
  exitCode: number | null;
  journalStatus: string;
  phasesMs: Record<string, number>;
  k6: { requests: number; achievedRps: number; dropped: number; droppedShare: number; failed: number; failedShare: number; vusMax: number };
  /** Rows each kind of evidence got: one per request is what a complete record looks like. */
  evidence: { clientSamplesMb: number; ledgerRows: number; gatewayLogRows: number; llmLogRows: number; frontDoorRequestEvents: number };
  window: { seconds: number; seen: boolean };
  /** CPU over the window, as % of the machine's cores (100% = every core busy). */
  cpuPercentOfMachine: { k6: number; run: number; runMainThread: number; runOtherThreads: number; machineBusy: number; restOfMachine: number };
  /** The run's main thread as % of one core: at 100% its event loop cannot take more. */
  runMainThreadPercentOfOneCore: number;
  /** The run process's CPU split by the profile, % of the machine. */
  split: { part: string; percentOfMachine: number; share: number }[];
  profileSamples: { busy: number; idle: number };
}

export function stepK6Config(repo: string, rps: number, seconds: number): unknown {
  const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { k6: unknown; consumers: unknown };
  return {
    k6: base.k6,
    consumers: base.consumers,
    scenarios: {
      'offered-rate': {
        description: `bench:capacity: ${rps} req/s of small chat requests through the front door, no faults, every verifier`,
        script: 'smoke',
        durationSeconds: seconds,
        traffic: [{ consumer: 'user-facing', ratePerUnit: rps, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } }],
        verifiers: ['spillover', 'circuit-breaker', 'priority', 'failover', 'token-limit'],
        // Room for every request: no backend answers 429, so all of them run the whole path.
        fleet: { latencyScale: 0.01, capacityTpm: { 'ptu:gpt-4o': 1_000_000_000, 'payg:gpt-4o': 1_000_000_000 } },
      },
    },
  };
}

function countLines(file: string, contains?: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  let n = 0;
  for (const line of text.split('\n')) if (line.length > 0 && (contains === undefined || line.includes(contains))) n++;
  return n;
}

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

export async function runOfferedRateStep(settings: StepSettings): Promise<StepResult> {
  const dir = join(settings.work, `step-${settings.rps}`);
  mkdirSync(dir, { recursive: true });
  const k6ConfigFile = join(dir, 'k6.config.json');
  writeFileSync(k6ConfigFile, JSON.stringify(stepK6Config(settings.repo, settings.rps, settings.seconds), null, 2));
  const profileDir = join(dir, 'profile');
  const resultsDir = join(dir, 'results');
  const child = spawn(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-interval', '5000', '--cpu-prof-dir', profileDir, join(settings.repo, 'bin', 'spillway.js'), 'run', 'offered-rate', '--k6-config', k6ConfigFile, '--config', settings.configDir, '--results', resultsDir, '--json'],
    { cwd: settings.repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));

  type Mark = { at: number; run: number; main: number; reaped: number; machine: { busy: number; total: number } };
  const mark = (): Mark | null => {
    const run = processCpu(pid);
    const main = threadCpu(pid, pid);
    if (!run || main === null) return null;
    return { at: monotonicMicros(), run: run.self, main, reaped: run.reapedChildren, machine: machineCpu() };
  };
  let k6Pid: number | null = null;
  let k6AtStart = 0;
  let k6LastSeen = 0;
  let start: Mark | null = null;
  let end: Mark | null = null;
  const timer = setInterval(() => {
    if (end) return;
    if (k6Pid === null) {
      const found = findChild(pid, 'k6', 'run');
      if (found === null) return;
      const m = mark();
      const k6 = processCpu(found);
      if (!m || !k6) return;
      k6Pid = found;
      k6AtStart = k6.self;
      k6LastSeen = k6.self;
      start = m;
      return;
    }
    const k6 = processCpu(k6Pid);
    if (k6 && k6.state !== 'Z') {
      k6LastSeen = k6.self;
      return;
    }
    // Gone or exited: wait until the run has reaped it, so its CPU is in the run's cutime.
    if (k6 === null) end = mark();
  }, 250);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(timer);

  const runDir = readdirSync(resultsDir).map((d) => join(resultsDir, d)).find((d) => statSync(d).isDirectory());
  if (!runDir) throw new Error(`spillway run at ${settings.rps} req/s wrote no run folder (exit ${exitCode}):\n${stderr.slice(-2000)}`);
  const journal = JSON.parse(readFileSync(join(runDir, 'journal.json'), 'utf8')) as { status: string; phases: Record<string, number> };
  const metrics = (JSON.parse(readFileSync(join(runDir, 'k6-summary-export.json'), 'utf8')) as { metrics: Record<string, Record<string, number>> }).metrics;
  const requests = metrics.http_reqs?.count ?? 0;
  const dropped = metrics.dropped_iterations?.count ?? 0;
  const failed = metrics.http_req_failed?.passes ?? 0;
  const iterations = metrics.iterations?.count ?? 0;
  const logs = join(runDir, 'gateway-logs');
  const evidence = {
    clientSamplesMb: Math.round(statSync(join(runDir, 'k6-samples.json')).size / 1e5) / 10,
    ledgerRows: countLines(join(runDir, 'fleet-ledger.jsonl')),
    gatewayLogRows: countLines(join(logs, 'ApiManagementGatewayLogs.jsonl')),
    llmLogRows: countLines(join(logs, 'ApiManagementGatewayLlmLog.jsonl')),
    frontDoorRequestEvents: countLines(join(logs, 'front-door-events.jsonl'), '"type":"request"'),
  };

  const profileFile = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  const s = start as Mark | null;
  const e = end as Mark | null;
  // A window much shorter than the step means the polling missed k6's run: no CPU figures then.
  const seen = s !== null && e !== null && (e.at - s.at) / 1e6 >= settings.seconds / 2;
  const windowSeconds = s !== null && e !== null ? (e.at - s.at) / 1e6 : 0;
  const cores = seen ? (e.machine.total - s.machine.total) / windowSeconds : 1;
  const pct = (cpuSeconds: number): number => (seen && windowSeconds > 0 ? (cpuSeconds / (windowSeconds * cores)) * 100 : Number.NaN);
  // k6's CPU: what the run's cutime gained when it reaped k6, less what k6 had used before the
  // window; the last polled value (up to 250 ms stale) when cutime holds something else too.
  const byReaping = seen ? e.reaped - s.reaped - k6AtStart : 0;
  const byPolling = k6LastSeen - k6AtStart;
  const k6Seconds = byReaping >= byPolling && byReaping <= byPolling + 0.25 * cores ? byReaping : byPolling;
  const runSeconds = seen ? e.run - s.run : 0;
  const mainSeconds = seen ? e.main - s.main : 0;
  const machineBusy = seen ? e.machine.busy - s.machine.busy : 0;
  const profile = profileFile ? (JSON.parse(readFileSync(join(profileDir, profileFile), 'utf8')) as CpuProfile) : null;
  const split = profile && seen ? splitProfile(profile, settings.repo, { fromMicros: s.at, toMicros: e.at }) : null;
  if (!settings.keep) rmSync(dir, { recursive: true, force: true });
  return {
    offeredRps: settings.rps,
    seconds: settings.seconds,
    exitCode,
    journalStatus: journal.status,
    phasesMs: journal.phases,
    k6: {
      requests,
      achievedRps: requests / settings.seconds,
      dropped,
      droppedShare: dropped / Math.max(1, iterations + dropped),
      failed,
      failedShare: failed / Math.max(1, requests),
      vusMax: metrics.vus_max?.max ?? 0,
    },
    evidence,
    window: { seconds: windowSeconds, seen },
    cpuPercentOfMachine: {
      k6: pct(k6Seconds),
      run: pct(runSeconds),
      runMainThread: pct(mainSeconds),
      runOtherThreads: pct(runSeconds - mainSeconds),
      machineBusy: pct(machineBusy),
      restOfMachine: pct(machineBusy - runSeconds - k6Seconds),
    },
    runMainThreadPercentOfOneCore: seen && windowSeconds > 0 ? (mainSeconds / windowSeconds) * 100 : Number.NaN,
    // The profile samples the main thread only: its shares split the main thread's CPU.
    split: (split?.shares ?? []).map((p) => ({ part: p.part, share: p.share, percentOfMachine: pct(mainSeconds * p.share) })),
    profileSamples: { busy: split?.busySamples ?? 0, idle: split?.idleSamples ?? 0 },
  };
}
