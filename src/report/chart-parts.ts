import type { TopLevelSpec } from 'vega-lite';
import { vegaLite } from './charts.js';

/** A quantitative channel on [0, 1] (precision, recall, accuracy, rates). */
export function fraction(field: string, title: string): { field: string; type: 'quantitative'; title: string; scale: { domain: [number, number] } } {
  return { field, type: 'quantitative', title, scale: { domain: [0, 1] } };
}

/** A mark with a tooltip: `{ type, ...props, tooltip: true }` (a fresh object each call). */
export function tooltipMark<T extends 'bar' | 'line' | 'point' | 'area' | 'rect', P extends object = object>(type: T, props?: P): { type: T; tooltip: true } & P {
  return { type, ...(props ?? ({} as P)), tooltip: true };
}

/** Options of {@link groupedBars}. */
export interface GroupedBars {
  readonly title: string;
  readonly values: Record<string, unknown>[];
  /** The categories along x (labels upright). */
  readonly x: { readonly field: string; readonly title: string };
  /** The bars side by side within a category, one colour each. */
  readonly group: { readonly field: string; readonly title: string; readonly sort?: readonly string[] };
  /** The bar length channel. */
  readonly y: Record<string, unknown>;
  /** Width of one bar, pixels. */
  readonly step: number;
  readonly height: number;
}

/** Bars grouped by category: one bar (and colour) per `group` value side by side in each `x` category. */
export function groupedBars(o: GroupedBars): TopLevelSpec {
  const sort = o.group.sort ? { sort: [...o.group.sort] } : {};
  return vegaLite({
    title: o.title,
    data: { values: o.values },
    mark: tooltipMark('bar'),
    width: { step: o.step },
    height: o.height,
    encoding: {
      x: { field: o.x.field, type: 'nominal', title: o.x.title, axis: { labelAngle: 0 } },
      xOffset: { field: o.group.field, type: 'nominal', ...sort },
      y: o.y,
      color: { field: o.group.field, type: 'nominal', title: o.group.title, ...sort },
    },
  } as TopLevelSpec);
}
