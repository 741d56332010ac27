/**
 * `spillway drill --runtime container`: a short drill on the embedded default with its method's
 * k6 in a container started through testcontainers from the locally built image, on the host
 * network. The before-gate reads the samples k6 writes into the mounted run folder as it runs;
 * the drill completes, its k6 log says it ran in its container, and no container of this process
 * is left. Skipped, saying why, without k6 or a container engine.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../cli/cli-test-support.ts';
import { listSpillwayContainers, ownerId } from '../containers/container-cleanup.ts';
import { engineForTests } from '../containers/container-engine-for-tests.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { drillFileByName } from './drill-catalog.ts';
import type { DrillJournal } from './drill-journal.ts';

const k6 = await inspectTool(k6Spec);
const engine = await engineForTests();
const skip = k6.status === 'missing' ? `k6 is not provisioned (${k6.reasons.join('; ')})` : engine.skip;
if (skip) process.stdout.write(`drill-in-containers.e2e.test.ts skipped: ${skip}\n`);

const dir = mkdtempSync(join(tmpdir(), 'spillway-drill-in-containers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip !== null)('spillway drill with k6 in a container', () => {
  it('runs the drill, the before-gate reading k6\'s samples from the mounted folder, and removes every container', { timeout: 600_000 }, async () => {
    // The shipped breaker drill, shortened to 20 s: ptu1 fails from 6 s to 12 s.
    const spec = JSON.parse(readFileSync(drillFileByName('backend-pool-member-ejected'), 'utf8'));
    spec.steadyStateHypothesis.before = { fromSeconds: 1, toSeconds: 6 };
    spec.steadyStateHypothesis.after = { fromSeconds: 14, toSeconds: 20 };
    spec.method.plan.durationSeconds = 20;
    spec.method.plan.timeline[0] = { ...spec.method.plan.timeline[0], at: 6, for: 6 };
    spec.detection[0].window = { fromSeconds: 6, toSeconds: 12 };
    const drills = join(dir, 'drills');
    mkdirSync(drills);
    writeFileSync(join(drills, 'breaker-in-a-container.drill.json'), JSON.stringify(spec));
    const results = join(dir, 'results');
    const { code, stdout, stderr } = await runCliInProcess(['drill', 'breaker-in-a-container', '--drills', drills, '--runtime', 'container', '--results', results, '--seed', '7']);
    const drillDir = join(results, 'drills', readdirSync(join(results, 'drills'))[0]!);
    const journal = JSON.parse(readFileSync(join(drillDir, 'drill-journal.json'), 'utf8')) as DrillJournal;
    expect(journal.status, `${journal.problem ?? ''}\n${journal.deviations.join('\n')}\n${stderr}\n${stdout}`).toBe('completed');
    expect(code).toBe(0);
    expect(journal.beforeGate).toMatchObject({ status: 'held', method: 'ran', faultsApplied: 1 });
    expect(journal.hypothesis.before.find((c) => c.kind === 'http')?.measured).toMatch(/^[1-9]\d* of [1-9]\d* user-facing's requests/);
    expect(readFileSync(join(drillDir, journal.run!.folder, 'k6-output.log'), 'utf8')).toMatch(/^spillway: k6 runs in container [0-9a-f]{12} \(.*k6:2\.2\.0, host network\)$/m);
    const mine = (await listSpillwayContainers()).filter((c) => c.owner === ownerId());
    expect(mine).toEqual([]);
  });
});
