import { RunError, UsageError } from '../errors.js';
import { pickQueries } from '../mpc-sim/private-reconstructor/fidelity.js';
import type { FidelityRow } from '../mpc-sim/private-reconstructor/fidelity-rows.js';
import type { Shard } from '../models/rec-adv/train-users.js';
import type { Row } from '../report/csv.js';
import type { QueryOrder } from './query-order.js';

/** Which test images a fidelity run queries. */
export interface QuerySelection {
  /** Number of images to pick (ignored with `all` or `images`). */
  readonly queries: number;
  readonly all: boolean;
  /**
   * spread: K images evenly spaced over the test set; first: the first K; margin: the K with the
   * smallest plaintext margin, smallest first (the queries a dissimilarity error could flip).
   */
  readonly order: QueryOrder;
  /** The plaintext margin of every test image, in test-set order (needed by `order: margin`). */
  readonly margins?: readonly number[];
  /**
   * The protocol version: outputs of any version but `v1` get a `.<version>` suffix first, so
   * that they never overwrite the identification run's own (v1) private predictions.
   */
  readonly protocol?: string;
  /** Query exactly these test image ids instead (in test-set order, or by margin with `order: margin`). */
  readonly images?: ReadonlySet<string>;
  readonly shard?: Shard;
}

/** The picked test positions of a selection and the suffix of its output files. */
export interface SelectedQueries {
  /** Positions in the test list, in query order: test-set order, or smallest margin first. */
  readonly picked: readonly number[];
  /** `.<protocol>` for a protocol other than v1, then `.images` with an image list, then `.shard-i-of-n` with a shard; '' otherwise. */
  readonly suffix: string;
}

/**
 * The positions of the test images (`testIds`, in test-set order) a fidelity run queries: the
 * listed `images`, else `queries` (or `all`) picked by `order`; then, with a shard, every n-th of
 * those starting at i. With `order: margin` the candidates (listed or all) are ranked by
 * plaintext margin, smallest first (ties in test-set order), so every shard starts with the
 * queries most at risk and an interrupted run has covered them.
 * @throws UsageError if `order` is margin and `margins` does not give one per test image.
 */
export function selectQueries(testIds: readonly string[], selection: QuerySelection): SelectedQueries {
  const { images, shard } = selection;
  const listed = images === undefined ? undefined : testIds.flatMap((id, q) => (images.has(id) ? [q] : []));
  let candidates: number[];
  if (selection.order === 'margin') {
    const margins = selection.margins;
    if (margins === undefined || margins.length !== testIds.length) throw new UsageError(`--order margin needs the plaintext margin of each of the ${testIds.length} test images`);
    const ranked = (listed ?? testIds.map((_, q) => q)).sort((a, b) => margins[a]! - margins[b]! || a - b);
    candidates = listed !== undefined || selection.all ? ranked : ranked.slice(0, selection.queries);
  } else {
    candidates = listed ?? pickQueries(testIds.length, selection.all ? testIds.length : selection.queries, selection.order);
  }
  const picked = candidates.filter((_, i) => shard === undefined || i % shard.count === shard.index);
  const suffix = `${protocolSuffix(selection.protocol)}${images === undefined ? '' : '.images'}${shard === undefined ? '' : `.shard-${shard.index}-of-${shard.count}`}`;
  return { picked, suffix };
}

/**
 * The plaintext label of each image in `ids`, from the `privedge` rows of an identification
 * run's `predictions.csv` (read from `path`).
 * @throws RunError naming `path` if an image has no `privedge` prediction.
 */
export function plaintextLabels(rows: readonly Row[], ids: readonly string[], path: string): string[] {
  const plaintext = new Map<string, string>();
  for (const row of rows) {
    if (row['system'] === 'privedge') plaintext.set(String(row['image']), String(row['predicted']));
  }
  return ids.map((id) => {
    const label = plaintext.get(id);
    if (label === undefined) throw new RunError(path, `no privedge prediction for test image '${id}'`);
    return label;
  });
}

/**
 * The plaintext dissimilarity of each image in `ids` to each of `users` (in `users` order), from
 * an identification run's `dissimilarity.csv` (read from `path`).
 * @throws RunError naming `path` if a pair is missing.
 */
export function plaintextDissimilarities(rows: readonly Row[], ids: readonly string[], users: readonly string[], path: string): number[][] {
  const mse = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const image = String(row['image']);
    let m = mse.get(image);
    if (m === undefined) mse.set(image, (m = new Map()));
    m.set(String(row['user']), Number(row['mse']));
  }
  return ids.map((id) =>
    users.map((u) => {
      const v = mse.get(id)?.get(u);
      if (v === undefined) throw new RunError(path, `no dissimilarity of test image '${id}' for user '${u}'`);
      return v;
    }),
  );
}

/**
 * The rows an interrupted run with the same options recorded (`--resume`), by image id.
 * @throws RunError naming `path` if a row's image is not among `ids` (other options wrote it).
 */
export function resumableRows(rows: readonly Row[], ids: readonly string[], path: string): Map<string, FidelityRow> {
  const queried = new Set(ids);
  const earlier = new Map<string, FidelityRow>();
  for (const row of rows) {
    const image = String(row['image']);
    if (!queried.has(image)) throw new RunError(path, `test image '${image}' is not among this run's queries: it was written with other --queries/--order/--shard options`);
    earlier.set(image, row as FidelityRow);
  }
  return earlier;
}

/** The file-name part of a protocol version: '' for v1 (and none given), `.<version>` otherwise. */
export function protocolSuffix(protocol: string | undefined): string {
  return protocol === undefined || protocol === 'v1' ? '' : `.${protocol}`;
}
