import { fraction, tooltipMark } from '../../src/report/chart-parts.js';
import type { ChartDefinition } from '../../src/report/charts.js';
import { vegaLite } from '../../src/report/charts.js';

type Rows = Record<string, unknown>[];

/**
 * `jpeg`: macro precision and recall (one panel each) against the JPEG quality of the test
 * images, one line per system (from `metrics.csv`, label `macro`), with a band for the spread
 * across users (from `spread.csv`: IQR or min-max, as the run chose).
 */
export const jpegChart: ChartDefinition = {
  name: 'jpeg',
  inputs: ['metrics.csv', 'spread.csv'],
  build: (t) => {
    const macro = (t['metrics.csv'] as Rows)
      .filter((r) => r['label'] === 'macro' && (r['metric'] === 'precision' || r['metric'] === 'recall'))
      .map((r) => ({ part: 'macro', system: r['system'], quality: r['quality'], metric: r['metric'], value: r['value'] }));
    const spread = t['spread.csv'] as Rows;
    const bandKind = spread[0]?.['band'] === 'minmax' ? 'min-max' : 'interquartile range';
    const band = spread.map((r) => ({ part: 'band', system: r['system'], quality: r['quality'], metric: r['metric'], low: r['low'], high: r['high'] }));
    const x = { field: 'quality', type: 'quantitative', title: 'JPEG quality of the test images', scale: { reverse: true, zero: false } } as const;
    const color = { field: 'system', type: 'nominal', title: 'System' } as const;
    return vegaLite({
      title: { text: 'Robustness to JPEG compression of the test images', subtitle: `lines: macro average; bands: ${bandKind} across users` },
      data: { values: [...band, ...macro] },
      facet: { column: { field: 'metric', type: 'nominal', title: null } },
      spec: {
        width: 260,
        height: 200,
        layer: [
          {
            transform: [{ filter: "datum.part === 'band'" }],
            mark: { type: 'area', opacity: 0.18 },
            encoding: { x, y: fraction('low', 'Value'), y2: { field: 'high' }, color },
          },
          {
            transform: [{ filter: "datum.part === 'macro'" }],
            mark: tooltipMark('line', { point: true }),
            encoding: { x, y: { field: 'value', type: 'quantitative', title: 'Value' }, color },
          },
        ],
      },
    });
  },
};
