/**
 * The HTML report's page code: reads the charts' data from the page (the JSON in
 * #report-data, written by html.renderer.ts) and draws each <figure data-chart> with uPlot.
 * Bundled with uPlot and the stylesheets into dist/report-client/ by build-client.ts and inlined
 * into every report, so a report needs no network.
 *
 * Readable without colour: each series has its own dash pattern and, every so often, its own
 * marker shape (series-style.ts), the legend names both, fault windows are hatched and
 * labelled, and markers (the knee) are labelled lines.
 *
 * When a chart has drawn, its figure gets data-rendered="true"; the page's
 * data-first-chart-ms is the time from navigation to the first chart drawn (the benchmark's
 * measure), and data-charts-done="true" is set once every chart has been tried. A chart that
 * fails to draw says so on its figure (data-error) and in the console.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './report.css';
import type { ChartSpec, SeriesSpec } from '../chart-spec.ts';

// Distinct in hue and in lightness, so a greyscale print still separates them somewhat; the
// dashes and markers do the rest.
const palette = ['#1b4f9c', '#c0392b', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#37474f'];
const markerGlyph: Record<SeriesSpec['marker'], string> = { none: '', circle: '●', square: '■', triangle: '▲', diamond: '◆', cross: '✕' };

function dashWords(dash: number[]): string {
  if (dash.length === 0) return 'solid';
  if (dash.length > 2) return 'dash-dot';
  return dash[0]! <= 2 ? 'dotted' : 'dashed';
}

function drawMarker(ctx: CanvasRenderingContext2D, shape: SeriesSpec['marker'], x: number, y: number, r: number): void {
  ctx.beginPath();
  switch (shape) {
    case 'circle':
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fill();
      return;
    case 'square':
      ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      return;
    case 'triangle':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.lineTo(x - r, y + r);
      ctx.closePath();
      ctx.fill();
      return;
    case 'diamond':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + r);
      ctx.lineTo(x - r, y);
      ctx.closePath();
      ctx.fill();
      return;
    case 'cross':
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.stroke();
      return;
    case 'none':
      return;
  }
}

/** A diagonal hatch, so a shaded window reads as such in black and white. */
function hatch(ctx: CanvasRenderingContext2D): CanvasPattern | string {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 8;
  const t = tile.getContext('2d');
  if (!t) return 'rgba(0,0,0,0.08)';
  t.fillStyle = 'rgba(0,0,0,0.05)';
  t.fillRect(0, 0, 8, 8);
  t.strokeStyle = 'rgba(0,0,0,0.35)';
  t.lineWidth = 1;
  t.beginPath();
  t.moveTo(0, 8);
  t.lineTo(8, 0);
  t.stroke();
  return ctx.createPattern(tile, 'repeat') ?? 'rgba(0,0,0,0.08)';
}

function chartOptions(spec: ChartSpec, width: number, onDrawn: () => void): uPlot.Options {
  const px = devicePixelRatio || 1;
  const series: uPlot.Series[] = [
    { label: spec.xLabel },
    ...spec.series.map((s, i): uPlot.Series => ({
      label: `${s.label} ${markerGlyph[s.marker]} (${dashWords(s.dash)})`.replace(/\s+\(/, ' ('),
      stroke: palette[i % palette.length],
      width: s.width ?? 1.5,
      dash: s.dash,
      spanGaps: false,
      points: { show: false },
      ...(s.stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
    })),
  ];
  const lanes = spec.lanes;
  return {
    width,
    height: lanes ? Math.max(140, 60 + 34 * lanes.length) : 300,
    series,
    scales: {
      x: { time: false },
      ...(spec.yRange ? { y: { range: spec.yRange } } : {}),
    },
    axes: [
      { label: spec.xLabel },
      lanes
        ? { label: spec.yLabel, size: 40 + 7 * Math.max(...lanes.map((l) => l.length)), splits: () => lanes.map((_, i) => i + 1), values: (_u, splits) => splits.map((v) => lanes[v - 1] ?? '') }
        : { label: spec.yLabel, size: 60 },
    ],
    legend: { show: true },
    cursor: { drag: { x: true, y: false } },
    hooks: {
      // Under the series: the fault windows, hatched and labelled.
      drawAxes: [
        (u) => {
          if (spec.bands.length === 0) return;
          const { ctx } = u;
          ctx.save();
          ctx.fillStyle = hatch(ctx);
          ctx.font = `${11 * px}px sans-serif`;
          // uPlot leaves its axes' alignment on the context.
          ctx.textAlign = 'left';
          ctx.textBaseline = 'alphabetic';
          for (const band of spec.bands) {
            const from = u.valToPos(band.from, 'x', true);
            const to = u.valToPos(band.to, 'x', true);
            const left = Math.max(u.bbox.left, Math.min(from, to));
            const right = Math.min(u.bbox.left + u.bbox.width, Math.max(from, to));
            if (right <= left) continue;
            ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
            ctx.save();
            ctx.fillStyle = '#000';
            ctx.fillText(band.label, left + 3 * px, u.bbox.top + 12 * px, Math.max(40 * px, right - left - 6 * px));
            ctx.restore();
          }
          ctx.restore();
        },
      ],
      // Over the series: each series' marker every ~70 px, and the labelled vertical markers.
      draw: [
        (u) => {
          const { ctx } = u;
          ctx.save();
          spec.series.forEach((s, i) => {
            if (s.marker === 'none') return;
            ctx.fillStyle = ctx.strokeStyle = palette[i % palette.length]!;
            ctx.lineWidth = 1.5 * px;
            let lastX = -Infinity;
            for (let k = 0; k < spec.x.length; k++) {
              const v = s.values[k];
              if (v === null || v === undefined) continue;
              const x = u.valToPos(spec.x[k]!, 'x', true);
              if (x - lastX < (70 + 9 * i) * px) continue;
              lastX = x;
              drawMarker(ctx, s.marker, x, u.valToPos(v, 'y', true), 3.5 * px);
            }
          });
          ctx.fillStyle = ctx.strokeStyle = '#000';
          ctx.font = `bold ${11 * px}px sans-serif`;
          ctx.textAlign = 'left';
          ctx.textBaseline = 'alphabetic';
          ctx.setLineDash([6 * px, 3 * px]);
          ctx.lineWidth = 1.5 * px;
          spec.markers.forEach((m, k) => {
            const x = u.valToPos(m.x, 'x', true);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillText(m.label, x + 4 * px, u.bbox.top + (14 + 14 * k) * px);
          });
          ctx.restore();
          onDrawn();
        },
      ],
    },
  };
}

function drawChart(figure: HTMLElement, spec: ChartSpec, onFirst: () => void): void {
  const holder = figure.querySelector<HTMLElement>('.chart');
  if (!holder) throw new Error(`figure ${spec.name} has no .chart holder`);
  const width = Math.max(320, Math.min(1100, holder.clientWidth || 900));
  const data: uPlot.AlignedData = [spec.x, ...spec.series.map((s) => s.values)];
  new uPlot(
    chartOptions(spec, width, () => {
      if (figure.dataset.rendered !== 'true') {
        figure.dataset.rendered = 'true';
        onFirst();
      }
    }),
    data,
    holder,
  );
}

function main(): void {
  const source = document.getElementById('report-data');
  if (!source?.textContent) return;
  const { charts } = JSON.parse(source.textContent) as { charts: ChartSpec[] };
  const byName = new Map(charts.map((c) => [c.name, c]));
  const root = document.documentElement;
  const first = (): void => {
    if (root.dataset.firstChartMs === undefined) root.dataset.firstChartMs = performance.now().toFixed(1);
  };
  for (const figure of document.querySelectorAll<HTMLElement>('figure[data-chart]')) {
    const spec = byName.get(figure.dataset.chart ?? '');
    if (!spec || spec.points === 0) continue;
    try {
      drawChart(figure, spec, first);
    } catch (error) {
      figure.dataset.error = String(error);
      console.error(`chart ${spec.name} could not be drawn:`, error);
    }
  }
  // uPlot draws in a microtask after construction: mark the end once those have run.
  queueMicrotask(() => setTimeout(() => (root.dataset.chartsDone = 'true'), 0));
}

// A printed report shows every verdict in full: the folded passed verdicts open for printing.
window.addEventListener('beforeprint', () => {
  for (const details of document.querySelectorAll('details')) details.open = true;
});

main();
