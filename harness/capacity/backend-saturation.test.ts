import { describe, expect, it } from 'vitest';
import { backendSaturation, type FleetRequest } from './backend-saturation.ts';

const window = { start: 0, end: 10_000 };
const limits = { max429Share: 0.001, maxP95Ms: 200 };
const ok = (n: number, kind: 'ptu' | 'payg', tookMs = 20, status = 200): FleetRequest[] => Array.from({ length: n }, (_, i) => ({ start: i, end: i + tookMs, status, kind }));

describe('backendSaturation', () => {
  it('finds a fleet with room not saturated', () => {
    expect(backendSaturation([...ok(500, 'ptu'), ...ok(500, 'payg')], window, limits)).toEqual({ saturated: false, reasons: [] });
  });
  it('finds PTU or PAYG 429s beyond a trace saturated, naming the kind', () => {
    const ptu = backendSaturation([...ok(990, 'ptu'), ...ok(10, 'ptu', 20, 429), ...ok(500, 'payg')], window, limits);
    expect(ptu.saturated).toBe(true);
    expect(ptu.reasons).toEqual(["the fleet's PTU deployments answered 429 to 10 of 1000 requests"]);
    const payg = backendSaturation([...ok(500, 'ptu'), ...ok(5, 'payg', 20, 429), ...ok(95, 'payg')], window, limits);
    expect(payg.reasons.join()).toMatch(/PAYG deployments answered 429 to 5 of 100/);
  });
  it('finds a slow fleet saturated', () => {
    const slow = backendSaturation([...ok(90, 'ptu'), ...ok(10, 'ptu', 900)], window, limits);
    expect(slow.saturated).toBe(true);
    expect(slow.reasons.join()).toMatch(/took 900 ms at p95/);
  });
  it('looks only at the requests that arrived in the window', () => {
    const before = ok(100, 'ptu', 20, 429).map((r) => ({ ...r, start: r.start - 1_000 }));
    expect(backendSaturation([...before, ...ok(100, 'ptu')], window, limits).saturated).toBe(false);
  });
});
