import { describe, expect, it } from 'vitest';
import { backendPressure } from './backend-pressure.ts';
import { indexEvidence } from './evidence-index.ts';
import { contains } from './intervals.ts';
import { EvidenceBuilder, sampleExpectations, T0 } from './test-evidence.ts';

function windows(build: (b: EvidenceBuilder) => void, expectations = sampleExpectations()) {
  const b = new EvidenceBuilder();
  build(b);
  const evidence = b.build();
  return backendPressure(evidence, indexEvidence(evidence), expectations, 'aoai-eastus-ptu1').windows;
}

describe('backendPressure', () => {
  it('lasts the lookback (plus slack) after a refusal', () => {
    const w = windows((b) => b.request({ at: 10_000, backend: 'aoai-eastus-ptu1', status: 429, durationMs: 5 }));
    expect(contains(w, T0 + 20_000)).toBe(true);
    expect(contains(w, T0 + 21_006)).toBe(false);
    expect(contains(w, T0 + 9_000)).toBe(false);
  });
  it('lasts a whole modelled trip after the count is reached', () => {
    const build = (b: EvidenceBuilder): void => {
      for (const at of [10_000, 10_100, 10_200]) b.request({ at, backend: 'aoai-eastus-ptu1', status: 500, reason: 'fault:status', durationMs: 5 });
    };
    expect(contains(windows(build), T0 + 39_000)).toBe(true);
    expect(contains(windows(build), T0 + 42_000)).toBe(false);
    expect(contains(windows(build, sampleExpectations({ breakers: {} })), T0 + 39_000)).toBe(false);
  });
  it('covers what breaker events say was open', () => {
    const w = windows((b) => {
      b.breakerEvent({ type: 'Opened', backend: 'aoai-eastus-ptu1', region: 'East US', at: 50_000 });
      b.breakerEvent({ type: 'Closed', backend: 'aoai-eastus-ptu1', region: 'East US', at: 55_000 });
    });
    expect(contains(w, T0 + 52_000)).toBe(true);
    expect(contains(w, T0 + 57_000)).toBe(false);
  });
  it('is empty for a backend that never refused', () => {
    expect(windows((b) => b.request({ at: 0, backend: 'aoai-eastus-ptu1' }))).toEqual([]);
  });
});
