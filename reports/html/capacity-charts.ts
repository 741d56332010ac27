import type { CapacityRunFolder, CapacityStep } from '../run-folder.ts';
import type { ChartSpec, MarkerSpec } from './chart-spec.ts';
import { styledSeries } from './series-style.ts';

/**
 * The charts of a `spillway capacity` folder: each measure against the offered rate of the
 * steps that count (one point per rate; the confirming holds are listed in the step table, not
 * drawn), with the knee marked where the run found one.
 */

function stepsByRate(run: CapacityRunFolder): CapacityStep[] {
  // A rate measured twice (a bisection landing on a ramp's rate) keeps its last measurement.
  const byRate = new Map<number, CapacityStep>();
  for (const step of run.journal.steps) byRate.set(step.step.offeredRps, step);
  return [...byRate.values()].sort((a, b) => a.step.offeredRps - b.step.offeredRps);
}

function kneeMarkers(run: CapacityRunFolder): MarkerSpec[] {
  const { knee, kneeConfirmed } = run.journal;
  if (knee === null) return [];
  if (knee.kind === 'knee') {
    const confirmed = kneeConfirmed === true ? ', confirmed by a hold' : kneeConfirmed === false ? ', not sustained in its hold' : '';
    return [
      { x: knee.rps, label: `knee ${knee.rps} req/s${confirmed}` },
      { x: knee.firstFailingRps, label: `first failing ${knee.firstFailingRps} req/s` },
    ];
  }
  return [{ x: knee.atRps, label: `no knee: ${knee.cause} at ${knee.atRps} req/s` }];
}

export function capacityCharts(run: CapacityRunFolder): ChartSpec[] {
  const steps = stepsByRate(run);
  const x = steps.map((s) => s.step.offeredRps);
  const markers = kneeMarkers(run);
  const points = steps.length;
  const emptyReason = points > 0 ? {} : { emptyReason: run.incomplete ? `no step was judged before the run stopped: ${run.incomplete.reason}` : 'the journal holds no judged step' };
  const common = { xKind: 'number' as const, xLabel: 'offered request rate, req/s', x, bands: [], markers, points, ...emptyReason };
  const metricNames = [...new Set(steps.flatMap((s) => (s.utilisation?.metrics ?? []).map((m) => `${m.name}${m.region ? ` (${m.region})` : ''}`)))].sort();
  const utilisation = metricNames.map((name, i) =>
    styledSeries(
      i,
      `${name}, average %`,
      steps.map((s) => s.utilisation?.metrics.find((m) => `${m.name}${m.region ? ` (${m.region})` : ''}` === name)?.average ?? null),
    ),
  );
  utilisation.push(styledSeries(metricNames.length, 'machine busy, % (all processes)', steps.map((s) => (s.cpu.machineBusy === null ? null : 100 * s.cpu.machineBusy))));
  return [
    {
      ...common,
      name: 'capacity-latency',
      title: 'Latency against offered load',
      caption: "Each step's latency percentiles (nearest rank, over the step's window after it settled) against the rate it offered. The knee is the highest rate at which the gateway still held (p95 within the SLO, errors within the budget); past it latency climbs as requests queue.",
      yLabel: 'milliseconds',
      series: (['p50', 'p90', 'p95', 'p99'] as const).map((p, i) => styledSeries(i, p, steps.map((s) => s.step.latencyMs[p]))),
    },
    {
      ...common,
      name: 'capacity-throughput',
      title: 'Throughput against offered load',
      caption: 'Requests per second the gateway answered in each step against the rate offered; the diagonal is "answered everything offered". Throughput that flattens below the diagonal is the gateway at its limit.',
      yLabel: 'requests per second answered',
      series: [styledSeries(0, 'answered', steps.map((s) => s.step.throughputRps)), styledSeries(1, 'offered (the diagonal)', x.slice())],
    },
    {
      ...common,
      name: 'capacity-errors',
      title: 'Errors against offered load',
      caption: "Each step's share of failed requests (no response, or a 5xx), in percent, against the rate offered. A step passes while this stays within the error budget.",
      yLabel: 'failed requests, %',
      series: [styledSeries(0, 'failed, %', steps.map((s) => 100 * s.step.errorRate))],
    },
    {
      ...common,
      name: 'capacity-utilisation',
      title: 'Utilisation against offered load',
      caption: "The gateway's own utilisation over each step where the target can read it (the emulator's capacity model, or Azure Monitor's Capacity and CPU metrics of a real API Management), and the machine's busy share. Utilisation near 100% at the knee says the gateway, not the generator or the fleet, was the limit.",
      yLabel: 'percent',
      series: utilisation,
    },
  ];
}
