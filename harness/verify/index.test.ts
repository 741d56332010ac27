import { describe, expect, it } from 'vitest';
import { runVerifiers } from './index.ts';
import { EvidenceBuilder, sampleExpectations } from './test-evidence.ts';

describe('runVerifiers', () => {
  it('runs the named verifiers in order', () => {
    const verdicts = runVerifiers(['failover', 'circuit-breaker'], new EvidenceBuilder().build(), sampleExpectations());
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['failover', 'inconclusive'],
      ['circuit-breaker', 'inconclusive'],
    ]);
  });
  it('throws on an unknown name', () => {
    expect(() => runVerifiers(['nope' as never], new EvidenceBuilder().build(), sampleExpectations())).toThrow(/unknown verifier "nope" \(known: spillover, circuit-breaker, priority, failover, token-limit\)/);
  });
  it('turns a verifier crash into one inconclusive verdict and runs the others', () => {
    const evidence = new EvidenceBuilder().build();
    (evidence as { client: unknown }).client = null;
    const verdicts = runVerifiers(['spillover', 'failover'], evidence, sampleExpectations());
    expect(verdicts[0]).toMatchObject({ check: 'spillover', status: 'inconclusive' });
    expect(verdicts[0]!.explanation).toMatch(/could not process this run's evidence/);
    expect(verdicts[1]).toMatchObject({ check: 'failover', status: 'inconclusive' });
  });
});
