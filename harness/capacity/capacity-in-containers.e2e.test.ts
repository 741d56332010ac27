/**
 * `spillway capacity --runtime container`: a short ramp on the embedded default with each step's
 * k6 in a container started through testcontainers from the locally built image, on the host
 * network. The run completes, every step's k6 log says it ran in its container, and no container
 * of this process is left. Skipped, saying why, without k6 or a container engine.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../cli/cli-test-support.ts';
import { listSpillwayContainers, ownerId } from '../containers/container-cleanup.ts';
import { engineForTests } from '../containers/container-engine-for-tests.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';

const k6 = await inspectTool(k6Spec);
const engine = await engineForTests();
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : engine.skip;
if (skip) process.stdout.write(`capacity-in-containers.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-capacity-in-containers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== null)('spillway capacity with k6 in containers', () => {
  it('ramps with each step in a container, and removes every container', { timeout: 600_000 }, async () => {
    const results = join(dir, 'results');
    const { code, stdout, stderr } = await runCliInProcess(['capacity', '--runtime', 'container', '--start-rps', '20', '--step-rps', '20', '--max-rps', '40', '--hold-seconds', '4', '--settle-seconds', '1', '--confirm-seconds', '0', '--results', results]);
    const runDir = join(results, readdirSync(results)[0]!);
    const journal = JSON.parse(readFileSync(join(runDir, 'capacity-journal.json'), 'utf8')) as { status: string; problem?: string; steps: unknown[] };
    expect(journal.status, `${journal.problem ?? stderr}\n${stdout}`).toBe('completed');
    expect([0, 1, 3]).toContain(code);
    const stepFolders = readdirSync(runDir).filter((name) => name.startsWith('step-'));
    expect(stepFolders.length).toBe(2);
    for (const folder of stepFolders) expect(readFileSync(join(runDir, folder, 'k6-output.log'), 'utf8')).toMatch(/^spillway: k6 runs in container [0-9a-f]{12} \(.*k6:2\.2\.0, host network\)$/m);
    const mine = (await listSpillwayContainers()).filter((c) => c.owner === ownerId());
    expect(mine).toEqual([]);
  });
});
