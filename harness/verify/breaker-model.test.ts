import { describe, expect, it } from 'vitest';
import { expectedTripMs, isBreakerFailure, nextTrip } from './breaker-model.ts';
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
