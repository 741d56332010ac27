import type { CapacityJournal } from './run-folder.ts';

/** For the reports' tests: capacity journals (the run and drill folders are reports/fixture-run-folder.ts's). */
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);

/** A capacity journal as capacity-command.ts writes it, with a knee at 40 req/s over 2 units. */
export function capacityJournal(overrides: Partial<CapacityJournal> = {}): CapacityJournal {
  const step = (offeredRps: number, phase: 'ramp' | 'hold', held: boolean, p50: number) => ({
    step: { offeredRps, throughputRps: offeredRps - 0.5, requests: offeredRps * 10, p95Ms: p50 * 2, latencyMs: { p50, p90: p50 * 2, p95: p50 * 2 + 20, p99: p50 * 3 + 5 }, errorRate: held ? 0 : 0.2, generatorKeptUp: true, gatewayHeld: held, reasons: held ? [] : ['p95 above the SLO'] },
    backend: { saturated: false, reasons: [] },
    phase,
    window: { start: 0, end: 10_000 },
    cpu: { processCores: 0.5, machineBusy: 0.3, cores: 2 },
    utilisation: null,
    folder: `/x/step-${offeredRps}`,
  });
  return {
    kind: 'capacity',
    schemaVersion: 1,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(t0 + 90_000).toISOString(),
    status: 'completed',
    settings: { profile: 'light', units: 2, peakRps: 50 },
    target: { kind: 'embedded', entryUrl: 'http://127.0.0.1:1' },
    emulated: null,
    steps: [step(20, 'ramp', true, 10), step(40, 'ramp', true, 20), step(60, 'ramp', false, 200)],
    unconfirmedSteps: [],
    holds: [step(40, 'hold', true, 30)],
    knee: { kind: 'knee', rps: 40, firstFailingRps: 60 },
    kneeConfirmed: true,
    conclusion: { rpsPerUnit: 20, atLeastRpsPerUnit: null, exitCode: 0, lines: ['knee: 40 req/s'], recommendation: { units: 3, utilisationAtPeak: 0.8, explanation: 'x' } },
    ...overrides,
  } as CapacityJournal;
}
