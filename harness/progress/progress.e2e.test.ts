import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeK6ConfigWith } from '../run/test-k6-config.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';

/**
 * `spillway run` as CI and a person see it, with a 5-second run and one fault: the plain lines
 * of a CI log, nothing but the result with --quiet, and, in a real pseudo-terminal (util-linux
 * `script`), the updating line with NO_COLOR honoured. Skipped, saying why, where k6 is not
 * provisioned or `script` is missing.
 */
const inspection = await inspectTool(k6Spec);
const hasScript = spawnSync('script', ['--version']).status === 0;
if (inspection.status === 'missing') process.stdout.write(`progress.e2e.test.ts: skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);
else if (!hasScript) process.stdout.write('progress.e2e.test.ts: the terminal case is skipped: util-linux `script` is not installed (it gives the run a pseudo-terminal)\n');

const bin = fileURLToPath(new URL('../../bin/spillway.js', import.meta.url));
const sgr = /\u001b\[[\d;]*m/;

let dir = '';
let k6Config = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'progress-e2e-'));
  k6Config = writeK6ConfigWith(dir, {
    blip: {
      description: 'five seconds and one fault, for the progress display',
      script: 'smoke',
      durationSeconds: 5,
      traffic: [{ consumer: 'user-facing', ratePerUnit: 5, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } }],
      fleet: { latencyScale: 0.05 },
      timeline: [{ id: 'blip', at: 1, for: 2, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } }],
    },
  });
});

/**
 * The environment without the colour variables the test runner may have set, nor a step summary
 * to append to (GitHub's runner sets one), plus `extra`.
 */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { FORCE_COLOR: _force, NO_COLOR: _no, GITHUB_STEP_SUMMARY: _summary, ...rest } = process.env;
  return { ...rest, ...extra };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const spillwayRun = (extra: string[]): string[] => [bin, 'run', 'blip', '--k6-config', k6Config, '--results', join(dir, 'results'), ...extra];
/** The result `spillway run` prints at the end: the verdict table and where the results are. */
const result = /^\nSTATUS +CHECK +EXPECTED +MEASURED\n-+ +-+ +-+ +-+\n(?:.*\n)*\ncompleted in \d+\.\d s; results in \S+ \(journal\.json\)\n$/;

describe.skipIf(inspection.status === 'missing')('the progress of a run, end to end', () => {
  it('--quiet prints only the result', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await run(process.execPath, spillwayRun(['--quiet']), environment());
    // 3: no verifier judged (the plan names none), the run itself completed.
    expect({ code, stderr }).toEqual({ code: 3, stderr: '' });
    expect(stdout).toMatch(result);
  });

  it('in a CI log: timestamped lines for each phase and fault, and the load against its target', { timeout: 60_000 }, async () => {
    const { code, stdout } = await run(process.execPath, spillwayRun([]), environment());
    expect(code, stdout).toBe(3);
    expect(stdout).not.toMatch(/\u001b/);
    const progress = stdout.slice(0, stdout.indexOf('\nSTATUS'));
    const lines = progress.split('\n').filter(Boolean);
    expect(lines.every((line) => /^\d\d:\d\d:\d\dZ {2}\S/.test(line)), progress).toBe(true);
    const said = lines.map((line) => line.slice(11));
    const phases = said.filter((line) => ['preparing', 'starting fleet and gateway', 'preflight', 'load', 'collecting evidence', 'verifying'].includes(line));
    expect(phases).toEqual(['preparing', 'starting fleet and gateway', 'preflight', 'load', 'collecting evidence', 'verifying']);
    expect(said.some((line) => /^fault applied blip \(fleet:status 500 on aoai-eastus-ptu1\) at \d\.\d s$/.test(line))).toBe(true);
    expect(said.some((line) => /^fault cleared blip \(fleet:status 500 on aoai-eastus-ptu1\) at \d\.\d s$/.test(line))).toBe(true);
    // The load's last figures: its whole time (k6's start-up and graceful stop may add a second
    // or two), a measured rate against the plan's 5 req/s.
    expect(said.some((line) => /^load · \d+\/5 s, 0 s left · \d+\.\d of 5 req\/s · \d+ responses · /.test(line)), progress).toBe(true);
    expect(stdout.slice(stdout.indexOf('\nSTATUS'))).toMatch(result);
  });

  it.skipIf(!hasScript)('in a terminal: one line redrawn in place, and no colour with NO_COLOR', { timeout: 60_000 }, async () => {
    const command = [process.execPath, ...spillwayRun([])].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], environment({ NO_COLOR: '1' }));
    const text = stdout.replaceAll('\r\n', '\n');
    expect(text).not.toMatch(sgr);
    expect(text).toMatch(/\u001b\[2K/); // the line is erased and redrawn
    expect(text).toMatch(/load · \d\/5 s, \d s left · /);
    expect(text).toMatch(/\ncompleted in \d+\.\d s; results in /);
  });
});
