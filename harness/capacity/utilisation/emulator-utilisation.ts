import type { CapacityUsage } from '../../../mocks/apim/gateway/capacity-model.ts';
import type { UtilisationMetric, UtilisationReading, UtilisationSource, UtilisationWindow } from './utilisation-source.ts';

/**
 * The embedded emulator's utilisation: its capacity model's load (mocks/apim/gateway/
 * capacity-model.ts), the share of time the model's single server was busy, which is the
 * served rate against units × requestsPerSecondPerUnit: the rate the model enforces. The
 * emulator's counterpart of APIM's Capacity metric, per region (each instance has its own).
 *
 * Each instance's cumulative busy time is read every intervalMs (500 ms by default); between
 * two readings the server was busy (busy₂ − busy₁) / (at₂ − at₁) of the time. A window's
 * average weighs each interval by how much of it lies in the window; its max is the busiest
 * interval lying at least half inside it (or, in a window shorter than that,
 * the busiest overlapping one). Readings are in the instance's own clock.
 */
export interface UtilisationInstance {
  readonly region: string;
  capacityUsage(): CapacityUsage | null;
}

export interface EmulatorUtilisationOptions {
  instances: readonly UtilisationInstance[];
  /** How often the load is read (default 500 ms). */
  intervalMs?: number;
  /** Readings kept per instance, the oldest dropped first (default 20,000: 2.8 h at 500 ms). */
  maxSamples?: number;
}

interface Sample {
  at: number;
  busyMs: number;
}

export const emulatorMetricName = 'capacity';

export class EmulatorUtilisation implements UtilisationSource {
  readonly describe: string;
  readonly #instances: readonly UtilisationInstance[];
  readonly #intervalMs: number;
  readonly #maxSamples: number;
  readonly #samples = new Map<string, Sample[]>();
  #timer: NodeJS.Timeout | null = null;

  constructor(options: EmulatorUtilisationOptions) {
    this.#intervalMs = options.intervalMs ?? 500;
    this.#maxSamples = options.maxSamples ?? 20_000;
    if (!(this.#intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${this.#intervalMs}`);
    if (!(this.#maxSamples >= 2)) throw new RangeError(`maxSamples must be at least 2, got ${this.#maxSamples}`);
    this.#instances = options.instances;
    const modelled = options.instances.filter((i) => i.capacityUsage() !== null);
    this.describe =
      modelled.length === 0
        ? "emulator: the capacity model is off (emulator.json capacity.enabled false), so there is no load to read"
        : `emulator: capacity model load of ${modelled.map((i) => `${i.region} (${i.capacityUsage()!.capacityPerSecond} req/s)`).join(', ')}, read every ${this.#intervalMs} ms`;
    for (const instance of modelled) this.#samples.set(instance.region, []);
  }

  start(): void {
    if (this.#timer) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.sample();
  }

  /** Reads every instance's load now: the timer's work; also for a reading exactly at a step's edge. */
  sample(): void {
    for (const instance of this.#instances) {
      const samples = this.#samples.get(instance.region);
      const usage = instance.capacityUsage();
      if (!samples || !usage) continue;
      const last = samples.at(-1);
      if (last && usage.at <= last.at) continue;
      samples.push({ at: usage.at, busyMs: usage.busyMs });
      if (samples.length > this.#maxSamples) samples.splice(0, samples.length - this.#maxSamples);
    }
  }

  async read(window: UtilisationWindow): Promise<UtilisationReading> {
    if (this.#samples.size === 0) return { metrics: [], complete: true, note: this.describe };
    const notes: string[] = [];
    const metrics: UtilisationMetric[] = [];
    for (const [region, samples] of this.#samples) {
      const metric = windowFigures(samples, window);
      metrics.push({ name: emulatorMetricName, region, unit: 'percent', ...metric });
      if (metric.samples === 0) notes.push(`${region}: no reading of the load inside the window (readings every ${this.#intervalMs} ms${samples.length === 0 ? '; none taken yet' : ''})`);
      else if (samples[0]!.at > window.start) notes.push(`${region}: readings start ${samples[0]!.at - window.start} ms into the window (sampling began late, or older readings were dropped)`);
    }
    // Complete once a reading at or past the window's end is in (or sampling has stopped: no more will come).
    const complete = this.#timer === null || [...this.#samples.values()].every((samples) => (samples.at(-1)?.at ?? Number.NEGATIVE_INFINITY) >= window.end);
    return { metrics, complete, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
  }
}

function windowFigures(samples: readonly Sample[], window: UtilisationWindow): { average: number | null; max: number | null; samples: number } {
  let weighted = 0;
  let covered = 0;
  let count = 0;
  let max: number | null = null;
  let maxOfAny: number | null = null;
  for (let i = 1; i < samples.length; i++) {
    const from = samples[i - 1]!;
    const to = samples[i]!;
    const overlap = Math.min(to.at, window.end) - Math.max(from.at, window.start);
    if (overlap <= 0) continue;
    const length = to.at - from.at;
    const percent = (100 * (to.busyMs - from.busyMs)) / length;
    weighted += percent * overlap;
    covered += overlap;
    count++;
    maxOfAny = Math.max(maxOfAny ?? percent, percent);
    if (overlap * 2 >= length) max = Math.max(max ?? percent, percent);
  }
  // A window shorter than half an interval has no interval mostly inside it: its one estimate is the max too.
  return { average: covered > 0 ? weighted / covered : null, max: max ?? maxOfAny, samples: count };
}
