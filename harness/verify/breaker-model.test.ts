import { describe, expect, it } from 'vitest';
import { expectedTripMs, isBreakerFailure, modelTripMs, nextTrip, nginxCountAfter } from './breaker-model.ts';
import type { RequestRecord } from '../contracts/ledger-record.ts';
import { EvidenceBuilder, T0 } from './test-evidence.ts';

const rule = { count: 3, intervalMs: 10_000, tripDurationMs: 30_000, acceptRetryAfter: true };

describe('isBreakerFailure', () => {
  it('counts 429, 5xx and no response, not 4xx or a client that gave up', () => {
    const f = (status: number, reason = 'ok') => isBreakerFailure({ status, reason: reason as never }, rule);
    expect([f(429), f(500), f(503), f(0, 'fault:reset'), f(400), f(200), f(499, 'client-closed'), f(0, 'client-closed')]).toEqual([true, true, true, true, false, false, false, false]);
    expect(isBreakerFailure({ status: 429, reason: 'tpm' }, { ...rule, failureStatusRanges: [{ min: 500, max: 599 }] })).toBe(false);
  });
});

describe('nextTrip', () => {
  it('trips at the end of the failure that completes the count within the interval', () => {
    const b = new EvidenceBuilder();
    const records = [0, 4_000, 12_000, 13_000, 14_000, 15_000, 16_000].map((at) => b.request({ at, backend: 'aoai-eastus-ptu1', status: 500, durationMs: 5 }));
    const trip = nextTrip(records, rule, Number.NEGATIVE_INFINITY);
    expect(trip?.at).toBe(T0 + 13_005);
    expect(trip?.counted.map((r) => r.start - T0)).toEqual([4_000, 12_000, 13_000]);
    // Failures that ended before `from` (the breaker was open, or just closed) do not count.
    expect(nextTrip(records, rule, T0 + 13_006)?.at).toBe(T0 + 16_005);
    expect(nextTrip(records, { ...rule, count: 4 }, T0 + 13_006)).toBeNull();
  });
  it('gives the same trips as a plain replay of the rule, from any point, on a long mixed record list', () => {
    // The reference: filter, sort and slide a window afresh on every call (the rule as written).
    const reference = (records: readonly RequestRecord[], r: typeof rule, from: number) => {
      const failures = records.filter((x) => x.end >= from && isBreakerFailure(x, r)).sort((a, b) => a.end - b.end || a.seq - b.seq);
      for (let i = 0; i < failures.length; i++) {
        const inWindow = failures.slice(0, i + 1).filter((f) => f.end > failures[i]!.end - r.intervalMs);
        if (inWindow.length >= r.count) return { at: failures[i]!.end, counted: inWindow.slice(-r.count).map((f) => f.seq) };
      }
      return null;
    };
    const b = new EvidenceBuilder();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // On a whole-second grid, so that failures ending exactly an interval apart (the boundary) occur.
    const records = Array.from({ length: 400 }, (_, i) => b.request({ at: Math.floor(i / 2) * 500, backend: 'aoai-eastus-ptu1', status: random() < 0.3 ? 500 : 200, durationMs: 1000 * (1 + Math.floor(random() * 4)) }));
    for (const r of [rule, { ...rule, count: 1 }, { ...rule, count: 5, intervalMs: 4_000 }]) {
      for (let from = T0 - 1000; from < T0 + 105_000; from += 1_777) {
        const trip = nextTrip(records, r, from);
        expect(trip === null ? null : { at: trip.at, counted: trip.counted.map((f) => f.seq) }).toEqual(reference(records, r, from));
      }
    }
  });

  it('ignores successes', () => {
    const b = new EvidenceBuilder();
    const records = [0, 1000, 2000].map((at, i) => b.request({ at, backend: 'aoai-eastus-ptu1', status: i === 1 ? 200 : 500 }));
    expect(nextTrip(records, rule, Number.NEGATIVE_INFINITY)).toBeNull();
  });
});

describe('nextTrip with nginx-passive counting (max_fails 3, fail_timeout 10 s)', () => {
  const nginx = { count: 3, intervalMs: 10_000, tripDurationMs: 10_000, acceptRetryAfter: false, counting: 'nginx-passive' as const };
  /** ptu1's answers: [offset ms after T0 (a whole second), status], each 5 ms long. */
  const ledger = (answers: [number, number][]) => {
    const b = new EvidenceBuilder();
    return answers.map(([at, status]) => b.request({ at, backend: 'aoai-eastus-ptu1', status, durationMs: 5 }));
  };
  const at = (trip: ReturnType<typeof nextTrip>) => (trip === null ? null : trip.at - T0);

  it('keeps counting through successes that come within fail_timeout of the last failure (no sliding window)', () => {
    // The probe of examples/nginx/README.md: failures at 0, 7.2 and 14.1 s, a success every second between.
    const answers: [number, number][] = [[0, 500], [7_200, 500], [14_100, 500]];
    for (let t = 1_000; t < 14_000; t += 1_000) if (t !== 7_000) answers.push([t, 200]);
    const records = ledger(answers.sort((a, b) => a[0] - b[0]));
    expect(at(nextTrip(records, nginx, Number.NEGATIVE_INFINITY))).toBe(14_105);
    expect(nextTrip(records, nginx, Number.NEGATIVE_INFINITY)?.counted.map((r) => r.start - T0)).toEqual([0, 7_200, 14_100]);
    // Three in 14 s: a sliding window of 10 s never trips.
    expect(nextTrip(records, { ...nginx, counting: 'sliding-window' }, Number.NEGATIVE_INFINITY)).toBeNull();
  });

  it('forgets no failure on a timer: failures 20 s apart with nothing between add up', () => {
    const records = ledger([[0, 500], [20_000, 500], [40_000, 500]]);
    expect(at(nextTrip(records, nginx, Number.NEGATIVE_INFINITY))).toBe(40_005);
    expect(nginxCountAfter(records, nginx, records[1]!)).toBe(2);
  });

  it('resets the count on a success picked more than fail_timeout (whole seconds) after the last failure', () => {
    // Last failure in second 1; a success in second 11 is 10 s later (not more), one in second 12 resets.
    const kept = ledger([[0, 500], [1_000, 500], [11_900, 200], [13_000, 500]]);
    expect(at(nextTrip(kept, nginx, Number.NEGATIVE_INFINITY))).toBe(13_005);
    const reset = ledger([[0, 500], [1_000, 500], [12_000, 200], [13_000, 500], [14_000, 500]]);
    expect(nextTrip(reset, nginx, Number.NEGATIVE_INFINITY)).toBeNull();
    expect(nginxCountAfter(reset, nginx, reset[4]!)).toBe(2);
  });

  it('ejects until the second of the last failure + fail_timeout + 1 s, longer when a failure already in flight ends in a later second', () => {
    const records = ledger([[2_000, 500], [2_300, 500], [2_705, 500]]);
    const trip = nextTrip(records, nginx, Number.NEGATIVE_INFINITY)!;
    expect([trip.at - T0, trip.openUntil! - T0]).toEqual([2_710, 13_000]);
    expect(modelTripMs(nginx, trip, null).ms).toBe(10_290);
    expect(expectedTripMs(nginx, trip.completing, null)).toEqual({ ms: 10_290, source: "fail_timeout 10 s in whole seconds, from the last failure's second" });
    // A request sent at 2.7 s whose 500 came at 3.1 s restarts the ejection from second 3.
    const b = new EvidenceBuilder();
    const inFlight = [...records.map((r) => b.request({ at: r.start - T0, backend: r.backend, status: 500, durationMs: 5 })), b.request({ at: 2_700, backend: 'aoai-eastus-ptu1', status: 500, durationMs: 400 })];
    expect(nextTrip(inFlight, nginx, Number.NEGATIVE_INFINITY)!.openUntil! - T0).toBe(14_000);
  });

  it('ejects again on the first failure after an ejection, the count still at max_fails', () => {
    const records = ledger([[0, 500], [300, 500], [600, 500], [11_100, 500], [22_050, 200], [23_000, 500]]);
    const first = nextTrip(records, nginx, Number.NEGATIVE_INFINITY)!;
    expect(first.counted).toHaveLength(3);
    const again = nextTrip(records, nginx, T0 + 11_100)!;
    expect([again.at - T0, again.counted.map((r) => r.start - T0), again.openUntil! - T0]).toEqual([11_105, [11_100], 22_000]);
    // The success picked in second 22, 11 s after the last failure, reset the count: one failure no longer ejects.
    expect(nextTrip(records, nginx, T0 + 11_106)).toBeNull();
  });
});

describe('expectedTripMs', () => {
  const b = new EvidenceBuilder();
  const fault = b.fleetFault({ id: 'f', at: 0, status: 429, retryAfterSeconds: 5, target: { backend: 'aoai-eastus-ptu1' } });
  const injected = b.request({ at: 0, backend: 'aoai-eastus-ptu1', status: 429, reason: 'fault:status' });
  const real = b.request({ at: 0, backend: 'aoai-eastus-ptu1', status: 429, reason: 'utilization' });
  const server = b.request({ at: 0, backend: 'aoai-eastus-ptu1', status: 500, reason: 'fault:status' });
  it('takes an injected Retry-After with acceptRetryAfter, tripDuration otherwise', () => {
    expect(expectedTripMs(rule, injected, fault).ms).toBe(5_000);
    expect(expectedTripMs(rule, injected, fault, 'max').ms).toBe(30_000);
    expect(expectedTripMs({ ...rule, acceptRetryAfter: false }, injected, fault).ms).toBe(30_000);
    expect(expectedTripMs(rule, server, { ...fault, status: 500, retryAfterSeconds: undefined }).ms).toBe(30_000);
    expect(expectedTripMs(rule, injected, { ...fault, retryAfterSeconds: undefined }).ms).toBe(1_000);
  });
  it('does not know the length of a trip completed by a real 429', () => {
    expect(expectedTripMs(rule, real, null).ms).toBeNull();
  });
});
