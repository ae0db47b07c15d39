import type { CostReport } from '../channel/cost-meter.js';

/** The cost of one layer (or protocol stage) of a private prediction. */
export interface LayerCost {
  /** The layer name (the first component of its message labels), e.g. `up3_conv`, `mse`, `argmin`. */
  readonly layer: string;
  readonly rounds: number;
  /** Online bytes sent by S0 and S1. */
  readonly onlineBytes: readonly [number, number];
  /** Dealer material received by S0 and S1. */
  readonly offlineBytes: readonly [number, number];
  /** Computation seconds attributed to the layer's rounds (see `CostReport.secondsByLabel`). */
  readonly seconds: number;
}

/**
 * The layer a label belongs to: the longest of `stepNames` that is the label or a prefix of it
 * followed by `/` (so `up3_conv/relu/and` belongs to step `up3_conv/relu`, a conv's fused
 * activation, and `down0_lrelu/relu/and` to `down0_lrelu`); otherwise the label's first component.
 */
export function layerOf(label: string, stepNames: readonly string[] = []): string {
  let best: string | undefined;
  for (const name of stepNames) {
    if ((label === name || label.startsWith(`${name}/`)) && (best === undefined || name.length > best.length)) best = name;
  }
  return best ?? label.split('/')[0]!;
}

/**
 * Groups a cost report's labels by layer (see {@link layerOf}), in order of first appearance (the evaluation order,
 * since labels are recorded as rounds happen). Labels with only dealer material (offline) join
 * the layer of the same name.
 */
export function layerCosts(cost: CostReport, stepNames: readonly string[] = []): LayerCost[] {
  const rows = new Map<string, { rounds: number; on: [number, number]; off: [number, number]; seconds: number }>();
  const row = (label: string) => {
    const key = layerOf(label, stepNames);
    let r = rows.get(key);
    if (r === undefined) rows.set(key, (r = { rounds: 0, on: [0, 0], off: [0, 0], seconds: 0 }));
    return r;
  };
  for (const [label, c] of Object.entries(cost.byLabel)) {
    const r = row(label);
    r.rounds += c.rounds;
    r.on[0] += c.bytes[0];
    r.on[1] += c.bytes[1];
    r.seconds += cost.secondsByLabel[label] ?? 0;
  }
  for (const [label, b] of Object.entries(cost.offlineByLabel)) {
    const r = row(label);
    r.off[0] += b[0];
    r.off[1] += b[1];
  }
  return [...rows].map(([layer, r]) => ({ layer, rounds: r.rounds, onlineBytes: r.on, offlineBytes: r.off, seconds: r.seconds }));
}
