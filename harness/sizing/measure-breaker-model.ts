/**
 * The breaker checks' power on the seeded model (breaker-simulation.ts), for a plan of
 * k6.config.json: over N seeds, how often a correct gateway passes every circuit-breaker check,
 * and how often each breakage fails the check made for it, per lane. The numbers in
 * docs/verifiers.md ("Which scenario proves which check, at what power") come from here;
 * circuit-breaker.power.test.ts holds the shipped plans to >= 19 of 20 with fewer seeds.
 *
 *   npm run power:model -- --scenario smoke --seeds 1000 [--k6-config other.json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { verifyCircuitBreaker } from '../verify/circuit-breaker.verifier.ts';
import type { BreakerRule } from '../verify/expectations.ts';
import { laneExpectations, planShape, SAMPLE_RULES, simulateBreakerRun, type LaneName } from './breaker-simulation.ts';

const { values } = parseArgs({ options: { scenario: { type: 'string', default: 'smoke' }, seeds: { type: 'string', default: '200' }, 'k6-config': { type: 'string', default: defaultK6ConfigFile } } });
const seeds = Number(values.seeds);
const config = JSON.parse(readFileSync(values['k6-config'], 'utf8')) as { scenarios: Record<string, Parameters<typeof planShape>[0]> };
const scenario = config.scenarios[values.scenario];
if (!scenario || !Number.isInteger(seeds) || seeds < 1) {
  process.stderr.write(`usage: --scenario <one of ${Object.keys(config.scenarios).join(', ')}> --seeds <whole number >= 1>\n`);
  process.exit(2);
}
const plan = planShape(scenario);
type Rules = Record<LaneName, BreakerRule>;
const both = (edit: (rule: BreakerRule) => Partial<BreakerRule>): Rules => ({ medium: { ...SAMPLE_RULES.medium, ...edit(SAMPLE_RULES.medium) }, high: { ...SAMPLE_RULES.high, ...edit(SAMPLE_RULES.high) } });
const cases: [string, Rules, string | null][] = [
  ["none (the sample's rules)", SAMPLE_RULES, null],
  ['count 1 instead of 3', both(() => ({ count: 1 })), 'circuit-breaker.opens-after-count'],
  ['count 8 instead of 3', both(() => ({ count: 8 })), 'circuit-breaker.opens-after-count'],
  ['trips a fifth as long', both((r) => ({ tripDurationMs: r.tripDurationMs / 5 })), 'circuit-breaker.stays-open'],
  ['5 minute trips', both(() => ({ tripDurationMs: 300_000 })), 'circuit-breaker.resumes'],
  // Visible only to a plan whose fault answers 429 with a Retry-After (the circuit-breaker scenario's ptu2-throttles, the smoke's ptu1-throttles).
  ['high lane ignores Retry-After', { ...SAMPLE_RULES, high: { ...SAMPLE_RULES.high, acceptRetryAfter: false } }, 'circuit-breaker.resumes'],
  ['medium lane takes the Retry-After', { ...SAMPLE_RULES, medium: { ...SAMPLE_RULES.medium, acceptRetryAfter: true } }, 'circuit-breaker.stays-open'],
];
process.stdout.write(`plan ${values.scenario} of ${values['k6-config']} (rates ${JSON.stringify(plan.rates)}, ${plan.faults.length} PTU fault(s)), ${seeds} seeds\n`);
for (const [name, rules, check] of cases) {
  let allPass = 0;
  const lanes = { medium: 0, high: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    const verdicts = verifyCircuitBreaker(simulateBreakerRun(plan, rules, seed), laneExpectations());
    if (verdicts.every((v) => v.status === 'pass')) allPass++;
    if (check === null) continue;
    const failed = (about: string): boolean => verdicts.some((v) => v.check.startsWith(check) && v.check.includes(about) && v.status === 'fail');
    // A lane is named in the check as "<resource> via <entity>": the high lane's entity ends in -high.
    if (verdicts.some((v) => v.check.startsWith(check) && v.status === 'fail' && / via aoai-[a-z]+-ptu\d+,/.test(v.check))) lanes.medium++;
    if (failed('-high,')) lanes.high++;
  }
  process.stdout.write(check === null ? `${name}: every check passes in ${allPass}/${seeds}\n` : `${name}: ${check} fails, medium lane ${lanes.medium}/${seeds}, high lane ${lanes.high}/${seeds}\n`);
}
