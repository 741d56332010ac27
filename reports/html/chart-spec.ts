/**
 * What the HTML report's page draws, as data: the renderer (Node) computes one ChartSpec per
 * chart from the run folder and writes them into the page as JSON; the page's client code
 * (client/report-client.ts, bundled with uPlot) draws them. Only types here, shared by both
 * sides, so the two cannot drift apart.
 */

/** A time axis (seconds from the run's start) or any other numeric axis (offered req/s). */
export type AxisKind = 'seconds' | 'number';

export interface SeriesSpec {
  label: string;
  /** One value per x; null where there is nothing to draw (a gap). */
  values: (number | null)[];
  /**
   * How the series looks without colour: a dash pattern (canvas setLineDash) and a point
   * marker, so that a print in black and white still tells the series apart; the legend shows both.
   */
  dash: number[];
  marker: 'none' | 'circle' | 'square' | 'triangle' | 'diamond' | 'cross';
  /** Thick bars of a lane timeline (breakers) rather than a thin line. */
  width?: number;
  /** Draw as steps (counts per second) rather than straight segments. */
  stepped?: boolean;
}

/** A shaded x range, e.g. a fault window: hatched (not coloured) and labelled. */
export interface BandSpec {
  from: number;
  to: number;
  label: string;
}

/** A vertical marker at x, e.g. the knee of a capacity run. */
export interface MarkerSpec {
  x: number;
  label: string;
}

export interface ChartSpec {
  /** The figure's data-chart name. */
  name: string;
  title: string;
  /** What the chart shows and how to read it (the figure's caption). */
  caption: string;
  xKind: AxisKind;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: SeriesSpec[];
  bands: BandSpec[];
  markers: MarkerSpec[];
  /** For a lane chart (breakers): the lanes' names, lane i drawn at y = i + 1. */
  lanes?: string[];
  /** y axis range when fixed (shares 0-100). */
  yRange?: [number, number];
  /** How many data points the chart is drawn from (source records, not buckets); 0: nothing to draw. */
  points: number;
  /** Why there is nothing to draw, when points is 0 (the evidence was absent, the run brought none). */
  emptyReason?: string;
}

/** The page's data: `<script type="application/json" id="report-data">`. */
export interface ReportData {
  charts: ChartSpec[];
}
