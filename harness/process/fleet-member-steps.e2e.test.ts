import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../contracts/ledger-record.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { runScenario } from '../run/run-scenario.ts';
import { writeK6ConfigWith } from '../run/test-k6-config.ts';

/**
 * A `process` step on a fleet member in a real `spillway run` (real k6, loopback, about 20 s):
 * aoai-eastus-ptu1 runs as its own process, is killed (SIGKILL) at 6 s and started again at
 * 12 s. The journal's timeline holds the step as applied and cleared, the run completes, the
 * run's ledger has the member's records from before and after the kill (none while it was dead)
 * with seqs unique and in order, and its process log shows the two processes. Skipped, saying
 * why, where k6 is not provisioned.
 */
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 ${k6.wantedVersion} is not provisioned (${k6.reasons.join('; ')}); run: npx spillway tools install` : null;
if (skip) process.stdout.write(`fleet-member-steps.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-member-steps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const member = 'aoai-eastus-ptu1';

describe.skipIf(skip !== null)('a process kill step on a fleet member in spillway run', () => {
  it('kills the member for real, starts it again, and the run completes with its ledger whole', { timeout: 120_000 }, async () => {
    const k6ConfigFile = writeK6ConfigWith(dir, {
      'member-killed': {
        description: 'aoai-eastus-ptu1 is killed at 6 s and started again at 12 s',
        script: 'failover',
        durationSeconds: 20,
        traffic: [{ consumer: 'user-facing', ratePerUnit: 3, maxTokens: { kind: 'fixed', value: 20 } }],
        timeline: [{ id: 'member-killed', kind: 'process', at: 6, for: 6, action: 'kill', process: { of: 'backend', backend: member } }],
        thresholds: { http_req_failed: ['rate<0.5'] },
        fleet: { latencyScale: 0.1 },
      },
    });
    const result = await runScenario({ scenario: 'member-killed', units: 1, seed: 16, k6ConfigFile, resultsDir: join(dir, 'results') });
    expect(result.journal.status, `${result.runDir}: ${result.journal.problem ?? ''}`).toBe('completed');

    const step = result.journal.timeline.find((s) => s.id === 'member-killed')!;
    expect(step).toMatchObject({ action: 'process:kill', target: member });
    expect(step.error).toBeUndefined();
    expect(step.rollbackError).toBeUndefined();
    expect(step.appliedAt).not.toBeNull();
    expect(step.clearedAt).not.toBeNull();

    const records = readFileSync(join(result.runDir, 'fleet-ledger.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LedgerRecord);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const ofMember = records.filter((r) => r.type === 'request' && r.backend === member) as Extract<LedgerRecord, { type: 'request' }>[];
    expect(ofMember.some((r) => r.end < step.appliedAt!)).toBe(true);
    expect(ofMember.some((r) => r.start > step.clearedAt!)).toBe(true);
    expect(ofMember.filter((r) => r.start > step.appliedAt! && r.start < step.clearedAt!)).toEqual([]);
    // The others served meanwhile.
    expect(records.some((r) => r.type === 'request' && r.backend !== member && r.start > step.appliedAt! && r.end < step.clearedAt! && r.status === 200)).toBe(true);

    const processLog = readFileSync(join(result.runDir, 'fleet-members', member, 'process.log'), 'utf8');
    expect(processLog.match(/started pid/g)?.length).toBe(2);
    expect(processLog).toMatch(/exited \(SIGKILL\)/);
  });
});
