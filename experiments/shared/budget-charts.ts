import type { ChartDefinition, Tables } from '../../src/report/charts.js';
import { vegaLite } from '../../src/report/charts.js';
import { PAPER_BUDGET } from './budget-plan.js';

type Rows = Record<string, unknown>[];

/**
 * `budget.csv` folded for the charts: one `line` row per point and metric (precision, recall),
 * `iqr` and `range` rows (per-user recall quartiles and min-max) on the recall panel, and with
 * `paper`, the paper's budget as a `paper` row on each panel.
 */
function folded(t: Tables, x: 'iteration' | 'train_seconds', paper: boolean): Rows {
  const rows = (t['budget.csv'] as Rows).filter((r) => r[x] !== null && r[x] !== undefined && r[x] !== '');
  const out: Rows = [];
  for (const r of rows) {
    const base = { series: r['series'], x: r[x], iteration: r['iteration'], epoch: r['epoch'], train_seconds: r['train_seconds'] };
    out.push({ ...base, part: 'line', metric: 'precision', value: r['precision'] });
    out.push({ ...base, part: 'line', metric: 'recall', value: r['recall'] });
    if (r['recall_p25'] !== null) out.push({ ...base, part: 'iqr', metric: 'recall', low: r['recall_p25'], high: r['recall_p75'] });
    if (r['recall_min'] !== null) out.push({ ...base, part: 'range', metric: 'recall', low: r['recall_min'], high: r['recall_max'] });
  }
  if (paper) for (const metric of ['precision', 'recall']) out.push({ part: 'paper', metric, x: PAPER_BUDGET.iterations, label: 'paper: 30,000' });
  return out;
}

function chart(name: string, x: 'iteration' | 'train_seconds', title: string, subtitle: readonly string[], xTitle: string, paper: boolean): ChartDefinition {
  return {
    name,
    inputs: ['budget.csv'],
    build: (t) => {
      const xEnc = { field: 'x', type: 'quantitative', title: xTitle, scale: { type: 'log' } } as const;
      // Every layer carries the same legend (one merged legend, drawn as opaque strokes, not as the bands' faint areas).
      const color = { field: 'series', type: 'nominal', title: 'System', legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } } as const;
      const y = { type: 'quantitative', title: 'Macro average', scale: { domain: [0, 1] } } as const;
      return vegaLite({
        title: { text: title, subtitle: [...subtitle] },
        data: { values: folded(t, x, paper) },
        facet: { column: { field: 'metric', type: 'nominal', title: null } },
        spec: {
          width: 300,
          height: 220,
          layer: [
            { transform: [{ filter: "datum.part === 'range'" }], mark: { type: 'area', opacity: 0.08 }, encoding: { x: xEnc, y: { ...y, field: 'low' }, y2: { field: 'high' }, color } },
            { transform: [{ filter: "datum.part === 'iqr'" }], mark: { type: 'area', opacity: 0.2 }, encoding: { x: xEnc, y: { ...y, field: 'low' }, y2: { field: 'high' }, color } },
            { transform: [{ filter: "datum.part === 'line'" }], mark: { type: 'line', point: true, tooltip: true }, encoding: { x: xEnc, y: { ...y, field: 'value' }, color } },
            ...(paper
              ? [
                  { transform: [{ filter: "datum.part === 'paper'" }], mark: { type: 'rule', strokeDash: [4, 3], color: 'black' }, encoding: { x: xEnc } },
                  { transform: [{ filter: "datum.part === 'paper'" }], mark: { type: 'text', align: 'right', dx: -3, dy: 6, baseline: 'top', color: 'black' }, encoding: { x: xEnc, y: { datum: 1, type: 'quantitative' }, text: { field: 'label' } } },
                ]
              : []),
          ],
        },
      } as Parameters<typeof vegaLite>[0]);
    },
  };
}

/** `budget`'s charts: precision and recall against iterations (PrivEdge, with the paper's budget marked) and against training seconds (every system). */
export const budgetCharts: readonly ChartDefinition[] = [
  chart(
    'budget_iterations',
    'iteration',
    'PrivEdge against training iterations per user',
    ['lines: macro average; bands: per-user recall, interquartile range (dark) and min-max (light)', `dashed: the paper's budget, ${PAPER_BUDGET.iterations.toLocaleString('en')} iterations of batch ${PAPER_BUDGET.batchSize} at gf ${PAPER_BUDGET.gf}`],
    'Training iterations per user (log scale)',
    true,
  ),
  chart(
    'budget_seconds',
    'train_seconds',
    'PrivEdge and the baselines against training time',
    ['PrivEdge: wall seconds summed over users at each milestone; baselines: to the end of each epoch', 'lines: macro average; bands: per-user recall, interquartile range (dark) and min-max (light)'],
    'Training wall seconds (log scale)',
    false,
  ),
];
