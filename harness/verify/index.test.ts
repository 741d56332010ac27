import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunEvidence } from '../contracts/evidence.ts';
import { runVerifiers, verifiers } from './index.ts';
import { EAST, EvidenceBuilder, sampleExpectations, without, WEST } from './test-evidence.ts';

/** A small run every verifier has something to read in: gateway rows, a fault, breaker events, a front door. */
function busyRun(): RunEvidence {
  const b = new EvidenceBuilder();
  b.fleetFault({ id: 'ptu1-fails', at: 20_000, until: 35_000, target: { backend: 'aoai-eastus-ptu1' } });
  for (let t = 0; t < 60_000; t += 500) {
    b.gatewayRequest({ at: t, attempts: [{ backend: t % 1000 === 0 ? 'aoai-eastus-ptu1' : 'aoai-eastus-ptu2' }] });
    b.clientRequest({ at: t });
  }
  b.breakerEvent({ type: 'Opened', backend: 'aoai-eastus-ptu1', region: EAST, at: 21_000 });
  b.healthEvent({ origin: EAST, healthy: true, at: 1_000 });
  return b.build();
}

/** The run with one kind's status replaced (its rows kept, as a target that lost some would bring them). */
function withStatus(evidence: RunEvidence, kind: RunEvidence['sources'][number]['kind'], status: 'incomplete' | 'absent', note: string): RunEvidence {
  return { ...evidence, sources: evidence.sources.map((s) => (s.kind === kind ? { kind, status, note } : s)) };
}

describe('runVerifiers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

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

  it('declares, for each verifier, the evidence it needs and the evidence it uses when the run has it', () => {
    expect(Object.fromEntries(Object.entries(verifiers).map(([name, v]) => [name, { needs: v.needs, optional: v.optional }]))).toEqual({
      spillover: { needs: ['ledger', 'client'], optional: ['gatewayLogs', 'breakerEvents'] },
      'circuit-breaker': { needs: ['ledger'], optional: ['gatewayLogs', 'breakerEvents'] },
      priority: { needs: ['ledger', 'client'], optional: ['gatewayLogs', 'breakerEvents'] },
      failover: { needs: ['client', 'frontDoorEvents'], optional: ['gatewayLogs', 'ledger'] },
      'token-limit': { needs: ['client'], optional: ['llmLogs', 'gatewayLogs', 'ledger'] },
    });
  });

  it('lists in each verdict the needs plus the optional kinds the run collected whole and that held rows', () => {
    const evidence = busyRun();
    const sourcesOf = (name: Parameters<typeof runVerifiers>[0][number], e: RunEvidence = evidence): string[][] => [...new Set(runVerifiers([name], e, sampleExpectations()).map((v) => JSON.stringify(v.sources)))].map((j) => JSON.parse(j) as string[]);
    expect(sourcesOf('spillover')).toEqual([['ledger', 'client', 'gatewayLogs', 'breakerEvents']]);
    expect(sourcesOf('circuit-breaker')).toEqual([['ledger', 'gatewayLogs', 'breakerEvents']]);
    expect(sourcesOf('failover')).toEqual([['client', 'frontDoorEvents', 'gatewayLogs', 'ledger']]);
    expect(sourcesOf('token-limit')).toEqual([['client', 'llmLogs', 'gatewayLogs', 'ledger']]);
    // Collected but empty: not listed.
    expect(sourcesOf('spillover', { ...evidence, breakerEvents: [] })).toEqual([['ledger', 'client', 'gatewayLogs']]);
    // Absent: not listed, and not read.
    expect(sourcesOf('circuit-breaker', without(evidence))).toEqual([['ledger']]);
  });

  it('answers one inconclusive verdict per verifier whose need is absent, naming it and why, without running it', () => {
    // Client records that would give failover.steady-state-origins a verdict, but no front door events.
    const verdicts = runVerifiers(['failover', 'spillover'], withStatus(busyRun(), 'frontDoorEvents', 'absent', 'nginx in front of the fleet: no front door'), sampleExpectations());
    expect(verdicts[0]).toEqual({
      check: 'failover',
      status: 'inconclusive',
      expected: 'the evidence the failover verifier needs: client, frontDoorEvents (and uses gatewayLogs, ledger when the run has them)',
      measured: 'client collected; frontDoorEvents absent (nginx in front of the fleet: no front door)',
      tolerance: 'none',
      explanation:
        "The failover verifier decides from the client records (k6's samples) and the front door's events, and this run's frontDoorEvents is absent (nginx in front of the fleet: no front door), so it was not run: this says nothing about the gateway. Judge this with a target that brings that evidence, or leave the verifier out of the plan.",
      evidence: [{ file: 'front-door-events.jsonl', description: 'frontDoorEvents absent: nginx in front of the fleet: no front door' }],
      sources: [],
    });
    expect(verdicts.slice(1).every((v) => v.check.startsWith('spillover.'))).toBe(true);
  });

  it('makes every ledger-needing verifier inconclusive, naming the gap, when the ledger is incomplete', () => {
    const gap = 'the ledger poller lost records 1200 to 1350 (the fleet dropped them before they were read)';
    const verdicts = runVerifiers(['spillover', 'circuit-breaker', 'priority', 'token-limit'], withStatus(busyRun(), 'ledger', 'incomplete', gap), sampleExpectations());
    const unmet = verdicts.filter((v) => v.check === 'spillover' || v.check === 'circuit-breaker' || v.check === 'priority');
    expect(unmet.map((v) => [v.check, v.status])).toEqual([
      ['spillover', 'inconclusive'],
      ['circuit-breaker', 'inconclusive'],
      ['priority', 'inconclusive'],
    ]);
    for (const v of unmet) {
      expect(v.measured).toContain(`ledger incomplete (${gap})`);
      expect(v.explanation).toContain(`ledger is incomplete (${gap}), so it was not run`);
      expect(v.explanation).toMatch(/Rerun once the missing records can be collected whole\.$/);
    }
    // token-limit uses the ledger only when it is whole: withheld, it counts from the LLM log, and says so.
    const tokenLimit = verdicts.filter((v) => v.check.startsWith('token-limit'));
    expect(tokenLimit.length).toBeGreaterThan(0);
    expect(tokenLimit.every((v) => !v.sources!.includes('ledger'))).toBe(true);
  });

  it('withholds an optional kind the run did not collect whole: the verifier decides without it', () => {
    const evidence = busyRun();
    const note = 'Log Analytics had not ingested the last 2 minutes';
    const verdicts = runVerifiers(['circuit-breaker'], withStatus(evidence, 'gatewayLogs', 'incomplete', note), sampleExpectations());
    expect(verdicts.every((v) => v.sources!.join() === 'ledger,breakerEvents')).toBe(true);
    expect(verdicts.find((v) => v.check.startsWith('circuit-breaker.opens-after-count'))!.explanation).toMatch(/judged as one instance per region of its backends/);
    // The run's own evidence is left as it was.
    expect(evidence.gatewayLogs.length).toBeGreaterThan(0);
  });

  it('gives a verifier only the kinds it declares, and does not call one whose need is unmet', () => {
    const evidence = busyRun();
    const judge = vi.spyOn(verifiers.spillover, 'judge');
    runVerifiers(['spillover'], evidence, sampleExpectations());
    const seen = judge.mock.calls[0]![0];
    expect([seen.ledger, seen.client, seen.gatewayLogs, seen.breakerEvents]).toEqual([evidence.ledger, evidence.client, evidence.gatewayLogs, evidence.breakerEvents]);
    expect([seen.llmLogs, seen.frontDoorEvents]).toEqual([[], []]);
    expect(seen.sources.find((s) => s.kind === 'llmLogs')).toEqual({ kind: 'llmLogs', status: 'absent', note: 'not given to this verifier, which does not read llmLogs' });
    runVerifiers(['spillover'], withStatus(evidence, 'client', 'absent', 'no k6'), sampleExpectations());
    expect(judge).toHaveBeenCalledTimes(1);
  });

  it('throws on an unknown name', () => {
    expect(() => runVerifiers(['nope' as never], new EvidenceBuilder().build(), sampleExpectations())).toThrow(/unknown verifier "nope" \(known: spillover, circuit-breaker, priority, failover, token-limit\)/);
  });
  it('turns a verifier crash into one inconclusive verdict and runs the others', () => {
    const evidence = new EvidenceBuilder().build();
    (evidence as { client: unknown }).client = null;
    const verdicts = runVerifiers(['spillover', 'failover'], evidence, sampleExpectations());
    expect(verdicts[0]).toMatchObject({ check: 'spillover', status: 'inconclusive', sources: [] });
    expect(verdicts[0]!.explanation).toMatch(/could not process this run's evidence/);
    expect(verdicts[1]).toMatchObject({ check: 'failover', status: 'inconclusive' });
  });
});
