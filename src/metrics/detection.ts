import { ShapeError } from '../errors.js';
import { MetricsError } from './metrics-error.js';

/**
 * Detection of private images from a score where LOWER means "more private" (PrivEdge: the
 * smallest reconstruction dissimilarity of a query over all enrolled users). Positives are the
 * private images. Everywhere in this module a query is declared private when its score is
 * STRICTLY below the threshold — the same rule as the bit `[min MSE < threshold]` revealed by
 * the private (2PC) prediction.
 */

/**
 * The `q`-quantile of `values` by linear interpolation between order statistics (numpy's default
 * `linear` method, R type 7): with the values sorted ascending as x_0..x_{n-1} and h = (n - 1) q,
 * the result is x_floor(h) + (h - floor(h)) (x_ceil(h) - x_floor(h)). `q = 0` is the minimum,
 * `q = 1` the maximum, `q = 0.5` the median.
 * @throws MetricsError if `values` is empty or holds a NaN, or `q` is outside [0, 1].
 */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new MetricsError('quantile', `q must be in [0, 1], got ${q}`);
  if (values.length === 0) throw new MetricsError('quantile', 'no values');
  const nan = values.findIndex((v) => Number.isNaN(v));
  if (nan >= 0) throw new MetricsError('quantile', `NaN at index ${nan}`);
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return lo === hi || a === b ? a : a + (h - lo) * (b - a);
}

/**
 * The detection threshold calibrated on scores of known-private images (PrivEdge: the smallest
 * dissimilarities of the enrolled users' validation images): their `q`-quantile
 * ({@link quantile}). With `q = 0.95`, about 95 % of calibration images score at or below it.
 * @throws MetricsError as {@link quantile}.
 */
export function calibrateThreshold(calibrationScores: readonly number[], q: number): number {
  return quantile(calibrationScores, q);
}

/** Counts and rates of a detector's decisions; a rate is `null` when it is 0/0. */
export interface DetectionCounts {
  /** Private images declared private. */
  readonly tp: number;
  /** Non-private images declared private. */
  readonly fp: number;
  /** Non-private images declared non-private. */
  readonly tn: number;
  /** Private images declared non-private. */
  readonly fn: number;
  /** tp / (tp + fp); `null` when nothing is declared private. */
  readonly precision: number | null;
  /** tp / (tp + fn) (true positive rate); `null` without private images. */
  readonly recall: number | null;
  /** Harmonic mean of precision and recall; `null` if either is `null`; 0 when tp = 0. */
  readonly f1: number | null;
  /** fp / (fp + tn); `null` without non-private images. */
  readonly falsePositiveRate: number | null;
  /** (tp + tn) / all; `null` without images. */
  readonly accuracy: number | null;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/**
 * Confusion counts and rates of given decisions (`declared[i]`: image i declared private)
 * against the truth (`positive[i]`: image i is private). Used for decisions that arrive as bits,
 * e.g. the threshold bits revealed by private prediction.
 * @throws ShapeError if the lists differ in length.
 */
export function detectionOfDecisions(declared: readonly boolean[], positive: readonly boolean[]): DetectionCounts {
  if (declared.length !== positive.length) throw new ShapeError('detectionOfDecisions', `declared has ${declared.length} values but positive has ${positive.length}`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  declared.forEach((d, i) => {
    if (positive[i]) d ? tp++ : fn++;
    else d ? fp++ : tn++;
  });
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    tp,
    fp,
    tn,
    fn,
    precision,
    recall,
    f1: precision === null || recall === null ? null : tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    falsePositiveRate: ratio(fp, fp + tn),
    accuracy: ratio(tp + tn, declared.length),
  };
}

function checkInputs(what: string, scores: readonly number[], positive: readonly boolean[]): void {
  if (scores.length !== positive.length) throw new ShapeError(what, `scores has ${scores.length} values but positive has ${positive.length}`);
  const nan = scores.findIndex((v) => Number.isNaN(v));
  if (nan >= 0) throw new MetricsError(what, `NaN score at index ${nan}`);
}

/**
 * Confusion counts, precision, recall, F1, false positive rate and accuracy of declaring image i
 * private when `scores[i] < threshold` (strictly), against `positive[i]` (image i is private).
 * @throws ShapeError if the lists differ in length; MetricsError on a NaN score.
 */
export function detectionAt(scores: readonly number[], positive: readonly boolean[], threshold: number): DetectionCounts {
  checkInputs('detectionAt', scores, positive);
  return detectionOfDecisions(scores.map((s) => s < threshold), positive);
}

/** One point of an ROC curve: the rule `score < threshold` has these rates. */
export interface RocPoint {
  /** False positive rate: non-private images declared private / non-private images. */
  readonly fpr: number;
  /** True positive rate (recall): private images declared private / private images. */
  readonly tpr: number;
  /** The smallest threshold of the strict rule `score < threshold` that reaches this point. */
  readonly threshold: number;
}

/**
 * The ROC curve of the rule `score < t` over every t: one point per distinct score plus the
 * end point. With the distinct scores sorted ascending as v_0 < ... < v_{m-1}, point k (k = 0..m)
 * has threshold v_k (and `Infinity` for k = m) and counts every image scoring below it. Point 0
 * is (0, 0) and point m is (1, 1). Tied scores move together: a tie between private and
 * non-private images gives a diagonal segment, so the trapezoid area ({@link aucTrapezoid})
 * counts each tied pair as half a correct ordering (the Mann-Whitney statistic).
 * @throws MetricsError unless there is at least one private and one non-private image (the
 *   rates would be 0/0), or on a NaN score; ShapeError if the lists differ in length.
 */
export function rocCurve(scores: readonly number[], positive: readonly boolean[]): RocPoint[] {
  checkInputs('rocCurve', scores, positive);
  const p = positive.filter(Boolean).length;
  const n = positive.length - p;
  if (p === 0 || n === 0) throw new MetricsError('rocCurve', `needs private and non-private images, got ${p} private and ${n} non-private`);
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const points: RocPoint[] = [];
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < order.length) {
    const value = scores[order[i]!]!;
    points.push({ fpr: fp / n, tpr: tp / p, threshold: value });
    while (i < order.length && scores[order[i]!] === value) {
      if (positive[order[i]!]) tp++;
      else fp++;
      i++;
    }
  }
  points.push({ fpr: 1, tpr: 1, threshold: Number.POSITIVE_INFINITY });
  return points;
}

/**
 * Area under a curve of points sorted by non-decreasing `fpr` (as {@link rocCurve} returns
 * them), by the trapezoid rule: sum of (fpr_{k+1} - fpr_k) (tpr_k + tpr_{k+1}) / 2.
 * @throws MetricsError for fewer than 2 points or points not sorted by `fpr`.
 */
export function aucTrapezoid(points: readonly { readonly fpr: number; readonly tpr: number }[]): number {
  if (points.length < 2) throw new MetricsError('aucTrapezoid', `needs at least 2 points, got ${points.length}`);
  let area = 0;
  for (let k = 1; k < points.length; k++) {
    const a = points[k - 1]!;
    const b = points[k]!;
    if (b.fpr < a.fpr) throw new MetricsError('aucTrapezoid', `points are not sorted by fpr (point ${k}: ${b.fpr} < ${a.fpr})`);
    area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
  }
  return area;
}

/** ROC AUC of the rule `score < t`: {@link aucTrapezoid} of {@link rocCurve}. */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number {
  return aucTrapezoid(rocCurve(scores, positive));
}
