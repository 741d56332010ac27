import { describe, expect, it } from 'vitest';
import { faultTargets, faultWindows, fleetFaultSteps, isRegionDownStep, regionDownSteps } from './fault-steps.ts';
import { EAST, EvidenceBuilder, sampleExpectations, T0, WEST } from './test-evidence.ts';
import type { Expectations } from './expectations.ts';

describe('fleetFaultSteps', () => {
  it('joins a timeline step to the ledger fault record labelled with its id', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'ptu1-fails', at: 10_000, until: 22_000, status: 500, target: { backend: 'aoai-eastus-ptu1' } });
    const [step] = fleetFaultSteps(b.build());
    expect(step).toMatchObject({ id: 'ptu1-fails', appliedAt: T0 + 10_000, clearedAt: T0 + 22_000, rule: { kind: 'status', status: 500 } });
  });

  it('falls back to time and target when the rule carries no label', () => {
    const b = new EvidenceBuilder();
    const rule = b.fleetFault({ id: 'step-a', at: 10_000, until: 20_000, target: { backend: 'aoai-eastus-ptu1' } });
    delete rule.label;
    b.timeline[0]!.appliedAt = T0 + 10_400;
    expect(fleetFaultSteps(b.build())[0]).toMatchObject({ id: 'step-a', appliedAt: T0 + 10_000, rule: { id: 'rule-step-a' } });
  });

  it('keeps a step without a fault record (never applied, or unknown to the ledger) and an inject no step claims', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'never', at: 5_000, target: { backend: 'aoai-eastus-ptu1' }, applied: false });
    const evidence = b.build();
    const other = new EvidenceBuilder();
    other.fleetFault({ id: 'by-hand', at: 7_000, target: { region: EAST } });
    evidence.faultChanges.push(...other.faultChanges);
    const steps = fleetFaultSteps(evidence);
    expect(steps.map((s) => [s.id, s.appliedAt === null, s.rule === null, s.step === null])).toEqual([
      ['never', true, true, false],
      ['by-hand', false, false, true],
    ]);
    expect(steps[1]!.clearedAt).toBeNull();
  });

  it('ignores regionDown steps and names the backends a rule targets', () => {
    const b = new EvidenceBuilder();
    b.regionDown({ id: 'down', region: EAST, at: 1000, until: 2000 });
    const evidence = b.build();
    expect(fleetFaultSteps(evidence)).toEqual([]);
    expect(regionDownSteps(evidence)).toEqual([{ id: 'down', region: EAST, appliedAt: T0 + 1000, clearedAt: T0 + 2000 }]);
    const backends = [
      { name: 'a', region: EAST },
      { name: 'b', region: EAST },
      { name: 'c', region: 'West US' },
    ];
    const rule = new EvidenceBuilder().fleetFault({ id: 'x', at: 0, target: { region: EAST } });
    expect(faultTargets(rule, backends)).toEqual(['a', 'b']);
    expect(faultTargets({ ...rule, target: { backend: 'c' } }, backends)).toEqual(['c']);
  });

  it('tells region-down steps by their kind, not by the words of their action', () => {
    const base = { id: 'x', atSeconds: 0, target: EAST, appliedAt: 0, clearedAt: null };
    const down = { ...base, action: 'fleet', step: { id: 'x', at: 0, kind: 'region-down' as const, region: EAST } };
    const fault = { ...base, action: 'region-down', step: { id: 'x', at: 0, kind: 'fleet-fault' as const, fault: { kind: 'hang' as const, target: { region: EAST } } } };
    expect(isRegionDownStep(down)).toBe(true);
    expect(isRegionDownStep(fault)).toBe(false);
  });
});

describe('faultWindows: a step, then the longest trip its own failures can cause', () => {
  /** The sample's lanes on aoai-eastus-ptu1: medium (5 s, no Retry-After) and high (30 s, takes Retry-After); 60 s trips on West US's PTU. */
  const lanes = (): Expectations => {
    const expectations = sampleExpectations();
    const medium = { count: 3, intervalMs: 10_000, tripDurationMs: 5_000, acceptRetryAfter: false };
    const high = { count: 3, intervalMs: 10_000, tripDurationMs: 30_000, acceptRetryAfter: true };
    expectations.breakers['aoai-eastus-ptu1'] = { ...high, entities: ['aoai-eastus-ptu1', 'aoai-eastus-ptu1-high'], entityRules: { 'aoai-eastus-ptu1': medium, 'aoai-eastus-ptu1-high': high } };
    expectations.breakers['aoai-westus-ptu1'] = { ...high, tripDurationMs: 60_000 };
    return expectations;
  };

  it('a 429 with a Retry-After: the accepting lane stays open for the Retry-After, the other for its tripDuration (the longer of the two)', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'throttle', at: 1_000, until: 9_000, status: 429, retryAfterSeconds: 3, target: { backend: 'aoai-eastus-ptu1' } });
    expect(faultWindows(b.build(), lanes())).toEqual([{ from: T0 + 1_000, to: T0 + 9_000 + 5_000 }]);
  });

  it('a Retry-After longer than every tripDuration sets the window', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'throttle', at: 1_000, until: 9_000, status: 429, retryAfterSeconds: 45, target: { backend: 'aoai-eastus-ptu1' } });
    expect(faultWindows(b.build(), lanes())).toEqual([{ from: T0 + 1_000, to: T0 + 9_000 + 45_000 }]);
  });

  it('a 500 carries no Retry-After: the longest tripDuration of the backend hit, not of another backend', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'fails', at: 1_000, until: 9_000, status: 500, target: { backend: 'aoai-eastus-ptu1' } });
    expect(faultWindows(b.build(), lanes())).toEqual([{ from: T0 + 1_000, to: T0 + 9_000 + 30_000 }]);
  });

  it('a region-down step: the longest trip in that region', () => {
    const b = new EvidenceBuilder();
    b.regionDown({ id: 'west-down', region: WEST, at: 2_000, until: 10_000 });
    b.regionDown({ id: 'east-down', region: EAST, at: 20_000, until: 28_000 });
    expect(faultWindows(b.build(), lanes())).toEqual([
      { from: T0 + 2_000, to: T0 + 10_000 + 60_000 },
      { from: T0 + 20_000, to: T0 + 28_000 + 30_000 },
    ]);
  });

  it('a backend the expectations do not know keeps the longest trip of any backend', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'elsewhere', at: 1_000, until: 2_000, status: 429, retryAfterSeconds: 3, target: { backend: 'someone-elses-backend' } });
    expect(faultWindows(b.build(), lanes())).toEqual([{ from: T0 + 1_000, to: T0 + 2_000 + 60_000 }]);
  });

  it('a step the ledger has no record of is judged by its planned fault', () => {
    const b = new EvidenceBuilder();
    b.fleetFault({ id: 'throttle', at: 1_000, until: 9_000, status: 429, retryAfterSeconds: 3, target: { backend: 'aoai-eastus-ptu1' } });
    const evidence = b.build();
    evidence.faultChanges.length = 0;
    expect(faultWindows(evidence, lanes())).toEqual([{ from: T0 + 1_000, to: T0 + 9_000 + 5_000 }]);
  });
});
