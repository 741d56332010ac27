/**
 * Judging a gateway nobody here wrote (nginx in front of Spillway's fleet): the run brings the
 * fleet's ledger and k6's client records, and nothing of the gateway's own (no gateway log
 * rows, no LLM log, no breaker events, no front door events). The spillover, circuit-breaker
 * and priority verifiers decide from the ledger and the client records alone, each verdict
 * saying so; such a gateway is judged as one instance per region of its backends; where the
 * ledger cannot tell (the token budget of requests that carry no subscription, failover without
 * a front door), the verdict is inconclusive and says why, never a pass.
 *
 * The traffic is what such a gateway sends: no correlation id, no subscription id, the client's
 * X-Priority forwarded as it came (nginx forwards every header).
 */
import { describe, expect, it } from 'vitest';
import type { LedgerReason } from '../contracts/ledger-record.ts';
import type { Expectations } from './expectations.ts';
import { runVerifiers } from './index.ts';
import { EAST, EvidenceBuilder, sampleExpectations, without, WEST, type BackendName } from './test-evidence.ts';
import type { Verdict } from './verdict.ts';

const PTU1 = 'aoai-eastus-ptu1';
const PTU2 = 'aoai-eastus-ptu2';
const PAYG = 'aoai-eastus-payg';

function get(verdicts: Verdict[], prefix: string): Verdict {
  const v = verdicts.find((x) => x.check.startsWith(prefix));
  if (!v) throw new Error(`no ${prefix} in ${verdicts.map((x) => x.check).join(', ')}`);
  return v;
}

/** An answer of one attempt: the backend, its status, and why. */
interface Answer {
  backend: BackendName;
  status: number;
  reason?: LedgerReason;
}

/**
 * One client request through the gateway: each attempt as the fleet's ledger records it (no
 * correlation id, no subscription: nginx adds none), then what the client saw.
 */
function send(b: EvidenceBuilder, at: number, attempts: readonly Answer[], client: { consumer?: string; priority?: string } = {}): void {
  const priority = client.priority ?? 'medium';
  let offset = 2;
  for (const attempt of attempts) {
    const failed = attempt.status !== 200;
    b.request({ at: at + offset, backend: attempt.backend, durationMs: failed ? 5 : 200, status: attempt.status, reason: attempt.reason ?? (failed ? 'fault:status' : 'ok'), priority, subscription: null, promptTokens: failed ? 0 : 40, completionTokens: failed ? 0 : 80 });
    offset += (failed ? 5 : 200) + 1;
  }
  const last = attempts[attempts.length - 1];
  const served = last !== undefined && last.status === 200;
  b.clientRequest({
    at,
    durationMs: offset,
    consumer: client.consumer ?? 'user-facing',
    priority,
    // No front door in front of the gateway: the client hits it directly.
    frontDoorOrigin: '',
    status: last?.status ?? 502,
    servedBy: served ? last.backend : '',
    servedRegion: served ? EAST : '',
    errorOrigin: served ? '' : 'backend',
  });
}

/**
 * nginx as a PTU-first proxy with PAYG as `backup`: round robin over the PTU backends, the next
 * upstream on a 429 or 5xx, PAYG only once every PTU backend failed for this request (or is
 * ejected). `saturated(t)`: both PTU backends answer 429 (utilization). `backupOff`: PAYG is a
 * plain member of the round robin (the broken copy).
 */
function nginxPool(b: EvidenceBuilder, options: { saturated?: (t: number) => boolean; backupOff?: boolean } = {}): void {
  const members: BackendName[] = options.backupOff ? [PTU1, PTU2, PAYG] : [PTU1, PTU2];
  let next = 0;
  for (let t = 0; t < 60_000; t += 500) {
    const saturated = options.saturated?.(t) ?? false;
    const first = members[next++ % members.length]!;
    if (first === PAYG) send(b, t, [{ backend: PAYG, status: 200 }]);
    else if (!saturated) send(b, t, [{ backend: first, status: 200 }]);
    else send(b, t, [{ backend: first, status: 429, reason: 'utilization' }, { backend: first === PTU1 ? PTU2 : PTU1, status: 429, reason: 'utilization' }, { backend: PAYG, status: 200 }]);
  }
}

/**
 * nginx's passive ejection on PTU1 (`max_fails=3 fail_timeout=10s`: three failures within 10 s
 * take the server out for 10 s), round robin over the two PTU backends, one request every 250 ms.
 * PTU1 answers 500 from 20 s to 35 s. `ejection: false`: max_fails=0, the broken copy.
 * `loggedAs`: a gateway instance of that region that does keep log rows (APIM's, say), whose
 * rows name it; without it, nothing but the ledger records the traffic.
 */
function nginxEjection(b: EvidenceBuilder, options: { ejection?: boolean; phase?: number; every?: number; loggedAs?: string } = {}): void {
  const every = options.every ?? 250;
  let failures: number[] = [];
  let ejectedUntil = Number.NEGATIVE_INFINITY;
  let toggle = 0;
  for (let t = options.phase ?? 0; t < 90_000; t += every) {
    const ejected = t < ejectedUntil;
    const first: BackendName = toggle++ % 2 === 0 && !ejected ? PTU1 : PTU2;
    const failing = first === PTU1 && t >= 20_000 && t < 35_000;
    const answers: Answer[] = failing ? [{ backend: PTU1, status: 500 }, { backend: PTU2, status: 200 }] : [{ backend: first, status: 200 }];
    if (options.loggedAs) b.gatewayRequest({ at: t, region: options.loggedAs, attempts: answers.map((a) => ({ backend: a.backend, status: a.status, durationMs: a.status === 200 ? 200 : 5, ...(a.status !== 200 ? { reason: 'fault:status' as const } : {}) })) });
    else send(b, t, answers);
    if (!failing) continue;
    if (options.ejection === false) continue;
    const end = t + 7;
    failures = failures.filter((f) => f > end - 10_000);
    failures.push(end);
    if (failures.length >= 3) {
      ejectedUntil = end + 10_000;
      failures = [];
    }
  }
}

/** nginx's ejection as expectations: three failures within 10 s, out for 10 s, Retry-After ignored. */
function ejectionExpectations(): Expectations {
  const base = sampleExpectations();
  const rule = { count: 3, intervalMs: 10_000, tripDurationMs: 10_000, acceptRetryAfter: false };
  return { ...base, breakers: Object.fromEntries(Object.keys(base.breakers).map((name) => [name, { ...rule }])) };
}

function breakerRun(options: Parameters<typeof nginxEjection>[1] = {}): EvidenceBuilder {
  const b = new EvidenceBuilder();
  b.fleetFault({ id: 'ptu1-fails', at: 20_000, until: 35_000, status: 500, target: { backend: PTU1 } });
  nginxEjection(b, options);
  return b;
}

describe('a gateway without gateway logs, judged from the ledger and the client records', () => {
  it('gets real spillover verdicts: a PTU-first pool with PAYG as backup passes, one with PAYG in the round robin fails', () => {
    const good = new EvidenceBuilder();
    nginxPool(good, { saturated: (t) => t >= 20_000 && t < 30_000 });
    const verdicts = runVerifiers(['spillover'], without(good.build()), sampleExpectations());
    expect(get(verdicts, 'spillover.payg-only-under-pressure')).toMatchObject({ status: 'pass', sources: ['ledger', 'client'] });
    expect(get(verdicts, 'spillover.payg-only-under-pressure').measured).toMatch(/^20 of \d+ medium\/no-priority requests reached PAYG; 0 of those/);
    expect(get(verdicts, 'spillover.no-429-while-payg-had-room')).toMatchObject({ status: 'pass', sources: ['ledger', 'client'] });

    const broken = new EvidenceBuilder();
    nginxPool(broken, { backupOff: true });
    const failed = get(runVerifiers(['spillover'], without(broken.build()), sampleExpectations()), 'spillover.payg-only-under-pressure');
    expect(failed.status).toBe('fail');
    expect(failed.explanation).toMatch(/^PAYG aoai-eastus-payg received 40 medium\/no-priority request\(s\) while aoai-eastus-ptu1 and aoai-eastus-ptu2 were below capacity/);
  });

  it('gets real circuit-breaker verdicts, one gateway instance per region, and says so', () => {
    const verdicts = runVerifiers(['circuit-breaker'], without(breakerRun().build()), ejectionExpectations());
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['circuit-breaker.opens-after-count (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
      ['circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
      ['circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
    ]);
    expect(verdicts.every((v) => v.sources?.join() === 'ledger')).toBe(true);
    expect(get(verdicts, 'circuit-breaker.opens-after-count').explanation).toMatch(/this run has no gateway log rows, so the gateway is judged as one instance per region of its backends/);

    // The broken copy: no ejection (max_fails=0).
    const broken = runVerifiers(['circuit-breaker'], without(breakerRun({ ejection: false }).build()), ejectionExpectations());
    expect(get(broken, 'circuit-breaker.opens-after-count')).toMatchObject({ status: 'fail' });
    expect(get(broken, 'circuit-breaker.opens-after-count').explanation).toMatch(/^aoai-eastus-ptu1 received \d+ failed requests from gateway East US before it stopped sending/);
  });

  it('does not judge breaker lanes it cannot tell apart: a resource behind two backend entities needs their log rows', () => {
    // Expectations derived from an APIM configuration with a dedicated lane (two entities, two
    // breakers, in front of PTU1), held against a gateway that keeps no rows naming the entity.
    const base = ejectionExpectations();
    const lanes: Expectations = {
      ...base,
      breakers: { ...base.breakers, [PTU1]: { ...base.breakers[PTU1]!, entities: ['ptu1-medium', 'ptu1-high'] } },
      entityRoutes: { 'pool-medium': { [PTU1]: 'ptu1-medium' }, 'pool-high': { [PTU1]: 'ptu1-high' } },
    };
    const verdicts = runVerifiers(['circuit-breaker'], without(breakerRun().build()), lanes);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ check: 'circuit-breaker.opens-after-count (step ptu1-fails, aoai-eastus-ptu1, gateway any)', status: 'inconclusive' });
    expect(verdicts[0]!.measured).toMatch(/^\d+ request\(s\) reached aoai-eastus-ptu1 .*, none with a gateway log row naming its backend entity$/);
    expect(verdicts[0]!.explanation).toMatch(/behind 2 backend entities, each with its own breaker, .* which this run does not have; give expectations with one breaker per resource/);
  });

  it('judges two gateway instances sending to one region as one when no log row tells them apart', () => {
    // Two instances in front of the East US backends, each with its own ejection state: one
    // whose rows name it (West US) and one that keeps none. With the rows, each is judged on
    // its own; without them, the ledger shows one East US gateway sending all of it.
    const b = breakerRun({ every: 500 });
    nginxEjection(b, { every: 500, phase: 250, loggedAs: WEST });
    const evidence = b.build();
    const instances = (verdicts: Verdict[]): string[] => [...new Set(verdicts.map((v) => /gateway ([^)]+)\)$/.exec(v.check)?.[1] ?? v.check))].sort();
    expect(instances(runVerifiers(['circuit-breaker'], evidence, ejectionExpectations()))).toEqual([EAST, WEST]);
    const merged = runVerifiers(['circuit-breaker'], without(evidence), ejectionExpectations());
    expect(instances(merged)).toEqual([EAST]);
    expect(get(merged, 'circuit-breaker.opens-after-count').explanation).toMatch(/judged as one instance per region of its backends/);
  });

  it('gets real priority verdicts from the X-Priority the gateway forwarded', () => {
    const build = (highTo: BackendName): EvidenceBuilder => {
      const b = new EvidenceBuilder();
      let i = 0;
      for (let t = 0; t < 60_000; t += 1000, i++) {
        send(b, t, [{ backend: highTo === PAYG ? PAYG : i % 2 === 0 ? PTU1 : PTU2, status: 200 }], { consumer: 'critical-ops', priority: 'high' });
        send(b, t + 300, [{ backend: i % 2 === 0 ? PTU1 : PTU2, status: 200 }]);
        send(b, t + 600, [{ backend: PAYG, status: 200 }], { consumer: 'batch', priority: 'low' });
      }
      return b;
    };
    const verdicts = runVerifiers(['priority'], without(build(PTU1).build()), sampleExpectations());
    expect(get(verdicts, 'priority.high-ptu-only')).toMatchObject({ status: 'pass', sources: ['ledger', 'client'] });
    expect(get(verdicts, 'priority.low-payg-only').status).toBe('pass');
    expect(get(verdicts, 'priority.medium-uses-pool').status).toBe('pass');
    expect(get(runVerifiers(['priority'], without(build(PAYG).build()), sampleExpectations()), 'priority.high-ptu-only').status).toBe('fail');
  });

  it('does not pass a token budget it cannot count: admitted requests that name no subscription make each count a lower bound', () => {
    // A gateway that refuses dev-test by a token budget, admitting 190 tokens every 2 s until the
    // minute holds 1,000; the backends see no subscription id.
    const b = new EvidenceBuilder({ durationMs: 130_000 });
    const admitted: number[] = [];
    for (let t = 0; t < 130_000; t += 2000) {
      if (admitted.filter((a) => a > t - 60_000).length * 190 + 190 > 1000) {
        b.clientRequest({ at: t, consumer: 'dev-test', priority: 'medium', status: 429, gatewayReason: 'token-limit', retryAfter: '12', remainingTokens: '0' });
        continue;
      }
      admitted.push(t);
      b.request({ at: t + 2, backend: PTU1, promptTokens: 40, completionTokens: 150, priority: 'medium', subscription: null });
      b.clientRequest({ at: t, consumer: 'dev-test', priority: 'medium', remainingTokens: String(1000 - admitted.filter((a) => a > t - 60_000).length * 190) });
    }
    const evidence = b.build();
    const verdicts = runVerifiers(['token-limit'], without(evidence), sampleExpectations());
    const within = get(verdicts, 'token-limit.admitted-within-limit (dev-test');
    expect(within.status).toBe('inconclusive');
    expect(within.explanation).toMatch(/^Not judged as a pass: \d+ admitted request\(s\) in the ledger carry no subscription \(the backend received no x-subscription-id, and this run has no gateway log rows to name one\), so the tokens counted for each consumer are a lower bound/);
    expect(get(verdicts, 'token-limit.no-refusal-below-limit').status).toBe('inconclusive');
    expect(get(verdicts, 'token-limit.remaining-tokens').status).toBe('inconclusive');
    // Retry-After is the client's own record: still judged.
    expect(get(verdicts, 'token-limit.retry-after')).toMatchObject({ status: 'pass', sources: ['client', 'ledger'] });

    // The same run with the subscription forwarded (x-subscription-id): counted, and judged.
    for (const record of evidence.ledger) record.subscription = 'dev-test';
    const counted = runVerifiers(['token-limit'], without(evidence), sampleExpectations());
    expect(get(counted, 'token-limit.admitted-within-limit (dev-test').status).toBe('pass');
    expect(get(counted, 'token-limit.no-refusal-below-limit').status).toBe('pass');
  });

  it('does not pass failover on the front door alone: what surviving gateways sent to a dead region shows only in their log rows', () => {
    // A front door in front of two gateways that keep no log rows; East US is down 20 s to 60 s,
    // detected at 30 s; West US serves meanwhile, sending to `westSendsTo`'s resources.
    const run = (westSendsTo: BackendName, backendsStayUp: boolean) => {
      const b = new EvidenceBuilder();
      const step = b.regionDown({ id: 'east-down', region: EAST, at: 20_000, until: 60_000 });
      if (backendsStayUp && step.step.kind === 'region-down') step.step = { ...step.step, backends: false };
      b.healthEvent({ origin: EAST, healthy: false, at: 30_000 });
      b.healthEvent({ origin: EAST, healthy: true, at: 70_000 });
      for (let t = 0; t < 90_000; t += 333) {
        const served = t < 20_000 || t >= 75_000 ? EAST : t >= 30_000 ? WEST : null;
        b.frontDoorRequest({ ...(served ? { origin: served } : { origin: EAST, status: 503, errorInfo: 'OriginConnectionRefused' }), at: t });
        if (!served) {
          b.clientRequest({ at: t, durationMs: 5, status: 503, errorOrigin: 'frontdoor', frontDoorOrigin: '' });
          continue;
        }
        b.clientRequest({ at: t, frontDoorOrigin: served, servedRegion: served });
        if (served === WEST) b.request({ at: t + 2, backend: westSendsTo, subscription: null });
      }
      return runVerifiers(['failover'], without(b.build(), ['gatewayLogs', 'llmLogs', 'breakerEvents']), sampleExpectations());
    };
    // East US's resources refuse connections: the ledger cannot show a surviving gateway trying them.
    const blind = get(run('aoai-westus-ptu1', false), 'failover.no-traffic-after-detection');
    expect(blind).toMatchObject({ status: 'inconclusive', sources: ['client', 'frontDoorEvents', 'ledger'] });
    expect(blind.explanation).toMatch(/shows only in the gateway's log rows, which this run does not have/);
    // Only the gateway went down (backends: false): the resources answer, and the ledger decides.
    expect(get(run('aoai-westus-ptu1', true), 'failover.no-traffic-after-detection').status).toBe('pass');
    expect(get(run('aoai-eastus-ptu1', true), 'failover.no-traffic-after-detection').status).toBe('fail');
  });

  it('answers failover inconclusive, naming the front door events this target does not bring', () => {
    const b = new EvidenceBuilder();
    nginxPool(b);
    b.regionDown({ id: 'east-down', region: EAST, at: 20_000, until: 40_000 });
    const verdicts = runVerifiers(['failover'], without(b.build()), sampleExpectations());
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ check: 'failover', status: 'inconclusive', measured: 'client collected; frontDoorEvents absent (this target does not bring frontDoorEvents)', sources: [] });
  });
});
