import { describe, expect, it } from 'vitest';
import { summarizeCapacity } from './report-summary.ts';
import { renderSummaryJUnit } from './summary-junit.renderer.ts';
import { capacityJournal } from './summary-fixtures.ts';

describe('renderSummaryJUnit', () => {
  it('makes a capacity run one case, failed when the knee is below --min-rps-per-unit, with an error case when it did not complete', () => {
    const passed = renderSummaryJUnit(summarizeCapacity(capacityJournal(), 'cap-1', '/x/capacity-journal.json'));
    expect(passed).toContain('<testsuite name="capacity.light" tests="1" failures="0" errors="0"');
    expect(passed).toContain('<testcase classname="spillway.capacity.light" name="capacity.knee"></testcase>');
    const below = renderSummaryJUnit(summarizeCapacity(capacityJournal({ conclusion: { rpsPerUnit: 20, atLeastRpsPerUnit: null, exitCode: 1, lines: ['BELOW --min-rps-per-unit 30'] } }), 'cap-1', '/x/capacity-journal.json'));
    expect(below).toContain('failures="1"');
    expect(below).toContain('<failure message="20.0 req/s per unit (knee 40 req/s over 2 unit(s))" type="deviation">');
    const unfinished = renderSummaryJUnit(summarizeCapacity(capacityJournal({ status: 'interrupted', problem: 'interrupted <Ctrl-C>', knee: null, conclusion: { rpsPerUnit: null, atLeastRpsPerUnit: null, exitCode: 2, lines: [] } }), 'cap-1', '/x/capacity-journal.json'));
    expect(unfinished).toContain('<testcase classname="spillway.capacity.light" name="run"><error message="interrupted" type="harness">interrupted &lt;Ctrl-C&gt;</error></testcase>');
    expect(unfinished).toContain('tests="2" failures="0" errors="2"');
  });
});
