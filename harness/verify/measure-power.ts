/**
 * Measures what a verdict is worth: runs one scenario N times, against the shipped sample or
 * against a copy of it broken in one way (broken-config.ts, expectations still from the
 * sample), and counts each check's pass / fail / inconclusive. For the sample, every
 * non-pass is a false alarm; for a broken copy, the intended check's fail count over N is its
 * power. docs/verifiers.md's power table is made from these counts.
 *
 *   npm run power -- --scenario smoke --runs 20
 *   npm run power -- --scenario circuit-breaker --runs 5 --breakage shortPtuTripDuration
 *
 * Runs are sequential on purpose: the machine has 2 cores, and a verdict measured under a
 * neighbour's load says more about the neighbour than about the check. Each run's folder is
 * kept (under --results) and named in the output, so any surprise can be opened.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultGatewayConfigDir, runScenario } from '../run/run-scenario.ts';
import * as breakages from './broken-config.ts';
import type { Breakage } from './broken-config.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'smoke' },
    runs: { type: 'string', default: '20' },
    breakage: { type: 'string' },
    results: { type: 'string', default: 'results/power' },
    'vary-seeds': { type: 'boolean', default: false },
  },
});

const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`--runs must be a whole number of at least 1, got ${values.runs}\n`);
  process.exit(2);
}
const known = Object.entries(breakages).filter((entry): entry is [string, Breakage] => typeof entry[1] === 'function' && entry[0] !== 'brokenConfig');
const breakage = values.breakage === undefined ? null : known.find(([name]) => name === values.breakage);
if (breakage === undefined) {
  process.stderr.write(`--breakage "${values.breakage}" is not in harness/verify/broken-config.ts (known: ${known.map(([n]) => n).join(', ')})\n`);
  process.exit(2);
}

const label = `${values.scenario}${breakage ? `-${breakage[0]}` : '-sample'}`;
const resultsDir = resolve(values.results, `${new Date().toISOString().replace(/[:.]/g, '-')}-${label}`);
mkdirSync(resultsDir, { recursive: true });

type Count = { pass: number; fail: number; inconclusive: number };
const counts = new Map<string, Count>();
const exitCodes: number[] = [];
const runDirs: string[] = [];
for (let i = 0; i < runs; i++) {
  const gatewayConfigDir = breakage ? breakages.brokenConfig(breakage[1]) : defaultGatewayConfigDir;
  const result = await runScenario({
    scenario: values.scenario,
    units: 1,
    resultsDir,
    gatewayConfigDir,
    ...(breakage ? { expectationsConfigDir: defaultGatewayConfigDir } : {}),
    ...(values['vary-seeds'] ? { seed: 1000 + i } : {}),
  });
  exitCodes.push(result.journal.exitCode);
  runDirs.push(result.runDir);
  for (const verdict of result.journal.verdicts) {
    const count = counts.get(verdict.check) ?? { pass: 0, fail: 0, inconclusive: 0 };
    count[verdict.status] += 1;
    counts.set(verdict.check, count);
  }
  const notPassed = result.journal.verdicts.filter((v) => v.status !== 'pass').map((v) => `${v.check}: ${v.status}`);
  process.stdout.write(`run ${i + 1}/${runs}: exit ${result.journal.exitCode}${result.journal.problem ? ` (${result.journal.problem})` : ''}${notPassed.length ? `; ${notPassed.join('; ')}` : ''}  ${result.runDir}\n`);
}

const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
const lines = [
  `scenario ${values.scenario}, ${breakage ? `broken: ${breakage[0]} (expectations from the sample)` : 'the shipped sample'}, ${runs} runs; exit codes ${exitCodes.join(' ')}`,
  '',
  '| check | pass | fail | inconclusive |',
  '|---|---|---|---|',
  ...rows.map(([check, c]) => `| ${check} | ${c.pass} | ${c.fail} | ${c.inconclusive} |`),
];
process.stdout.write(`\n${lines.join('\n')}\n\nrun folders in ${resultsDir}\n`);
writeFileSync(join(resultsDir, 'power.json'), `${JSON.stringify({ scenario: values.scenario, breakage: breakage?.[0] ?? null, runs, exitCodes, runDirs, counts: Object.fromEntries(rows) }, null, 2)}\n`);
