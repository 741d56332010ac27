/**
 * Token-count cost benchmark (not a test): what the fleet pays to count a prompt string, per
 * call, against gpt-tokenizer counting the same strings directly, measured side by side in
 * alternating rounds:
 *   A) gpt-tokenizer's countTokens on strings never seen before (the reference);
 *   B) the fleet's countTextTokens on strings never seen before: the count plus remembering it
 *      (token-count-cache.ts), the path every prompt of a unique-prompt load test takes;
 *   C) the fleet's countTextTokens on a string it has seen: a cache hit.
 * Target: B costs under twice A (remembering a count costs less than counting).
 *
 *   npm run bench:tokens [-- --calls 20000 --rounds 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { countTextTokens } from '../mocks/aoai/tokens.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } } });
const calls = Number(values.calls);
const rounds = Number(values.rounds);
const ordinaryText = { disallowedSpecial: new Set<string>() };

let sink = 0;
let serial = 0;
/** Microseconds per call of `count` over `calls` prompts that `text` makes. */
function perCall(count: (text: string) => number, text: (i: number) => string): number {
  const texts = Array.from({ length: calls }, (_, i) => text(i));
  const started = process.hrtime.bigint();
  for (const t of texts) sink += count(t);
  return Number(process.hrtime.bigint() - started) / calls / 1000;
}
// Every call of A and B sees a string no call has seen before.
const unique = (): string => `Summarise request ${serial++} of the load test in one line, please.`;
const repeated = 'Summarise the request of the load test in one line, please.';

const results: { direct: number; countAndRemember: number; cacheHit: number }[] = [];
for (let round = 0; round <= rounds; round++) {
  const measured = {
    direct: perCall((t) => countTokens(t, ordinaryText), unique),
    countAndRemember: perCall((t) => countTextTokens(t, 'gpt-4o'), unique),
    cacheHit: perCall((t) => countTextTokens(t, 'gpt-4o'), () => repeated),
  };
  // Round 0 warms V8 up and is not kept.
  if (round > 0) results.push(measured);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const direct = median(results.map((r) => r.direct));
const countAndRemember = median(results.map((r) => r.countAndRemember));
const cacheHit = median(results.map((r) => r.cacheHit));
const ratio = countAndRemember / direct;
const outDir = join(import.meta.dirname, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'token-count.json'), `${JSON.stringify({ when: new Date().toISOString(), calls, rounds, results, medianMicroseconds: { direct, countAndRemember, cacheHit }, ratio, target: 2, sink }, null, 2)}\n`);
process.stdout.write(`token counting, ${rounds} rounds of ${calls} calls (median µs per call, o200k)\n`);
process.stdout.write(`  gpt-tokenizer, unique strings     ${direct.toFixed(2)} µs\n  fleet, unique strings (count + remember) ${countAndRemember.toFixed(2)} µs\n  fleet, a repeated string (hit)    ${cacheHit.toFixed(2)} µs\n`);
process.stdout.write(`  ratio count+remember/direct ${ratio.toFixed(2)}  (target < 2)  ${ratio < 2 ? 'met' : 'NOT met'}\n  written to bench/out/token-count.json\n`);
