import { describe, expect, it } from 'vitest';
import type { LoadReading, ProgressEvent } from './progress-events.ts';
import { plainRenderer } from './plain-renderer.ts';

const t0 = Date.UTC(2026, 11, 7, 11, 40, 0);
const at = (seconds: number): number => t0 + seconds * 1000;
const noErrors = { total: 0, throttled: 0, server: 0, network: 0, other: 0 };

function reading(elapsedSeconds: number, requests: number, rps: number | null, errors = noErrors): LoadReading {
  return { elapsedSeconds, totalSeconds: 30, rps, targetRps: 50, requests, errors };
}

function linesOf(events: readonly ProgressEvent[], intervalSeconds = 10): string[] {
  let text = '';
  const renderer = plainRenderer({ write: (chunk) => void (text += chunk), colour: false, intervalSeconds });
  for (const event of events) renderer.render(event);
  renderer.close();
  return text.split('\n').slice(0, -1);
}

describe('the plain renderer (CI logs)', () => {
  it('writes one timestamped line per phase, fault and message, and the load at most once per interval', () => {
    const events: ProgressEvent[] = [
      { type: 'phase', at: at(0), phase: 'preparing' },
      { type: 'message', at: at(0.5), text: 'bundling scenarios/smoke.scenario.ts with esbuild' },
      { type: 'phase', at: at(1), phase: 'starting' },
      { type: 'phase', at: at(3), phase: 'preflight' },
      { type: 'phase', at: at(4), phase: 'load' },
      // One reading a second, as the load watch sends them: only every tenth second is written.
      ...Array.from({ length: 14 }, (_, i): ProgressEvent => ({ type: 'load', at: at(5 + i), reading: reading(1 + i, 50 * (1 + i), i === 0 ? null : 49.5) })),
      { type: 'fault', at: at(19.2), change: 'applied', id: 'ptu-429', action: 'fleet:status 429', target: 'ptu-1', secondsIntoLoad: 15.2 },
      { type: 'load', at: at(20), reading: reading(16, 790, 48.2, { total: 12, throttled: 10, server: 2, network: 0, other: 0 }) },
      { type: 'load', at: at(24), reading: reading(20, 990, 48.6, { total: 12, throttled: 10, server: 2, network: 0, other: 0 }) },
      { type: 'fault', at: at(24.3), change: 'cleared', id: 'ptu-429', action: 'fleet:status 429', target: 'ptu-1', secondsIntoLoad: 20.3 },
      { type: 'load', at: at(26), reading: reading(21, 1040, 50, { total: 12, throttled: 10, server: 2, network: 0, other: 0 }) },
      { type: 'phase', at: at(35), phase: 'collecting' },
      { type: 'phase', at: at(36), phase: 'verifying' },
    ];
    expect(linesOf(events)).toEqual([
      '11:40:00Z  preparing',
      '11:40:00Z  bundling scenarios/smoke.scenario.ts with esbuild',
      '11:40:01Z  starting fleet and gateway',
      '11:40:03Z  preflight',
      '11:40:04Z  load',
      '11:40:14Z  load · 10/30 s, 20 s left · 49.5 of 50 req/s · 500 responses · no errors',
      '11:40:19Z  fault applied ptu-429 (fleet:status 429 on ptu-1) at 15.2 s',
      '11:40:24Z  load + faults · 20/30 s, 10 s left · 48.6 of 50 req/s · 990 responses · errors 12 (429: 10, 5xx: 2)',
      '11:40:24Z  fault cleared ptu-429 (fleet:status 429 on ptu-1) at 20.3 s',
      // The load's last figures, written before the phase that ends it.
      '11:40:26Z  load · 21/30 s, 9 s left · 50.0 of 50 req/s · 1040 responses · errors 12 (429: 10, 5xx: 2)',
      '11:40:35Z  collecting evidence',
      '11:40:36Z  verifying',
    ]);
  });

  it('says where in a capacity run and a drill day the load is', () => {
    const events: ProgressEvent[] = [
      { type: 'drill', at: at(0), name: 'subscription-429-spike', index: 2, of: 7 },
      { type: 'phase', at: at(1), phase: 'load' },
      { type: 'step', at: at(1), index: 3, of: 8, offeredRps: 150, kind: 'ramp', seconds: 10 },
      { type: 'load', at: at(12), reading: { ...reading(10, 1490, 149), totalSeconds: 10, targetRps: 150 } },
      { type: 'step', at: at(12), index: 9, of: 8, offeredRps: 175, kind: 'bisection', seconds: 10 },
    ];
    expect(linesOf(events)).toEqual([
      '11:40:00Z  drill 2/7: subscription-429-spike',
      '11:40:01Z  drill 2/7 subscription-429-spike · load',
      '11:40:01Z  capacity step 3/8: 150 req/s (ramp) for 10 s',
      '11:40:12Z  drill 2/7 subscription-429-spike · step 3/8 150 req/s (ramp) · load · 10/10 s, 0 s left · 149.0 of 150 req/s · 1490 responses · no errors',
      // Past the ramp's planned steps, the count grows with the steps.
      '11:40:12Z  capacity step 9/9: 175 req/s (bisection) for 10 s',
    ]);
  });

  it("writes a load's final reading at once, before what follows it", () => {
    const lines = linesOf([
      { type: 'phase', at: at(0), phase: 'load' },
      { type: 'step', at: at(0), index: 1, of: 2, offeredRps: 20, kind: 'ramp', seconds: 3 },
      { type: 'load', at: at(1), reading: { ...reading(1, 15, null), totalSeconds: 3, targetRps: 20 } },
      { type: 'load', at: at(3), reading: { ...reading(3, 61, 17.4), totalSeconds: 3, targetRps: 20 }, final: true },
      { type: 'message', at: at(3.5), text: '      20 req/s ramp      3 s: 20.0 req/s served: held' },
      { type: 'phase', at: at(4), phase: 'collecting' },
    ]);
    expect(lines).toEqual([
      '11:40:00Z  load',
      '11:40:00Z  capacity step 1/2: 20 req/s (ramp) for 3 s',
      '11:40:03Z  step 1/2 20 req/s (ramp) · load · 3/3 s, 0 s left · 17.4 of 20 req/s · 61 responses · no errors',
      '11:40:03Z        20 req/s ramp      3 s: 20.0 req/s served: held',
      // Past the steps, no step is under way.
      '11:40:04Z  collecting evidence',
    ]);
  });

  it('writes the last reading when it closes during the load, and no escape code without colour', () => {
    const lines = linesOf([
      { type: 'phase', at: at(0), phase: 'load' },
      { type: 'load', at: at(3), reading: reading(3, 150, 50) },
    ]);
    expect(lines).toEqual(['11:40:00Z  load', '11:40:03Z  load · 3/30 s, 27 s left · 50.0 of 50 req/s · 150 responses · no errors']);
    expect(lines.join('\n')).not.toMatch(/\u001b/);
  });
});
