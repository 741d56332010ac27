import { describe, expect, it } from 'vitest';
import type { ClientRecord } from '../contracts/client-record.ts';
import type { Verdict } from '../contracts/verdict.ts';
import type { HttpProbe, VerdictProbe } from './drill-file.ts';
import { valueOf, withinTolerance } from './kql-measure.ts';
import { judgeHttpProbe, judgeVerdictProbe, quantile } from './probes.ts';

const record = (time: number, status: number, durationMs: number, consumer = 'user-facing'): ClientRecord =>
  ({ time, status, durationMs, consumer, scenario: 'drill', priority: 'medium', operation: 'chat', stream: false, servedBy: '', servedRegion: '', frontDoorOrigin: '', errorOrigin: '', gatewayReason: '', retryAfter: '', remainingTokens: '', promptTokens: 0, completionTokens: 0 }) as ClientRecord;

const probe: HttpProbe = { name: 'answered', kind: 'http', consumer: 'user-facing', status: { min: 200, max: 299 }, minShare: 0.9, latency: { quantile: 0.95, maxMs: 1000 }, minRequests: 5 };
const window = { phase: 'before' as const, start: 1000, end: 2000 };

describe('http probes', () => {
  it('hold when the share in range and the latency quantile are within bounds, over the window and the consumer only', () => {
    const records = [...Array.from({ length: 10 }, (_, i) => record(1000 + i * 50, 200, 100)), record(999, 500, 100), record(2000, 500, 100), record(1500, 500, 5000, 'batch')];
    const result = judgeHttpProbe(probe, records, window);
    expect(result).toMatchObject({ status: 'held', phase: 'before' });
    expect(result.measured).toContain('10 of 10');
  });

  it('deviate when too few are in range, or the latency is over its bound', () => {
    const statuses = [...Array.from({ length: 8 }, (_, i) => record(1000 + i, 200, 100)), record(1100, 429, 100), record(1101, 503, 100)];
    const refused = judgeHttpProbe(probe, statuses, window);
    expect(refused.status).toBe('deviated');
    expect(refused.measured).toMatch(/8 of 10 .*80.0%.*1 × 429, 1 × 503/);
    const slow = judgeHttpProbe(probe, Array.from({ length: 10 }, (_, i) => record(1000 + i, 200, i === 9 ? 3000 : 100)), window);
    expect(slow.status).toBe('deviated');
    expect(slow.measured).toContain('p95 3000 ms');
  });

  it('are inconclusive with fewer requests than they need', () => {
    expect(judgeHttpProbe(probe, [record(1000, 200, 10)], window).status).toBe('inconclusive');
  });

  it('read quantiles by nearest rank', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
  });
});

describe('kql values', () => {
  const rows = [
    { ApimSubscriptionId: 'dev-test', ApiId: 'azure-openai', Hits: 12 },
    { ApimSubscriptionId: 'dev-test', ApiId: 'other', Hits: 3 },
    { ApimSubscriptionId: 'batch', ApiId: 'azure-openai', Hits: 4 },
  ];
  it('sum, max, min over the rows matching where, or count them', () => {
    expect(valueOf({ rows }, { column: 'Hits', aggregate: 'sum', where: { ApimSubscriptionId: 'dev-test' } })).toEqual({ value: 15, matched: 2 });
    expect(valueOf({ rows }, { column: 'Hits', aggregate: 'max', where: {} })).toEqual({ value: 12, matched: 3 });
    expect(valueOf({ rows }, { column: 'Hits', aggregate: 'min', where: { ApiId: 'azure-openai' } })).toEqual({ value: 4, matched: 2 });
    expect(valueOf({ rows }, { aggregate: 'rows', where: { ApimSubscriptionId: 'user-facing' } })).toEqual({ value: 0, matched: 0 });
    // No row: a sum is 0 (nothing counted), a max has nothing to read.
    expect(valueOf({ rows: [] }, { column: 'Hits', aggregate: 'sum', where: {} }).value).toBe(0);
    expect(valueOf({ rows: [] }, { column: 'Hits', aggregate: 'max', where: {} }).value).toBeNull();
  });
  it('are within a tolerance only between its bounds, and never when there is nothing to read', () => {
    expect(withinTolerance(5, { min: 5 })).toBe(true);
    expect(withinTolerance(4, { min: 5 })).toBe(false);
    expect(withinTolerance(0, { max: 0 })).toBe(true);
    expect(withinTolerance(1, { max: 0 })).toBe(false);
    expect(withinTolerance(null, { max: 0 })).toBe(false);
  });
});

describe('verdict probes', () => {
  const verdict = (check: string, status: Verdict['status']): Verdict => ({ check, status, expected: '', measured: '', tolerance: '', explanation: '', evidence: [] }) as unknown as Verdict;
  const breaker: VerdictProbe = { name: 'breaker', kind: 'verdict', check: 'circuit-breaker', status: ['pass'] };
  it('hold when every verdict of the check has an expected status, and name those that do not', () => {
    expect(judgeVerdictProbe(breaker, [verdict('circuit-breaker.stays-open (x)', 'pass'), verdict('spillover.share', 'fail')]).status).toBe('held');
    const failed = judgeVerdictProbe(breaker, [verdict('circuit-breaker.stays-open (x)', 'fail'), verdict('circuit-breaker.resumes (x)', 'pass')]);
    expect(failed.status).toBe('deviated');
    expect(failed.measured).toContain('circuit-breaker.stays-open (x) fail');
  });
  it('are inconclusive when the verifier could not judge, or gave no verdict', () => {
    expect(judgeVerdictProbe(breaker, [verdict('circuit-breaker', 'inconclusive')]).status).toBe('inconclusive');
    expect(judgeVerdictProbe(breaker, [verdict('circuit-breakers-elsewhere', 'pass')]).status).toBe('inconclusive');
  });
});
