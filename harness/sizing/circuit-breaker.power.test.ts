import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { laneExpectations, planShape, SAMPLE_RULES, simulateBreakerRun, type LaneName, type PlanShape } from './breaker-simulation.ts';
import { verifyCircuitBreaker } from '../verify/circuit-breaker.verifier.ts';
import type { BreakerRule } from '../verify/expectations.ts';

/**
 * How the shipped plans are sized: over seeded runs of the stochastic gateway model
 * (breaker-simulation.ts) at each plan's own rates and fault timeline, a correct gateway must
 * pass every circuit-breaker check and a gateway broken in one way must fail the check made
 * for it, each in at least 19 of 20 runs (docs/verifiers.md quotes the rates measured here).
 * The plans are read from k6.config.json, so a plan reshaped below its power fails here.
 */
const config = JSON.parse(readFileSync(defaultK6ConfigFile, 'utf8')) as { scenarios: Record<string, Parameters<typeof planShape>[0]> };
const focused = planShape(config.scenarios['circuit-breaker']!);
const smoke = planShape(config.scenarios.smoke!);

const RUNS = 40;
type Rules = Record<LaneName, BreakerRule>;
const both = (edit: (rule: BreakerRule, lane: LaneName) => Partial<BreakerRule>): Rules => ({
  medium: { ...SAMPLE_RULES.medium, ...edit(SAMPLE_RULES.medium, 'medium') },
  high: { ...SAMPLE_RULES.high, ...edit(SAMPLE_RULES.high, 'high') },
});

/** Share of seeded runs in which `predicate` holds of the verdicts. */
function rate(plan: PlanShape, rules: Rules, predicate: (verdicts: ReturnType<typeof verifyCircuitBreaker>) => boolean): number {
  let hits = 0;
  for (let seed = 1; seed <= RUNS; seed++) if (predicate(verifyCircuitBreaker(simulateBreakerRun(plan, rules, seed), laneExpectations()))) hits++;
  return hits / RUNS;
}
const fails = (check: string, about: string) => (verdicts: ReturnType<typeof verifyCircuitBreaker>) => verdicts.some((v) => v.check.startsWith(check) && v.check.includes(about) && v.status === 'fail');
const describeAll = (verdicts: ReturnType<typeof verifyCircuitBreaker>) => verdicts.filter((v) => v.status !== 'pass').map((v) => `${v.check}: ${v.status}: ${v.explanation}`).join('\n');

/** The breakages each plan is sized to catch: the rules, then the check (and its lane) that must fail. */
type Breakage = readonly [name: string, rules: Rules, check: string, about: string];
const breakages = (throttleStep: string, failStep: string): Breakage[] => [
  ['a breaker count lowered to 1 fails opens-after-count (medium lane)', both(() => ({ count: 1 })), `circuit-breaker.opens-after-count (step ${failStep}`, 'via aoai-eastus-ptu1,'],
  ['a breaker count lowered to 1 fails opens-after-count (high lane)', both(() => ({ count: 1 })), `circuit-breaker.opens-after-count (step ${failStep}`, 'via aoai-eastus-ptu1-high'],
  ['a breaker count raised to 8 fails opens-after-count', both(() => ({ count: 8 })), `circuit-breaker.opens-after-count (step ${failStep}`, 'via aoai-eastus-ptu1,'],
  ['trips a fifth as long fail stays-open', both((r) => ({ tripDurationMs: r.tripDurationMs / 5 })), `circuit-breaker.stays-open (step ${failStep}`, 'via aoai-eastus-ptu1,'],
  ['5 minute trips fail resumes', both(() => ({ tripDurationMs: 300_000 })), `circuit-breaker.resumes (step ${failStep}`, 'via aoai-eastus-ptu1,'],
  ['a high lane that ignores Retry-After fails resumes', { ...SAMPLE_RULES, high: { ...SAMPLE_RULES.high, acceptRetryAfter: false } }, `circuit-breaker.resumes (step ${throttleStep}`, '-high'],
  ['a medium lane that takes the Retry-After fails stays-open', { ...SAMPLE_RULES, medium: { ...SAMPLE_RULES.medium, acceptRetryAfter: true } }, `circuit-breaker.stays-open (step ${throttleStep}`, 'via aoai-eastus-ptu'],
];

describe.each([
  // The focused plan fails ptu1 with 500s (the 30 s high-lane trip) and throttles ptu2 with a 3 s Retry-After.
  ['circuit-breaker', focused, breakages('ptu2-throttles', 'ptu1-fails')],
  // The smoke gate has one fault, a throttling ptu1 (429, Retry-After 3 s), so each lane's
  // breaker is judged on its own rule: medium's 5 s tripDuration, high's Retry-After.
  ['smoke', smoke, breakages('ptu1-throttles', 'ptu1-throttles')],
] as const)('the %s plan is sized for 19 of 20 (seeded stochastic runs of the gateway model)', (_plan, plan, cases) => {
  it('a correct gateway passes every check', () => {
    const failing: string[] = [];
    const passed = rate(plan, SAMPLE_RULES, (verdicts) => {
      const ok = verdicts.every((v) => v.status === 'pass');
      if (!ok && failing.length < 2) failing.push(describeAll(verdicts));
      return ok;
    });
    expect(passed, failing.join('\n---\n')).toBeGreaterThanOrEqual(0.95);
  });

  it.each(cases)('%s', (_name, rules, check, about) => {
    expect(rate(plan, rules, fails(check, about))).toBeGreaterThanOrEqual(0.95);
  });
});
