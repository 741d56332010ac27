import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { runScenario } from '../run/run-scenario.ts';
import { writeK6ConfigWith } from '../run/test-k6-config.ts';

/**
 * A `process` step in a real `spillway run` (real k6, loopback, about 25 s): the secondary
 * region's gateway runs as its own process, is killed (SIGKILL) at 5 s and started again at
 * 13 s. The journal's timeline holds the step as applied and cleared, the run completes, the
 * front door's probes to that region were refused while it was dead and answered after, and
 * the process log shows the two processes. Skipped, saying why, where k6 is not provisioned.
 */
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 ${k6.wantedVersion} is not provisioned (${k6.reasons.join('; ')}); run: npx spillway tools install` : null;
if (skip) process.stdout.write(`process-steps.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-process-steps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== null)('a process kill step in spillway run', () => {
  it('kills the secondary gateway for real, starts it again, and the run completes', { timeout: 120_000 }, async () => {
    const k6ConfigFile = writeK6ConfigWith(dir, {
      'west-killed': {
        description: 'the West US gateway process is killed at 5 s and started again at 13 s',
        script: 'failover',
        durationSeconds: 22,
        traffic: [{ consumer: 'user-facing', ratePerUnit: 2, maxTokens: { kind: 'fixed', value: 20 } }],
        timeline: [{ id: 'west-killed', kind: 'process', at: 5, for: 8, action: 'kill', process: { of: 'gateway', region: 'West US' } }],
        thresholds: { http_req_failed: ['rate<0.5'] },
        fleet: { latencyScale: 0.1 },
      },
    });
    const result = await runScenario({ scenario: 'west-killed', units: 1, seed: 16, k6ConfigFile, resultsDir: join(dir, 'results') });
    expect(result.journal.status, `${result.runDir}: ${result.journal.problem ?? ''}`).toBe('completed');

    const step = result.journal.timeline.find((s) => s.id === 'west-killed')!;
    expect(step).toMatchObject({ action: 'process:kill', target: 'gateway West US' });
    expect(step.error).toBeUndefined();
    expect(step.rollbackError).toBeUndefined();
    expect(step.appliedAt).not.toBeNull();
    expect(step.clearedAt).not.toBeNull();

    const logs = join(result.runDir, 'gateway-logs');
    const probes = readFileSync(join(logs, 'front-door-events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; origin: string; time: string; success?: boolean; error?: string })
      .filter((event) => event.type === 'probe' && event.origin === 'West US');
    const during = probes.filter((p) => Date.parse(p.time) > step.appliedAt! && Date.parse(p.time) < step.clearedAt!);
    const after = probes.filter((p) => Date.parse(p.time) > step.clearedAt! + 500);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((p) => !p.success && p.error === 'ECONNREFUSED')).toBe(true);
    expect(after.some((p) => p.success)).toBe(true);

    const processLog = readFileSync(join(logs, 'process-west-us', 'process.log'), 'utf8');
    expect(processLog.match(/started pid/g)?.length).toBe(2);
    expect(processLog).toMatch(/exited \(SIGKILL\)/);
  });
});
