/**
 * Shipped drills, run for real (k6 on the embedded default) against the shipped sample, where
 * they must hold, and against a copy of it broken in exactly the way each drills
 * (harness/verify/broken-config.ts), where they must deviate, naming what failed, while the
 * hypothesis of a steady gateway still holds (the harness did not fail: the gateway deviated).
 * The broken gateway is held to the sample's configuration (--expectations-config), as a team
 * holds a changed gateway to the last approved one.
 *
 * Each drill runs 34-40 s of load; a pair runs its two drills side by side (about 4 minutes in all).
 * The drills added later (self-hosted-gateway-disconnected, token-budget-exhausted) are in
 * playbook-drills.e2e.test.ts. Skipped, with the reason printed, where k6 is not provisioned.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGatewayConfigDir, defaultK6ConfigFile } from '../run/run-scenario.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import { brokenConfig, devTestTokenLimitMissing, equalFrontDoorPriorities, equalPoolPriorities, ptu2PointsAtPtu1, withoutPtuCircuitBreakers, type Breakage } from '../verify/broken-config.ts';
import { drillFileByName } from './drill-catalog.ts';
import { loadDrill } from './drill-file.ts';
import { runDrill } from './run-drill.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') process.stdout.write(`drills.e2e.test.ts: skipped: k6 is not provisioned (${inspection.reasons.join('; ')})\n`);

const pairs: { drill: string; breakage: Breakage; breakageName: string; deviation: RegExp }[] = [
  { drill: 'backend-pool-member-ejected', breakage: withoutPtuCircuitBreakers, breakageName: 'withoutPtuCircuitBreakers', deviation: /^verdict circuit-breaker\.opens-after-count \(step ptu1-fails, aoai-eastus-ptu1/ },
  { drill: 'subscription-429-spike', breakage: devTestTokenLimitMissing, breakageName: 'devTestTokenLimitMissing', deviation: /^detection "rate-limit hits: dev-test's spike shows": expected sum\(Hits\) where ApimSubscriptionId == "dev-test" >= 5; measured 0/ },
  { drill: 'ptu-saturation-spillover', breakage: equalPoolPriorities, breakageName: 'equalPoolPriorities', deviation: /^verdict spillover\.payg-only-under-pressure: / },
  { drill: 'regional-outage-failover', breakage: equalFrontDoorPriorities, breakageName: 'equalFrontDoorPriorities', deviation: /^verdict failover\.steady-state-origins: / },
  { drill: 'backend-latency-spike', breakage: ptu2PointsAtPtu1, breakageName: 'ptu2PointsAtPtu1', deviation: /^detection "slow answers by backend: no other backend": expected sum\(Slow\) <= 0; measured [1-9]/ },
];

describe.skipIf(inspection.status === 'missing')('shipped drills against the sample and against a gateway broken the way they drill', () => {
  for (const pair of pairs) {
    it(`${pair.drill}: holds on the sample, deviates without what it drills (${pair.breakageName})`, async () => {
      const drill = loadDrill(drillFileByName(pair.drill), defaultK6ConfigFile);
      const resultsDir = mkdtempSync(join(tmpdir(), 'drills-e2e-'));
      const [good, broken] = await Promise.all([
        runDrill(drill, { resultsDir: join(resultsDir, 'good'), seed: 5 }),
        runDrill(drill, { resultsDir: join(resultsDir, 'broken'), gatewayConfigDir: brokenConfig(pair.breakage), expectationsConfigDir: defaultGatewayConfigDir, seed: 5 }),
      ]);
      expect(good.journal.problem).toBeUndefined();
      expect(good.journal.deviations).toEqual([]);
      expect(good.journal).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(good.journal.detection.length).toBeGreaterThan(0);

      expect(broken.journal.problem).toBeUndefined();
      expect(broken.journal).toMatchObject({ status: 'deviated', exitCode: 1 });
      expect(broken.journal.deviations.some((d) => pair.deviation.test(d))).toBe(true);
      // Clients were served before and after: the steady state held, the behaviour did not.
      expect([...broken.journal.hypothesis.before, ...broken.journal.hypothesis.after].every((p) => p.status === 'held')).toBe(true);
    }, 240_000);
  }

  it('stopped while its fault is applied: interrupted, and the fault rolled back', async () => {
    const drill = loadDrill(drillFileByName('backend-pool-member-ejected'), defaultK6ConfigFile);
    const abort = new AbortController();
    const { journal } = await runDrill(drill, {
      resultsDir: mkdtempSync(join(tmpdir(), 'drills-e2e-')),
      signal: abort.signal,
      progress: (line) => {
        if (line.includes('applied ptu1-fails')) abort.abort();
      },
    });
    expect(journal).toMatchObject({ status: 'interrupted', exitCode: 2 });
    expect(journal.deviations).toEqual([]);
    expect(journal.rollbacks).toContainEqual(expect.objectContaining({ kind: 'timeline-step', what: expect.stringContaining('ptu1-fails'), status: 'done' }));
  }, 120_000);
});
