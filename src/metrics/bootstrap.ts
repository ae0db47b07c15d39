/**
 * Confidence intervals of macro precision and recall by resampling the test images: how much
 * the scores of one trained system would move on another draw of test images of the same users.
 * This is the test-set part of run-to-run noise, not the training part (another seed trains other
 * models; that needs another run).
 */
import { MetricsError } from './metrics-error.js';
import { classificationReport, confusionMatrix, type UndefinedPolicy } from './confusion.js';
import { quantile } from './detection.js';
import type { Rng } from '../util/rng.js';

/** Options of {@link bootstrapMacroIntervals}. */
export interface BootstrapOptions {
  /** Resamples drawn (at least 100). */
  readonly resamples: number;
  /** Central coverage of the interval, in (0, 1): 0.95 gives the 2.5th and 97.5th percentiles. */
  readonly level: number;
  /** The stream the resamples are drawn from (the caller's named child). */
  readonly rng: Rng;
  /** As {@link classificationReport}'s policy. */
  readonly policy?: UndefinedPolicy;
}

/** A percentile interval around the value on the full test set. */
export interface Interval {
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
}

/** Macro precision and recall with their intervals. */
export interface MacroIntervals {
  readonly precision: Interval;
  readonly recall: Interval;
  readonly resamples: number;
  readonly level: number;
}

/**
 * Percentile bootstrap of macro precision and recall, stratified by true class: each resample
 * draws, for every class, as many of that class's images (with replacement) as it has, so every
 * user keeps its test-set size, as in the split. The interval is the (1 - level) / 2 and
 * (1 + level) / 2 empirical quantiles of the resampled values (linear interpolation between order
 * statistics). Deterministic for a given `rng` stream.
 *
 * @throws MetricsError if `resamples` < 100, `level` is outside (0, 1), or there is no image.
 */
export function bootstrapMacroIntervals(trueLabels: readonly string[], predicted: readonly string[], classes: readonly string[], options: BootstrapOptions): MacroIntervals {
  const { resamples, level, rng } = options;
  const policy = options.policy ?? 'zero';
  if (!Number.isInteger(resamples) || resamples < 100) throw new MetricsError('bootstrapMacroIntervals', `resamples must be a whole number >= 100, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new MetricsError('bootstrapMacroIntervals', `level must be in (0, 1), got ${level}`);
  const full = classificationReport(confusionMatrix(trueLabels, predicted, classes), { policy });
  const byClass = new Map<string, number[]>();
  trueLabels.forEach((t, i) => {
    const list = byClass.get(t) ?? [];
    list.push(i);
    byClass.set(t, list);
  });
  const strata = [...byClass.values()];
  const precisions = new Float64Array(resamples);
  const recalls = new Float64Array(resamples);
  const t = new Array<string>(trueLabels.length);
  const p = new Array<string>(trueLabels.length);
  for (let r = 0; r < resamples; r++) {
    let k = 0;
    for (const members of strata) {
      for (let j = 0; j < members.length; j++) {
        const i = members[rng.nextInt(members.length)]!;
        t[k] = trueLabels[i]!;
        p[k] = predicted[i]!;
        k++;
      }
    }
    const report = classificationReport(confusionMatrix(t, p, classes), { policy });
    precisions[r] = report.macroPrecision;
    recalls[r] = report.macroRecall;
  }
  const lowerQ = (1 - level) / 2;
  const upperQ = (1 + level) / 2;
  const interval = (value: number, samples: Float64Array): Interval => {
    const values = Array.from(samples);
    return { value, lower: quantile(values, lowerQ), upper: quantile(values, upperQ) };
  };
  return { precision: interval(full.macroPrecision, precisions), recall: interval(full.macroRecall, recalls), resamples, level };
}
