import { describe, expect, it } from 'vitest';
import { verifySpillover } from './spillover.verifier.ts';
import { EvidenceBuilder, sampleExpectations, type AttemptSpec } from './test-evidence.ts';
import type { Verdict } from './verdict.ts';

const PTU1 = 'aoai-eastus-ptu1';
const PTU2 = 'aoai-eastus-ptu2';
const PAYG = 'aoai-eastus-payg';

function get(verdicts: Verdict[], check: string): Verdict {
  const v = verdicts.find((x) => x.check === check);
  if (!v) throw new Error(`no ${check} in ${verdicts.map((x) => x.check).join(', ')}`);
  return v;
}

/** Medium traffic every 500 ms: PTU while fine; while `saturated(t)`, both PTUs answer 429 and the retry lands on PAYG. */
function pool(b: EvidenceBuilder, options: { from?: number; to?: number; saturated?: (t: number) => boolean; payg?: (t: number, i: number) => boolean } = {}): void {
  let i = 0;
  for (let t = options.from ?? 0; t < (options.to ?? 60_000); t += 500, i++) {
    let attempts: AttemptSpec[];
    if (options.saturated?.(t)) {
      attempts = [
        { backend: PTU1, status: 429, durationMs: 5 },
        { backend: PTU2, status: 429, durationMs: 5 },
        { backend: PAYG, status: 200 },
      ];
    } else if (options.payg?.(t, i)) {
      attempts = [{ backend: PAYG }];
    } else {
      attempts = [{ backend: i % 2 === 0 ? PTU1 : PTU2 }];
    }
    b.gatewayRequest({ at: t, attempts });
    b.clientRequest({ at: t, servedBy: attempts[attempts.length - 1]!.backend });
  }
}

describe('spillover.payg-only-under-pressure', () => {
  it('passes when PAYG takes medium traffic only while both PTU backends refuse', () => {
    const b = new EvidenceBuilder();
    pool(b, { saturated: (t) => t >= 20_000 && t < 30_000 });
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure');
    expect(v.status).toBe('pass');
    expect(v.measured).toMatch(/^20 of \d+ medium\/no-priority requests reached PAYG; 0 of those/);
  });

  it('fails when PAYG takes medium traffic while the PTU backends are fine, naming them, the time and examples', () => {
    const b = new EvidenceBuilder();
    pool(b, { payg: (_t, i) => i % 3 === 0 });
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/^PAYG aoai-eastus-payg received 40 medium\/no-priority request\(s\) while aoai-eastus-ptu1 and aoai-eastus-ptu2 were below capacity .* between 12:00:00\.002 \(t\+0\.0 s\) and 12:00:58\.502 \(t\+58\.5 s\), 40 of them first attempts rather than retries: the pool's priorities may be equal/);
    expect(v.evidence[0]!.examples!.length).toBeGreaterThan(0);
  });

  it('fails when only one PTU backend was under pressure', () => {
    const b = new EvidenceBuilder();
    for (let t = 0; t < 30_000; t += 500) b.gatewayRequest({ at: t, attempts: [{ backend: PTU1, status: 429, durationMs: 5 }, { backend: PAYG }] });
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/while aoai-eastus-ptu2 was below capacity/);
  });

  it('accepts PAYG traffic for a whole breaker trip after both PTU backends failed', () => {
    const b = new EvidenceBuilder();
    pool(b, { to: 20_000 });
    // Both PTU backends fail three times at t=20 s, then PAYG takes everything for 25 s with no new failure.
    b.gatewayRequest({ at: 20_000, attempts: [{ backend: PTU1, status: 500, reason: 'fault:status', durationMs: 5 }, { backend: PTU2, status: 500, reason: 'fault:status', durationMs: 5 }, { backend: PTU1, status: 500, reason: 'fault:status', durationMs: 5 }] });
    b.gatewayRequest({ at: 20_100, attempts: [{ backend: PTU2, status: 500, reason: 'fault:status', durationMs: 5 }, { backend: PTU1, status: 500, reason: 'fault:status', durationMs: 5 }, { backend: PTU2, status: 500, reason: 'fault:status', durationMs: 5 }] });
    for (let t = 20_500; t < 45_000; t += 500) b.gatewayRequest({ at: t, attempts: [{ backend: PAYG }] });
    expect(get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure').status).toBe('pass');
    // Without breakers the same PAYG traffic after the 10 s lookback is unjustified.
    expect(get(verifySpillover(b.build(), sampleExpectations({ breakers: {} })), 'spillover.payg-only-under-pressure').status).toBe('fail');
  });

  it('accepts PAYG traffic while breaker events show both PTU breakers open', () => {
    const b = new EvidenceBuilder();
    pool(b, { to: 20_000 });
    for (let t = 20_000; t < 30_000; t += 500) b.gatewayRequest({ at: t, attempts: [{ backend: PAYG }] });
    for (const backend of [PTU1, PTU2]) {
      b.breakerEvent({ type: 'Opened', backend, region: 'East US', at: 19_900 });
      b.breakerEvent({ type: 'Closed', backend, region: 'East US', at: 30_000 });
    }
    expect(get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure').status).toBe('pass');
  });

  it('tolerates 1% unjustified PAYG requests', () => {
    const b = new EvidenceBuilder({ durationMs: 200_000 });
    pool(b, { to: 150_000, saturated: (t) => t < 100_000 });
    b.gatewayRequest({ at: 170_000, attempts: [{ backend: PAYG }] });
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure');
    expect(v.status).toBe('pass');
    expect(v.explanation).toMatch(/but 1 \(within the allowance\)/);
  });

  it('is inconclusive with too little medium traffic', () => {
    const b = new EvidenceBuilder();
    pool(b, { to: 5_000 });
    expect(get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure').status).toBe('inconclusive');
  });

  it('leaves high and low traffic to the priority verifier', () => {
    const b = new EvidenceBuilder();
    pool(b);
    for (let t = 0; t < 60_000; t += 1000) b.gatewayRequest({ at: t, subscription: 'batch', attempts: [{ backend: PAYG }] });
    expect(get(verifySpillover(b.build(), sampleExpectations()), 'spillover.payg-only-under-pressure').status).toBe('pass');
  });
});

describe('spillover.no-429-while-payg-had-room', () => {
  it('passes with no medium refusal, leaving token-limit refusals out and saying so', () => {
    const b = new EvidenceBuilder();
    pool(b);
    b.clientRequest({ at: 30_000, status: 429, gatewayReason: 'token-limit', retryAfter: '5' });
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room');
    expect(v.status).toBe('pass');
    expect(v.explanation).toMatch(/1 token-limit refusal\(s\) were left out: they are the consumer's own budget/);
  });

  it('fails medium 429s while PAYG had room, with the gateway log showing the retries spent on PTU', () => {
    const b = new EvidenceBuilder();
    pool(b);
    for (let t = 10_250; t < 15_000; t += 500) {
      b.gatewayRequest({ at: t, attempts: [{ backend: PTU1, status: 429, durationMs: 5 }, { backend: PTU2, status: 429, durationMs: 5 }, { backend: PTU1, status: 429, durationMs: 5 }] });
      b.clientRequest({ at: t, status: 429, errorOrigin: 'backend', servedBy: PTU1, servedRegion: 'East US', retryAfter: '1' });
    }
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room');
    expect(v.status).toBe('fail');
    expect(v.measured).toBe('10 of 130 medium client requests refused (429, or a 5xx from the gateway itself), 10 of them while PAYG showed no pressure');
    expect(v.explanation).toMatch(/10 medium\/no-priority client request\(s\) were refused between 12:00:10\.550 \(t\+10\.6 s\) and 12:00:15\.050 \(t\+15\.1 s\)/);
    expect(v.explanation).toMatch(/The gateway log shows 10 medium request\(s\) refused after 3\.0 attempts on average, every one on a PTU backend that refused \(30× 429 utilization\) and none on PAYG/);
  });

  it("fails a third-party gateway's own 502s (no live upstream: nginx with no backup) while PAYG had room, and leaves a backend's 5xx passed through alone", () => {
    const gaveUp = new EvidenceBuilder();
    pool(gaveUp);
    // nginx answers its own HTML error page: no served-by header, so not the backend's answer.
    for (let t = 10_250; t < 15_000; t += 500) gaveUp.clientRequest({ at: t, status: 502, errorOrigin: 'frontdoor', frontDoorOrigin: '' });
    const v = get(verifySpillover(gaveUp.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room');
    expect(v.status).toBe('fail');
    expect(v.measured).toBe('10 of 130 medium client requests refused (429, or a 5xx from the gateway itself), 10 of them while PAYG showed no pressure');

    const passedThrough = new EvidenceBuilder();
    pool(passedThrough);
    for (let t = 10_250; t < 15_000; t += 500) passedThrough.clientRequest({ at: t, status: 500, errorOrigin: 'backend', servedBy: PTU1, servedRegion: 'East US' });
    expect(get(verifySpillover(passedThrough.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room').status).toBe('pass');
  });

  it('fails pool-exhausted 503s while PAYG had room', () => {
    const b = new EvidenceBuilder();
    pool(b);
    for (let t = 10_250; t < 15_000; t += 500) {
      b.gatewayRequest({ at: t, status: 503 });
      b.clientRequest({ at: t, status: 503, gatewayReason: 'pool-exhausted' });
    }
    const v = get(verifySpillover(b.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room');
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/10 were answered by the gateway without reaching any backend/);
  });

  it('excuses medium 429s while PAYG itself was throttled', () => {
    const b = new EvidenceBuilder();
    pool(b);
    for (let t = 10_250; t < 15_000; t += 500) {
      b.gatewayRequest({ at: t, attempts: [{ backend: PTU1, status: 429, durationMs: 5 }, { backend: PAYG, status: 429, reason: 'tpm', durationMs: 5 }] });
      b.clientRequest({ at: t, status: 429, errorOrigin: 'backend', servedBy: PAYG });
    }
    expect(get(verifySpillover(b.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room').status).toBe('pass');
  });

  it('is inconclusive with too few medium client requests', () => {
    const b = new EvidenceBuilder();
    pool(b, { to: 5_000 });
    expect(get(verifySpillover(b.build(), sampleExpectations()), 'spillover.no-429-while-payg-had-room').status).toBe('inconclusive');
  });
});

describe('spillover.ptu-share', () => {
  /**
   * 60 s of steady traffic after a 15 s warm-up: per second, `ptu` requests of 150 tokens on
   * PTU and `payg` on PAYG. PTU capacity is 2 × 9,000 TPM = 18,000 TPM = 300 tokens/s.
   */
  function share(ptuPerSecond: number, paygPerSecond: number, fleet?: (b: EvidenceBuilder) => void): Verdict {
    const b = new EvidenceBuilder({ durationMs: 75_000 });
    fleet?.(b);
    for (let s = 0; s < 75; s++) {
      for (let i = 0; i < ptuPerSecond; i++) b.gatewayRequest({ at: s * 1000 + i * 10, attempts: [{ backend: i % 2 === 0 ? PTU1 : PTU2, promptTokens: 50, completionTokens: 100 }] });
      for (let i = 0; i < paygPerSecond; i++) b.gatewayRequest({ at: s * 1000 + 500 + i * 10, attempts: [{ backend: PAYG, promptTokens: 50, completionTokens: 100 }] });
    }
    return get(verifySpillover(b.build(), sampleExpectations()), 'spillover.ptu-share (East US)');
  }

  it('passes when PTU takes its capacity and PAYG the rest', () => {
    // Offered 3 requests/s × 150 = 450 tokens/s = 27,000 TPM; PTU 300/s → expected 2/3.
    const v = share(2, 1);
    expect(v.status).toBe('pass');
    // One steady segment of 60 s: the PTU buckets (10 s of capacity) may add 3,000 tokens.
    expect(v.expected).toBe("PTU share 66.7% = min(1, 18000 / 27000), at most 77.8% with the PTU bucket's burst");
    expect(v.measured).toMatch(/PTU share of the offered load 66\.7% \(\+0\.0 points/);
  });

  it('fails when PTU serves more than its capacity and one bucket allow (spillover is not happening)', () => {
    // Offered 27,000 TPM, all of it on PTU: far beyond 18,000 TPM plus one 3,000-token burst.
    const v = share(3, 0);
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/more than its capacity should allow/);
  });

  it('fails when PAYG takes traffic PTU had room for', () => {
    // Offered 27,000 TPM again, but only a third on PTU.
    const v = share(1, 2);
    expect(v.status).toBe('fail');
    expect(v.explanation).toMatch(/PTU took only 33\.3% of the tokens in East US although its capacity covers 66\.7%/);
  });

  it('is inconclusive when the offered load never exceeds PTU capacity', () => {
    const v = share(1, 0);
    expect(v.status).toBe('inconclusive');
    expect(v.explanation).toMatch(/never exceeded its PTU capacity/);
  });

  it("takes PTU capacity from the run's fleet, not from the expectations", () => {
    // The same traffic (2 PTU + 1 PAYG per second) against a fleet whose PTU serve 12,000 TPM
    // each: capacity covers 24,000 of the offered 27,000 TPM, so PTU's 66.7% is too little.
    const v = share(2, 1, (b) => {
      b.fleet = { deployment: 'gpt-4o', backends: b.fleet!.backends.map((x) => (x.kind === 'ptu' ? { ...x, capacityTpm: 12_000 } : x)) };
    });
    expect(v.status).toBe('fail');
    expect(v.expected).toMatch(/^PTU share 88\.9% = min\(1, 24000 \/ 27000\)/);
  });

  it('is inconclusive, and says why, when the run does not know its fleet', () => {
    const v = share(2, 1, (b) => {
      b.fleet = null;
    });
    expect(v.status).toBe('inconclusive');
    expect(v.explanation).toMatch(/does not know its fleet's capacities/);
  });

  it('leaves out the warm-up and the time around faults, and is inconclusive without steady time', () => {
    const b = new EvidenceBuilder({ durationMs: 75_000 });
    b.fleetFault({ id: 'ptu1-fails', at: 16_000, until: 30_000, target: { backend: PTU1 } });
    for (let t = 0; t < 75_000; t += 500) b.gatewayRequest({ at: t, attempts: [{ backend: PTU2 }] });
    const verdicts = verifySpillover(b.build(), sampleExpectations());
    expect(get(verdicts, 'spillover.ptu-share').status).toBe('inconclusive');
    expect(get(verdicts, 'spillover.ptu-share').measured).toMatch(/^16\.0 s of steady traffic/);
  });
});
