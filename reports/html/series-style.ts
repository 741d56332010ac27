import type { SeriesSpec } from './chart-spec.ts';

/**
 * Each series' look without colour: the i-th series of a chart gets the i-th dash pattern and
 * marker, so series stay apart on a black-and-white print or for a reader who does not tell
 * the colours apart. The client adds colour on top.
 */
const dashes: number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [12, 6], [1, 5]];
const markers: SeriesSpec['marker'][] = ['circle', 'square', 'triangle', 'diamond', 'cross'];

export function styledSeries(index: number, label: string, values: (number | null)[], extra: Partial<SeriesSpec> = {}): SeriesSpec {
  return { label, values, dash: dashes[index % dashes.length]!, marker: markers[index % markers.length]!, ...extra };
}
