import { describe, expect, it } from 'vitest';
import { recommendUnits } from './recommend-units.ts';

describe('recommendUnits', () => {
  it('recommends one unit only while the peak fits in 40% of it', () => {
    expect(recommendUnits({ rpsPerUnit: 150, peakRps: 60, headroom: 0.3 })).toMatchObject({ units: 1, utilisationAtPeak: 0.4 });
    expect(recommendUnits({ rpsPerUnit: 150, peakRps: 61, headroom: 0.3 }).units).toBe(2);
  });
  it('keeps a peak within 1 - headroom of the units it recommends', () => {
    // 1000 / (150 × 0.7) = 9.52 → 10 units at 67%.
    const r = recommendUnits({ rpsPerUnit: 150, peakRps: 1000, headroom: 0.3 });
    expect(r.units).toBe(10);
    expect(r.utilisationAtPeak).toBeCloseTo(1000 / 1500);
    expect(r.explanation).toMatch(/10 units of 150 req\/s carry 1000 req\/s at 67%/);
    // Exactly at the limit needs no extra unit: 210 / (150 × 0.7) = 2.
    expect(recommendUnits({ rpsPerUnit: 150, peakRps: 210, headroom: 0.3 }).units).toBe(2);
    expect(recommendUnits({ rpsPerUnit: 150, peakRps: 1000, headroom: 0 }).units).toBe(7);
  });
  it('refuses input that has no answer', () => {
    expect(() => recommendUnits({ rpsPerUnit: 0, peakRps: 10, headroom: 0.3 })).toThrow(/per unit/);
    expect(() => recommendUnits({ rpsPerUnit: 10, peakRps: -1, headroom: 0.3 })).toThrow(/peak/);
    expect(() => recommendUnits({ rpsPerUnit: 10, peakRps: 10, headroom: 1 })).toThrow(/headroom/);
  });
});
