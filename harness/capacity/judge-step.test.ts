import { describe, expect, it } from 'vitest';
import { judgeStep, percentile, type StepSample } from './judge-step.ts';

const criteria = { sloP95Ms: 500, errorBudget: 0.01, droppedTolerance: 0.01 };
const window = { start: 10_000, end: 20_000 };
const keptUp = { droppedIterations: 0, vusBusyMax: 5, vusAllowed: 50, vusPreallocated: 20 };

/** n samples started evenly over the window, each taking durationMs and answering status. */
function samples(n: number, durationMs: number, status = 200): StepSample[] {
  return Array.from({ length: n }, (_, i) => ({ time: window.start + (i * (window.end - window.start)) / n, durationMs, status }));
}

describe('judgeStep', () => {
  it('passes a step within the SLO and the budget, with throughput from its own window', () => {
    const outside = [{ time: window.start - 1, durationMs: 9_000, status: 0 }, { time: window.end + 1, durationMs: 9_000, status: 502 }];
    const judged = judgeStep({ offeredRps: 100, window, samples: [...samples(1000, 40), ...outside], generator: keptUp, criteria });
    expect(judged).toMatchObject({ gatewayHeld: true, generatorKeptUp: true, requests: 1000, p95Ms: 40, errorRate: 0, latencyMs: { p50: 40, p95: 40, p99: 40 } });
    // Served by the window's end: all but the few started in its last 40 ms.
    expect(judged.throughputRps).toBeCloseTo(100, 0);
    expect(judged.reasons).toEqual([]);
  });

  it('fails a step whose p95 is above the SLO', () => {
    const judged = judgeStep({ offeredRps: 100, window, samples: [...samples(900, 40), ...samples(100, 900)], generator: keptUp, criteria });
    expect(judged.gatewayHeld).toBe(false);
    expect(judged.latencyMs).toEqual({ p50: 40, p90: 40, p95: 900, p99: 900 });
    expect(judged.reasons.join()).toMatch(/p95 900 ms is above the SLO of 500 ms/);
  });

  it('counts timeouts, dropped connections and 5xx as errors, but not 4xx', () => {
    const base = samples(980, 40);
    expect(judgeStep({ offeredRps: 100, window, samples: [...base, ...samples(20, 40, 429)], generator: keptUp, criteria }).gatewayHeld).toBe(true);
    for (const status of [0, 500, 503]) {
      const judged = judgeStep({ offeredRps: 100, window, samples: [...base, ...samples(20, 40, status)], generator: keptUp, criteria });
      expect(judged.errorRate).toBeCloseTo(0.02);
      expect(judged.gatewayHeld).toBe(false);
      expect(judged.throughputRps).toBeCloseTo(98, 0);
    }
  });

  it('blames the gateway, not the generator, when its latency used up the VUs', () => {
    // 100 req/s × 2 s p95 latency needs 200 VUs; k6 started with 20: the gateway's slowness starved k6.
    const judged = judgeStep({ offeredRps: 100, window, samples: samples(300, 2_000), generator: { droppedIterations: 700, vusBusyMax: 50, vusAllowed: 50, vusPreallocated: 20 }, criteria });
    expect(judged).toMatchObject({ generatorKeptUp: true, gatewayHeld: false });
    expect(judged.reasons.join()).toMatch(/as the gateway's latency kept them busy/);
    // The same drops with a fast gateway (failing on errors, not latency): k6 itself fell behind.
    const cpuBound = judgeStep({ offeredRps: 100, window, samples: [...samples(380, 40), ...samples(20, 40, 503)], generator: { droppedIterations: 600, vusBusyMax: 10, vusAllowed: 50, vusPreallocated: 20 }, criteria });
    expect(cpuBound).toMatchObject({ generatorKeptUp: false, gatewayHeld: false });
  });

  it("reads the gateway's tail latency, not its p95, for the VUs its slowness kept busy", () => {
    // p95 150 ms × 100 req/s = 15 VUs, below the 20 k6 started with; p99 300 ms × 100 req/s = 30, beyond them.
    const tight = { ...criteria, sloP95Ms: 100 };
    const judged = judgeStep({ offeredRps: 100, window, samples: [...samples(900, 90), ...samples(60, 150), ...samples(40, 300)], generator: { droppedIterations: 50, vusBusyMax: 40, vusAllowed: 50, vusPreallocated: 20 }, criteria: tight });
    expect(judged.latencyMs).toMatchObject({ p95: 150, p99: 300 });
    expect(judged).toMatchObject({ gatewayHeld: false, generatorKeptUp: true });
  });

  it('says the generator fell behind when it dropped iterations or ran out of VUs', () => {
    const dropped = judgeStep({ offeredRps: 100, window, samples: samples(900, 40), generator: { ...keptUp, droppedIterations: 100 }, criteria });
    expect(dropped.generatorKeptUp).toBe(false);
    expect(dropped.reasons.join()).toMatch(/dropped 100 iterations \(10\.0%/);
    const starved = judgeStep({ offeredRps: 100, window, samples: samples(1000, 40), generator: { droppedIterations: 0, vusBusyMax: 50, vusAllowed: 50, vusPreallocated: 20 }, criteria });
    expect(starved.generatorKeptUp).toBe(false);
    expect(starved.reasons.join()).toMatch(/all 50 VUs/);
    const fewDropped = judgeStep({ offeredRps: 100, window, samples: samples(1000, 40), generator: { ...keptUp, droppedIterations: 5 }, criteria });
    expect(fewDropped.generatorKeptUp).toBe(true);
  });

  it("says the generator fell behind when k6 used nearly every core, even with the gateway's latency to blame", () => {
    const saturated = judgeStep({ offeredRps: 100, window, samples: samples(1000, 40), generator: { ...keptUp, cpu: { k6Cores: 1.9, cores: 2 } }, criteria });
    expect(saturated.generatorKeptUp).toBe(false);
    expect(saturated.reasons.join()).toMatch(/k6 used 1\.90 of the 2 cores \(95\.0%\): the generator's CPU was saturated/);
    const slowGateway = judgeStep({ offeredRps: 100, window, samples: samples(300, 2_000), generator: { droppedIterations: 700, vusBusyMax: 50, vusAllowed: 50, vusPreallocated: 20, cpu: { k6Cores: 1.9, cores: 2 } }, criteria });
    expect(slowGateway.generatorKeptUp).toBe(false);
    const roomy = judgeStep({ offeredRps: 100, window, samples: samples(1000, 40), generator: { ...keptUp, cpu: { k6Cores: 0.5, cores: 2 } }, criteria });
    expect(roomy.generatorKeptUp).toBe(true);
  });

  it('fails a step in which nothing completed', () => {
    const judged = judgeStep({ offeredRps: 100, window, samples: [], generator: keptUp, criteria });
    expect(judged.gatewayHeld).toBe(false);
    expect(judged.reasons.join()).toMatch(/no request completed/);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.95)).toBeNull();
  });
});
