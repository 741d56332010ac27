import { describe, expect, it } from 'vitest';
import { verifyCircuitBreaker } from './circuit-breaker.verifier.ts';
import { EAST, EvidenceBuilder, sampleExpectations, without, type AttemptSpec } from './test-evidence.ts';
import type { RunEvidence } from '../evidence/evidence-types.ts';
import type { Expectations } from './expectations.ts';
import type { Verdict } from './verdict.ts';

interface SimOptions {
  /** Breaker count the simulated gateway uses; Infinity: no breaker. */
  count?: number;
  /** Trip length the simulated gateway uses. */
  tripMs?: number;
  faultStatus?: number;
  retryAfterSeconds?: number;
  faultAt?: number;
  faultUntil?: number;
  /** Gateway traffic stops at this offset (the region went quiet). */
  trafficUntil?: number;
  /** ms between gateway requests. */
  every?: number;
  logged?: boolean;
  events?: boolean;
  applied?: boolean;
  /** The simulated gateway retries on the same backend (a pool re-selecting the same member). */
  sameBackendRetries?: boolean;
  /** More traffic added to the same evidence. */
  extra?: (b: EvidenceBuilder) => void;
}

/**
 * A gateway in East US sending one request every `every` ms, alternating between the two PTU
 * backends, retrying failures (up to 2 retries) on the other member, with its own breaker on
 * ptu1 (count within 10 s, then open for tripMs). ptu1 answers faultStatus during the fault.
 */
function simulate(options: SimOptions = {}): ReturnType<EvidenceBuilder['build']> {
  const faultAt = options.faultAt ?? 20_000;
  const faultUntil = options.faultUntil ?? 35_000;
  const status = options.faultStatus ?? 500;
  const b = new EvidenceBuilder({ durationMs: 90_000 });
  b.fleetFault({ id: 'ptu1-fails', at: faultAt, until: faultUntil, status, ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}), target: { backend: 'aoai-eastus-ptu1' }, ...(options.applied === false ? { applied: false } : {}) });
  if (options.applied === false) return b.build();
  driveLane(b, options);
  options.extra?.(b);
  return b.build();
}

interface LaneOptions extends SimOptions {
  /** The backend entities of this lane's pool, as its log rows name them (default: named like the resources). */
  entities?: { ptu1: string; ptu2: string };
  subscription?: string;
  /** Offset of the lane's first request, ms. */
  phase?: number;
  /** The gateway instance sending (default East US, the backends' own region). */
  region?: string;
}

/** One lane's traffic: its own breaker on ptu1 (state per entity), its own pool of ptu1 and ptu2. */
function driveLane(b: EvidenceBuilder, options: LaneOptions): void {
  const count = options.count ?? 3;
  const tripMs = options.tripMs ?? 30_000;
  const faultAt = options.faultAt ?? 20_000;
  const faultUntil = options.faultUntil ?? 35_000;
  const every = options.every ?? 500;
  const status = options.faultStatus ?? 500;
  const entities = options.entities;
  let failures: number[] = [];
  let openUntil = Number.NEGATIVE_INFINITY;
  let toggle = 0;
  for (let t = options.phase ?? 0; t < (options.trafficUntil ?? 90_000); t += every) {
    const attempts: AttemptSpec[] = [];
    let offset = 2;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = t + offset;
      const open = now < openUntil;
      const pick = options.sameBackendRetries && attempt > 0 ? (attempts[attempt - 1]!.backend === 'aoai-eastus-ptu1' ? 0 : 1) : toggle++ % 2;
      const backend = pick === 0 && !open ? 'aoai-eastus-ptu1' : 'aoai-eastus-ptu2';
      const failing = backend === 'aoai-eastus-ptu1' && now >= faultAt && now < faultUntil;
      const durationMs = failing ? 5 : 200;
      attempts.push({ backend, status: failing ? status : 200, ...(failing ? { reason: 'fault:status' as const } : {}), offset, durationMs });
      const end = now + durationMs;
      if (failing && end >= openUntil) {
        failures = failures.filter((f) => f > end - 10_000);
        failures.push(end);
        if (failures.length >= count) {
          const trip = status === 429 && options.retryAfterSeconds !== undefined ? options.retryAfterSeconds * 1000 : tripMs;
          openUntil = end + trip;
          failures = [];
          if (options.events) {
            const entity = entities?.ptu1 ?? 'aoai-eastus-ptu1';
            b.breakerEvent({ type: 'Opened', backend: entity, region: options.region ?? 'East US', at: end });
            b.breakerEvent({ type: 'Closed', backend: entity, region: options.region ?? 'East US', at: end + trip });
          }
        }
      }
      offset += durationMs + 1;
      if (!failing) break;
    }
    const last = attempts[attempts.length - 1]!.backend;
    b.gatewayRequest({
      at: t,
      attempts,
      ...(options.region ? { region: options.region } : {}),
      ...(options.subscription ? { subscription: options.subscription } : {}),
      ...(entities ? { backendId: last === 'aoai-eastus-ptu1' ? entities.ptu1 : entities.ptu2 } : {}),
      ...(options.logged === false ? { logged: false } : {}),
    });
  }
}

const byCheck = (verdicts: Verdict[], prefix: string): Verdict => {
  const found = verdicts.find((v) => v.check.startsWith(prefix));
  if (!found) throw new Error(`no verdict ${prefix} in ${verdicts.map((v) => v.check).join(', ')}`);
  return found;
};

describe('verifyCircuitBreaker', () => {
  it('passes a gateway that trips after 3 failures, stays open 30 s and resumes', () => {
    const verdicts = verifyCircuitBreaker(simulate(), sampleExpectations());
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['circuit-breaker.opens-after-count (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
      ['circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
      ['circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
    ]);
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').measured).toMatch(/= 30\.\d s/);
  });

  it('passes back-to-back retries on the failing backend that complete the count within milliseconds', () => {
    const verdicts = verifyCircuitBreaker(simulate({ sameBackendRetries: true }), sampleExpectations());
    expect(verdicts.map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').measured).toMatch(/^trip 1 .*: 3 failures \(3 counted \+ 0 in flight\), allowed 3; while closed it got \d+ of \d+ requests to the region \(probability of so few /);
  });

  it('fails a gateway without a breaker: the backend keeps getting failures', () => {
    const verdicts = verifyCircuitBreaker(simulate({ count: Number.POSITIVE_INFINITY }), sampleExpectations());
    const count = byCheck(verdicts, 'circuit-breaker.opens-after-count');
    expect(count.status).toBe('fail');
    expect(count.explanation).toMatch(/aoai-eastus-ptu1 received \d+ failed requests from gateway East US/);
    expect(count.evidence[0]!.examples!.length).toBeGreaterThan(0);
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').status).toBe('fail');
  });

  it('fails a breaker whose count is higher than the rule', () => {
    const verdicts = verifyCircuitBreaker(simulate({ count: 8 }), sampleExpectations());
    expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').status).toBe('fail');
    expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').measured).toMatch(/sent after the count/);
  });

  it('fails a breaker that opens on fewer failures than the rule, and judges its trips at the count it opened at', () => {
    const verdicts = verifyCircuitBreaker(simulate({ count: 1 }), sampleExpectations());
    const count = byCheck(verdicts, 'circuit-breaker.opens-after-count');
    expect(count.status).toBe('fail');
    expect(count.explanation).toMatch(/stopped sending to aoai-eastus-ptu1 after only 1 failure\(s\) within 10\.0 s .* although its rule needs 3/);
    expect(count.measured).toMatch(/aoai-eastus-ptu1 got 1 of the gateway's \d+ requests to the region: probability \d\.\de-\d+ at its usual 50% share/);
    // Its trips are as long as configured: only the count is wrong.
    expect(verdicts.filter((v) => v.status !== 'pass').map((v) => v.check)).toEqual([count.check]);
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').explanation).toMatch(/trips modelled at the 1 failure\(s\) it was seen to open at, not the rule's 3/);
    const two = verifyCircuitBreaker(simulate({ count: 2 }), sampleExpectations());
    expect(byCheck(two, 'circuit-breaker.opens-after-count').status).toBe('fail');
  });

  describe('opening early or late, per gateway instance, whatever the traffic', () => {
    /** The medium lane's rule: 3 in 10 s, open 5 s, Retry-After ignored. */
    const fiveSeconds = (): Expectations => {
      const x = sampleExpectations();
      for (const name of Object.keys(x.breakers)) x.breakers[name] = { ...x.breakers[name]!, tripDurationMs: 5_000, acceptRetryAfter: false };
      return x;
    };
    /** East US and West US gateways both send to East US's PTUs, each with its own breaker. */
    const twoInstances = (east: SimOptions, west: SimOptions) => {
      const b = new EvidenceBuilder({ durationMs: 90_000 });
      b.fleetFault({ id: 'ptu1-fails', at: 20_000, until: 28_000, status: 500, target: { backend: 'aoai-eastus-ptu1' } });
      driveLane(b, { tripMs: 5_000, faultUntil: 28_000, ...east });
      driveLane(b, { tripMs: 5_000, faultUntil: 28_000, phase: 170, region: 'West US', ...west });
      return b.build();
    };
    const of = (verdicts: Verdict[], instance: string) => verdicts.filter((v) => v.check.endsWith(`gateway ${instance})`));

    it('fails the instance whose breaker opens after 1 failure and passes the one that waits for 3', () => {
      const verdicts = verifyCircuitBreaker(twoInstances({ count: 1 }, { count: 3 }), fiveSeconds());
      expect(byCheck(of(verdicts, 'East US'), 'circuit-breaker.opens-after-count').status).toBe('fail');
      expect(of(verdicts, 'West US').map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
      const swapped = verifyCircuitBreaker(twoInstances({ count: 3 }, { count: 1 }), fiveSeconds());
      expect(byCheck(of(swapped, 'West US'), 'circuit-breaker.opens-after-count').status).toBe('fail');
      expect(of(swapped, 'East US').map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    });

    it('fails the instance whose breaker opens long after the count and passes the other', () => {
      const verdicts = verifyCircuitBreaker(twoInstances({ count: 3 }, { count: 8 }), fiveSeconds());
      const west = byCheck(of(verdicts, 'West US'), 'circuit-breaker.opens-after-count');
      expect(west.status).toBe('fail');
      expect(west.measured).toMatch(/sent after the count/);
      expect(of(verdicts, 'East US').map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    });

    it('calls an early opening a failure even when the breaker never reached the count (the missing failures are the fault)', () => {
      // 2 requests a second and an 8 s fault: the rule's count is never reached because the
      // gateway opened after every single failure; this used to read "too little traffic".
      const verdicts = verifyCircuitBreaker(simulate({ count: 1, tripMs: 5_000, faultUntil: 28_000 }), fiveSeconds());
      const count = byCheck(verdicts, 'circuit-breaker.opens-after-count');
      expect(count.status).toBe('fail');
      expect(count.measured).toMatch(/^opened after 1, 1 failure\(s\) \(2 silence\(s\)/);
      expect(count.explanation).not.toMatch(/too little traffic/);
      // A failure that was in flight when the breaker opened (its answer ended inside the
      // silence) belongs to that silence; it is not a silence of its own after 0 failures.
      const inFlight = simulate({
        count: 1,
        extra: (b) => void b.gatewayRequest({ at: 20_003, attempts: [{ backend: 'aoai-eastus-ptu1', status: 500, reason: 'fault:status', offset: 0, durationMs: 300 }] }),
      });
      expect(byCheck(verifyCircuitBreaker(inFlight, sampleExpectations()), 'circuit-breaker.opens-after-count').measured).toMatch(/^opened after 1 failure\(s\) \(1 silence\(s\)/);
      // The same traffic through a breaker that waits for 3 passes.
      expect(verifyCircuitBreaker(simulate({ count: 3, tripMs: 5_000, faultUntil: 28_000 }), fiveSeconds()).map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    });

    it('does not blame the traffic when the traffic would have reached the count, even when it cannot decide', () => {
      // A request every 1.5 s: a breaker counting 3 reaches it with probability 0.66, the early
      // one stopped after 1 failure; 1 hit of 6 draws is a 0.11 chance, not enough to fail.
      const v = byCheck(verifyCircuitBreaker(simulate({ count: 1, tripMs: 5_000, every: 1_500, faultUntil: 28_000 }), fiveSeconds()), 'circuit-breaker.opens-after-count');
      expect(v.status).toBe('inconclusive');
      expect(v.explanation).not.toMatch(/too little traffic/);
      expect(v.explanation).toMatch(/to its count with probability 0\.66: .* leaves it 1 or fewer with probability 0\.11 .* It went silent after 1 failure\(s\)/);
    });
  });

  it('does not pass a stays-open whose silence a closed breaker would have left just as likely', () => {
    // Retry-After 2 s trips with a request every 2 s: no request falls within the trips, so
    // their silence says nothing about the breaker.
    const verdicts = verifyCircuitBreaker(simulate({ faultStatus: 429, retryAfterSeconds: 2, every: 2_000 }), sampleExpectations());
    const open = byCheck(verdicts, 'circuit-breaker.stays-open');
    expect(open.status).toBe('inconclusive');
    expect(open.explanation).toMatch(/a breaker that never opened leaves them all elsewhere with probability 1\.00 at its 50% share, above 0\.05/);
    // With a request every 250 ms the same trips show the breaker open, and say how surely.
    const busy = byCheck(verifyCircuitBreaker(simulate({ faultStatus: 429, retryAfterSeconds: 2, every: 250, faultUntil: 25_000 }), sampleExpectations()), 'circuit-breaker.stays-open');
    expect(busy.status).toBe('pass');
    expect(busy.explanation).toMatch(/a breaker that never opened leaves them all elsewhere with probability \d/);
  });

  it('fails a trip shorter than configured and reports the measured length', () => {
    const verdicts = verifyCircuitBreaker(simulate({ tripMs: 10_000 }), sampleExpectations());
    const open = byCheck(verdicts, 'circuit-breaker.stays-open');
    expect(open.status).toBe('fail');
    expect(open.measured).toMatch(/= 10\.\d s/);
    expect(open.explanation).toMatch(/during what should have been a 30\.0 s trip/);
    expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').status).toBe('pass');
  });

  it('fails a trip much longer than configured while the gateway kept sending elsewhere', () => {
    const verdicts = verifyCircuitBreaker(simulate({ tripMs: 50_000 }), sampleExpectations());
    const resume = byCheck(verdicts, 'circuit-breaker.resumes');
    expect(resume.status).toBe('fail');
    expect(resume.explanation).toMatch(/got nothing from gateway East US/);
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').status).toBe('pass');
  });

  it('passes a return a little after the tolerance when the requests before it plausibly went to its peers', () => {
    const verdicts = verifyCircuitBreaker(simulate({ tripMs: 31_700 }), sampleExpectations());
    const resume = byCheck(verdicts, 'circuit-breaker.resumes');
    expect(resume.status).toBe('pass');
    expect(resume.explanation).toMatch(/went elsewhere first are a \d+% chance at its 50% share/);
  });

  it('accepts a trip within the tolerance of the configured length', () => {
    expect(byCheck(verifyCircuitBreaker(simulate({ tripMs: 29_500 }), sampleExpectations()), 'circuit-breaker.stays-open').status).toBe('pass');
    expect(byCheck(verifyCircuitBreaker(simulate({ tripMs: 28_000 }), sampleExpectations()), 'circuit-breaker.stays-open').status).toBe('fail');
  });

  it('uses the Retry-After of an injected 429 with acceptRetryAfter', () => {
    const ok = verifyCircuitBreaker(simulate({ faultStatus: 429, retryAfterSeconds: 5, faultUntil: 25_000 }), sampleExpectations());
    expect(ok.map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    expect(byCheck(ok, 'circuit-breaker.stays-open').expected).toMatch(/5\.0 s \(Retry-After 5 s/);
    // A gateway ignoring Retry-After stays open for tripDuration instead.
    const broken = simulate({ faultStatus: 429, faultUntil: 25_000, tripMs: 30_000 });
    const faultRule = broken.faultChanges[0]!.rule;
    faultRule.retryAfterSeconds = 5;
    expect(byCheck(verifyCircuitBreaker(broken, sampleExpectations()), 'circuit-breaker.resumes').status).toBe('fail');
  });

  it('cross-checks breaker events without letting them decide', () => {
    const verdicts = verifyCircuitBreaker(simulate({ events: true }), sampleExpectations());
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').measured).toMatch(/breaker events agree/);
    const broken = simulate({ events: true, tripMs: 10_000 });
    expect(byCheck(verifyCircuitBreaker(broken, sampleExpectations()), 'circuit-breaker.stays-open').status).toBe('fail');
  });

  it('falls back to the backend region when the gateway logs are missing, and says so', () => {
    const verdicts = verifyCircuitBreaker(simulate({ logged: false }), sampleExpectations());
    expect(verdicts.map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').explanation).toMatch(/attributed to the backend's own region/);
  });

  it('is inconclusive when the fault never applied', () => {
    const verdicts = verifyCircuitBreaker(simulate({ applied: false }), sampleExpectations());
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ status: 'inconclusive', check: 'circuit-breaker (step ptu1-fails)' });
    expect(verdicts[0]!.explanation).toMatch(/never applied/);
  });

  it('is inconclusive when too little traffic reached the backend to reach the count', () => {
    const verdicts = verifyCircuitBreaker(simulate({ every: 6_000 }), sampleExpectations());
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]!.status).toBe('inconclusive');
    expect(verdicts[0]!.explanation).toMatch(/too little traffic .* so even a correct breaker reaches the count with probability 0\.\d+/);
  });

  it('does not fail resumption when the gateway went quiet after the trip', () => {
    const verdicts = verifyCircuitBreaker(simulate({ trafficUntil: 40_000 }), sampleExpectations());
    expect(byCheck(verdicts, 'circuit-breaker.resumes').status).toBe('inconclusive');
    expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').status).toBe('pass');
  });

  it('fails resumption, for a backend with one breaker, when the gateway refused requests naming it after the trip while sending it nothing', () => {
    // The gateway went quiet for its backends at 40 s, but kept answering requests with its own
    // 503 for ptu1 (set directly, its breaker open) long after the 30 s trip should have ended.
    const refusals = (backendId: string) => (b: EvidenceBuilder) => {
      for (let t = 40_100; t < 85_000; t += 1_000) b.gatewayRequest({ at: t, attempts: [], status: 503, backendId });
    };
    const stuck = byCheck(verifyCircuitBreaker(simulate({ trafficUntil: 40_000, extra: refusals('aoai-eastus-ptu1') }), sampleExpectations()), 'circuit-breaker.resumes');
    expect(stuck.status).toBe('fail');
    expect(stuck.explanation).toMatch(/^aoai-eastus-ptu1 was still unavailable to gateway East US .* routed through aoai-eastus-ptu1 with a 503 before reaching any backend/);
    // Refusals naming another backend say nothing about ptu1's breaker.
    const elsewhere = byCheck(verifyCircuitBreaker(simulate({ trafficUntil: 40_000, extra: refusals('aoai-eastus-ptu2') }), sampleExpectations()), 'circuit-breaker.resumes');
    expect(elsewhere.status).toBe('inconclusive');
  });

  it('is inconclusive when the run has no status fault on a backend with a breaker', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'slow', at: 1000, until: 5000, kind: 'latency', target: { backend: 'aoai-eastus-ptu1' } });
    const verdicts = verifyCircuitBreaker(b.build(), sampleExpectations());
    expect(verdicts).toEqual([expect.objectContaining({ check: 'circuit-breaker', status: 'inconclusive' })]);
    const noBreaker = verifyCircuitBreaker(simulate(), sampleExpectations({ breakers: {} }));
    expect(noBreaker).toEqual([expect.objectContaining({ check: 'circuit-breaker', status: 'inconclusive' })]);
  });

  it('judges each gateway instance on its own', () => {
    // Both regions' gateways send to the failing backend; West never trips.
    const evidence = simulate({
      extra: (b) => {
        for (let t = 20_100; t < 34_000; t += 300) b.gatewayRequest({ at: t, region: 'West US', attempts: [{ backend: 'aoai-eastus-ptu1', status: 500, reason: 'fault:status', durationMs: 5 }] });
      },
    });
    const verdicts = verifyCircuitBreaker(evidence, sampleExpectations());
    expect(verdicts.filter((v) => v.check.includes('gateway East US')).map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    expect(byCheck(verdicts.filter((v) => v.check.includes('gateway West US')), 'circuit-breaker.opens-after-count').status).toBe('fail');
  });

  describe('a resource behind two backend entities (a dedicated high-priority lane)', () => {
    const MEDIUM = { ptu1: 'aoai-eastus-ptu1', ptu2: 'aoai-eastus-ptu2' };
    const HIGH = { ptu1: 'aoai-eastus-ptu1-high', ptu2: 'aoai-eastus-ptu2-high' };
    const laneExpectations = (): Expectations => {
      const x = sampleExpectations();
      const routes: Record<string, Record<string, string>> = {};
      for (const lane of [MEDIUM, HIGH]) {
        for (const logged of [lane.ptu1, lane.ptu2]) routes[logged] = { 'aoai-eastus-ptu1': lane.ptu1, 'aoai-eastus-ptu2': lane.ptu2 };
      }
      x.breakers['aoai-eastus-ptu1'] = { ...x.breakers['aoai-eastus-ptu1']!, entities: [MEDIUM.ptu1, HIGH.ptu1] };
      x.breakers['aoai-eastus-ptu2'] = { ...x.breakers['aoai-eastus-ptu2']!, entities: [MEDIUM.ptu2, HIGH.ptu2] };
      return { ...x, entityRoutes: routes };
    };
    /** Medium every 500 ms and high every 700 ms, each lane with its own breaker state. */
    const twoLanes = (high: SimOptions = {}) => {
      const b = new EvidenceBuilder({ durationMs: 90_000 });
      b.fleetFault({ id: 'ptu1-fails', at: 20_000, until: 35_000, status: 500, target: { backend: 'aoai-eastus-ptu1' } });
      driveLane(b, { entities: MEDIUM, subscription: 'user-facing', events: true });
      driveLane(b, { entities: HIGH, subscription: 'critical-ops', every: 700, phase: 130, events: true, ...high });
      return b.build();
    };

    it('judges each entity as its own breaker: both lanes trip after 3 failures and stay open 30 s', () => {
      const verdicts = verifyCircuitBreaker(twoLanes(), laneExpectations());
      expect(verdicts.map((v) => [v.check, v.status])).toEqual([
        ['circuit-breaker.opens-after-count (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1, gateway East US)', 'pass'],
        ['circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1, gateway East US)', 'pass'],
        ['circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1, gateway East US)', 'pass'],
        ['circuit-breaker.opens-after-count (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high, gateway East US)', 'pass'],
        ['circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high, gateway East US)', 'pass'],
        ['circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high, gateway East US)', 'pass'],
      ]);
      expect(byCheck(verdicts, 'circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high').measured).toMatch(/breaker events agree/);
    });

    it('without the lanes, the same healthy gateway looks broken: the resource got twice the count', () => {
      const verdicts = verifyCircuitBreaker(twoLanes(), sampleExpectations());
      expect(byCheck(verdicts, 'circuit-breaker.opens-after-count').status).toBe('fail');
    });

    it('fails the lane whose breaker is missing and passes the other', () => {
      const verdicts = verifyCircuitBreaker(twoLanes({ count: Number.POSITIVE_INFINITY }), laneExpectations());
      const high = verdicts.filter((v) => v.check.includes('via aoai-eastus-ptu1-high'));
      const medium = verdicts.filter((v) => v.check.includes('via aoai-eastus-ptu1,'));
      expect(byCheck(high, 'circuit-breaker.opens-after-count').status).toBe('fail');
      expect(byCheck(high, 'circuit-breaker.stays-open').status).toBe('fail');
      expect(medium.map((v) => v.status)).toEqual(['pass', 'pass', 'pass']);
    });

    it('does not fail a lane that may be missing requests whose log row is gone, and says so', () => {
      const evidence = twoLanes();
      const verdicts = verifyCircuitBreaker(
        (() => {
          // Drop one high-lane row during the fault: its requests can no longer be placed.
          const row = evidence.gatewayLogs.find((r) => r.BackendId === HIGH.ptu2 && Date.parse(r.TimeGenerated ?? "") - evidence.window.start > 21_000);
          return { ...evidence, gatewayLogs: evidence.gatewayLogs.filter((r) => r !== row) };
        })(),
        laneExpectations(),
      );
      // The missing row hid one of the high lane's failures, which now looks like an early stop:
      // with an incomplete lane that is not a failure, and not a pass either.
      const high = verdicts.filter((v) => v.check.includes('via aoai-eastus-ptu1-high'));
      expect(high.map((v) => v.status)).toContain('inconclusive');
      expect(verdicts.some((v) => v.status === 'fail')).toBe(false);
      expect(byCheck(high, 'circuit-breaker.opens-after-count').explanation).toMatch(/^Not judged as a failure because the lanes are incomplete: .*had no gateway log row naming the backend entity/);
    });

    describe('a lane whose peer is open too: the pool refuses its requests', () => {
      const HIGH_POOL = 'aoai-eastus-ptu-high-pool';
      const poolExpectations = (): Expectations => {
        const x = laneExpectations();
        return { ...x, entityRoutes: { ...x.entityRoutes, [HIGH_POOL]: { 'aoai-eastus-ptu1': HIGH.ptu1, 'aoai-eastus-ptu2': HIGH.ptu2 } } };
      };
      /**
       * The high lane trips on ptu1 at about 20 s for `tripMs`; from 36 s ptu2's high lane is open
       * too (saturated), so the lane's requests get the pool's own 503 and reach no backend until
       * ptu1's lane closes; then it serves on both again.
       */
      const peerOpen = (tripMs: number, refusalsAsPool = true, firstToPeer = 0) => {
        const b = new EvidenceBuilder({ durationMs: 90_000 });
        b.fleetFault({ id: 'ptu1-fails', at: 20_000, until: 35_000, status: 500, target: { backend: 'aoai-eastus-ptu1' } });
        driveLane(b, { entities: MEDIUM, subscription: 'user-facing' });
        driveLane(b, { entities: HIGH, subscription: 'critical-ops', every: 700, phase: 130, trafficUntil: 36_000 });
        const tripEnd = 20_400 + tripMs;
        let toggle = 0;
        for (let t = 36_030; t < 90_000; t += 700) {
          if (t < tripEnd) b.gatewayRequest({ at: t, attempts: [], subscription: 'critical-ops', status: 503, backendId: refusalsAsPool ? HIGH_POOL : null });
          else {
            const ptu1 = toggle++ >= firstToPeer && (toggle - firstToPeer) % 2 === 1;
            b.gatewayRequest({ at: t, attempts: [{ backend: ptu1 ? 'aoai-eastus-ptu1' : 'aoai-eastus-ptu2' }], subscription: 'critical-ops', backendId: ptu1 ? HIGH.ptu1 : HIGH.ptu2 });
          }
        }
        return b.build();
      };
      const highResume = (verdicts: Verdict[]): Verdict => byCheck(verdicts, 'circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high');

      it('fails a lane that stays open 50 s instead of 30 s, on the pool\'s 503s after the trip\'s end', () => {
        const evidence = peerOpen(50_000);
        const resume = highResume(verifyCircuitBreaker(evidence, poolExpectations()));
        expect(resume.status).toBe('fail');
        expect(resume.measured).toMatch(/0 request\(s\) to its peers in between, \d+ of its pool's requests refused with no member available \(503\)/);
        expect(resume.explanation).toMatch(/^aoai-eastus-ptu1 \(through aoai-eastus-ptu1-high\) was still unavailable to gateway East US .* routed through aoai-eastus-ptu-high-pool with a 503 before reaching any backend/);
        expect(resume.evidence.map((e) => e.file)).toContain(evidence.files.gatewayLogs);
      });

      it('passes the lane that closes on time although the pool refused while both were open', () => {
        const verdicts = verifyCircuitBreaker(peerOpen(30_000), poolExpectations());
        expect(highResume(verdicts).status).toBe('pass');
      });

      it('passes a late-looking return (its first requests drawn to the peer) when the refusals all came while the trip lasted', () => {
        const resume = highResume(verifyCircuitBreaker(peerOpen(30_000, true, 6), poolExpectations()));
        expect(resume.status).toBe('pass');
        expect(resume.explanation).toMatch(/went elsewhere first are a \d+% chance/);
      });

      it('does not count refusals it cannot place in the lane (a row naming no backend)', () => {
        const resume = highResume(verifyCircuitBreaker(peerOpen(50_000, false), poolExpectations()));
        expect(resume.status).not.toBe('fail');
      });

      it('does not count a 503 that a backend answered', () => {
        const evidence = peerOpen(50_000);
        // The same rows, each now with a ledger attempt: a backend's own 503 passed through.
        const refusedIds = new Set(evidence.gatewayLogs.filter((r) => r.BackendId === HIGH_POOL).map((r) => r.CorrelationId));
        const answered = evidence.ledger.concat(
          [...refusedIds].map((id, k) => ({ ...evidence.ledger.find((r) => r.backend === 'aoai-eastus-ptu2')!, seq: 900_000 + k, correlationId: id!, status: 503 })),
        );
        const resume = highResume(verifyCircuitBreaker({ ...evidence, ledger: answered }, poolExpectations()));
        expect(resume.measured).not.toMatch(/refused with no member available/);
      });
    });

    it('judges each entity by its own rule when the lanes\' rules differ', () => {
      // The high lane's breaker trips for 10 s, the medium lane's for 30 s.
      const evidence = twoLanes({ tripMs: 10_000 });
      const x = laneExpectations();
      const resourceRule = x.breakers['aoai-eastus-ptu1']!;
      const { entities: _entities, ...thirty } = resourceRule;
      x.breakers['aoai-eastus-ptu1'] = { ...resourceRule, entityRules: { [MEDIUM.ptu1]: thirty, [HIGH.ptu1]: { ...thirty, tripDurationMs: 10_000 } } };
      const verdicts = verifyCircuitBreaker(evidence, x);
      expect(verdicts.filter((v) => v.status !== 'pass').map((v) => v.check)).toEqual([]);
      expect(byCheck(verdicts, 'circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high').measured).toMatch(/= 10\.\d s/);
      // Held to the resource's 30 s instead, the high lane's 10 s trip is a failure.
      const oneRule = verifyCircuitBreaker(evidence, laneExpectations());
      expect(byCheck(oneRule, 'circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1 via aoai-eastus-ptu1-high').status).toBe('fail');
    });
  });
});

describe('nginx-passive counting (nginx max_fails / fail_timeout)', () => {
  const NGINX_RULE = { count: 3, intervalMs: 10_000, tripDurationMs: 10_000, acceptRetryAfter: false, counting: 'nginx-passive' as const, failureStatusRanges: [{ min: 429, max: 429 }, { min: 500, max: 500 }, { min: 502, max: 504 }] };
  const nginxExpectations = (rule: Partial<typeof NGINX_RULE> = {}): Expectations =>
    sampleExpectations({ breakers: { 'aoai-eastus-ptu1': { ...NGINX_RULE, ...rule }, 'aoai-eastus-ptu2': { ...NGINX_RULE, ...rule } }, regions: [EAST], frontDoor: null });

  interface NginxOptions {
    /** The servers' max_fails; 0: never ejected. */
    maxFails?: number;
    /** The servers' fail_timeout, whole seconds. */
    failTimeoutSeconds?: number;
  }

  /**
   * nginx as examples/nginx configures it, written from its source rather than from the
   * verifier's model: a round robin over ptu1 and ptu2 skipping a server tried for the request
   * or ejected, then the PAYG backup; per server `fails`, `accessed`, `checked` in whole seconds
   * (ngx_http_upstream_get_peer, ngx_http_upstream_free_round_robin_peer). A request every
   * 200 ms (the circuit-breaker plan's 5 a second), ptu1 answering 500 from 15 s for 15 s.
   */
  function nginxRun(options: NginxOptions = {}): RunEvidence {
    const maxFails = options.maxFails ?? 3;
    const failTimeout = options.failTimeoutSeconds ?? 10;
    const b = new EvidenceBuilder({ durationMs: 90_000 });
    b.fleetFault({ id: 'ptu1-fails', at: 15_000, until: 30_000, status: 500, target: { backend: 'aoai-eastus-ptu1' } });
    const servers = (['aoai-eastus-ptu1', 'aoai-eastus-ptu2'] as const).map((name) => ({ name, fails: 0, accessed: Number.NEGATIVE_INFINITY, checked: Number.NEGATIVE_INFINITY }));
    const second = (offset: number) => Math.floor((b.start + offset) / 1000);
    let next = 0;
    for (let t = 43; t < 90_000; t += 200) {
      const attempts: AttemptSpec[] = [];
      const tried = new Set<(typeof servers)[number]>();
      let offset = 2;
      for (;;) {
        const now = t + offset;
        let server: (typeof servers)[number] | undefined;
        for (let k = 0; k < servers.length && !server; k++) {
          const candidate = servers[(next + k) % servers.length]!;
          if (tried.has(candidate) || (maxFails > 0 && candidate.fails >= maxFails && second(now) - candidate.checked <= failTimeout)) continue;
          server = candidate;
          next = (next + k + 1) % servers.length;
        }
        if (!server) {
          attempts.push({ backend: 'aoai-eastus-payg', offset, durationMs: 100 });
          break;
        }
        tried.add(server);
        if (second(now) - server.checked > failTimeout) server.checked = second(now);
        const failing = server.name === 'aoai-eastus-ptu1' && now >= 15_000 && now < 30_000;
        const durationMs = failing ? 1 : 100;
        attempts.push({ backend: server.name, status: failing ? 500 : 200, ...(failing ? { reason: 'fault:status' as const } : {}), offset, durationMs });
        if (!failing) {
          if (server.accessed < server.checked) server.fails = 0;
          break;
        }
        server.fails++;
        server.accessed = server.checked = second(now + durationMs);
        offset += durationMs + 1;
      }
      b.gatewayRequest({ at: t, attempts });
    }
    // nginx keeps no gateway log rows: the ledger and the client records only.
    return without(b.build());
  }

  it('passes nginx as it is: ejected after 3 failures for fail_timeout to fail_timeout + 1 s, ejected again by one failure, back once the fault ends', () => {
    const verdicts = verifyCircuitBreaker(nginxRun(), nginxExpectations());
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['circuit-breaker.opens-after-count (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
      ['circuit-breaker.stays-open (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
      ['circuit-breaker.resumes (step ptu1-fails, aoai-eastus-ptu1, gateway East US)', 'pass'],
    ]);
    const count = byCheck(verdicts, 'circuit-breaker.opens-after-count');
    expect(count.measured).toMatch(/^trip 1 .*: 3 failures \(3 counted \+ 0 in flight\), allowed 3; trip 2 .*: 1 failures \(1 counted \+ 0 in flight\), allowed 1; while closed/);
    // Whole seconds: each ejection ends at the second of the last failure + 11 s.
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').measured).toMatch(/^trip 1: silent .* = 1\d\.\d s, .*; trip 2: silent .* = 1\d\.\d s/);
    // Judged as APIM's sliding window instead, the same nginx looks like a breaker that opened
    // after 1 failure: the re-ejection that nginx's count explains.
    const sliding = verifyCircuitBreaker(nginxRun(), nginxExpectations({ counting: undefined } as never));
    expect(byCheck(sliding, 'circuit-breaker.opens-after-count').measured).toMatch(/^opened after 1 failure/);
  });

  it('fails an nginx whose max_fails is lower than expected: it ejects after fewer failures', () => {
    for (const maxFails of [1, 2]) {
      const verdicts = verifyCircuitBreaker(nginxRun({ maxFails }), nginxExpectations());
      const count = byCheck(verdicts, 'circuit-breaker.opens-after-count');
      expect(count.status, `max_fails=${maxFails}`).toBe('fail');
      expect(count.measured).toMatch(new RegExp(`^opened after ${maxFails}`));
      expect(count.explanation).toMatch(new RegExp(`after only ${maxFails} failure\\(s\\) by nginx's count .* max_fails may be lower than expected`));
    }
  });

  it('fails an nginx that never ejects (max_fails=0): the server keeps getting failures', () => {
    const verdicts = verifyCircuitBreaker(nginxRun({ maxFails: 0 }), nginxExpectations());
    const count = byCheck(verdicts, 'circuit-breaker.opens-after-count');
    expect(count.status).toBe('fail');
    expect(count.explanation).toMatch(/^aoai-eastus-ptu1 received \d+ failed requests from gateway East US before it stopped sending \(nginx's count reached max_fails 3 .* max_fails may be 0 \(no ejection\)/);
    expect(byCheck(verdicts, 'circuit-breaker.stays-open').status).toBe('fail');
  });

  it('fails an nginx whose ejection is too short (fail_timeout 3 s for an expected 10 s), and only on the trip length', () => {
    const verdicts = verifyCircuitBreaker(nginxRun({ failTimeoutSeconds: 3 }), nginxExpectations());
    const open = byCheck(verdicts, 'circuit-breaker.stays-open');
    expect(open.status).toBe('fail');
    expect(open.measured).toMatch(/^trip 1: silent .* = [34]\.\d s/);
    expect(open.explanation).toMatch(/during what should have been a 1\d\.\d s trip \(fail_timeout 10 s in whole seconds, from the last failure's second\).* fail_timeout may be shorter than configured/);
    expect(verdicts.filter((v) => v.status === 'fail').map((v) => v.check)).toEqual([open.check]);
  });
});
