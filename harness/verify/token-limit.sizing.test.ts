/**
 * The plans that judge token limits are sized so that a verdict does not hang on chance
 * (docs/verifiers.md, token-limit, "Sizing"). The smoke and token-limit plans of k6.config.json
 * are simulated many times through the emulator's own counter (mocks/apim/limits/token-limit.ts)
 * with what varies from run to run drawn at random: k6's arrival phase against the counter's
 * 1 s buckets, prompt sizes (47-52 tokens for 40 words, as measured), completion lengths as the
 * fleet draws them (its default normal(120, 60), capped by max_tokens) and latencies. The shipped
 * sample must pass every time; a gateway with no limit for the dev/test class, or with one
 * counter for the class's two subscriptions, must fail its intended check in at least 19 runs of
 * 20, and no other check in any run.
 *
 * Not modelled: backend errors, front door detection jitter, a loaded machine. The real drills
 * (broken-gateways.e2e.test.ts) run the same breakages end to end; this test says whether a
 * retuned plan still leaves the verdicts to the gateway rather than to chance.
 */
import { describe, expect, it } from 'vitest';
import { TokenLimit, type TokenAdmitted } from '../../mocks/apim/limits/token-limit.ts';
import { ManualClock } from '../../mocks/shared/clock.ts';
import { gaussian, seededRng, type Rng } from '../../mocks/shared/rng.ts';
import { defaultK6ConfigFile } from '../run/run-scenario.ts';
import { loadK6Config, type K6Config } from '../run/scenario-plan.ts';
import { verifyTokenLimit } from './token-limit.verifier.ts';
import { EAST, EvidenceBuilder, sampleExpectations, WEST } from './test-evidence.ts';
import type { Verdict } from './verdict.ts';

const RUNS = 100;
const config = loadK6Config(defaultK6ConfigFile);

/** How the simulated gateway counts a subscription: its counter key, or null for no limit at all. */
interface GatewayModel {
  counterKey(subscription: string): string | null;
}
const sample: GatewayModel = { counterKey: (s) => s };
const devTestClass = (s: string): boolean => s.startsWith('dev-test');
const noDevTestLimit: GatewayModel = { counterKey: (s) => (devTestClass(s) ? null : s) };
const productKeyedDevTest: GatewayModel = { counterKey: (s) => (devTestClass(s) ? 'ai-gateway' : s) };

/** The fleet's default chat completion length (mocks/aoai/deployment-runtime.ts), capped by max_tokens. */
function completionLength(rng: Rng, maxTokens: number): number {
  return Math.min(maxTokens, 800, Math.max(1, Math.round(120 + 60 * gaussian(rng))));
}

/** One run of `plan` through `gateway`, as the verifier sees it. */
function simulate(k6: K6Config, planName: string, gateway: GatewayModel, seed: number): Verdict[] {
  const plan = k6.scenarios[planName]!;
  const rng = seededRng(seed);
  const clock = new ManualClock(0);
  // The front door sends the primary region's traffic to West US from the outage until shortly
  // after it ends (the sample's probes: about 6 s).
  const down = plan.timeline.find((s) => s.kind === 'region-down');
  const regionOf = (t: number): string => (down && t >= down.at * 1000 && t < (down.at + (down.for ?? plan.durationSeconds) + 6) * 1000 ? WEST : EAST);
  const counters = new Map<string, TokenLimit>();
  const counterFor = (region: string, tokensPerMinute: number): TokenLimit => {
    const id = `${region}|${tokensPerMinute}`;
    let counter = counters.get(id);
    if (!counter) counters.set(id, (counter = new TokenLimit({ tokensPerMinute, estimatePromptTokens: true }, clock)));
    return counter;
  };
  const arrivals: { at: number; traffic: (typeof plan.traffic)[number] }[] = [];
  for (const traffic of plan.traffic) {
    // k6's constant-arrival-rate spaces iterations evenly from the class's start; the phase
    // against the counter's buckets is whatever it happens to be.
    const phase = rng.next() * 1000;
    const end = (traffic.endSeconds ?? plan.durationSeconds) * 1000;
    // k6 keeps the spacing to within a millisecond or so (requests 60 s apart by plan were
    // measured 59.9998 s apart), which decides whether both ends fall in one window.
    for (let t = traffic.startSeconds * 1000 + phase; t < end; t += 1000 / traffic.ratePerUnit) arrivals.push({ at: t + (rng.next() - 0.5) * 2, traffic });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const settles: { at: number; settle: () => void }[] = [];
  const evidence = new EvidenceBuilder({ durationMs: plan.durationSeconds * 1000 });
  for (const { at, traffic } of arrivals) {
    settles.sort((a, b) => a.at - b.at);
    while (settles.length > 0 && settles[0]!.at <= at) {
      const next = settles.shift()!;
      clock.set(Math.floor(next.at));
      next.settle();
    }
    clock.set(Math.floor(at));
    const subscription = traffic.consumer;
    const region = regionOf(at);
    const words = traffic.promptWords.kind === 'fixed' ? traffic.promptWords.value : traffic.promptWords.min;
    const maxTokens = traffic.maxTokens.kind === 'fixed' ? traffic.maxTokens.value : traffic.maxTokens.max;
    const prompt = words + 7 + Math.floor(rng.next() * 6);
    const completion = completionLength(rng, maxTokens);
    const latency = 350 + rng.next() * 500;
    const key = gateway.counterKey(subscription);
    const counter = key === null ? null : counterFor(region, k6.consumers[subscription]!.tokensPerMinute);
    const admission = counter && key !== null ? counter.admit(key, prompt) : null;
    const client = { at, frontDoorOrigin: region, consumer: subscription, priority: traffic.priority ?? '' };
    if (admission && !admission.ok) {
      evidence.clientRequest({ ...client, durationMs: 5, status: 429, gatewayReason: 'token-limit', retryAfter: String(admission.retryAfterSeconds), remainingTokens: '0' });
      continue;
    }
    const backend = region === EAST ? 'aoai-eastus-ptu1' : 'aoai-westus-ptu1';
    evidence.gatewayRequest({ at, region, subscription, attempts: [{ backend, promptTokens: prompt, completionTokens: completion, durationMs: Math.round(latency) }] });
    evidence.clientRequest({ ...client, durationMs: Math.round(latency), remainingTokens: admission?.remainingTokens !== undefined ? String(admission.remainingTokens) : '', promptTokens: prompt, completionTokens: completion, servedBy: backend, servedRegion: region });
    if (counter && key !== null && admission) settles.push({ at: at + latency, settle: () => counter.settle(key, admission as TokenAdmitted, { promptTokens: prompt, completionTokens: completion }) });
  }
  const expectations = sampleExpectations();
  expectations.consumers = Object.fromEntries(Object.entries(k6.consumers).map(([name, c]) => [name, { tokensPerMinute: c.tokensPerMinute, priority: c.priority }]));
  return verifyTokenLimit(evidence.build(), expectations);
}

/** Over RUNS simulated runs: how many failed the intended check, and every other check that ever did not pass. */
function outcome(planName: string, gateway: GatewayModel, intended: RegExp | null): { caught: number; others: string[] } {
  let caught = 0;
  const others = new Set<string>();
  for (let seed = 1; seed <= RUNS; seed++) {
    const verdicts = simulate(config, planName, gateway, seed);
    if (intended && verdicts.some((v) => intended.test(v.check) && v.status === 'fail')) caught++;
    for (const v of verdicts) if (!(intended && intended.test(v.check)) && v.status !== 'pass' && !(intended && v.status === 'inconclusive')) others.add(`${v.check}: ${v.status}`);
  }
  return { caught, others: [...others].sort() };
}

describe.each(['smoke', 'token-limit'])('the %s plan, simulated through the emulator\'s counter', (planName) => {
  it('drives two subscriptions of the dev/test class, the second joining later', () => {
    const devTest = config.scenarios[planName]!.traffic.filter((t) => devTestClass(t.consumer));
    expect(devTest.map((t) => t.consumer)).toEqual(['dev-test', 'dev-test-ci']);
    expect(devTest[1]!.startSeconds).toBeGreaterThan(devTest[0]!.startSeconds);
  });

  it(`passes the shipped sample in every one of ${RUNS} runs`, () => {
    expect(outcome(planName, sample, null)).toEqual({ caught: 0, others: [] });
  });

  it('fails a gateway with no limit for the dev/test class on admitted-within-limit, and on nothing else', () => {
    const { caught, others } = outcome(planName, noDevTestLimit, /^token-limit\.admitted-within-limit \(dev-test/);
    expect(caught / RUNS).toBeGreaterThanOrEqual(19 / 20);
    expect(others).toEqual([]);
  });

  it('fails a counter shared by the two dev/test subscriptions on no-refusal-below-limit, and on nothing else', () => {
    const { caught, others } = outcome(planName, productKeyedDevTest, /^token-limit\.no-refusal-below-limit \(dev-test/);
    expect(caught / RUNS).toBeGreaterThanOrEqual(19 / 20);
    expect(others).toEqual([]);
  });
});
