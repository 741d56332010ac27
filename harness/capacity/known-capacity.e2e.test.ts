import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { runCapacity } from './capacity-run.ts';
import { defaultDroppedTolerance } from './judge-step.ts';

/**
 * The proof that the method finds the truth (issue 15, section 2): the emulator's capacity model
 * set to 2 units × 150 req/s, a rate this 2-core machine drives, and the knee found by real k6
 * runs must land within 10% of 300 req/s, in each of three runs. Skipped, saying why, where k6
 * is not provisioned. Each run takes about a minute (short steps, loopback only).
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : null;
if (skip) process.stdout.write(`known-capacity.e2e.test.ts skipped: ${skip}\n`);

const work = mkdtempSync(join(tmpdir(), 'spillway-known-capacity-'));
const configDir = join(work, 'apim');
cpSync(join(repo, 'deploy', 'apim'), configDir, { recursive: true });
const emulatorFile = join(configDir, 'emulator.json');
const emulator = JSON.parse(readFileSync(emulatorFile, 'utf8')) as Record<string, unknown>;
// A short queue timeout keeps an overloaded step from holding k6 for the default 30 s.
writeFileSync(emulatorFile, JSON.stringify({ ...emulator, capacity: { enabled: true, requestsPerSecondPerUnit: 150, queueLength: 1000, queueTimeoutSeconds: 5 } }));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(skip !== null)('spillway capacity against a gateway of known capacity (2 units × 150 req/s)', () => {
  for (const run of [1, 2, 3]) {
    it(`finds the knee within 10% of 300 req/s (run ${run} of 3)`, { timeout: 240_000 }, async () => {
      const lines: string[] = [];
      const result = await runCapacity({
        units: 2,
        configDir,
        startRps: 200,
        stepRps: 100,
        maxRps: 400,
        holdSeconds: 6,
        settleSeconds: 2,
        resolution: 0.05,
        criteria: { sloP95Ms: 250, errorBudget: 0.01, droppedTolerance: defaultDroppedTolerance },
        backendLimits: { max429Share: 0.001, maxP95Ms: 100 },
        runDir: join(work, `run-${run}`),
        say: (line) => lines.push(line),
      });
      process.stdout.write(`known capacity, run ${run}:\n${lines.map((l) => `  ${l}`).join('\n')}\n  outcome: ${JSON.stringify(result.knee)}\n`);
      expect(result.emulated).toMatchObject({ units: 2, requestsPerSecondPerUnit: 150 });
      expect(result.knee.kind, lines.join('\n')).toBe('knee');
      if (result.knee.kind !== 'knee') return;
      expect(Math.abs(result.knee.rps - 300)).toBeLessThanOrEqual(30);
    });
  }
});
