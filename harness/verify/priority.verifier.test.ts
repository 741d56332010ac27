import { describe, expect, it } from 'vitest';
import { verifyPriority } from './priority.verifier.ts';
import { EvidenceBuilder, sampleExpectations } from './test-evidence.ts';
import type { Verdict } from './verdict.ts';

const PTU1 = 'aoai-eastus-ptu1';
const PTU2 = 'aoai-eastus-ptu2';
const PAYG = 'aoai-eastus-payg';

function get(verdicts: Verdict[], check: string): Verdict {
  const v = verdicts.find((x) => x.check === check);
  if (!v) throw new Error(`no ${check} in ${verdicts.map((x) => x.check).join(', ')}`);
  return v;
}

/** The sample's routing: high on PTU, medium on PTU (PAYG while both PTUs refuse), low on PAYG. */
function routed(b: EvidenceBuilder, options: { highTo?: string; lowTo?: string; mediumTo?: string; saturatedFrom?: number } = {}): void {
  let i = 0;
  for (let t = 0; t < 60_000; t += 1000, i++) {
    const ptu = i % 2 === 0 ? PTU1 : PTU2;
    b.gatewayRequest({ at: t, subscription: 'critical-ops', attempts: [{ backend: (options.highTo ?? ptu) as typeof PTU1 }] });
    const saturated = options.saturatedFrom !== undefined && t >= options.saturatedFrom;
    b.gatewayRequest({
      at: t + 300,
      subscription: 'user-facing',
      attempts: saturated ? [{ backend: PTU1, status: 429, durationMs: 5 }, { backend: PTU2, status: 429, durationMs: 5 }, { backend: PAYG }] : [{ backend: (options.mediumTo ?? ptu) as typeof PTU1 }],
    });
    b.gatewayRequest({ at: t + 600, subscription: 'batch', attempts: [{ backend: (options.lowTo ?? PAYG) as typeof PTU1 }] });
  }
}

describe('priority routing from the ledger', () => {
  it('passes the sample routing', () => {
    const b = new EvidenceBuilder();
    routed(b, { saturatedFrom: 40_000 });
    const verdicts = verifyPriority(b.build(), sampleExpectations());
    expect(get(verdicts, 'priority.high-ptu-only').status).toBe('pass');
    expect(get(verdicts, 'priority.low-payg-only').status).toBe('pass');
    expect(get(verdicts, 'priority.medium-uses-pool').status).toBe('pass');
  });

  it('fails high-priority requests on PAYG', () => {
    const b = new EvidenceBuilder();
    routed(b, { highTo: PAYG });
    const v = get(verifyPriority(b.build(), sampleExpectations()), 'priority.high-ptu-only');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/^aoai-eastus-payg \(PAYG\) received 60 high-priority request\(s\) between .*: high priority must never spill to PAYG/);
    expect(v.evidence[0]!.examples).toHaveLength(5);
  });

  it('fails low-priority requests on PTU', () => {
    const b = new EvidenceBuilder();
    routed(b, { lowTo: PTU1 });
    const v = get(verifyPriority(b.build(), sampleExpectations()), 'priority.low-payg-only');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/low priority must stay on PAYG/);
  });

  it('fails medium traffic that never reaches PTU', () => {
    const b = new EvidenceBuilder();
    routed(b, { mediumTo: PAYG });
    const v = get(verifyPriority(b.build(), sampleExpectations()), 'priority.medium-uses-pool');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/none of the 60 medium requests in East US reached a PTU backend/);
  });

  it('reads the priority from the subscription when the backends get no X-Priority', () => {
    const b = new EvidenceBuilder();
    for (let t = 0; t < 30_000; t += 1000) b.gatewayRequest({ at: t, subscription: 'critical-ops', priority: null, attempts: [{ backend: PAYG }] });
    expect(get(verifyPriority(b.build(), sampleExpectations()), 'priority.high-ptu-only').status).toBe('fail');
  });

  it('is inconclusive for a class with no traffic', () => {
    const b = new EvidenceBuilder();
    for (let t = 0; t < 30_000; t += 1000) b.gatewayRequest({ at: t, subscription: 'user-facing', attempts: [{ backend: PTU1 }] });
    const verdicts = verifyPriority(b.build(), sampleExpectations());
    expect(get(verdicts, 'priority.high-ptu-only').status).toBe('inconclusive');
    expect(get(verdicts, 'priority.low-payg-only').status).toBe('inconclusive');
  });
});

describe('priority.success-order', () => {
  /** n requests per class under saturation (PTU1 answering 429 throughout), with the given success counts. */
  function rates(counts: { high: [number, number]; medium: [number, number]; low: [number, number] }, options: { saturated?: boolean } = {}): Verdict {
    const b = new EvidenceBuilder({ durationMs: 120_000 });
    if (options.saturated !== false) for (let t = 0; t < 120_000; t += 2000) b.request({ at: t, backend: PTU1, status: 429 });
    for (const [cls, [ok, n]] of Object.entries(counts)) {
      const consumer = cls === 'high' ? 'critical-ops' : cls === 'medium' ? 'user-facing' : 'batch';
      for (let i = 0; i < n; i++) {
        const at = 1000 + (i * 110_000) / n;
        b.clientRequest({ at, consumer, priority: cls, ...(i < ok ? {} : cls === 'high' ? { status: 503, gatewayReason: 'pool-exhausted' as const } : { status: 429, errorOrigin: 'backend' as const }) });
      }
    }
    return get(verifyPriority(b.build(), sampleExpectations()), 'priority.success-order');
  }

  it('passes high ≥ medium ≥ low', () => {
    const v = rates({ high: [95, 100], medium: [85, 100], low: [40, 100] });
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/high 95\.0% of 100 \(95% \d+%–\d+%\), medium 85\.0% of 100/);
  });

  it('fails when medium beats high, with high\'s failures broken down', () => {
    const v = rates({ high: [55, 100], medium: [80, 100], low: [40, 100] });
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/medium succeeded 80\.0% against high 55\.0% \(margin \d+\.\d%\); high's failures: 45× 503 from gateway \(pool-exhausted\)/);
  });

  it('fails when low beats medium', () => {
    expect(rates({ high: [95, 100], medium: [50, 100], low: [90, 100] }).status).toBe('fail');
  });

  it('does not fail a small inversion within the statistical margin', () => {
    expect(rates({ high: [18, 20], medium: [20, 20], low: [10, 20] }).status).toBe('pass');
  });

  it('compares only the classes with enough requests', () => {
    const v = rates({ high: [95, 100], medium: [85, 100], low: [1, 5] });
    expect(v.status).toBe('pass');
    expect(v.explanation).toMatch(/low: 5 requests: not compared/);
    expect(rates({ high: [50, 100], medium: [10, 10], low: [1, 5] }).status).toBe('inconclusive');
  });

  it('is inconclusive when PTU was never saturated', () => {
    const v = rates({ high: [50, 100], medium: [90, 100], low: [40, 100] }, { saturated: false });
    expect(v.status).toBe('inconclusive');
    expect(v.explanation).toMatch(/PTU was never saturated/);
  });

  it("leaves out requests during an injected PTU outage and its trip: an outage is not saturation", () => {
    // PTU1 answers 429 throughout (saturation); from 60 s to 70 s a fault takes PTU down too,
    // and the sample's trip (30 s) outlasts it. High fails only inside that window.
    const b = new EvidenceBuilder({ durationMs: 120_000 });
    for (let t = 0; t < 120_000; t += 2000) b.request({ at: t, backend: PTU1, status: 429 });
    b.fleetFault({ id: 'ptu1-fails', at: 60_000, until: 70_000, status: 500, target: { backend: PTU1 } });
    for (let i = 0; i < 110; i++) {
      const at = 1000 + i * 1000;
      const inOutage = at >= 60_000 && at < 100_000;
      b.clientRequest({ at, consumer: 'critical-ops', priority: 'high', ...(inOutage ? { status: 503, gatewayReason: 'pool-exhausted' as const } : {}) });
      b.clientRequest({ at: at + 300, consumer: 'user-facing', priority: 'medium' });
    }
    const v = get(verifyPriority(b.build(), sampleExpectations()), 'priority.success-order');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/high 100\.0% of \d+ .*\d+ request\(s\) during injected faults and their trips left out/);
  });

  it('leaves out token-limit refusals and front door failures', () => {
    const b = new EvidenceBuilder({ durationMs: 120_000 });
    for (let t = 0; t < 120_000; t += 2000) b.request({ at: t, backend: PTU1, status: 429 });
    for (let i = 0; i < 50; i++) {
      b.clientRequest({ at: 1000 + i * 2000, consumer: 'critical-ops', priority: 'high' });
      b.clientRequest({ at: 1100 + i * 2000, consumer: 'critical-ops', priority: 'high', status: 503, errorOrigin: 'frontdoor', frontDoorOrigin: '' });
      b.clientRequest({ at: 1200 + i * 2000, consumer: 'user-facing', priority: 'medium' });
      b.clientRequest({ at: 1300 + i * 2000, consumer: 'critical-ops', priority: 'high', status: 429, gatewayReason: 'token-limit' });
    }
    const v = get(verifyPriority(b.build(), sampleExpectations()), 'priority.success-order');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/50 token-limit refusal\(s\) left out; 50 front door or connection failure\(s\) left out/);
  });
});
