import { describe, expect, it } from 'vitest';
import type { Verdict, VerdictStatus } from '../verify/verdict.ts';
import { exitCodeFor, type RunStatus } from './journal.ts';

function verdicts(...statuses: VerdictStatus[]): Verdict[] {
  return statuses.map((status, i) => ({ check: `check.${i}`, status, expected: '', measured: '', tolerance: '', explanation: '', evidence: [] }));
}

describe('exitCodeFor: one code per kind of outcome', () => {
  it.each<[string, RunStatus, Verdict[], number]>([
    ['every verdict passed', 'completed', verdicts('pass', 'pass'), 0],
    ['a verdict failed', 'completed', verdicts('pass', 'fail'), 1],
    ['a failed verdict beside an inconclusive one: the deviation wins', 'completed', verdicts('inconclusive', 'fail', 'pass'), 1],
    ['a verdict was inconclusive', 'completed', verdicts('pass', 'inconclusive'), 3],
    ['every verdict was inconclusive', 'completed', verdicts('inconclusive'), 3],
    ['a completed run with no verdict at all (nothing was judged, which is not a pass)', 'completed', [], 3],
    ['an incomplete run, even with passing verdicts', 'incomplete', verdicts('pass'), 2],
    ['an incomplete run with a failed verdict: the harness failure wins, the run was not judged whole', 'incomplete', verdicts('fail'), 2],
    ['an interrupted run', 'interrupted', [], 2],
    ['an interrupted run with an inconclusive verdict', 'interrupted', verdicts('inconclusive'), 2],
  ])('%s', (_name, status, given, code) => {
    expect(exitCodeFor(status, given)).toBe(code);
  });
});
