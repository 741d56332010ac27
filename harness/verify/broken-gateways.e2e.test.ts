import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type RunnerTask } from 'vitest';
import { defaultGatewayConfigDir, defaultK6ConfigFile, runScenario, type RunResult } from '../run/run-scenario.ts';
import { inspectTool } from '../tools/resolve-tool.ts';
import { k6Spec } from '../tools/tool-specs.ts';
import {
  brokenConfig,
  devTestTokenLimitMissing,
  doubledDevTestTokenLimit,
  equalFrontDoorPriorities,
  equalPoolPriorities,
  halvedDevTestTokenLimit,
  highLaneIgnoresRetryAfter,
  highPriorityToFullPool,
  longPtuTripDuration,
  mediumToPayg,
  productKeyedDevTestTokenLimit,
  ptuBreakerCountOne,
  singleMediumRetry,
  regionBlindRouting,
  shortPtuTripDuration,
  slowFrontDoorDetection,
  withoutPtuCircuitBreakers,
  type Breakage,
} from './broken-config.ts';
import type { Verdict } from './verdict.ts';

/**
 * Spillway's rule: a verifier counts only once it is shown to fail against a gateway broken in
 * exactly the way it checks for. Each drill runs the whole stack (runScenario: real k6, the mock
 * fleet, the gateway emulator, the front door) with a short plan, once against the sample
 * (deploy/apim: the check passes) and once against a copy broken in one way
 * (broken-config.ts: the check fails). The broken gateway's expectations still come from the
 * sample (`expectationsConfigDir`): a breakage must not move the goalposts.
 *
 * Runs are short (30-65 s, latency scale 0.1-0.2, lowered PTU capacity) and their rates tiny,
 * so a few run side by side (SPILLWAY_E2E_CONCURRENCY, default 3); bundling and k6's start are
 * serialised, since a sample run and its broken runs bundle the same dist/scenarios/<plan>.js. The run folders are in
 * a temp dir, printed with every failing assertion.
 */
const inspection = await inspectTool(k6Spec);
if (inspection.status === 'missing') {
  process.stdout.write(`broken-gateways.e2e.test.ts skipped: k6 ${inspection.wantedVersion} is not provisioned (${inspection.reasons.join('; ')}); run: npx spillway tools install\n`);
}

const baseConfig = JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { consumers: unknown };
const chat = (words: number, maxTokens: number) => ({ promptWords: { kind: 'fixed', value: words }, maxTokens: { kind: 'fixed', value: maxTokens } });

/**
 * The drills' plans, named after the scenario scripts that run them; each serves one sample run
 * and one or more broken runs.
 */
const plans = {
  // A PTU backend answers 500 for 8 s from t+3 s; medium's breaker (3 in 10 s, 5 s) trips
  // around t+3 s and again when it lets traffic back into the fault, each time silent for 5 s;
  // the plan leaves ample time after the fault to see traffic resume.
  'circuit-breaker': {
    description: 'Medium traffic; aoai-eastus-ptu1 answers 500 for 8 s.',
    durationSeconds: 48,
    traffic: [{ consumer: 'user-facing', ratePerUnit: 2, ...chat(30, 40) }],
    timeline: [{ id: 'ptu1-fails', at: 3, for: 8, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } }],
    verifiers: ['circuit-breaker'],
    fleet: { latencyScale: 0.2 },
  },
  // Both breaker lanes (k6.config.json's circuit-breaker plan, shortened): medium 3/s, high 2/s.
  // ptu1 answers 500 for 10 s from t+3 s (the count: medium trips for 5 s at a time, high for
  // 30 s); ptu2 answers 429 with Retry-After 3 s for 10 s from t+38 s, after the high lane's
  // ptu1 trip: the high lane must reopen after 3 s, the medium lane after its own 5 s.
  'breaker-lanes': {
    description: 'Medium and high traffic; ptu1 answers 500, later ptu2 answers 429 with Retry-After 3 s.',
    script: 'circuit-breaker',
    durationSeconds: 60,
    traffic: [
      { consumer: 'user-facing', ratePerUnit: 3, ...chat(20, 20) },
      { consumer: 'critical-ops', ratePerUnit: 2, ...chat(20, 20) },
    ],
    timeline: [
      { id: 'ptu1-fails', at: 3, for: 10, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } },
      { id: 'ptu2-throttles', at: 38, for: 10, kind: 'fleet-fault', fault: { kind: 'status', status: 429, retryAfterSeconds: 3, target: { backend: 'aoai-eastus-ptu2' } } },
    ],
    verifiers: ['circuit-breaker'],
    fleet: { latencyScale: 0.2 },
  },
  // About 14,000 TPM of medium and 3,500 of high (≈117 tokens a request) against 14,000 TPM of
  // PTU: the sample saturates PTU now and then. At t+22 s both PTU resources answer 429 with
  // Retry-After 5 s for 8 s, so their breakers (acceptRetryAfter) are open together and the
  // pool must spill medium (and only medium) to PAYG: the sample's PAYG traffic is then
  // never vacuous, and high sent to the full pool reliably reaches PAYG (saturation alone
  // sent 1 high request of 26 there, too few to rely on). With PAYG at priority 1, PAYG takes
  // about half of medium all the time, PTU runs at ~75% and never refuses before the fault,
  // so most PAYG traffic is unjustified.
  spillover: {
    description: 'Medium over PTU capacity, some high and low.',
    durationSeconds: 40,
    traffic: [
      { consumer: 'user-facing', ratePerUnit: 2, ...chat(40, 80) },
      { consumer: 'critical-ops', ratePerUnit: 0.5, ...chat(40, 80) },
      { consumer: 'batch', ratePerUnit: 0.15, ...chat(40, 80) },
    ],
    timeline: [
      { id: 'ptu1-throttles', at: 22, for: 8, kind: 'fleet-fault', fault: { kind: 'status', status: 429, retryAfterSeconds: 5, target: { backend: 'aoai-eastus-ptu1' } } },
      { id: 'ptu2-throttles', at: 22, for: 8, kind: 'fleet-fault', fault: { kind: 'status', status: 429, retryAfterSeconds: 5, target: { backend: 'aoai-eastus-ptu2' } } },
    ],
    verifiers: ['spillover', 'priority'],
    fleet: { latencyScale: 0.2, capacityTpm: { 'ptu:gpt-4o': 7000 } },
  },
  // dev-test (1,000 TPM in k6.config.json) offers about 3,000 TPM as medium (so the low
  // priority call limit does not mask the budget) for 65 s: one full 60 s window. From t+20 s
  // dev-test-ci, a second subscription of the class with its own budget, offers the same: a
  // counter shared by the two refuses it at once (dev-test has filled it), and a limit that
  // does not apply admits each far beyond its budget (about 2,700 tokens in 45 s).
  'token-limit': {
    description: 'dev-test above its 1,000 TPM budget for a minute, dev-test-ci too from 20 s.',
    durationSeconds: 65,
    traffic: [
      { consumer: 'dev-test', priority: 'medium', ratePerUnit: 0.4, ...chat(40, 120) },
      { consumer: 'dev-test-ci', priority: 'medium', ratePerUnit: 0.4, startSeconds: 20, ...chat(40, 120) },
    ],
    verifiers: ['token-limit'],
    fleet: { latencyScale: 0.1 },
  },
  // East US is down for 16 s from t+4 s. The sample's probes (every 2 s, 3 of 4 required)
  // remove it within 2 failed probes + a timeout (6 s); with 8 samples it takes 6 (14 s).
  failover: {
    description: 'The primary region is down for 16 s.',
    durationSeconds: 32,
    traffic: [{ consumer: 'user-facing', ratePerUnit: 3, ...chat(20, 20) }],
    timeline: [{ id: 'primary-region-down', at: 4, for: 16, kind: 'region-down', region: 'East US' }],
    verifiers: ['failover'],
    fleet: { latencyScale: 0.2 },
  },
} as const;
type PlanName = keyof typeof plans;

const work = mkdtempSync(join(tmpdir(), 'spillway-broken-gateways-'));
const resultsDir = join(work, 'results');
const k6ConfigFile = join(work, 'k6.config.json');
writeFileSync(k6ConfigFile, JSON.stringify({ consumers: baseConfig.consumers, scenarios: plans }, null, 2));

interface Drill {
  plan: PlanName;
  /** Absent: the sample as shipped. */
  breakage?: Breakage;
}
const drills = {
  'sample/breaker': { plan: 'circuit-breaker' },
  'no-breaker/breaker': { plan: 'circuit-breaker', breakage: withoutPtuCircuitBreakers },
  'short-trip/breaker': { plan: 'circuit-breaker', breakage: shortPtuTripDuration },
  'long-trip/breaker': { plan: 'circuit-breaker', breakage: longPtuTripDuration },
  'sample/breaker-lanes': { plan: 'breaker-lanes' },
  'count-one/breaker-lanes': { plan: 'breaker-lanes', breakage: ptuBreakerCountOne },
  'high-ignores-retry-after/breaker-lanes': { plan: 'breaker-lanes', breakage: highLaneIgnoresRetryAfter },
  'sample/routing': { plan: 'spillover' },
  'equal-priorities/routing': { plan: 'spillover', breakage: equalPoolPriorities },
  'high-to-pool/routing': { plan: 'spillover', breakage: highPriorityToFullPool },
  'one-retry/routing': { plan: 'spillover', breakage: singleMediumRetry },
  'medium-to-payg/routing': { plan: 'spillover', breakage: mediumToPayg },
  'sample/token-limit': { plan: 'token-limit' },
  'doubled-limit/token-limit': { plan: 'token-limit', breakage: doubledDevTestTokenLimit },
  'halved-limit/token-limit': { plan: 'token-limit', breakage: halvedDevTestTokenLimit },
  'product-keyed-limit/token-limit': { plan: 'token-limit', breakage: productKeyedDevTestTokenLimit },
  'no-dev-test-limit/token-limit': { plan: 'token-limit', breakage: devTestTokenLimitMissing },
  'sample/failover': { plan: 'failover' },
  'slow-probes/failover': { plan: 'failover', breakage: slowFrontDoorDetection },
  'region-blind/failover': { plan: 'failover', breakage: regionBlindRouting },
  'equal-origin-priority/failover': { plan: 'failover', breakage: equalFrontDoorPriorities },
} satisfies Record<string, Drill>;
type DrillName = keyof typeof drills;

/** A tiny semaphore: at most `limit` runs at once, and one at a time between bundling and k6's start. */
function limiter(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (active < limit) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return { acquire, release };
}
const concurrency = Math.max(1, Number(process.env.SPILLWAY_E2E_CONCURRENCY ?? 3) || 3);
const slots = limiter(concurrency);
const startLock = limiter(1);

const started = new Map<DrillName, Promise<RunResult>>();
const fileStarted = Date.now();

/** Starts a drill's run (once) and returns it; every drill is started as soon as the file loads. */
function run(name: DrillName): Promise<RunResult> {
  let result = started.get(name);
  if (!result) {
    const drill: Drill = drills[name];
    result = (async () => {
      await slots.acquire();
      try {
        const gatewayConfigDir = drill.breakage ? brokenConfig(drill.breakage, defaultGatewayConfigDir, work) : defaultGatewayConfigDir;
        await startLock.acquire();
        let locked = true;
        const unlock = (): void => {
          if (locked) {
            locked = false;
            startLock.release();
          }
        };
        try {
          const t0 = Date.now();
          const res = await runScenario({
            scenario: drill.plan,
            units: 1,
            k6ConfigFile,
            gatewayConfigDir,
            expectationsConfigDir: defaultGatewayConfigDir,
            resultsDir: join(resultsDir, name.replace('/', '--')),
            seed: 7,
            // k6 reads the bundle as it starts: hold the next run's bundling back a moment.
            onLoadPhase: (edge) => {
              if (edge === 'start') setTimeout(unlock, 3_000);
            },
          });
          process.stdout.write(`[e2e] ${name}: ${res.journal.status} in ${((Date.now() - t0) / 1000).toFixed(0)} s (${((Date.now() - fileStarted) / 1000).toFixed(0)} s into the file), ${res.runDir}\n`);
          return res;
        } finally {
          unlock();
        }
      } finally {
        slots.release();
      }
    })();
    started.set(name, result);
  }
  return result;
}

/** Ledger records of a completed run matching `keep` (the fleet's ground truth). */
function ledgerRecords(result: RunResult, keep: (r: { type: string; kind?: string; priority?: string | null }) => boolean): number {
  const text = readFileSync(join(result.runDir, result.journal.evidence.ledger ?? 'fleet-ledger.jsonl'), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '' && keep(JSON.parse(line) as { type: string })).length;
}

function describeVerdict(v: Verdict): string {
  return `${v.check}: ${v.status}\n  expected: ${v.expected}\n  measured: ${v.measured}\n  tolerance: ${v.tolerance}\n  ${v.explanation}`;
}

/**
 * The verdicts whose check starts with one of `prefixes`, from a completed run. The assertion
 * message carries the run folder and every verdict of the run.
 */
function verdictsOf(result: RunResult, prefixes: string[]): Verdict[] {
  const context = `run ${result.runDir} (${result.journal.status}${result.journal.problem ? `: ${result.journal.problem}` : ''})`;
  expect(result.journal.status, `${context}\n${result.journal.verdicts.map(describeVerdict).join('\n')}`).toBe('completed');
  const found = result.journal.verdicts.filter((v) => prefixes.some((p) => v.check.startsWith(p)));
  expect(found.length, `${context}: no verdict named ${prefixes.join(' or ')}; verdicts: ${result.journal.verdicts.map((v) => `${v.check} ${v.status}`).join(', ')}`).toBeGreaterThan(0);
  return found;
}

/** Every verdict matching a prefix passes. */
async function expectPass(name: DrillName, prefixes: string[]): Promise<void> {
  const result = await run(name);
  for (const v of verdictsOf(result, prefixes)) {
    expect(v.status, `${name}: a correct configuration should pass (run ${result.runDir})\n${describeVerdict(v)}`).toBe('pass');
  }
}

/** Some verdict matching a prefix fails; returns the failing ones. */
async function expectFail(name: DrillName, prefixes: string[]): Promise<Verdict[]> {
  const result = await run(name);
  const found = verdictsOf(result, prefixes);
  const failing = found.filter((v) => v.status === 'fail');
  expect(failing.length, `${name}: the broken gateway should fail ${prefixes.join(' or ')} (run ${result.runDir})\n${found.map(describeVerdict).join('\n')}`).toBeGreaterThan(0);
  for (const v of failing) process.stdout.write(`[e2e] ${name}: caught by ${v.check}: ${v.measured}\n`);
  return failing;
}

/** A breakage caught by `intended` is caught by it alone: no other verdict of the run fails. */
async function expectNoOtherFailure(name: DrillName, intended: string): Promise<void> {
  const result = await run(name);
  const others = result.journal.verdicts.filter((v) => !v.check.startsWith(intended) && v.status === 'fail');
  expect(others.map(describeVerdict), `${name} (run ${result.runDir}): only ${intended} should fail`).toEqual([]);
}

/** Whether no test under `task` was left out (by a -t filter, .skip or .only elsewhere). */
function everyTestSelected(task: RunnerTask): boolean {
  return task.type === 'test' ? task.mode === 'run' || task.mode === 'only' : task.tasks.every(everyTestSelected);
}

const e2e = describe.skipIf(inspection.status === 'missing');
// Runs take 30-65 s each, a few at a time; a test may wait for the runs queued before its own.
const timeout = 15 * 60_000;

e2e('verifiers against broken gateways (real k6, fleet, gateway emulator, front door)', () => {
  // Queue every run at once (the limiter runs a few at a time), in the order the tests read them.
  // Under a name filter (vitest -t) only the selected tests run, each starting the runs it reads
  // itself: queueing them all would start drills nobody waits for. (Vitest reads the first
  // argument's destructuring for fixtures, hence the empty pattern.)
  beforeAll(({}, suite) => {
    if (!everyTestSelected(suite)) return;
    for (const name of Object.keys(drills) as DrillName[]) void run(name).catch(() => undefined);
  });
  afterAll(() => {
    process.stdout.write(`[e2e] broken-gateways: ${((Date.now() - fileStarted) / 1000).toFixed(0)} s, run folders in ${resultsDir}\n`);
  });

  describe('circuit breaker', () => {
    it('the sample passes opens-after-count, stays-open and resumes with a PTU answering 500', { timeout }, async () => {
      await expectPass('sample/breaker', ['circuit-breaker.opens-after-count', 'circuit-breaker.stays-open', 'circuit-breaker.resumes']);
    });
    it('PTU backends without a breaker fail opens-after-count or stays-open', { timeout }, async () => {
      await expectFail('no-breaker/breaker', ['circuit-breaker.opens-after-count', 'circuit-breaker.stays-open']);
    });
    it('a trip a fifth of the configured length fails stays-open', { timeout }, async () => {
      await expectFail('short-trip/breaker', ['circuit-breaker.stays-open']);
    });
    it('a 5 minute trip where seconds are configured fails resumes', { timeout }, async () => {
      await expectFail('long-trip/breaker', ['circuit-breaker.resumes']);
    });
    it('the sample passes every check of both lanes, for a 500 and for a 429 with Retry-After', { timeout }, async () => {
      await expectPass('sample/breaker-lanes', ['circuit-breaker']);
      const checks = verdictsOf(await run('sample/breaker-lanes'), ['circuit-breaker.stays-open']).map((v) => v.check);
      for (const lane of ['aoai-eastus-ptu2 via aoai-eastus-ptu2,', 'aoai-eastus-ptu2 via aoai-eastus-ptu2-high,']) {
        expect(checks.some((c) => c.includes('step ptu2-throttles') && c.includes(lane)), `no stays-open verdict for ${lane} under the Retry-After fault`).toBe(true);
      }
    });
    it('breakers that open after 1 failure instead of 3 fail opens-after-count and nothing else', { timeout }, async () => {
      const failing = await expectFail('count-one/breaker-lanes', ['circuit-breaker.opens-after-count']);
      expect(failing.map((v) => v.measured).join('\n')).toMatch(/opened after 1[, \d]* failure\(s\)/);
      await expectNoOtherFailure('count-one/breaker-lanes', 'circuit-breaker.opens-after-count');
    });
    it('a high lane that ignores the Retry-After fails resumes and nothing else', { timeout }, async () => {
      const failing = await expectFail('high-ignores-retry-after/breaker-lanes', ['circuit-breaker.resumes (step ptu2-throttles, aoai-eastus-ptu2 via aoai-eastus-ptu2-high']);
      expect(failing[0]!.explanation).toMatch(/after its 3\.0 s trip should have ended/);
      await expectNoOtherFailure('high-ignores-retry-after/breaker-lanes', 'circuit-breaker.resumes');
    });
  });

  describe('spillover and priority routing', () => {
    it('the sample passes payg-only-under-pressure, no-429-while-payg-had-room, high-ptu-only and medium-uses-pool under PTU saturation', { timeout }, async () => {
      await expectPass('sample/routing', ['spillover.payg-only-under-pressure', 'spillover.no-429-while-payg-had-room', 'priority.high-ptu-only', 'priority.medium-uses-pool']);
      // Not a vacuous pass: the pool did spill medium to PAYG, and high was sent while it did.
      const result = await run('sample/routing');
      expect(ledgerRecords(result, (r) => r.type === 'request' && r.kind === 'payg' && r.priority === 'medium'), `no medium request reached PAYG in ${result.runDir}`).toBeGreaterThan(0);
    });
    it('PAYG at the PTU priority in the pool fails spillover.payg-only-under-pressure', { timeout }, async () => {
      await expectFail('equal-priorities/routing', ['spillover.payg-only-under-pressure']);
    });
    it('high priority sent to the full pool fails priority.high-ptu-only', { timeout }, async () => {
      await expectFail('high-to-pool/routing', ['priority.high-ptu-only']);
    });
    it('medium retried once fails spillover.no-429-while-payg-had-room', { timeout }, async () => {
      await expectFail('one-retry/routing', ['spillover.no-429-while-payg-had-room']);
    });
    it('medium routed to PAYG only fails priority.medium-uses-pool', { timeout }, async () => {
      await expectFail('medium-to-payg/routing', ['priority.medium-uses-pool']);
    });
  });

  describe('token limit', () => {
    it('the sample passes admitted-within-limit and no-refusal-below-limit for dev-test above its budget', { timeout }, async () => {
      await expectPass('sample/token-limit', ['token-limit.admitted-within-limit', 'token-limit.no-refusal-below-limit']);
    });
    it('a doubled dev-test limit fails admitted-within-limit', { timeout }, async () => {
      await expectFail('doubled-limit/token-limit', ['token-limit.admitted-within-limit']);
    });
    it('a halved dev-test limit fails no-refusal-below-limit', { timeout }, async () => {
      await expectFail('halved-limit/token-limit', ['token-limit.no-refusal-below-limit']);
    });
    it('the sample judges both dev-test subscriptions, each on its own counter (not a vacuous pass)', { timeout }, async () => {
      const checks = verdictsOf(await run('sample/token-limit'), ['token-limit.']).map((v) => v.check);
      for (const consumer of ['dev-test', 'dev-test-ci']) {
        expect(checks, 'both subscriptions were refused by their own limit, so both were judged').toContain(`token-limit.admitted-within-limit (${consumer} @ East US)`);
        expect(checks).toContain(`token-limit.no-refusal-below-limit (${consumer} @ East US)`);
      }
    });
    it('a counter keyed by the product, shared by dev-test and dev-test-ci, fails no-refusal-below-limit and nothing else', { timeout }, async () => {
      const failing = await expectFail('product-keyed-limit/token-limit', ['token-limit.no-refusal-below-limit']);
      expect(failing.map((v) => v.explanation).join('\n')).toMatch(/consistent with one counter shared between them/);
      await expectNoOtherFailure('product-keyed-limit/token-limit', 'token-limit.no-refusal-below-limit');
    });
    it('no token limit for the dev/test class (its branch dropped) fails admitted-within-limit and nothing else', { timeout }, async () => {
      await expectFail('no-dev-test-limit/token-limit', ['token-limit.admitted-within-limit']);
      await expectNoOtherFailure('no-dev-test-limit/token-limit', 'token-limit.admitted-within-limit');
    });
  });

  describe('failover', () => {
    it('the sample passes error-window and no-traffic-after-detection when the primary region goes down', { timeout }, async () => {
      await expectPass('sample/failover', ['failover.error-window', 'failover.no-traffic-after-detection']);
    });
    it('front door probes that take 8 samples fail error-window', { timeout }, async () => {
      await expectFail('slow-probes/failover', ['failover.error-window']);
    });
    it('gateways that route to East US whatever their region fail no-traffic-after-detection', { timeout }, async () => {
      await expectFail('region-blind/failover', ['failover.no-traffic-after-detection']);
    });
    it('the sample passes steady-state-origins and traffic-returns: all healthy traffic to the primary', { timeout }, async () => {
      await expectPass('sample/failover', ['failover.steady-state-origins', 'failover.traffic-returns']);
    });
    it('a secondary origin at the primary\'s priority fails steady-state-origins and nothing else', { timeout }, async () => {
      const failing = await expectFail('equal-origin-priority/failover', ['failover.steady-state-origins']);
      expect(failing[0]!.explanation).toMatch(/went to West US, of a lower priority than East US/);
      await expectNoOtherFailure('equal-origin-priority/failover', 'failover.steady-state-origins');
    });
  });
});
