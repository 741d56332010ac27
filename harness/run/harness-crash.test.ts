import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { HarnessCrash } from './harness-crash.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const k6 = await inspectTool(k6Spec);
if (k6.status === 'missing') process.stdout.write(`harness-crash.test.ts: the real-run case is skipped: k6 ${k6.wantedVersion} is not provisioned; run: npx spillway tools install\n`);

describe('HarnessCrash', () => {
  it('names the original error', () => {
    expect(new HarnessCrash(new Error('boom')).message).toBe('the harness crashed: boom');
    expect(new HarnessCrash('text').message).toBe('the harness crashed: text');
  });
});

describe('guardRunAgainstCrashes', () => {
  it.skipIf(k6.status === 'missing')('stops a run whose harness throws from an event handler, writes a journal saying so, and lets the process end', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-crash-'));
    const base = JSON.parse(readFileSync(join(repo, 'k6.config.json'), 'utf8')) as { consumers: unknown };
    const configFile = join(dir, 'k6.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        consumers: base.consumers,
        scenarios: {
          crash: {
            description: 'a run whose fault injector throws later, outside any promise',
            script: 'smoke',
            durationSeconds: 30,
            traffic: [{ consumer: 'user-facing', ratePerUnit: 2, promptWords: { kind: 'fixed', value: 10 }, maxTokens: { kind: 'fixed', value: 10 } }],
            timeline: [{ id: 'ptu2-slow', at: 2, kind: 'fleet-fault', fault: { kind: 'latency', latencyMs: 10, target: { backend: 'aoai-eastus-ptu2' } } }],
            fleet: { latencyScale: 0.05 },
          },
        },
      }),
    );
    // The run as `spillway run` drives it (an abort controller, the crash guard), in a process
    // of its own: an uncaught exception is a process-wide event.
    const code = `
      import { runScenario } from ${JSON.stringify(join(repo, 'harness/run/run-scenario.ts'))};
      import { guardRunAgainstCrashes } from ${JSON.stringify(join(repo, 'harness/run/harness-crash.ts'))};
      const abort = new AbortController();
      guardRunAgainstCrashes(abort, () => undefined);
      const result = await runScenario({
        scenario: 'crash', units: 1, k6ConfigFile: ${JSON.stringify(configFile)}, resultsDir: ${JSON.stringify(join(dir, 'results'))}, signal: abort.signal,
        wrapFaultInjectors: (injectors) => ({ ...injectors, 'fleet-fault': async (step) => { setTimeout(() => { throw new Error('boom in an event handler'); }, 500); return injectors['fleet-fault'](step); } }),
      });
      process.stdout.write(result.journalFile);
      process.exitCode = result.journal.exitCode;`;
    const child = spawn(process.execPath, ['--input-type=module', '--disable-warning=ExperimentalWarning', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (err += String(chunk)));
    // The process ends by itself only once k6 has stopped and every listener has closed.
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(exitCode, err).toBe(2);
    const journal = JSON.parse(readFileSync(out.trim(), 'utf8')) as { status: string; problem: string; k6: { exitCode: number | null }; verdicts: unknown[] };
    expect(journal.status).toBe('incomplete');
    expect(journal.problem).toBe('the harness crashed: boom in an event handler; k6, the fault timeline and the target were stopped');
    expect(journal.verdicts).toEqual([]);
    // Stopped at the crash (k6: externally aborted), not run to its 30 s end.
    expect(journal.k6.exitCode).toBe(105);
  });
});
