/**
 * The steady-state hypothesis's probes, judged over the method's run:
 *
 * - `http`: the requests k6 sent through the gateway in the window (its client records: status
 *   and duration as the client saw them), optionally one consumer's: the share whose status is
 *   in range, and a latency quantile, against the probe's bounds. By default the probe judges
 *   the drill's own steady load, so it sees what every client saw; with a `request` it judges
 *   the requests it sent itself (probe-requests.ts), as Chaos Toolkit's http probes do.
 * - `kql`: a query over the run's gateway rows in the window, through the Log Analytics source.
 * - `verdict`: the statuses of a verifier's verdicts over the whole method.
 */
import type { ClientRecord } from '../contracts/client-record.ts';
import type { Verdict } from '../contracts/verdict.ts';
import type { WorkspaceReader } from '../evidence/log-analytics/workspace-reader.ts';
import type { HttpProbe, KqlProbe, VerdictProbe } from './drill-file.ts';
import type { CheckResult } from './drill-journal.ts';
import { describeTolerance, describeValue, measureKql, withinTolerance } from './kql-measure.ts';

export interface ProbeWindow {
  phase: 'before' | 'after';
  start: number;
  end: number;
}

const iso = (w: { start: number; end: number }) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() });

/**
 * With its own `request`, `records` are the requests the probe sent for this phase
 * (probe-requests.ts), all of them judged; otherwise k6's, those in the window.
 */
export function judgeHttpProbe(probe: HttpProbe, records: readonly ClientRecord[], window: ProbeWindow): CheckResult {
  const inWindow = probe.request ? records : records.filter((r) => r.time >= window.start && r.time < window.end && (probe.consumer === undefined || r.consumer === probe.consumer));
  const whose = probe.request ? `own requests (as ${probe.request.consumer})` : probe.consumer === undefined ? 'requests' : `${probe.consumer}'s requests`;
  const expected = `at least ${(probe.minShare * 100).toFixed(1)}% of ${whose} answered ${probe.status.min}-${probe.status.max}${probe.latency ? `, p${probe.latency.quantile * 100} latency <= ${probe.latency.maxMs} ms` : ''} (at least ${probe.minRequests} requests)`;
  const base = { name: probe.name, kind: 'http' as const, phase: window.phase, expected, window: iso(window) };
  if (inWindow.length < probe.minRequests) return { ...base, status: 'inconclusive', measured: `${inWindow.length} ${whose} in the window: too few to judge` };
  const inRange = inWindow.filter((r) => r.status >= probe.status.min && r.status <= probe.status.max).length;
  const share = inRange / inWindow.length;
  const others = countBy(inWindow.filter((r) => r.status < probe.status.min || r.status > probe.status.max).map((r) => String(r.status)));
  let measured = `${inRange} of ${inWindow.length} ${whose} (${(share * 100).toFixed(1)}%) in range${others ? `; the others: ${others}` : ''}`;
  let held = share >= probe.minShare;
  if (probe.latency) {
    const latency = quantile(inWindow.map((r) => r.durationMs), probe.latency.quantile);
    measured += `; p${probe.latency.quantile * 100} ${latency.toFixed(0)} ms`;
    held &&= latency <= probe.latency.maxMs;
  }
  return { ...base, status: held ? 'held' : 'deviated', measured };
}

export async function judgeKqlProbe(probe: KqlProbe, reader: WorkspaceReader, window: ProbeWindow): Promise<CheckResult> {
  const measured = await measureKql(reader, probe.query, window, probe.value, `the kql probe "${probe.name}"`);
  return {
    name: probe.name,
    kind: 'kql',
    phase: window.phase,
    status: withinTolerance(measured.value, probe.tolerance) && measured.partialError === null ? 'held' : 'deviated',
    expected: `${describeValue(probe.value)} ${describeTolerance(probe.tolerance)}`,
    measured: `${measured.value ?? 'nothing (no row matched)'} over ${measured.matched} of ${measured.rows} result row(s)${measured.partialError ? `; the workspace answered only in part: ${measured.partialError}` : ''}`,
    query: probe.query,
    window: iso(window),
    result: measured.result,
  };
}

export function judgeVerdictProbe(probe: VerdictProbe, verdicts: readonly Verdict[]): CheckResult {
  const matching = verdicts.filter((v) => v.check === probe.check || v.check.startsWith(`${probe.check}.`) || v.check.startsWith(`${probe.check} `));
  const base = { name: probe.name, kind: 'verdict' as const, phase: 'method' as const, expected: `every verdict of ${probe.check} ${probe.status.join(' or ')}` };
  if (matching.length === 0) return { ...base, status: 'inconclusive', measured: `no verdict of ${probe.check} was given` };
  const off = matching.filter((v) => !probe.status.includes(v.status));
  const measured = `${matching.length} verdict(s): ${countBy(matching.map((v) => v.status))}${off.length > 0 ? `; not as expected: ${off.map((v) => `${v.check} ${v.status}`).join(', ')}` : ''}`;
  // A verdict that could not judge is not a deviation of the gateway, unless inconclusive was
  // what the probe asked against.
  const status = off.length === 0 ? 'held' : off.every((v) => v.status === 'inconclusive') ? 'inconclusive' : 'deviated';
  return { ...base, status, measured };
}

function countBy(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].map(([v, n]) => `${n} × ${v}`).join(', ');
}

/** The nearest-rank quantile (as k6 reports p(95)), of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
