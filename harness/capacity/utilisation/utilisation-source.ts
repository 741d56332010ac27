/**
 * The gateway's own utilisation during a capacity step, reported beside the step's latency
 * (issue #15): on the emulator, its capacity model's load (emulator-utilisation.ts); on a real
 * API Management, Azure Monitor's metrics for the service (azure-monitor-utilisation.ts).
 *
 * A source is started before the first step and stopped after the last; each step's window is
 * read once it is over (or, for Azure Monitor, whose metrics arrive minutes late, after the
 * run: a reading whose data is not all in yet says so with `complete: false`).
 */
export interface UtilisationWindow {
  /** Epoch ms. */
  start: number;
  end: number;
}

export interface UtilisationMetric {
  /** What was measured: `capacity` (emulator), `Capacity`, `CpuPercent_Gateway`, `MemoryPercent_Gateway` (Azure Monitor's REST names). */
  name: string;
  /** The region the value belongs to, when the source reads one per region (emulator instances). */
  region?: string;
  unit: 'percent';
  /** Average over the window; null when the window holds no sample of it. */
  average: number | null;
  /** Highest sample in the window; null when there is none, or when the source cannot give a true maximum. */
  max: number | null;
  /** How many samples the figures are made of (emulator: ~500 ms intervals; Azure Monitor: 1-minute points). */
  samples: number;
}

export interface UtilisationReading {
  metrics: UtilisationMetric[];
  /** False while data for part of the window may still arrive (Azure Monitor's ingestion delay): read again later. */
  complete: boolean;
  /** What a reader should know to interpret the figures (grain wider than the window, a metric this tier lacks, ...). */
  note?: string;
}

export interface UtilisationSource {
  /** One line for the journal: what is read, from where. Never a secret. */
  readonly describe: string;
  /** Begins sampling (a no-op for sources that are read after the fact). */
  start(): void;
  /** Ends sampling; readings of windows already sampled stay available. */
  stop(): Promise<void>;
  read(window: UtilisationWindow): Promise<UtilisationReading>;
}
