import type { PreparedDataset } from '../../src/datasets/prepare.js';
import { toFloatImages } from '../../src/datasets/tensors.js';
import { aucTrapezoid, detectionAt, detectionOfDecisions, rocCurve, type DetectionCounts } from '../../src/metrics/detection.js';
import { pickQueries } from '../../src/mpc-sim/private-reconstructor/fidelity.js';
import type { Row } from '../../src/report/csv.js';
import type { PrivateThresholdResult } from './private-detection.js';

/** Where a scored image comes from: an enrolled user, a held-out user, or another dataset. */
export type Kind = 'private' | 'held-out-user' | 'other-dataset';

/** Images scored by the detector: the calibration images first, then the queries. */
export interface Queries {
  readonly id: string[];
  readonly set: ('calibration' | 'query')[];
  readonly kind: Kind[];
  readonly trueUser: string[];
  readonly parts: Float32Array[];
}

/** An empty {@link Queries}. */
export function emptyQueries(): Queries {
  return { id: [], set: [], kind: [], trueUser: [], parts: [] };
}

/** Appends images `indices` of `data` to `q` (ids with `prefix`), with their float pixels. */
export function addImages(q: Queries, data: PreparedDataset, indices: readonly number[], set: 'calibration' | 'query', kind: Kind, prefix = ''): void {
  for (const i of indices) {
    q.id.push(`${prefix}${data.images.ids[i]!}`);
    q.set.push(set);
    q.kind.push(kind);
    q.trueUser.push(data.images.labels[i]!);
  }
  q.parts.push(toFloatImages(data.images, indices).data);
}

/** The scores of every image: each user's dissimilarity, the nearest user and the smallest dissimilarity. */
export interface Scores {
  readonly users: readonly string[];
  /** `queries x users`, row-major. */
  readonly values: Float32Array | Float64Array | readonly number[];
  /** Index of the nearest user of each image. */
  readonly nearest: ArrayLike<number>;
  readonly minMse: readonly number[];
}

/** `dissimilarity.csv` (one row per image and user) and `scores.csv` (one row per image) at `threshold`. */
export function scoreRows(q: Queries, s: Scores, threshold: number): { dissimilarity: Row[]; scores: Row[] } {
  const dissimilarity: Row[] = [];
  const scores: Row[] = [];
  const n = s.users.length;
  q.id.forEach((image, r) => {
    s.users.forEach((user, u) => dissimilarity.push({ image, set: q.set[r]!, kind: q.kind[r]!, trueUser: q.trueUser[r]!, user, mse: s.values[r * n + u]! }));
    scores.push({ image, set: q.set[r]!, kind: q.kind[r]!, trueUser: q.trueUser[r]!, nearestUser: s.users[s.nearest[r]!]!, minMse: s.minMse[r]!, declaredPrivate: s.minMse[r]! < threshold });
  });
  return { dissimilarity, scores };
}

/** Rows of `metrics.csv` for one system and group of negatives: the counts at the threshold and the rates. */
export function countRows(system: string, negatives: string, d: DetectionCounts): Row[] {
  return (['tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'f1', 'falsePositiveRate', 'accuracy'] as const).map((metric) => ({ system, negatives, metric, value: d[metric] }));
}

/** Rows of `confusion.csv`: actual x declared counts. */
export function confusionRows(system: string, negatives: string, d: DetectionCounts): Row[] {
  return [
    { system, negatives, actual: 'private', declared: 'private', count: d.tp },
    { system, negatives, actual: 'private', declared: 'non-private', count: d.fn },
    { system, negatives, actual: 'non-private', declared: 'private', count: d.fp },
    { system, negatives, actual: 'non-private', declared: 'non-private', count: d.tn },
  ];
}

/** The tables of the plaintext detector, and the headline for run.json. */
export interface ThresholdTables {
  readonly metrics: Row[];
  readonly roc: Row[];
  readonly confusion: Row[];
  readonly headline: Record<string, unknown>;
}

/** Indices of the query rows (after the calibration rows), in order. */
export function queryRowsOf(q: Queries): number[] {
  return q.id.map((_, r) => r).filter((r) => q.set[r] === 'query');
}

/**
 * Precision, recall, the ROC curve and its AUC, and the confusion at `threshold`, for the private
 * queries against each group of negatives: `all`, then `held-out-users` and `other-dataset` when
 * `groups` says there are such queries.
 */
export function thresholdTables(
  q: Queries,
  minMse: readonly number[],
  threshold: number,
  settings: { readonly quantile: number; readonly calibrationImages: number; readonly heldOutUsers: boolean; readonly otherDataset: boolean },
): ThresholdTables {
  const { quantile, calibrationImages } = settings;
  const queryRows = queryRowsOf(q);
  const groups: [string, (k: Kind) => boolean][] = [['all', (k) => k !== 'private']];
  if (settings.heldOutUsers) groups.push(['held-out-users', (k) => k === 'held-out-user']);
  if (settings.otherDataset) groups.push(['other-dataset', (k) => k === 'other-dataset']);
  const metrics: Row[] = [
    { system: 'privedge', negatives: 'all', metric: 'threshold', value: threshold },
    { system: 'privedge', negatives: 'all', metric: 'quantile', value: quantile },
    { system: 'privedge', negatives: 'all', metric: 'calibrationImages', value: calibrationImages },
  ];
  const roc: Row[] = [];
  const confusion: Row[] = [];
  const headline: Record<string, unknown> = { threshold, quantile, calibrationImages };
  for (const [negatives, isNegative] of groups) {
    const rows = queryRows.filter((r) => q.kind[r] === 'private' || isNegative(q.kind[r]!));
    const s = rows.map((r) => minMse[r]!);
    const positive = rows.map((r) => q.kind[r] === 'private');
    const d = detectionAt(s, positive, threshold);
    const curve = rocCurve(s, positive);
    const auc = aucTrapezoid(curve);
    metrics.push(
      { system: 'privedge', negatives, metric: 'positives', value: positive.filter(Boolean).length },
      { system: 'privedge', negatives, metric: 'negatives', value: positive.filter((p) => !p).length },
      ...countRows('privedge', negatives, d),
      { system: 'privedge', negatives, metric: 'auc', value: auc },
    );
    curve.forEach((p, step) => roc.push({ negatives, step, fpr: p.fpr, tpr: p.tpr, threshold: p.threshold }));
    confusion.push(...confusionRows('privedge', negatives, d));
    headline[negatives] = { precision: d.precision, recall: d.recall, falsePositiveRate: d.falsePositiveRate, auc };
  }
  return { metrics, roc, confusion, headline };
}

/** The rows of `k` private queries: ceil(k/2) private and floor(k/2) non-private query rows, spread over each. */
export function pickPrivateQueryRows(q: Queries, k: number): number[] {
  const queryRows = queryRowsOf(q);
  const positives = queryRows.filter((r) => q.kind[r] === 'private');
  const negatives = queryRows.filter((r) => q.kind[r] !== 'private');
  return [...pickQueries(positives.length, Math.ceil(k / 2), 'spread').map((i) => positives[i]!), ...pickQueries(negatives.length, Math.floor(k / 2), 'spread').map((i) => negatives[i]!)];
}

/** One row of `private_detection.csv`. */
export type PrivateDetectionRow = {
  readonly image: string;
  readonly kind: Kind;
  readonly trueUser: string;
  readonly minMse: number;
  readonly marginToThreshold: number;
  readonly plaintextPrivate: boolean;
  readonly privatePrivate: boolean;
  readonly agree: boolean;
  readonly plaintextNearest: string;
  readonly privateNearest: string;
  readonly nearestAgree: boolean;
  readonly rounds: number;
  readonly onlineBytes: number;
  readonly onlineSeconds: number;
  readonly offlineSeconds: number;
};

/** The private (2PC) decisions of the `picked` rows beside the plaintext ones. */
export function privateDetectionRows(q: Queries, s: Scores, threshold: number, picked: readonly number[], results: readonly PrivateThresholdResult[]): PrivateDetectionRow[] {
  return picked.map((r, i) => {
    const p = results[i]!;
    const plaintextPrivate = s.minMse[r]! < threshold;
    return {
      image: q.id[r]!,
      kind: q.kind[r]!,
      trueUser: q.trueUser[r]!,
      minMse: s.minMse[r]!,
      marginToThreshold: s.minMse[r]! - threshold,
      plaintextPrivate,
      privatePrivate: p.belowThreshold,
      agree: plaintextPrivate === p.belowThreshold,
      plaintextNearest: s.users[s.nearest[r]!]!,
      privateNearest: s.users[p.index]!,
      nearestAgree: s.nearest[r] === p.index,
      rounds: p.rounds,
      onlineBytes: p.bytes,
      onlineSeconds: p.onlineSeconds,
      offlineSeconds: p.offlineSeconds,
    };
  });
}

/** The `privedge-2pc` rows of `metrics.csv` and `confusion.csv`, and the `privateDetection` record of run.json. */
export function privateDetectionTables(rows: readonly PrivateDetectionRow[], fixedPointBits: number): { metrics: Row[]; confusion: Row[]; record: Record<string, unknown> } {
  const agree = rows.filter((r) => r.agree).length;
  const nearestAgree = rows.filter((r) => r.nearestAgree).length;
  const d = detectionOfDecisions(rows.map((r) => r.privatePrivate), rows.map((r) => r.kind === 'private'));
  const metrics: Row[] = [
    { system: 'privedge-2pc', negatives: 'all', metric: 'queries', value: rows.length },
    { system: 'privedge-2pc', negatives: 'all', metric: 'agreeWithPlaintext', value: agree },
    { system: 'privedge-2pc', negatives: 'all', metric: 'mismatches', value: rows.length - agree },
    { system: 'privedge-2pc', negatives: 'all', metric: 'nearestUserAgree', value: nearestAgree },
    ...countRows('privedge-2pc', 'all', d),
  ];
  const mean = (f: (r: PrivateDetectionRow) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const record = {
    queries: rows.length,
    agreeWithPlaintext: agree,
    mismatches: rows.length - agree,
    mismatchedImages: rows.filter((r) => !r.agree).map((r) => r.image),
    nearestUserAgree: nearestAgree,
    fixedPointBits,
    meanOnlineSeconds: Math.round(mean((r) => r.onlineSeconds) * 1000) / 1000,
    meanRounds: mean((r) => r.rounds),
    meanOnlineBytes: Math.round(mean((r) => r.onlineBytes)),
  };
  return { metrics, confusion: confusionRows('privedge-2pc', 'all', d), record };
}
