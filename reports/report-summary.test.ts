import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureClientRecord, fixtureJournal, fixtureVerdict, writeFixtureRun } from './fixture-run-folder.ts';
import { summarize, summarizeCapacity, trafficNumbers, verdictsFailedFirst } from './report-summary.ts';
import { loadRunFolder } from './run-folder.ts';
import { capacityJournal } from './summary-fixtures.ts';

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

describe('trafficNumbers', () => {
  it('takes the achieved rate over the plan duration, the target from the plan at --units, nearest-rank percentiles and errors by origin', () => {
    // 60 s at 2 req/s per unit, 2 units: a target of 4 req/s; 120 requests sent: 2 req/s achieved.
    const journal = fixtureJournal({ plan: { ...fixtureJournal().plan, units: 2 } });
    const records = Array.from({ length: 120 }, (_, i) => fixtureClientRecord(t0 + i * 500, { durationMs: i + 1 }));
    records[0] = { ...records[0]!, status: 429, errorOrigin: 'gateway' };
    records[1] = { ...records[1]!, status: 0 };
    records[2] = { ...records[2]!, status: 503, errorOrigin: 'backend' };
    const numbers = trafficNumbers(journal, records);
    expect(numbers.targetRps).toBe(4);
    expect(numbers.achievedRps).toBe(2);
    expect(numbers.latencyMs).toEqual({ p50: 60, p95: 114, p99: 119 });
    expect(numbers.errorShare).toBe(3 / 120);
    expect(numbers.errorsByOrigin).toEqual({ gateway: 1, network: 1, backend: 1 });
  });

  it('counts a class that sends only part of the run for that part', () => {
    const base = fixtureJournal();
    const plan = { ...base.plan, traffic: [{ ...base.plan.traffic[0]!, ratePerUnit: 10, startSeconds: 30 }] };
    expect(trafficNumbers({ ...base, plan }, []).targetRps).toBe(5);
  });
});

describe('summarize', () => {
  it('puts failed verdicts first, then inconclusive ones, keeping the journal order within each', () => {
    const ordered = verdictsFailedFirst(['a', 'b', 'c', 'd'].map((check, i) => ({ check, status: (['pass', 'inconclusive', 'fail', 'fail'] as const)[i]!, expected: '', measured: '', explanation: '' })));
    expect(ordered.map((v) => v.check)).toEqual(['c', 'd', 'b', 'a']);
  });

  it('gives a run refused before any load no traffic numbers (absent, not zero) and its reason as the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'summary-'));
    const journal = fixtureJournal({ status: 'incomplete', exitCode: 2, problem: 'the fleet does not answer', verdicts: [], k6: { exitCode: null, signal: null, meaning: 'not started', startedAt: null, endedAt: null, bundle: null } });
    writeFixtureRun(dir, { journal });
    const summary = summarize(loadRunFolder(dir));
    expect(summary).toMatchObject({ kind: 'run', status: 'incomplete', exitCode: 2, problem: 'the fleet does not answer', traffic: null, verdicts: [] });
  });

  it('reads a completed run folder: verdicts and the client numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'summary-'));
    const journal = fixtureJournal({ verdicts: [fixtureVerdict('a.check', 'pass'), fixtureVerdict('b.check', 'fail')], exitCode: 1 });
    writeFixtureRun(dir, { journal, client: Array.from({ length: 60 }, (_, i) => fixtureClientRecord(t0 + i * 1000)), k6Noise: true });
    const summary = summarize(loadRunFolder(dir));
    expect(summary.verdicts.map((v) => `${v.status} ${v.check}`)).toEqual(['pass a.check', 'fail b.check']);
    expect(summary.traffic).toMatchObject({ requests: 60, achievedRps: 1, targetRps: 2, errorShare: 0, latencyMs: { p50: 120, p95: 120, p99: 120 } });
  });

  it('makes a capacity run one verdict (the knee), with the knee step\'s latency and the recommendation', () => {
    const summary = summarizeCapacity(capacityJournal(), 'cap-1', '/x/capacity-journal.json');
    expect(summary.verdicts).toEqual([expect.objectContaining({ check: 'capacity.knee', status: 'pass', measured: '20.0 req/s per unit (knee 40 req/s over 2 unit(s))' })]);
    expect(summary.capacity).toMatchObject({ kneeRps: 40, rpsPerUnit: 20, recommendedUnits: 3, peakRps: 50, kneeConfirmed: true });
    // The confirming hold at the knee, not the short step, gives the latency.
    expect(summary.traffic).toMatchObject({ achievedRps: 39.5, latencyMs: { p50: 30, p95: 80, p99: 95 } });
  });
});

