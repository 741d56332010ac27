import { describe, expect, it } from 'vitest';
import { faultTargets, fleetFaultSteps, isRegionDownStep, regionDownSteps } from './fault-steps.ts';
import { EAST, EvidenceBuilder, T0 } from './test-evidence.ts';

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
