import { describe, expect, it } from 'vitest';
import { verifyFailover } from './failover.verifier.ts';
import type { OriginExpectation } from './origin-selection.ts';
import { EAST, EvidenceBuilder, sampleExpectations, WEST } from './test-evidence.ts';
import type { Verdict } from './verdict.ts';

function get(verdicts: Verdict[], prefix: string): Verdict {
  const v = verdicts.find((x) => x.check.startsWith(prefix));
  if (!v) throw new Error(`no ${prefix} in ${verdicts.map((x) => x.check).join(', ')}`);
  return v;
}

interface Outage {
  /** When the front door marks East US unhealthy (ms), null for never. */
  detectedAt?: number | null;
  /** When East US gets traffic again after recovery at 60 s (ms), null for never. */
  returnsAt?: number | null;
  /** Share of traffic still going to West US after the return. */
  strayEvery?: number;
  /** Requests routed to East US after detection anyway. */
  leakAfterDetection?: boolean;
  healthEvents?: boolean;
  /** The West US gateway's backend requests while it serves: to its own resources, or (routing that ignores the region) to East US's. */
  westBackends?: 'west' | 'east';
  durationMs?: number;
  until?: number | null;
}

/**
 * East US (the primary) goes down at 20 s and comes back at 60 s (by default); clients send
 * every 333 ms through the front door. Until detection they fail with the front door's 503;
 * then West US serves; after the return East US serves again.
 */
function outage(options: Outage = {}): ReturnType<EvidenceBuilder['build']> {
  const detectedAt = options.detectedAt === undefined ? 30_000 : options.detectedAt;
  const returnsAt = options.returnsAt === undefined ? 75_000 : options.returnsAt;
  const until = options.until === undefined ? 60_000 : options.until;
  const b = new EvidenceBuilder({ durationMs: options.durationMs ?? 100_000 });
  b.regionDown({ id: 'primary-region-down', region: EAST, at: 20_000, ...(until !== null ? { until } : {}) });
  if (options.healthEvents !== false) {
    if (detectedAt !== null) b.healthEvent({ origin: EAST, healthy: false, at: detectedAt });
    if (returnsAt !== null) b.healthEvent({ origin: EAST, healthy: true, at: returnsAt - 20 });
  }
  let i = 0;
  for (let t = 0; t < (options.durationMs ?? 100_000); t += 333, i++) {
    const down = t >= 20_000 && (detectedAt === null || t < detectedAt) && (until === null || t < until);
    const back = returnsAt !== null && t >= returnsAt && !(options.strayEvery && i % options.strayEvery === 0);
    if (down) {
      b.clientRequest({ at: t, durationMs: 5, status: 503, errorOrigin: 'frontdoor', frontDoorOrigin: '' });
      b.frontDoorRequest({ origin: EAST, at: t, durationMs: 5, status: 503, errorInfo: 'OriginConnectionRefused' });
    } else if (t < 20_000 || back) {
      b.clientRequest({ at: t, frontDoorOrigin: EAST });
      b.frontDoorRequest({ origin: EAST, at: t });
    } else {
      b.clientRequest({ at: t, frontDoorOrigin: WEST, servedRegion: WEST, servedBy: 'aoai-westus-ptu1' });
      b.frontDoorRequest({ origin: WEST, at: t });
      if (options.westBackends === 'west') b.gatewayRequest({ at: t, region: WEST, attempts: [{ backend: 'aoai-westus-ptu1' }] });
      // East US's resources are down too: the connection is refused, no ledger record, but the log row names the backend.
      if (options.westBackends === 'east') b.gatewayRequest({ at: t, region: WEST, attempts: [], status: 500, backendId: 'aoai-eastus-ptu1' });
      if (options.leakAfterDetection && i % 10 === 0 && t < 60_000) b.frontDoorRequest({ origin: EAST, at: t + 1, durationMs: 3, status: 503, errorInfo: 'OriginConnectionRefused' });
    }
  }
  return b.build();
}

describe('verifyFailover', () => {
  it('passes a failover within the probe bounds', () => {
    const verdicts = verifyFailover(outage(), sampleExpectations());
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['failover.error-window (step primary-region-down, East US)', 'pass'],
      ['failover.no-traffic-after-detection (step primary-region-down, East US)', 'pass'],
      ['failover.traffic-returns (step primary-region-down, East US)', 'pass'],
      ['failover.steady-state-origins', 'pass'],
    ]);
    expect(get(verdicts, 'failover.error-window').expected).toMatch(/within 15\.0 s of the outage = 2 probe intervals of 5\.0 s \+ one probe timeout 5\.0 s/);
    expect(get(verdicts, 'failover.error-window').measured).toMatch(/the last was sent (9\.\d|10\.0) s after the outage began/);
  });

  it('fails errors lasting longer than the probe settings allow', () => {
    const v = get(verifyFailover(outage({ detectedAt: 45_000 }), sampleExpectations()), 'failover.error-window');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/Clients kept failing (24\.\d|25\.0) s after East US went down, longer than the 15\.0 s its probe settings \(4 samples, 3 required, every 5 s\) allow: the front door only marked it unhealthy at/);
  });

  it('fails when the front door never removes the region', () => {
    const verdicts = verifyFailover(outage({ detectedAt: null }), sampleExpectations());
    expect(get(verdicts, 'failover.error-window').status).toBe('fail');
    expect(get(verdicts, 'failover.error-window').explanation).toMatch(/never marked East US unhealthy/);
    expect(get(verdicts, 'failover.no-traffic-after-detection').status).toBe('fail');
  });

  it('fails requests routed to the dead region after detection', () => {
    const v = get(verifyFailover(outage({ leakAfterDetection: true }), sampleExpectations()), 'failover.no-traffic-after-detection');
    expect(v.status).toBe('fail');
    expect(v.measured).toMatch(/\d+ routed to East US by the front door's log/);
  });

  it('fails a surviving gateway that keeps sending to the dead region\'s Azure OpenAI resources (routing that ignores the region)', () => {
    const own = verifyFailover(outage({ westBackends: 'west' }), sampleExpectations());
    expect(get(own, 'failover.no-traffic-after-detection').status).toBe('pass');
    const ignoring = verifyFailover(outage({ westBackends: 'east' }), sampleExpectations());
    const quiet = get(ignoring, 'failover.no-traffic-after-detection');
    expect(quiet.status).toBe('fail');
    expect(quiet.measured).toMatch(/, [1-9]\d* gateway log row\(s\) and 0 backend request\(s\) to East US's Azure OpenAI resources$/);
    expect(quiet.explanation).toMatch(/^The front door moved clients away from East US, but gateway West US kept sending to East US's Azure OpenAI resources/);
  });

  it('fails when traffic does not return after recovery while it flows elsewhere', () => {
    const v = get(verifyFailover(outage({ returnsAt: null }), sampleExpectations()), 'failover.traffic-returns');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/East US came back at .* but got no traffic within 15\.0 s: the front door never marked it healthy again/);
    expect(get(verifyFailover(outage({ returnsAt: 85_000 }), sampleExpectations()), 'failover.traffic-returns').status).toBe('fail');
  });

  it('fails a primary that gets only part of the traffic back: steady-state routing, not the return', () => {
    const verdicts = verifyFailover(outage({ strayEvery: 2 }), sampleExpectations());
    expect(get(verdicts, 'failover.traffic-returns').status).toBe('pass');
    const steady = get(verdicts, 'failover.steady-state-origins');
    expect(steady.status).toBe('fail');
    expect(steady.explanation).toMatch(/went to West US, of a lower priority than East US: the origins' priorities may be equal/);
  });

  it('uses the removal bound as detection when there are no front door events', () => {
    const verdicts = verifyFailover(outage({ healthEvents: false }), sampleExpectations());
    expect(verdicts.map((v) => v.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(get(verdicts, 'failover.no-traffic-after-detection').expected).toMatch(/the removal bound/);
  });

  it('scales the bounds with the probe settings', () => {
    // 8 samples, 3 required: 6 failed probes to remove = 30 s + 5 s; the same 10 s window passes, a 40 s one fails.
    const slow = sampleExpectations({ frontDoor: { probeIntervalSeconds: 5, sampleSize: 8, successfulSamplesRequired: 3 } });
    expect(get(verifyFailover(outage({ detectedAt: 45_000 }), slow), 'failover.error-window').status).toBe('pass');
    expect(get(verifyFailover(outage({ detectedAt: 59_000 }), slow), 'failover.error-window').status).toBe('fail');
  });

  it('is inconclusive when the step never applied, without probe settings, or without a regionDown step', () => {
    const b = new EvidenceBuilder();
    b.regionDown({ id: 'down', region: EAST, at: 20_000, applied: false });
    const notApplied = verifyFailover(b.build(), sampleExpectations());
    expect(notApplied).toEqual([
      expect.objectContaining({ status: 'inconclusive', check: 'failover (step down, East US)' }),
      expect.objectContaining({ status: 'inconclusive', check: 'failover.steady-state-origins' }),
    ]);
    expect(notApplied[0]!.explanation).toMatch(/never applied \(the gateway did not stop\)/);
    expect(verifyFailover(outage(), sampleExpectations({ frontDoor: null }))[0]!.status).toBe('inconclusive');
    expect(verifyFailover(new EvidenceBuilder().build(), sampleExpectations())[0]).toMatchObject({ check: 'failover', status: 'inconclusive' });
  });

  it('is inconclusive without traffic during the outage, and about the return when the region never came back', () => {
    const b = new EvidenceBuilder();
    b.regionDown({ id: 'down', region: EAST, at: 20_000, until: 60_000 });
    for (let t = 0; t < 20_000; t += 500) b.clientRequest({ at: t });
    const quiet = verifyFailover(b.build(), sampleExpectations());
    expect(get(quiet, 'failover.error-window').status).toBe('inconclusive');
    expect(get(quiet, 'failover.no-traffic-after-detection').status).toBe('inconclusive');
    expect(get(verifyFailover(outage({ until: null, returnsAt: null }), sampleExpectations()), 'failover.traffic-returns').status).toBe('inconclusive');
  });

  it('is inconclusive when the traffic did not go through a front door', () => {
    const b = new EvidenceBuilder();
    b.regionDown({ id: 'down', region: EAST, at: 20_000, until: 40_000 });
    for (let t = 0; t < 60_000; t += 500) b.clientRequest({ at: t, frontDoorOrigin: '', ...(t >= 20_000 && t < 40_000 ? { status: 0 } : {}) });
    const verdicts = verifyFailover(b.build(), sampleExpectations());
    expect(verdicts).toEqual([
      expect.objectContaining({ check: 'failover (step down, East US)', status: 'inconclusive' }),
      expect.objectContaining({ check: 'failover.steady-state-origins', status: 'inconclusive' }),
    ]);
    expect(verdicts[0]!.explanation).toMatch(/did not go through a front door/);
    expect(verdicts[1]!.explanation).toMatch(/No client record names a front door origin/);
  });

  it('expects no return to a region that took no traffic before', () => {
    const b = new EvidenceBuilder();
    b.regionDown({ id: 'standby-down', region: WEST, at: 20_000, until: 40_000 });
    for (let t = 0; t < 90_000; t += 500) b.clientRequest({ at: t });
    const verdicts = verifyFailover(b.build(), sampleExpectations());
    expect(get(verdicts, 'failover.error-window').status).toBe('pass');
    expect(get(verdicts, 'failover.traffic-returns').status).toBe('inconclusive');
  });

  describe('steady-state origin selection (failover.steady-state-origins)', () => {
    const PRIMARY_FIRST: OriginExpectation[] = [
      { region: EAST, priority: 1, weight: 50 },
      { region: WEST, priority: 2, weight: 50 },
    ];
    /** A healthy run: every `every` ms one client request, its origin chosen by `pick(i)`. */
    function healthy(pick: (i: number) => string, options: { durationMs?: number; every?: number } = {}): ReturnType<EvidenceBuilder['build']> {
      const b = new EvidenceBuilder({ durationMs: options.durationMs ?? 60_000 });
      let i = 0;
      for (let t = 0; t < (options.durationMs ?? 60_000); t += options.every ?? 250, i++) {
        const origin = pick(i);
        b.clientRequest({ at: t, frontDoorOrigin: origin, servedRegion: origin });
      }
      return b.build();
    }
    const steadyOf = (evidence: ReturnType<EvidenceBuilder['build']>, origins?: OriginExpectation[]) => get(verifyFailover(evidence, sampleExpectations(), {}, origins), 'failover.steady-state-origins');

    it('passes a front door that sends everything to the priority-1 origin', () => {
      const v = steadyOf(healthy(() => EAST), PRIMARY_FIRST);
      expect(v.status).toBe('pass');
      expect(v.measured).toMatch(/^East US 240 of 240 \(100\.0%\) in 60\.0 s of steady state/);
      expect(v.tolerance).toMatch(/lower-priority origins: at most 1% of the requests \(2 of 240\)/);
    });

    it('fails a front door that sends half of the traffic to the secondary for the whole run', () => {
      const v = steadyOf(healthy((i) => (i % 2 === 0 ? EAST : WEST)), PRIMARY_FIRST);
      expect(v.status).toBe('fail');
      expect(v.measured).toMatch(/West US 120 of 240 \(50\.0%\)/);
      expect(v.explanation).toMatch(/120 of 240 steady-state requests \(50\.0%\) went to West US, of a lower priority than East US/);
    });

    it('holds equal-priority origins to their weights within the binomial band', () => {
      const equal: OriginExpectation[] = [
        { region: EAST, priority: 1, weight: 75 },
        { region: WEST, priority: 1, weight: 25 },
      ];
      // Three to one, as the weights say: passes, with the band stated.
      const ok = steadyOf(healthy((i) => (i % 4 === 3 ? WEST : EAST)), equal);
      expect(ok.status).toBe('pass');
      expect(ok.measured).toMatch(/East US 180 of 240 \(75\.0%, band \d+–\d+\), West US 60 of 240 \(25\.0%, band \d+–\d+\)/);
      expect(ok.tolerance).toMatch(/exact binomial band of its weight share for 240 requests, outside which an honest front door falls with probability ≤ 0\.001/);
      // Even split where 75/25 is configured: the weights are ignored.
      const even = steadyOf(healthy((i) => (i % 2 === 0 ? EAST : WEST)), equal);
      expect(even.status).toBe('fail');
      expect(even.explanation).toMatch(/East US got 120 of 240 \(50\.0%\) where its weight 75 of 100 gives 75\.0%, outside the band/);
      // Everything to one of two equal-weight origins (a latency band that picks the fastest).
      expect(steadyOf(healthy(() => EAST), [{ region: EAST, priority: 1, weight: 50 }, { region: WEST, priority: 1, weight: 50 }]).status).toBe('fail');
    });

    it('judges only steady state: the outage and the return are left out', () => {
      // The outage() run sends West US traffic only while East US is down or not yet back.
      const v = get(verifyFailover(outage(), sampleExpectations(), {}, PRIMARY_FIRST), 'failover.steady-state-origins');
      expect(v.status).toBe('pass');
      expect(v.measured).toMatch(/^East US \d+ of \d+ \(100\.0%\)/);
    });

    it('is inconclusive, not a pass, with too little steady-state traffic', () => {
      const v = steadyOf(healthy(() => EAST, { durationMs: 4_000, every: 250 }), PRIMARY_FIRST);
      expect(v.status).toBe('inconclusive');
      expect(v.explanation).toMatch(/Too little steady-state traffic \(16 requests, need 20\)/);
    });

    it('says when the origins were assumed from the regions\' order', () => {
      const v = steadyOf(healthy(() => EAST));
      expect(v.status).toBe('pass');
      expect(v.expected).toMatch(/assumed from the order of expectations\.regions/);
      expect(steadyOf(healthy((i) => (i % 2 === 0 ? EAST : WEST))).status).toBe('fail');
    });
  });
});
