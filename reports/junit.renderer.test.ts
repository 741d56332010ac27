import { describe, expect, it } from 'vitest';
import { journalSchemaVersion, type Journal } from '../harness/contracts/journal.ts';
import type { Verdict } from '../harness/contracts/verdict.ts';
import { renderJUnit } from './junit.renderer.ts';
import { renderVerdictTable } from './verdict-table.renderer.ts';

function verdict(check: string, status: Verdict['status'], explanation = `${check} explained`): Verdict {
  return { check, status, expected: 'at most 3 <failures>', measured: '4 & more', tolerance: 'none', explanation, evidence: [] };
}

function journal(verdicts: Verdict[], status: Journal['status'] = 'completed'): Journal {
  return {
    schemaVersion: journalSchemaVersion,
    runId: 'r1',
    scenario: 'smoke',
    status,
    exitCode: 1,
    startedAt: '2026-11-22T00:00:00.000Z',
    endedAt: '2026-11-22T00:01:40.500Z',
    plan: { units: 1 } as Journal['plan'],
    target: { kind: 'embedded', entryUrl: 'http://127.0.0.1:1', fleet: 'started', healthPath: '/status-0123456789abcdef', notes: [] },
    tools: [],
    timeline: [],
    k6: { exitCode: 0, signal: null, meaning: 'ok', startedAt: null, endedAt: null, bundle: null },
    evidence: {},
    verdicts,
    phases: {},
    ...(status !== 'completed' ? { problem: 'k6 did not complete the run: script exception' } : {}),
  };
}

describe('renderJUnit', () => {
  it('makes one test case per verdict: failures, inconclusive as errors, passes empty; text escaped', () => {
    const xml = renderJUnit(journal([verdict('a.pass', 'pass'), verdict('b.fail', 'fail'), verdict('c.maybe', 'inconclusive')]));
    expect(xml).toContain('<testsuite name="smoke" tests="3" failures="1" errors="1" timestamp="2026-11-22T00:00:00.000Z" time="100.500">');
    expect(xml).toContain('<testcase classname="spillway.smoke" name="a.pass"></testcase>');
    expect(xml).toContain('<failure message="4 &amp; more" type="deviation">expected: at most 3 &lt;failures&gt;');
    expect(xml).toContain('<error message="inconclusive" type="inconclusive">c.maybe explained</error>');
    expect(xml).not.toMatch(/<failures>/);
  });

  it('gives each case the evidence kinds its verdict was decided from, as a property', () => {
    const xml = renderJUnit(journal([{ ...verdict('a.pass', 'pass'), sources: ['ledger', 'client'] }, { ...verdict('b.maybe', 'inconclusive'), sources: [] }, verdict('k6 threshold x', 'pass')]));
    expect(xml).toContain('<testcase classname="spillway.smoke" name="a.pass">\n      <properties><property name="sources" value="ledger,client"/></properties>\n    </testcase>');
    expect(xml).toContain('name="b.maybe">\n      <properties><property name="sources" value=""/></properties>\n      <error message="inconclusive" type="inconclusive">b.maybe explained</error>\n    </testcase>');
    // A verdict that lists none (a k6 threshold) has no property.
    expect(xml).toContain('<testcase classname="spillway.smoke" name="k6 threshold x"></testcase>');
  });

  it('adds an error case when the run did not complete', () => {
    const xml = renderJUnit(journal([], 'incomplete'));
    expect(xml).toContain('tests="1" failures="0" errors="1"');
    expect(xml).toContain('name="run"><error message="incomplete" type="harness">k6 did not complete the run: script exception</error>');
  });
});

describe('renderVerdictTable', () => {
  it('adds an error case when a completed run judged nothing (exit 3), so CI does not show it green', () => {
    const xml = renderJUnit(journal([]));
    expect(xml).toContain('tests="1" failures="0" errors="1"');
    expect(xml).toMatch(/<testcase classname="spillway.smoke" name="run"><error message="inconclusive" type="harness">the run completed but nothing was judged/);
  });

  it('lists every check and explains those that did not pass', () => {
    const text = renderVerdictTable([verdict('a.pass', 'pass'), verdict('b.fail', 'fail', 'PTU1 got 4 failures')]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^STATUS\s+CHECK\s+EXPECTED\s+MEASURED/);
    expect(lines[2]).toMatch(/^PASS\s+a\.pass/);
    expect(lines[3]).toMatch(/^FAIL\s+b\.fail/);
    expect(text).toContain('FAIL b.fail: PTU1 got 4 failures');
    expect(text).not.toContain('a.pass: a.pass explained');
  });

  it('says what evidence each verdict that did not pass was decided from', () => {
    const text = renderVerdictTable([{ ...verdict('b.fail', 'fail', 'PTU1 got 4 failures'), sources: ['ledger'] }, { ...verdict('c.maybe', 'inconclusive', 'no front door events'), sources: [] }, verdict('k6 threshold x', 'fail', 'too slow')]);
    expect(text).toContain('FAIL b.fail: PTU1 got 4 failures [decided from: ledger]');
    expect(text).toContain('INCONCLUSIVE c.maybe: no front door events [decided from: nothing]');
    expect(text).toContain('FAIL k6 threshold x: too slow\n');
  });
});
