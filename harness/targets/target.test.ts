import { describe, expect, it } from 'vitest';
import type { TimelineStep } from '../run/scenario-plan.ts';
import { refusedSteps, type Target } from './target.ts';

const steps: TimelineStep[] = [
  { id: 'ptu1-fails', at: 5, kind: 'fleet-fault', fault: { kind: 'status', status: 500, target: { backend: 'aoai-eastus-ptu1' } } },
  { id: 'east-down', at: 9, kind: 'region-down', region: 'East US' },
];

function targetApplying(kinds: Target['stepKinds']): Target {
  return { kind: 'gateway', stepKinds: kinds, evidenceKinds: ['ledger', 'client'], stepScopes: () => new Map(), planProblems: () => [], notes: () => [], up: () => Promise.reject(new Error('not started in this test')) };
}

describe('refusedSteps', () => {
  it('names every step whose kind the target cannot apply, and the kinds it can', () => {
    expect(refusedSteps(targetApplying(['fleet-fault']), steps)).toBe('the gateway target cannot apply step "east-down" (kind region-down): it applies fleet-fault');
    expect(refusedSteps(targetApplying([]), steps)).toBe('the gateway target cannot apply step "ptu1-fails" (kind fleet-fault), step "east-down" (kind region-down): it applies no fault steps');
  });

  it('refuses nothing when the target applies every kind the plan uses', () => {
    expect(refusedSteps(targetApplying(['fleet-fault', 'region-down']), steps)).toBeNull();
    expect(refusedSteps(targetApplying([]), [])).toBeNull();
  });
});
