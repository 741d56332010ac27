import { describe, expect, it } from 'vitest';
import { expectedTripMs, isBreakerFailure, nextTrip } from './breaker-model.ts';
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
