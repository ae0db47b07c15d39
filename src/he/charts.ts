import { fraction, groupedBars, tooltipMark } from '../report/chart-parts.js';
import { vegaLite, type ChartDefinition } from '../report/charts.js';

const TIME_PARTS: Record<string, string> = {
  secondsPerImage: 'total',
  onlineSecondsPerImage: 'online',
  offlineSecondsPerImage: 'offline',
  serverSecondsPerImage: 'server',
};
const DIRECTIONS: Record<string, string> = {
  bytesClientToServerPerImage: 'client to server',
  bytesServerToClientPerImage: 'server to client',
};

/** Rows of `cost.csv` whose metric is a key of `labels`, with the label as `part`. */
function costParts(rows: readonly Record<string, unknown>[], labels: Record<string, string>): Record<string, unknown>[] {
  return rows.filter((r) => String(r['metric']) in labels && Number(r['value']) > 0).map((r) => ({ ...r, part: labels[String(r['metric'])] }));
}

/** A grouped bar chart on a log scale (bars cannot start at 0 there: no stacking). */
function logBars(title: string, values: Record<string, unknown>[], parts: readonly string[], yTitle: string): ReturnType<ChartDefinition['build']> {
  return groupedBars({
    title,
    values,
    x: { field: 'implementation', title: 'Implementation' },
    group: { field: 'part', title: 'Part', sort: parts },
    y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log' }, stack: null },
    step: 28,
    height: 240,
  });
}

/** Charts of the `he-baseline` experiment, built from its CSV files only. */
export const heCharts: readonly ChartDefinition[] = [
  {
    name: 'accuracy',
    inputs: ['accuracy.csv'],
    build: (t) => vegaLite({
      title: 'LeNet-5 on MNIST test images: float, quantised, Paillier-encrypted',
      data: { values: (t['accuracy.csv'] as Record<string, unknown>[]).filter((r) => r['scope'] === 'evaluated') },
      width: { step: 80 },
      height: 220,
      encoding: {
        x: { field: 'system', type: 'nominal', sort: null, title: 'Model', axis: { labelAngle: 0 } },
        y: fraction('accuracy', 'Accuracy'),
      },
      layer: [
        { mark: tooltipMark('bar'), encoding: { color: { field: 'system', type: 'nominal', legend: null } } },
        { mark: { type: 'text', dy: -8 }, encoding: { text: { field: 'accuracy', type: 'quantitative', format: '.4f' } } },
      ],
    }),
  },
  {
    name: 'time_per_image',
    inputs: ['cost.csv'],
    build: (t) => logBars('Seconds per image, amortised over each batch (log scale)', costParts(t['cost.csv'] as Record<string, unknown>[], TIME_PARTS), Object.values(TIME_PARTS), 'Seconds per image'),
  },
  {
    name: 'bytes_per_image',
    inputs: ['cost.csv'],
    build: (t) => logBars('Bytes per image by direction (log scale)', costParts(t['cost.csv'] as Record<string, unknown>[], DIRECTIONS), Object.values(DIRECTIONS), 'Bytes per image'),
  },
  {
    name: 'server_layers',
    inputs: ['layers.csv'],
    build: (t) => vegaLite({
      title: 'Optimised server: seconds per batch and layer',
      data: { values: t['layers.csv'] as Record<string, unknown>[] },
      mark: tooltipMark('bar'),
      width: { step: 40 },
      height: 200,
      encoding: {
        x: { field: 'layer', type: 'nominal', sort: null, title: 'Layer', axis: { labelAngle: 0 } },
        y: { field: 'serverSecondsPerBatch', type: 'quantitative', title: 'Seconds per batch' },
      },
    }),
  },
];
