import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { defaultK6ConfigFile, runScenario, type RunResult } from './run-scenario.ts';

/**
 * Issue #15's "done when" for local load generators: the shipped smoke scenario (100 s, every
 * verifier and a p(95) threshold) run with one k6 and with two, each on its execution segment,
 * gives the same verdicts: the same checks with the same statuses, both runs completed. The
 * merged run sent what the plan asks for, and each generator really sent about half of it.
 *
 * The two runs go side by side (each its own embedded topology on its own ports) so the test
 * takes one run's time, about two minutes. Skipped, saying why, where k6 is not provisioned.
 */
const k6 = await inspectTool(k6Spec);
const skip = k6.status === 'missing' ? `k6 ${k6.wantedVersion} is not provisioned (${k6.reasons.join('; ')}); run: npx spillway tools install` : null;
if (skip) process.stdout.write(`load-generators.e2e.test.ts skipped: ${skip}\n`);

const scenario = 'smoke';
const config = JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { scenarios: Record<string, { durationSeconds: number; traffic: { ratePerUnit: number; startSeconds?: number; endSeconds?: number }[] }> };
const plan = config.scenarios[scenario]!;
/** Requests the plan asks for at one unit: each class's rate over its window. */
const planned = plan.traffic.reduce((sum, t) => sum + t.ratePerUnit * ((t.endSeconds ?? plan.durationSeconds) - (t.startSeconds ?? 0)), 0);

const resultsDir = mkdtempSync(join(tmpdir(), 'spillway-load-generators-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

interface Counters {
  metrics: { http_reqs?: { count?: number }; dropped_iterations?: { count?: number } };
}
const countersOf = (file: string): { sent: number; dropped: number } => {
  const summary = JSON.parse(readFileSync(file, 'utf8')) as Counters;
  return { sent: summary.metrics.http_reqs?.count ?? 0, dropped: summary.metrics.dropped_iterations?.count ?? 0 };
};
/** Spillway's one sample per request in a k6 samples file. */
const requestSamples = (file: string): number => readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"type":"Point"') && line.includes('"metric":"spillway_request"')).length;

describe.skipIf(skip !== null)(`${scenario} with one load generator and with two`, () => {
  it('gives the same verdicts, and the two generators each sent about half', { timeout: 300_000 }, async () => {
    const run = (loadGenerators: number): Promise<RunResult> => runScenario({ scenario, units: 1, seed: 15, loadGenerators, resultsDir: join(resultsDir, `generators-${loadGenerators}`) });
    const [one, two] = await Promise.all([run(1), run(2)]);

    for (const result of [one, two]) expect(result.journal.status, `${result.runDir}: ${result.journal.problem ?? ''}`).toBe('completed');
    const verdicts = (result: RunResult): [string, string][] => result.journal.verdicts.map((v): [string, string] => [v.check, v.status]).sort(([a], [b]) => a.localeCompare(b));
    expect(verdicts(two)).toEqual(verdicts(one));
    expect(verdicts(one).length).toBeGreaterThan(10);
    expect(two.journal.exitCode).toBe(one.journal.exitCode);

    // The single generator is today's run: k6's files in the run folder, k6's own threshold evaluation.
    expect(one.journal.k6.loadGenerators).toBe(1);
    expect(one.journal.k6.generators).toBeUndefined();
    expect(one.journal.verdicts.find((v) => v.check.startsWith('k6 threshold'))!.tolerance).toMatch(/k6 evaluates the threshold/);
    // The two generators: each one's segment and exit kept, the thresholds judged over the merged samples.
    expect(two.journal.k6.loadGenerators).toBe(2);
    expect(two.journal.k6.generators!.map((g) => [g.segment, [0, 99].includes(g.exitCode ?? -1)])).toEqual([
      ['0:1/2', true],
      ['1/2:1', true],
    ]);
    expect(two.journal.verdicts.find((v) => v.check.startsWith('k6 threshold'))!.tolerance).toMatch(/merged raw samples of 2 load generators/);

    // The merged run sent what the plan asks for (an arrival k6 could not start counts as dropped).
    const merged = countersOf(join(two.runDir, 'k6-summary-export.json'));
    const single = countersOf(join(one.runDir, 'k6-summary-export.json'));
    for (const counts of [merged, single]) expect(Math.abs(counts.sent + counts.dropped - planned)).toBeLessThanOrEqual(Math.max(5, planned * 0.02));
    expect(Math.abs(merged.sent - single.sent)).toBeLessThanOrEqual(Math.max(5, planned * 0.03));

    // Each generator sent about half: its own summary export and its own samples say so, and the
    // merged samples hold both generators' requests, once each.
    const perGenerator = [1, 2].map((g) => ({ sent: countersOf(join(two.runDir, `generator-${g}`, 'k6-summary-export.json')).sent, samples: requestSamples(join(two.runDir, `generator-${g}`, 'k6-samples.json')) }));
    expect(perGenerator[0]!.sent + perGenerator[1]!.sent).toBe(merged.sent);
    for (const g of perGenerator) {
      expect(g.sent / merged.sent).toBeGreaterThan(0.4);
      expect(g.sent / merged.sent).toBeLessThan(0.6);
      expect(g.samples).toBe(g.sent);
    }
    expect(requestSamples(join(two.runDir, 'k6-samples.json'))).toBe(perGenerator[0]!.samples + perGenerator[1]!.samples);
  });
});
