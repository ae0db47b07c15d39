import { fraction, tooltipMark } from '../report/chart-parts.js';
import { vegaLite, type ChartDefinition } from '../report/charts.js';
import type { TopLevelSpec } from 'vega-lite';
import type { Cell, Row } from '../report/csv.js';

type Rows = readonly Record<string, unknown>[];

const num = (v: Cell | undefined, digits: number): string => (v === null || v === undefined || Number.isNaN(Number(v)) ? 'n/a' : Number(v).toFixed(digits));

/** A byte count as B, KB, MB or GB (powers of 1000). */
export function formatBytes(v: Cell | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  const b = Number(v);
  if (b === 0) return '0';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const e = Math.min(units.length - 1, Math.floor(Math.log10(Math.abs(b)) / 3));
  return `${(b / 1000 ** e).toFixed(e === 0 ? 0 : 1)} ${units[e]}`;
}

/** Seconds as s or ms. */
export function formatSeconds(v: Cell | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  const s = Number(v);
  return s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toPrecision(3)} ms`;
}

/** The comparison as a Markdown table (one per dataset), for the README and a reader of the run folder. */
export function comparisonMarkdown(rows: readonly Row[]): string {
  const datasets = [...new Set(rows.map((r) => String(r['dataset'])))];
  const header =
    '| system | model (input) | test images | accuracy | macro P / R | training: time, bytes | prediction per image: time, bytes, rounds | who can learn what |\n|---|---|---|---|---|---|---|---|';
  return datasets
    .map((d) => {
      const body = rows
        .filter((r) => String(r['dataset']) === d)
        .map(
          (r) =>
            `| ${r['label']} | ${r['model']} (${r['input']}) | ${r['testImages']} | ${num(r['accuracy'], 3)} | ${num(r['macroPrecision'], 3)} / ${num(r['macroRecall'], 3)} | ${formatSeconds(r['trainSeconds'])}, ${formatBytes(r['trainBytes'])} | ${formatSeconds(r['predictSecondsPerImage'])}, ${formatBytes(r['predictBytesPerImage'])}, ${r['predictRounds'] === null ? 'n/a' : num(r['predictRounds'], 0)} | ${r['whoLearnsWhat']} |`,
        );
      return `### ${d}\n\n${header}\n${body.join('\n')}\n`;
    })
    .join('\n');
}

/** Charts of the `compare` experiment, built from `comparison.csv` only. */
export const compareCharts: readonly ChartDefinition[] = [
  {
    name: 'comparison',
    inputs: ['comparison.csv'],
    build: (t) => vegaLite({
      title: 'Accuracy and macro precision / recall per system (same test split)',
      data: { values: t['comparison.csv'] as Rows },
      transform: [
        { calculate: "datum.label + ' (n = ' + datum.testImages + ')'", as: 'system (test images)' },
        { fold: ['accuracy', 'macroPrecision', 'macroRecall'], as: ['metric', 'value'] },
      ],
      facet: { row: { field: 'dataset', type: 'nominal', title: 'Dataset' } },
      spec: {
        width: 420,
        height: { step: 9 },
        mark: tooltipMark('bar'),
        encoding: {
          y: { field: 'system (test images)', type: 'nominal', title: null, sort: null, axis: { labelLimit: 420 } },
          yOffset: { field: 'metric', type: 'nominal' },
          x: fraction('value', 'Score'),
          color: { field: 'metric', type: 'nominal', title: 'Metric' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    }),
  },
  {
    name: 'costs',
    inputs: ['comparison.csv'],
    build: (t) => {
      const panel = (metric: string, title: string, axis: boolean) => ({
        title,
        transform: [{ filter: `isValid(datum['${metric}']) && datum['${metric}'] > 0` }],
        width: 170,
        height: { step: 16 },
        mark: { type: 'point', filled: true, size: 70, tooltip: true },
        encoding: {
          y: { field: 'label', type: 'nominal', title: null, sort: null, axis: axis ? { labelLimit: 420 } : null },
          x: { field: metric, type: 'quantitative', title: null, scale: { type: 'log' } },
          color: { field: 'dataset', type: 'nominal', title: 'Dataset' },
        },
      });
      return vegaLite({
        title: 'Training and prediction cost per system (log scales; a system without a point: not measured, or 0)',
        data: { values: t['comparison.csv'] as Rows },
        hconcat: [
          panel('trainSeconds', 'training: seconds', true),
          panel('trainBytes', 'training: bytes sent', false),
          panel('predictSecondsPerImage', 'prediction: seconds per image', false),
          panel('predictBytesPerImage', 'prediction: bytes per image', false),
        ],
        resolve: { scale: { y: 'shared' } },
      } as TopLevelSpec);
    },
  },
];
