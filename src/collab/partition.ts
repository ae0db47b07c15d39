import { ConfigError } from '../errors.js';
import type { Rng } from '../util/rng.js';

/**
 * How the pooled training images are divided among the owners.
 * - `iid`: stratified: each class's images, shuffled, are dealt round-robin (from a rotating
 *   start), so every owner holds floor or ceil of n_c / K images of every class c.
 * - `class-skew`: class c has a home owner (c mod K); a fraction `skew` (rounded) of its images
 *   go to the home owner and the rest are dealt as in `iid` over all owners. skew 0 is `iid`;
 *   skew 1 gives every class to one owner. The home owner's share of class c is about
 *   skew + (1 - skew) / K.
 * - `dirichlet`: per class, owner proportions drawn from Dirichlet(alpha, ..., alpha) (Hsu et
 *   al. 2019), counts by largest remainder; small alpha is more skewed.
 */
export type PartitionSpec = { readonly kind: 'iid' } | { readonly kind: 'class-skew'; readonly skew: number } | { readonly kind: 'dirichlet'; readonly alpha: number };

/** Short label of a partition (`iid`, `skew-0.8`, `dirichlet-0.5`), used in file rows. */
export function partitionLabel(spec: PartitionSpec): string {
  return spec.kind === 'iid' ? 'iid' : spec.kind === 'class-skew' ? `skew-${spec.skew}` : `dirichlet-${spec.alpha}`;
}

/** Indices (into the labels) held by each owner, each list sorted ascending. */
export function partitionOwners(labels: ArrayLike<number>, classes: number, owners: number, spec: PartitionSpec, rng: Rng, keyPath = 'partitions'): number[][] {
  if (!Number.isInteger(owners) || owners < 1) throw new ConfigError(keyPath, `owners must be a positive integer, got ${owners}`);
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
  const out = Array.from({ length: owners }, () => [] as number[]);
  byClass.forEach((items, c) => {
    const shuffled = rng.child(`class:${c}`).shuffle([...items]);
    if (spec.kind === 'dirichlet') {
      const counts = dirichletCounts(shuffled.length, owners, spec.alpha, rng.child(`dirichlet:${c}`));
      let o = 0;
      counts.forEach((n, k) => {
        out[k]!.push(...shuffled.slice(o, o + n));
        o += n;
      });
      return;
    }
    const home = spec.kind === 'class-skew' ? Math.round(spec.skew * shuffled.length) : 0;
    out[c % owners]!.push(...shuffled.slice(0, home));
    shuffled.slice(home).forEach((i, j) => out[(c + j) % owners]!.push(i));
  });
  out.forEach((list, k) => {
    if (list.length === 0) throw new ConfigError(keyPath, `owner ${k} gets no training image under ${partitionLabel(spec)} (${labels.length} images, ${owners} owners); use fewer owners or a milder skew`);
    list.sort((a, b) => a - b);
  });
  return out;
}

/** Per-owner class counts `[owner][class]`. */
export function classCounts(parts: readonly (readonly number[])[], labels: ArrayLike<number>, classes: number): number[][] {
  return parts.map((list) => {
    const counts = new Array<number>(classes).fill(0);
    for (const i of list) counts[labels[i]!]! += 1;
    return counts;
  });
}

/**
 * Total-variation distance of each owner's class distribution from the pooled one,
 * `0.5 * sum_c |p_k(c) - p(c)|`: 0 for a perfectly IID owner, up to 1 - p(c) for an owner of one class c.
 */
export function classDistance(counts: readonly (readonly number[])[]): number[] {
  const classes = counts[0]?.length ?? 0;
  const pooled = new Array<number>(classes).fill(0);
  counts.forEach((row) => row.forEach((n, c) => (pooled[c]! += n)));
  const total = pooled.reduce((a, b) => a + b, 0);
  return counts.map((row) => {
    const n = row.reduce((a, b) => a + b, 0);
    return 0.5 * row.reduce((a, m, c) => a + Math.abs(m / n - pooled[c]! / total), 0);
  });
}

/** Counts for n items from Dirichlet(alpha) proportions, rounded by largest remainder (they sum to n). */
function dirichletCounts(n: number, owners: number, alpha: number, rng: Rng): number[] {
  const g = Array.from({ length: owners }, () => gamma(alpha, rng));
  const sum = g.reduce((a, b) => a + b, 0);
  const exact = g.map((x) => (sum > 0 ? (x / sum) * n : n / owners));
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, k) => ({ k, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (const { k } of order) {
    if (left-- <= 0) break;
    counts[k]! += 1;
  }
  return counts;
}

/** Gamma(shape, 1) sample (Marsaglia and Tsang; shape < 1 through Gamma(shape + 1) * U^(1/shape)). */
function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(1 - rng.nextFloat(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.nextNormal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.nextFloat();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
