import { describe, expect, it } from 'vitest';
import { runVerifiers } from './index.ts';
import { EAST, EvidenceBuilder, sampleExpectations, WEST } from './test-evidence.ts';

describe('runVerifiers', () => {
  it('runs the named verifiers in order', () => {
    const verdicts = runVerifiers(['failover', 'circuit-breaker'], new EvidenceBuilder().build(), sampleExpectations());
    expect(verdicts.map((v) => [v.check, v.status])).toEqual([
      ['failover', 'inconclusive'],
      ['failover.steady-state-origins', 'inconclusive'],
      ['circuit-breaker', 'inconclusive'],
    ]);
  });
  it("hands the front door's origins from the expectations to the failover verifier", () => {
    // 60 healthy requests split evenly between the two regions: right for origins of one
    // priority and equal weights, wrong for the default (regions in strict priority order).
    const b = new EvidenceBuilder({ durationMs: 60_000 });
    for (let i = 0; i < 60; i++) b.clientRequest({ at: i * 1000, frontDoorOrigin: i % 2 === 0 ? EAST : WEST });
    const evidence = b.build();
    const steady = (origins?: { region: string; priority: number; weight: number }[]) => {
      const base = sampleExpectations();
      const expectations = { ...base, frontDoor: { ...base.frontDoor!, ...(origins ? { origins } : {}) } };
      return runVerifiers(['failover'], evidence, expectations).find((v) => v.check === 'failover.steady-state-origins')!;
    };
    expect(steady([{ region: EAST, priority: 1, weight: 50 }, { region: WEST, priority: 1, weight: 50 }]).status).toBe('pass');
    expect(steady().status).toBe('fail');
    expect(steady([{ region: EAST, priority: 1, weight: 50 }, { region: WEST, priority: 2, weight: 50 }]).status).toBe('fail');
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
