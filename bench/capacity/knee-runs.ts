import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Knee-finding accuracy (issue 15, section 2's proof, measured rather than asserted): the
 * emulator's capacity model at 2 units × 150 req/s, so the true knee is 300 req/s, and
 * `spillway capacity` run through the CLI, exactly as a user runs it, reading only what it
 * writes (capacity-journal.json). Its internals are not imported: they may change, the command
 * and its journal are what is measured.
 */
export const kneeTruthRps = 300;
export const kneeCapacity = { enabled: true, requestsPerSecondPerUnit: 150, queueTimeoutSeconds: 5 };
export const kneeArgs = ['--units', '2', '--start-rps', '100', '--step-rps', '100', '--max-rps', '500', '--hold-seconds', '6', '--settle-seconds', '2', '--slo-p95-ms', '250'];

export interface KneeRun {
  run: number;
  exitCode: number | null;
  wallSeconds: number;
  /** The knee the journal gives, req/s; null when it gives none (with what it gave instead). */
  kneeRps: number | null;
  outcome: string;
  /** (knee − 300) / 300. */
  error: number | null;
  steps: number | null;
  journal: string | null;
}

/** A copy of the sample with the capacity model set as the proof sets it. */
export function kneeConfigDir(repo: string, work: string): string {
  const dir = join(work, 'knee-apim');
  cpSync(join(repo, 'deploy', 'apim'), dir, { recursive: true });
  const emulatorFile = join(dir, 'emulator.json');
  const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(emulatorFile, JSON.stringify({ ...emulator, capacity: kneeCapacity }, null, 2));
  return dir;
}

/** The knee from a capacity journal, read defensively: its shape is being reworked. */
function kneeOf(journal: Record<string, unknown>): { rps: number | null; outcome: string } {
  const knee = (journal.knee ?? (journal.result as Record<string, unknown> | undefined)?.knee) as Record<string, unknown> | undefined;
  if (knee && (knee.kind === undefined || knee.kind === 'knee') && typeof knee.rps === 'number') return { rps: knee.rps, outcome: 'knee' };
  return { rps: null, outcome: knee ? JSON.stringify(knee).slice(0, 300) : 'the journal has no "knee"' };
}

/**
 * `cli` is the checkout whose bin/spillway.js runs `capacity` (normally this one; another, such as
 * an export of the last commit, when this tree's command is being reworked); the sample copied
 * for the gateway is always this repository's.
 */
export async function runKnee(cli: string, work: string, configDir: string, run: number): Promise<KneeRun> {
  const results = join(work, `knee-run-${run}`);
  mkdirSync(results, { recursive: true });
  const log = join(results, 'capacity-output.log');
  const out = openSync(log, 'w');
  const started = performance.now();
  let exitCode: number | null;
  try {
    exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [join(cli, 'bin', 'spillway.js'), 'capacity', '--config', configDir, ...kneeArgs, '--results', results], { cwd: cli, stdio: ['ignore', out, out] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
  } finally {
    closeSync(out);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const runDir = readdirSync(results).map((d) => join(results, d)).find((d) => existsSync(join(d, 'capacity-journal.json')));
  if (!runDir) {
    const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const said = lines.find((l) => l.startsWith('spillway:')) ?? lines.at(-1) ?? '(no output)';
    return { run, exitCode, wallSeconds, kneeRps: null, outcome: `no capacity-journal.json; it said: ${said}`, error: null, steps: null, journal: null };
  }
  const journalFile = join(runDir, 'capacity-journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as Record<string, unknown>;
  const { rps, outcome } = kneeOf(journal);
  return {
    run,
    exitCode,
    wallSeconds,
    kneeRps: rps,
    outcome,
    error: rps === null ? null : (rps - kneeTruthRps) / kneeTruthRps,
    steps: Array.isArray(journal.steps) ? journal.steps.length : null,
    journal: journalFile,
  };
}
