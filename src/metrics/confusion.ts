import { ShapeError } from '../errors.js';
import { MetricsError } from './metrics-error.js';

/** Counts of (true, predicted) label pairs over a fixed, ordered list of classes. */
export type ConfusionMatrix = {
  /** The classes, in the order of the rows and columns of `counts`. */
  readonly classes: readonly string[];
  /** `counts[t][p]`: how many items of true class `classes[t]` were predicted as `classes[p]`. */
  readonly counts: number[][];
  /** Number of items counted (the sum of all cells). */
  readonly total: number;
};

/**
 * How an undefined (0/0) per-class value enters a macro average.
 * - `'zero'`: it counts as 0, and the mean is over all classes (scikit-learn's `zero_division=0`).
 *   A model that never predicts a class is penalised for it.
 * - `'exclude'`: it is left out, and the mean is over the classes where the value is defined.
 */
export type UndefinedPolicy = 'zero' | 'exclude';

/** Options of {@link classificationReport}. */
export type ReportOptions = {
  /** How undefined precision, recall and F1 enter the macro averages; default `'zero'`. */
  readonly policy?: UndefinedPolicy;
};

/** Per-class counts and scores; a score is `null` when it is 0/0. */
export type ClassScores = {
  readonly label: string;
  /** Items whose true label is this class (row sum). */
  readonly support: number;
  /** Items predicted as this class (column sum). */
  readonly predicted: number;
  /** Items of this class predicted as this class (diagonal cell). */
  readonly truePositives: number;
  /** `truePositives / predicted`; `null` when the class is never predicted. */
  readonly precision: number | null;
  /** `truePositives / support`; `null` when the class has no support. */
  readonly recall: number | null;
  /** Harmonic mean of precision and recall; `null` if either is `null`, 0 when both are 0. */
  readonly f1: number | null;
};

/** The result of {@link classificationReport}. */
export type ClassificationReport = {
  readonly perClass: readonly ClassScores[];
  /** Correct predictions over all predictions (the trace over the total). */
  readonly accuracy: number;
  /** Mean of per-class precision under `policy`. */
  readonly macroPrecision: number;
  /** Mean of per-class recall under `policy`. */
  readonly macroRecall: number;
  /** Mean of per-class F1 under `policy` (not the F1 of `macroPrecision` and `macroRecall`). */
  readonly macroF1: number;
  /** Classes whose precision is undefined (never predicted), in class order. */
  readonly undefinedPrecision: readonly string[];
  /** Classes whose recall is undefined (no support), in class order. */
  readonly undefinedRecall: readonly string[];
  /** The policy the macro averages were computed under. */
  readonly policy: UndefinedPolicy;
};

/** One cell of a confusion matrix, as a long-format CSV row. */
export type ConfusionRow = { readonly true: string; readonly predicted: string; readonly count: number };

/** One value of a report, as a long-format CSV row; `value` is `null` where undefined (0/0). */
export type ReportRow = { readonly label: string; readonly metric: string; readonly value: number | null };

/** Label of the macro-average rows of {@link reportRows}; no class may carry it. */
export const MACRO_LABEL = 'macro';
/** Label of the accuracy row of {@link reportRows} (its metric is `accuracy`). */
export const OVERALL_LABEL = 'overall';

/**
 * Counts (true, predicted) pairs into a confusion matrix over `classes`, in the given order.
 *
 * @param trueLabels - the true class of each item.
 * @param predicted - the predicted class of each item, aligned with `trueLabels`.
 * @param classes - every class, each once; the order of rows and columns. A class may be absent
 *   from both label lists (its row and column are then zero).
 * @throws ShapeError if the two label lists differ in length (the message names both lengths).
 * @throws MetricsError if `classes` is empty or has a duplicate, or a true or predicted label is
 *   not one of `classes` (the message names the label and its index).
 */
export function confusionMatrix(
  trueLabels: readonly string[],
  predicted: readonly string[],
  classes: readonly string[],
): ConfusionMatrix {
  if (trueLabels.length !== predicted.length) {
    throw new ShapeError(
      'confusionMatrix',
      `trueLabels has ${trueLabels.length} labels but predicted has ${predicted.length}`,
    );
  }
  const index = classIndex(classes);
  const counts = classes.map(() => new Array<number>(classes.length).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const t = lookUp(index, trueLabels[i]!, `trueLabels[${i}]`, classes);
    const p = lookUp(index, predicted[i]!, `predicted[${i}]`, classes);
    counts[t]![p]! += 1;
  }
  return { classes: [...classes], counts, total: trueLabels.length };
}

/**
 * Per-class precision, recall and F1, accuracy, and their macro averages.
 *
 * Undefined values: precision of a class that is never predicted, and recall of a class with no
 * support (possible only when `classes` lists a class absent from the true labels), are 0/0. They
 * are reported as `null` and listed in `undefinedPrecision` / `undefinedRecall`. F1 is `null` when
 * precision or recall is `null`, and 0 when both are 0.
 *
 * Macro averages are unweighted means over classes. Under `policy: 'zero'` (the default) a `null`
 * counts as 0 and the mean is over all classes, like scikit-learn's `zero_division=0`: a model
 * that ignores a class is penalised. Under `'exclude'` the mean is over the classes where the
 * value is defined; if it is defined for none, the macro value is 0 (this happens only when no
 * prediction is correct, so accuracy is 0 too). `macroF1` is the mean of per-class F1 under the
 * same policy, not the F1 of `macroPrecision` and `macroRecall`.
 *
 * @throws MetricsError if the matrix counts no items (accuracy would be 0/0) or `policy` is unknown.
 */
export function classificationReport(cm: ConfusionMatrix, options: ReportOptions = {}): ClassificationReport {
  const policy = options.policy ?? 'zero';
  if (policy !== 'zero' && policy !== 'exclude') {
    throw new MetricsError('classificationReport', `unknown policy "${String(policy)}"; use "zero" or "exclude"`);
  }
  if (cm.total === 0) {
    throw new MetricsError('classificationReport', 'the confusion matrix counts no items; accuracy is undefined');
  }
  const n = cm.classes.length;
  const perClass: ClassScores[] = [];
  let correct = 0;
  for (let k = 0; k < n; k++) {
    const row = cm.counts[k]!;
    const truePositives = row[k]!;
    const support = sum(row);
    let predicted = 0;
    for (let t = 0; t < n; t++) predicted += cm.counts[t]![k]!;
    const precision = predicted === 0 ? null : truePositives / predicted;
    const recall = support === 0 ? null : truePositives / support;
    perClass.push({
      label: cm.classes[k]!,
      support,
      predicted,
      truePositives,
      precision,
      recall,
      f1: precision === null || recall === null ? null : f1Score(truePositives, support, predicted),
    });
    correct += truePositives;
  }
  return {
    perClass,
    accuracy: correct / cm.total,
    macroPrecision: macroMean(perClass.map((c) => c.precision), policy),
    macroRecall: macroMean(perClass.map((c) => c.recall), policy),
    macroF1: macroMean(perClass.map((c) => c.f1), policy),
    undefinedPrecision: perClass.filter((c) => c.precision === null).map((c) => c.label),
    undefinedRecall: perClass.filter((c) => c.recall === null).map((c) => c.label),
    policy,
  };
}

/** Every cell of the matrix as a long-format row, true class major, in class order (zeros included). */
export function confusionRows(cm: ConfusionMatrix): ConfusionRow[] {
  const rows: ConfusionRow[] = [];
  cm.classes.forEach((t, i) => {
    cm.classes.forEach((p, j) => {
      rows.push({ true: t, predicted: p, count: cm.counts[i]![j]! });
    });
  });
  return rows;
}

/**
 * The report as long-format rows: for each class, in order, the metrics `support`, `predicted`,
 * `truePositives`, `precision`, `recall` and `f1` (the last three `null` where undefined); then
 * `precision`, `recall` and `f1` with label {@link MACRO_LABEL}; then `accuracy` with label
 * {@link OVERALL_LABEL}.
 *
 * @throws MetricsError if a class is named {@link MACRO_LABEL}, since its rows would be
 *   indistinguishable from the macro rows.
 */
export function reportRows(report: ClassificationReport): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const c of report.perClass) {
    if (c.label === MACRO_LABEL) {
      throw new MetricsError('reportRows', `a class is named "${MACRO_LABEL}", which would collide with the macro rows`);
    }
    rows.push(
      { label: c.label, metric: 'support', value: c.support },
      { label: c.label, metric: 'predicted', value: c.predicted },
      { label: c.label, metric: 'truePositives', value: c.truePositives },
      { label: c.label, metric: 'precision', value: c.precision },
      { label: c.label, metric: 'recall', value: c.recall },
      { label: c.label, metric: 'f1', value: c.f1 },
    );
  }
  rows.push(
    { label: MACRO_LABEL, metric: 'precision', value: report.macroPrecision },
    { label: MACRO_LABEL, metric: 'recall', value: report.macroRecall },
    { label: MACRO_LABEL, metric: 'f1', value: report.macroF1 },
    { label: OVERALL_LABEL, metric: 'accuracy', value: report.accuracy },
  );
  return rows;
}

function classIndex(classes: readonly string[]): Map<string, number> {
  if (classes.length === 0) throw new MetricsError('classes', 'at least one class is required');
  const index = new Map<string, number>();
  classes.forEach((c, i) => {
    const first = index.get(c);
    if (first !== undefined) {
      throw new MetricsError('classes', `class "${c}" appears twice (at ${first} and ${i})`);
    }
    index.set(c, i);
  });
  return index;
}

function lookUp(index: Map<string, number>, label: string, where: string, classes: readonly string[]): number {
  const k = index.get(label);
  if (k === undefined) {
    const shown = classes.length <= 10 ? classes.map((c) => `"${c}"`).join(', ') : `${classes.length} classes`;
    throw new MetricsError(where, `label "${label}" is not one of the classes (${shown})`);
  }
  return k;
}

// 2PR/(P+R) written in counts, 2TP/(support + predicted), so it is one rounding from the exact
// fraction; 0 when TP is 0 (both P and R are 0). Called only when support and predicted are > 0.
function f1Score(truePositives: number, support: number, predicted: number): number {
  return (2 * truePositives) / (support + predicted);
}

function macroMean(values: readonly (number | null)[], policy: UndefinedPolicy): number {
  const defined = values.filter((v): v is number => v !== null);
  if (policy === 'zero') return sum(defined) / values.length;
  return defined.length === 0 ? 0 : sum(defined) / defined.length;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
