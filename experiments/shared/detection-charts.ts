import { fraction, tooltipMark } from '../../src/report/chart-parts.js';
import type { ChartDefinition, Tables } from '../../src/report/charts.js';
import { vegaLite } from '../../src/report/charts.js';

type Rows = Record<string, unknown>[];

/** Display names of the non-private groups of the detection experiment. */
export const NEGATIVE_GROUP_TITLES: Readonly<Record<string, string>> = {
  all: 'all non-private queries',
  'held-out-users': 'held-out users',
  'other-dataset': 'other dataset',
};

const metric = (t: Tables, negatives: string, name: string): number | undefined => {
  const row = (t['metrics.csv'] as Rows).find((r) => r['system'] === 'privedge' && r['negatives'] === negatives && r['metric'] === name);
  return typeof row?.['value'] === 'number' ? row['value'] : undefined;
};

/** `roc`: one ROC curve per group of non-private queries (from `roc.csv`), AUC in the legend (from `metrics.csv`). */
export const rocChart: ChartDefinition = {
  name: 'roc',
  inputs: ['roc.csv', 'metrics.csv'],
  build: (t) => {
    const label = (g: string): string => {
      const auc = metric(t, g, 'auc');
      return `${NEGATIVE_GROUP_TITLES[g] ?? g}${auc === undefined ? '' : ` (AUC ${auc.toFixed(3)})`}`;
    };
    const values = (t['roc.csv'] as Rows).map((r) => ({ negatives: label(String(r['negatives'])), step: r['step'], fpr: r['fpr'], tpr: r['tpr'] }));
    const at = { fpr: metric(t, 'all', 'falsePositiveRate'), tpr: metric(t, 'all', 'recall') };
    return vegaLite({
      title: { text: 'Private-image detection: ROC', subtitle: 'private when the smallest dissimilarity < threshold; diamond: the calibrated threshold' },
      width: 300,
      height: 300,
      layer: [
        {
          data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
          mark: { type: 'line', color: '#bbbbbb', strokeDash: [4, 4] },
          encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
        },
        {
          data: { values },
          mark: tooltipMark('line'),
          encoding: {
            x: fraction('fpr', 'False positive rate (non-private declared private)'),
            y: fraction('tpr', 'Recall (private declared private)'),
            color: { field: 'negatives', type: 'nominal', title: 'Non-private queries', legend: { labelLimit: 400, titleLimit: 400, orient: 'bottom', direction: 'vertical' } },
            order: { field: 'step', type: 'quantitative' },
          },
        },
        {
          data: { values: at.fpr === undefined || at.tpr === undefined ? [] : [{ ...at, what: 'calibrated threshold (all)' }] },
          mark: tooltipMark('point', { shape: 'diamond', size: 120, filled: true, color: 'black' }),
          encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
        },
      ],
    });
  },
};

/** Row titles of `detection_scores`, in display order. */
const GROUP_ORDER = ['validation (calibration)', 'private test', 'held-out users', 'other dataset'];

/** `detection_scores`: histograms of the smallest dissimilarity per group (from `scores.csv`), one row each, and the threshold (from `metrics.csv`). */
export const scoresChart: ChartDefinition = {
  name: 'detection_scores',
  inputs: ['scores.csv', 'metrics.csv'],
  build: (t) => {
    const kinds: Record<string, string> = { private: 'private test', 'held-out-user': 'held-out users', 'other-dataset': 'other dataset' };
    const group = (r: Record<string, unknown>): string => (r['set'] === 'calibration' ? GROUP_ORDER[0]! : (kinds[String(r['kind'])] ?? String(r['kind'])));
    const threshold = metric(t, 'all', 'threshold') ?? null;
    const values = (t['scores.csv'] as Rows).map((r) => ({ group: group(r), minMse: r['minMse'], threshold }));
    return vegaLite({
      title: 'Smallest dissimilarity per image; dashed: the calibrated threshold',
      data: { values },
      facet: { row: { field: 'group', type: 'nominal', title: null, sort: GROUP_ORDER, header: { labelAngle: 0, labelAlign: 'left' } } },
      spec: {
        width: 420,
        height: 70,
        layer: [
          {
            mark: tooltipMark('bar'),
            encoding: {
              x: { field: 'minMse', type: 'quantitative', bin: { maxbins: 40 }, title: 'Smallest dissimilarity (MSE)' },
              y: { aggregate: 'count', type: 'quantitative', title: 'Images' },
              color: { field: 'group', type: 'nominal', legend: null, sort: GROUP_ORDER },
            },
          },
          {
            mark: { type: 'rule', color: 'black', strokeDash: [6, 3] },
            encoding: { x: { field: 'threshold', aggregate: 'max', type: 'quantitative' } },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    });
  },
};
