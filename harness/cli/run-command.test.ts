import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { processesMentioning, refused } from './cli-test-support.ts';

/**
 * `spillway run` as a person runs it in a terminal, where Ctrl-C sends SIGINT to the whole
 * foreground process group: the Node launcher, the harness it started, and k6. Skipped, with
 * the reason printed, where k6 is not provisioned (`.ci/run` provisions it first).
 */
const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write(`run-command.test.ts: skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);

const bin = fileURLToPath(new URL('../../bin/spillway.js', import.meta.url));
const repo = join(import.meta.dirname, '..', '..');
const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: Record<string, unknown> };

const longPlan = {
  description: 'a long run that the test interrupts',
  script: 'smoke',
  durationSeconds: 120,
  traffic: [{ consumer: 'user-facing', ratePerUnit: 3, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } }],
  fleet: { latencyScale: 0.05 },
};

/**
 * Starts a long run through the launcher in its own process group (as a terminal does), sends
 * the group one SIGINT per entry of `gapsMs` (each after waiting that many ms), and checks that
 * the run ends as an interrupted run should: exit 2, the journal written, nothing listening and
 * no process left.
 */
async function interruptRun(gapsMs: readonly number[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'run-ctrl-c-'));
  const k6Config = join(dir, 'k6.config.json');
  writeFileSync(k6Config, JSON.stringify({ consumers: base.consumers, scenarios: { long: longPlan } }));
  const results = join(dir, 'results');
  // Without type stripping the entry point goes through the launcher (bin/node-runtime.js),
  // which forwards signals to the harness: the path a machine with an old Node takes, and the
  // one where a terminal's Ctrl-C arrives twice. Its own process group, as in a terminal.
  const child = spawn(process.execPath, ['--no-experimental-strip-types', bin, 'run', 'long', '--k6-config', k6Config, '--results', results], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));

  const started = Date.now();
  while (!stdout.includes('running k6') && Date.now() - started < 60_000) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(stdout, stderr).toContain('running k6');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(processesMentioning(results).length, 'k6 is running').toBeGreaterThan(0);
  // The harness gets each Ctrl-C twice: from the terminal's group signal and from the
  // launcher, which forwards its own copy.
  for (const gap of gapsMs) {
    await new Promise((resolve) => setTimeout(resolve, gap));
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      // The group is gone already: the run stopped before this Ctrl-C.
    }
  }

  const { code, signal } = await exited;
  expect({ code, signal }, `${stdout}\n${stderr}`).toEqual({ code: 2, signal: null });
  expect(stderr).toContain('stopping the run');
  expect(stdout).toMatch(/\ninterrupted in \d+\.\d s; results in /);
  const [runId] = readdirSync(results);
  const journal = JSON.parse(readFileSync(join(results, runId!, 'journal.json'), 'utf8')) as {
    status: string;
    exitCode: number;
    target: { topology: { frontDoor: string; regions: { url: string }[]; fleet: { backends: { endpoint: string }[]; control: string } } };
  };
  expect([journal.status, journal.exitCode]).toEqual(['interrupted', 2]);
  const { topology } = journal.target;
  for (const url of [topology.frontDoor, ...topology.regions.map((r) => r.url), ...topology.fleet.backends.map((b) => b.endpoint), topology.fleet.control]) {
    expect(await refused(url), url).toBe(true);
  }
  expect(processesMentioning(results), 'no process of the run is left').toEqual([]);
}

describe.skipIf(inspection.status === 'missing')('spillway run, interrupted from a terminal', () => {
  it('stops k6, the timeline and the topology on a process-group Ctrl-C, writes the journal and exits 2', { timeout: 90_000 }, async () => {
    await interruptRun([0]);
  });

  it('still exits 2 when a second Ctrl-C comes 30 ms after the first', { timeout: 90_000 }, async () => {
    // The run stops in well under 30 ms of work here, so the second Ctrl-C lands while the
    // process is ending: before main.ts exited explicitly, Node's teardown had put SIGINT back
    // to its default action by then, and the process died of it after writing its journal.
    await interruptRun([0, 30]);
  });
});
