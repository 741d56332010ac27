import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBreakerEvent, fixtureClientRecord, fixtureJournal, fixtureLedgerRequest, fixtureVerdict, writeFixtureRun } from '../fixture-run-folder.ts';
import { loadRunFolder } from '../run-folder.ts';
import type { ReportData } from './chart-spec.ts';
import { renderHtmlReport } from './html.renderer.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spillway-html-report-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

function dataOf(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no report data in the page');
  return JSON.parse(match[1]!) as ReportData;
}

function figuresOf(html: string): { name: string; points: number }[] {
  return [...html.matchAll(/<figure id="[^"]*" data-chart="([^"]+)" data-points="(\d+)">/g)].map((m) => ({ name: m[1]!, points: Number(m[2]) }));
}

function busyRun(dir: string, overrides: Parameters<typeof fixtureJournal>[0] = {}): void {
  // 60 s at 5 req/s: a PTU failure from 20 to 30 s (500s passed through, the breaker opens), a
  // consumer refused by its token limit now and then, a few requests without a response.
  const client = Array.from({ length: 300 }, (_, i) => {
    const time = t0 + 200 * i + 150;
    if (i % 50 === 7) return fixtureClientRecord(time, { status: 0, servedBy: '' });
    if (i % 10 === 3) return fixtureClientRecord(time, { consumer: 'dev-test', status: 429, errorOrigin: 'gateway', gatewayReason: 'token-limit', servedBy: '', remainingTokens: '0' });
    if (time >= t0 + 20_000 && time < t0 + 30_000 && i % 2 === 0) return fixtureClientRecord(time, { status: 500, errorOrigin: 'backend' });
    return fixtureClientRecord(time, { remainingTokens: String(20_000 - 10 * i) });
  });
  const ledger = Array.from({ length: 300 }, (_, i) => fixtureLedgerRequest(i + 1, t0 + 200 * i + 10, t0 + 200 * i >= t0 + 20_000 && t0 + 200 * i < t0 + 30_000 ? 'aoai-eastus-ptu2' : i % 3 === 0 ? 'aoai-eastus-payg' : 'aoai-eastus-ptu1'));
  const timeline = [
    {
      id: 'ptu1-fails',
      step: { id: 'ptu1-fails', at: 20, for: 10, kind: 'fleet-fault' as const, fault: { kind: 'status' as const, status: 500, target: { backend: 'aoai-eastus-ptu1' } } },
      atSeconds: 20,
      action: 'fleet:status 500',
      target: 'aoai-eastus-ptu1',
      appliedAt: t0 + 20_000,
      clearedAt: t0 + 30_000,
    },
  ];
  writeFixtureRun(dir, {
    journal: fixtureJournal({ timeline, ...overrides }, t0),
    client,
    ledger,
    breakerEvents: [fixtureBreakerEvent('aoai-eastus-ptu1', true, t0 + 21_000), fixtureBreakerEvent('aoai-eastus-ptu1', false, t0 + 31_000)],
  });
}

describe('renderHtmlReport: a run', () => {
  it('opens with the verdicts, failed first, then every chart with its data, in one self-contained page', () => {
    const dir = join(root, 'run');
    busyRun(dir, { exitCode: 1, verdicts: [fixtureVerdict('a.passes', 'pass'), fixtureVerdict('b.unsure', 'inconclusive'), fixtureVerdict('c.fails', 'fail', '4 of 10 <b>refused</b>')] });
    const html = renderHtmlReport(loadRunFolder(dir));
    // Failed, inconclusive, passed, whatever the journal's order; each with its status in words.
    const statuses = [...html.matchAll(/<article class="verdict verdict-(\w+)"/g)].map((m) => m[1]);
    expect(statuses).toEqual(['fail', 'inconclusive', 'pass']);
    expect(html).toMatch(/<span class="status">FAIL<\/span> <span class="check">c\.fails<\/span>/);
    expect(html).toContain('4 of 10 &lt;b&gt;refused&lt;/b&gt;');
    expect(html).toContain('<a href="fleet-ledger.jsonl"><code>fleet-ledger.jsonl</code></a>');
    expect(html.indexOf('id="verdicts"')).toBeLessThan(html.indexOf('id="charts"'));
    // One line each first, in the same order; the passed verdict's card folded, the others open.
    expect([...html.matchAll(/<tr class="verdict-row-(\w+)">/g)].map((m) => m[1])).toEqual(['fail', 'inconclusive', 'pass']);
    const folded = /<details class="passed-verdicts">([\s\S]*?)<\/details>/.exec(html)?.[1] ?? '';
    expect([...folded.matchAll(/<article class="verdict verdict-(\w+)"/g)].map((m) => m[1])).toEqual(['pass']);

    expect(figuresOf(html)).toEqual([
      { name: 'request-rate', points: 300 },
      { name: 'latency', points: 300 },
      { name: 'status-origin', points: 300 },
      { name: 'backend-share', points: 300 },
      { name: 'breakers', points: 2 },
      // The successful answers' tokens: all but the 6 unanswered, 30 refused and 25 failed.
      { name: 'tokens', points: 300 - 6 - 30 - 25 },
    ]);
    const data = dataOf(html);
    const chart = (name: string) => data.charts.find((c) => c.name === name)!;
    // Per second: 60 s of load, one bucket each.
    expect(chart('request-rate').x).toHaveLength(60);
    expect(chart('request-rate').series.map((s) => s.label)).toEqual(['offered (plan)', 'sent (k6)', 'succeeded']);
    expect(chart('status-origin').series.map((s) => s.label)).toEqual(['ok (2xx/3xx)', 'gateway limit (429/403: token, rate, quota)', 'backend', 'network (no response)']);
    // The fault window, shaded on the time charts.
    expect(chart('backend-share').bands).toEqual([{ from: 20, to: 30, label: 'ptu1-fails: fleet:status 500 → aoai-eastus-ptu1' }]);
    // The breaker open from 21 s to 31 s in its lane.
    const breaker = chart('breakers');
    expect(breaker.lanes).toEqual(['East US · aoai-eastus-ptu1']);
    expect(breaker.series[0]!.values.map((v, s) => (v === null ? null : s)).filter((s) => s !== null)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]);
    // Every series can be told apart without colour.
    for (const c of data.charts) expect(new Set(c.series.map((s) => `${s.dash.join(',')}/${s.marker}`)).size, c.name).toBe(c.series.length);

    // Self-contained: no external script, stylesheet or image; the page code is inline.
    expect(html).not.toMatch(/<(script|img|iframe)[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).toContain('@media print');
    expect(html).toMatch(/<script>[\s\S]{10000,}<\/script>/);
  });

  it('draws each consumer\'s token budget from the journal beside its use and the limit the gateway implied', () => {
    const dir = join(root, 'budgets');
    busyRun(dir, { tokenBudgets: { 'user-facing': { tokensPerMinute: 20_000 }, 'dev-test': { tokensPerMinute: 1_000 } } });
    const tokens = dataOf(renderHtmlReport(loadRunFolder(dir))).charts.find((c) => c.name === 'tokens')!;
    const budget = tokens.series.find((s) => s.label === 'user-facing: budget (tokens per minute, per gateway)');
    expect(budget?.values.every((v) => v === 20_000)).toBe(true);
    expect(budget?.values).toHaveLength(tokens.x.length);
    // Each consumer its own budget, whatever it used (dev-test was only refused here).
    expect(tokens.series.find((s) => s.label === 'dev-test: budget (tokens per minute, per gateway)')?.values.every((v) => v === 1_000)).toBe(true);
    // Without budgets in the journal (an older one), no budget line.
    const plain = join(root, 'no-budgets');
    busyRun(plain);
    expect(dataOf(renderHtmlReport(loadRunFolder(plain))).charts.find((c) => c.name === 'tokens')!.series.some((s) => s.label.includes('budget'))).toBe(false);
  });

  it('shows why a run did not complete before anything else, and says which charts have no data and why', () => {
    const dir = join(root, 'run');
    writeFixtureRun(dir, { journal: fixtureJournal({ status: 'incomplete', exitCode: 2, problem: 'k6 exited with code 107: the script threw', verdicts: [] }) });
    const html = renderHtmlReport(loadRunFolder(dir));
    const body = html.slice(html.indexOf('<body'));
    expect(body.indexOf('id="incomplete"')).toBeGreaterThan(-1);
    expect(body.indexOf('id="incomplete"')).toBeLessThan(body.indexOf('id="verdicts"'));
    expect(html).toContain('This run did not complete (incomplete).</strong> k6 exited with code 107: the script threw');
    expect(html).toContain('Nothing was judged');
    expect(figuresOf(html).every((f) => f.points === 0)).toBe(true);
    expect(html).toContain('No data to draw: no client evidence: k6-samples.json was not written.');
    expect(html).toContain('No data to draw: no breakerEvents evidence: gateway-logs/circuit-breaker-events.jsonl was not written.');
  });

  it('keeps journal text out of the markup and out of the script: no </script> breaks the page', () => {
    const dir = join(root, 'run');
    busyRun(dir, { verdicts: [fixtureVerdict('x</script><script>alert(1)</script>', 'fail')] });
    const html = renderHtmlReport(loadRunFolder(dir));
    expect(html).not.toContain('<script>alert(1)');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });
});

describe('renderHtmlReport: capacity and drills', () => {
  it('draws a capacity run against offered load with the knee marked', () => {
    const dir = join(root, 'capacity');
    mkdirSync(dir);
    const step = (offeredRps: number, held: boolean) => ({
      step: { offeredRps, throughputRps: held ? offeredRps : 120, requests: offeredRps * 10, p95Ms: held ? 100 : 2000, latencyMs: { p50: 50, p90: 90, p95: held ? 100 : 2000, p99: 150 }, errorRate: held ? 0 : 0.2, generatorKeptUp: true, gatewayHeld: held, reasons: held ? [] : ['p95 2000 ms > 1000 ms'] },
      backend: { saturated: false, reasons: [] },
      phase: 'ramp',
      window: { start: t0, end: t0 + 10_000 },
      cpu: { processCores: 0.5, machineBusy: 0.4, cores: 2 },
      utilisation: { metrics: [{ name: 'capacity', unit: 'percent', average: offeredRps / 1.5, max: 100, samples: 20 }], complete: true },
      folder: `steps/${offeredRps}`,
    });
    writeFileSync(
      join(dir, 'capacity-journal.json'),
      JSON.stringify({
        kind: 'capacity', schemaVersion: 1, startedAt: new Date(t0).toISOString(), endedAt: new Date(t0 + 60_000).toISOString(), status: 'completed',
        settings: { profile: 'light', units: 1 }, target: { kind: 'embedded', entryUrl: 'http://127.0.0.1:1' }, emulated: { units: 1, requestsPerSecondPerUnit: 120 },
        steps: [step(50, true), step(100, true), step(150, false)], unconfirmedSteps: [], holds: [], knee: { kind: 'knee', rps: 100, firstFailingRps: 150 }, kneeConfirmed: true,
        conclusion: { rpsPerUnit: 100, atLeastRpsPerUnit: null, exitCode: 0, lines: ['requests per second per unit: 100'] },
      }),
    );
    const html = renderHtmlReport(loadRunFolder(dir));
    expect(figuresOf(html)).toEqual(['capacity-latency', 'capacity-throughput', 'capacity-errors', 'capacity-utilisation'].map((name) => ({ name, points: 3 })));
    const latency = dataOf(html).charts[0]!;
    expect(latency.x).toEqual([50, 100, 150]);
    expect(latency.markers).toEqual([{ x: 100, label: 'knee 100 req/s, confirmed by a hold' }, { x: 150, label: 'first failing 150 req/s' }]);
    expect(html).toContain('Knee: 100 req/s (first failing 150 req/s), confirmed by a hold.');
  });

  it('shows a drill: hypothesis before and after, the timeline, detection results, a link to the method run report and its charts', () => {
    const dir = join(root, 'drill');
    busyRun(join(dir, 'run', 'r1'));
    const check = (name: string, phase: string, status: string) => ({ name, kind: 'http', phase, status, expected: `${name} expected`, measured: `${name} measured` });
    writeFileSync(
      join(dir, 'drill-journal.json'),
      JSON.stringify({
        schemaVersion: 1, drill: 'ptu-outage', title: 'A PTU deployment fails', playbookEvent: 'PTU outage', file: 'drills/ptu-outage.drill.json', drillRunId: 'd1',
        startedAt: new Date(t0).toISOString(), endedAt: new Date(t0 + 90_000).toISOString(), status: 'deviated', exitCode: 1,
        run: { runId: 'r1', folder: 'run/r1', status: 'completed', exitCode: 0 }, logAnalytics: null,
        hypothesis: { title: 'clients see no 5xx', before: [check('no-5xx-before', 'before', 'held')], after: [check('no-5xx-after', 'after', 'deviated')], method: [] },
        beforeGate: { atSeconds: 20, judgedAt: new Date(t0 + 20_000).toISOString(), status: 'held', method: 'ran', faultsApplied: 1 },
        verdicts: [{ check: 'circuit-breaker.trip', status: 'pass', expected: 'e', measured: 'm' }],
        detection: [{ name: 'breaker-alert', kind: 'detection', phase: 'method', status: 'held', expected: 'a row', measured: '1 row', query: 'ApiManagementGatewayLogs | where BackendResponseCode >= 500 | count', result: [{ Count: 12 }] }],
        rollbacks: [{ kind: 'clear-fleet-faults', what: 'the fleet\'s faults', status: 'done', detail: 'cleared' }],
        deviations: ['probe no-5xx-after (after): 3 of 10 answered 500'],
      }),
    );
    const html = renderHtmlReport(loadRunFolder(dir));
    expect(html).toContain('Steady-state hypothesis: clients see no 5xx');
    expect(html.indexOf('Before the faults')).toBeLessThan(html.indexOf('After the faults'));
    expect(html).toContain('Before-gate at 20 s: the before probes held; the method ran.');
    expect(html).toContain('<td>DEVIATED</td><td>no-5xx-after</td>');
    expect(html).toContain('<a href="run/r1/report.html">its report</a>');
    expect(html).toContain('<td>ptu1-fails</td><td>fleet-fault</td>');
    expect(html).toContain('ApiManagementGatewayLogs | where BackendResponseCode &gt;= 500 | count');
    expect(html).toMatch(/<th scope="col">Count<\/th><\/tr><\/thead><tbody><tr><td class="num">12<\/td>/);
    expect(figuresOf(html).map((f) => f.name)).toEqual(['method-request-rate', 'method-status-origin', 'method-backend-share', 'method-breakers']);
    expect(figuresOf(html).every((f) => f.points > 0)).toBe(true);
  });
});
