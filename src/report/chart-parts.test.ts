import { describe, expect, it } from 'vitest';
import { fraction, groupedBars, tooltipMark } from './chart-parts.js';
import { chartTheme, VEGA_LITE_SCHEMA } from './charts.js';

describe('chart parts', () => {
  it('a fraction channel spans [0, 1]; a tooltip mark is a fresh object with its properties before tooltip', () => {
    expect(fraction('value', 'Recall')).toEqual({ field: 'value', type: 'quantitative', title: 'Recall', scale: { domain: [0, 1] } });
    const a = tooltipMark('line', { point: true });
    expect(JSON.stringify(a)).toBe('{"type":"line","point":true,"tooltip":true}');
    expect(tooltipMark('bar')).not.toBe(tooltipMark('bar'));
  });

  it('grouped bars: one colour and offset per group, x labels upright, schema and theme', () => {
    const spec = groupedBars({ title: 'T', values: [{ s: 'a', m: 'p', v: 1 }], x: { field: 's', title: 'S' }, group: { field: 'm', title: 'M', sort: ['p', 'r'] }, y: fraction('v', 'V'), step: 20, height: 100 });
    expect(JSON.stringify(spec)).toBe(
      JSON.stringify({
        $schema: VEGA_LITE_SCHEMA,
        title: 'T',
        data: { values: [{ s: 'a', m: 'p', v: 1 }] },
        mark: { type: 'bar', tooltip: true },
        width: { step: 20 },
        height: 100,
        encoding: {
          x: { field: 's', type: 'nominal', title: 'S', axis: { labelAngle: 0 } },
          xOffset: { field: 'm', type: 'nominal', sort: ['p', 'r'] },
          y: { field: 'v', type: 'quantitative', title: 'V', scale: { domain: [0, 1] } },
          color: { field: 'm', type: 'nominal', title: 'M', sort: ['p', 'r'] },
        },
        config: chartTheme,
      }),
    );
    const unsorted = groupedBars({ title: 'T', values: [], x: { field: 's', title: 'S' }, group: { field: 'm', title: 'M' }, y: fraction('v', 'V'), step: 20, height: 100 }) as { encoding: Record<string, unknown> };
    expect(unsorted.encoding['xOffset']).toEqual({ field: 'm', type: 'nominal' });
  });
});
