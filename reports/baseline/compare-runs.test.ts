import { describe, expect, it } from 'vitest';
import type { ReportSummary, SummaryVerdict } from '../report-summary.ts';
import { summarizeCapacity } from '../report-summary.ts';
import { capacityJournal } from '../summary-fixtures.ts';
import { BaselineMismatchError, compareWithBaseline } from './compare-runs.ts';
import { compareMeasured } from './measured-numbers.ts';

function verdict(check: string, status: SummaryVerdict['status'], measured = '3 of 100 requests'): SummaryVerdict {
  return { check, status, expected: '', measured, explanation: '' };
}

function run(overrides: Partial<ReportSummary> = {}, traffic: Partial<NonNullable<ReportSummary['traffic']>> = {}): ReportSummary {
  return {
    kind: 'run',
    id: 'r',
    name: 'smoke',
    status: 'completed',
    exitCode: 0,
    startedAt: '2026-12-01T10:00:00.000Z',
    endedAt: '2026-12-01T10:01:00.000Z',
    problem: null,
    journalFile: '/x/journal.json',
    journalSchemaVersion: 2,
    verdicts: [verdict('a', 'pass')],
    traffic: { requests: 600, targetRps: 10, achievedRps: 10, latencyMs: { p50: 100, p95: 200, p99: 300 }, errorShare: 0.01, errorsByOrigin: {}, ...traffic },
    capacity: null,
    drill: null,
    ...overrides,
  };
}

describe('compareWithBaseline', () => {
  it('finds no regression within the margin, and one for each measure beyond it, in the direction that is worse', () => {
    const baseline = run();
    const within = compareWithBaseline(run({}, { achievedRps: 9.5, latencyMs: { p50: 105, p95: 209, p99: 330 }, errorShare: 0.011 }), baseline, 10);
    expect(within.regressions).toEqual([]);
    expect(within.metrics.find((m) => m.name === 'latency p99')).toMatchObject({ baseline: 300, current: 330, changePercent: 10, regression: false });
    const beyond = compareWithBaseline(run({}, { achievedRps: 8.9, latencyMs: { p50: 111, p95: 150, p99: 300 }, errorShare: 0.0111 }), baseline, 10);
    expect(beyond.metrics.filter((m) => m.regression).map((m) => m.name)).toEqual(['throughput', 'latency p50', 'error share']);
    expect(beyond.regressions[0]).toBe('throughput: 10.0 req/s → 8.9 req/s (-11.0%), beyond the 10% margin');
    // Better is never a regression: lower latency, higher throughput.
    expect(compareWithBaseline(run({}, { achievedRps: 20, latencyMs: { p50: 1, p95: 1, p99: 1 }, errorShare: 0 }), baseline, 0).regressions).toEqual([]);
  });

  it('needs an error share to rise by at least 0.1 percentage point, whatever the margin', () => {
    const baseline = run({}, { errorShare: 0 });
    expect(compareWithBaseline(run({}, { errorShare: 0.0009 }), baseline, 0).regressions).toEqual([]);
    expect(compareWithBaseline(run({}, { errorShare: 0.0011 }), baseline, 0).regressions).toHaveLength(1);
  });

  it('gates nothing without a margin, but shows every change', () => {
    const c = compareWithBaseline(run({ verdicts: [verdict('a', 'fail')] }, { achievedRps: 1 }), run(), null);
    expect(c.regressions).toEqual([]);
    expect(c.metrics[0]).toMatchObject({ name: 'throughput', changePercent: -90, regression: false });
    expect(c.verdicts[0]).toMatchObject({ check: 'a', baseline: { status: 'pass' }, current: { status: 'fail' }, regression: false });
  });

  it('counts a verdict that passed in the baseline and fails, is inconclusive or is gone as a regression; a new one is not', () => {
    const baseline = run({ verdicts: [verdict('a', 'pass'), verdict('b', 'pass'), verdict('c', 'pass'), verdict('d', 'fail')] });
    const c = compareWithBaseline(run({ verdicts: [verdict('a', 'fail'), verdict('b', 'inconclusive'), verdict('d', 'pass'), verdict('e', 'fail')] }), baseline, 50);
    expect(c.regressions).toEqual(['a: pass in the baseline, fail in this run', 'b: pass in the baseline, inconclusive in this run', 'c: pass in the baseline, not judged in this run']);
  });

  it('pairs the numbers of measured texts of the same shape, and not of different ones', () => {
    const c = compareWithBaseline(run({ verdicts: [verdict('a', 'pass', '5 of 100 requests'), verdict('b', 'pass', 'no request failed')] }), run({ verdicts: [verdict('a', 'pass', '3 of 100 requests'), verdict('b', 'pass', '2 requests failed')] }), null);
    expect(c.verdicts[0]!.numbers).toEqual([{ position: 1, context: '', baseline: 3, current: 5, changePercent: expect.closeTo(66.67, 1) }]);
    expect(c.verdicts[1]!.numbers).toBeNull();
    expect(compareMeasured('p95 1.5 ms; 2 of 9', 'p95 1.5 ms; 4 of 9')).toEqual([{ position: 3, context: '', baseline: 2, current: 4, changePercent: 100 }]);
    expect(compareMeasured('rate = 0', 'rate = 0.02')).toEqual([{ position: 1, context: 'rate =', baseline: 0, current: 0.02, changePercent: null }]);
  });

  it('refuses another kind, another scenario, or a run that did not complete, saying which', () => {
    const capacity = summarizeCapacity(capacityJournal(), 'cap', '/x/capacity-journal.json');
    expect(() => compareWithBaseline(run(), capacity, 10)).toThrow(BaselineMismatchError);
    expect(() => compareWithBaseline(run(), capacity, 10)).toThrow(/cannot compare a run of scenario smoke \(\/x\/journal.json\) with a capacity run of profile light/);
    expect(() => compareWithBaseline(run({ name: 'spillover' }), run(), 10)).toThrow(/different scenarios/);
    expect(() => compareWithBaseline(run(), run({ status: 'incomplete', exitCode: 2, problem: 'k6 died' }), 10)).toThrow(/the baseline, a run of scenario smoke .* did not complete \(incomplete: k6 died\)/);
    expect(() => compareWithBaseline(run({ status: 'interrupted', exitCode: 2, problem: 'Ctrl-C' }), run(), 10)).toThrow(/the run, .* did not complete/);
  });

  it('compares capacity runs by the knee per unit, and a lost knee is a regression', () => {
    const baseline = summarizeCapacity(capacityJournal(), 'cap-a', '/a/capacity-journal.json');
    const lower = summarizeCapacity(capacityJournal({ conclusion: { rpsPerUnit: 15, atLeastRpsPerUnit: null, exitCode: 0, lines: [] } }), 'cap-b', '/b/capacity-journal.json');
    const c = compareWithBaseline(lower, baseline, 10);
    expect(c.metrics[0]).toMatchObject({ name: 'knee per unit', baseline: 20, current: 15, changePercent: -25, regression: true });
    const none = summarizeCapacity(capacityJournal({ knee: { kind: 'no-knee', cause: 'generator-saturated', atRps: 60, reasons: [] }, conclusion: { rpsPerUnit: null, atLeastRpsPerUnit: null, exitCode: 3, lines: [] } }), 'cap-c', '/c/capacity-journal.json');
    expect(compareWithBaseline(none, baseline, 10).regressions).toContain('knee per unit: 20.0 req/s per unit → – , beyond the 10% margin'.replace(' , ', ', '));
  });
});
