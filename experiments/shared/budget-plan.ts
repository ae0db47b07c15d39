/**
 * The pure parts of the `budget` experiment: what to train (iterations, milestones, widths), which
 * test images to score, and the rows of `budget.csv`. No TF.js, no files: tested on synthetic data.
 */
import type { TrainingConfig } from '../../src/config/training-schema.js';
import { ConfigError } from '../../src/errors.js';
import { classificationReport, confusionMatrix, type UndefinedPolicy } from '../../src/metrics/confusion.js';
import { quantile } from '../../src/metrics/detection.js';
import type { Row } from '../../src/report/csv.js';
import type { Rng } from '../../src/util/rng.js';

/** The paper's training budget per user: 30,000 iterations of 128 real + 128 reconstructed images at gf 32. */
export const PAPER_BUDGET = { iterations: 30_000, batchSize: 256, gf: 32 } as const;

/** The `budget` options that decide what is trained. */
export interface BudgetOptions {
  readonly milestones: readonly number[] | null;
  readonly iterations: number | null;
  readonly widths: readonly number[] | null;
  readonly discriminatorWidths: readonly number[] | null;
}

/** What the experiment trains: per width one run of `iterations` per user, kept at each milestone. */
export interface BudgetPlan {
  readonly iterations: number;
  readonly milestones: readonly number[];
  readonly widths: readonly { readonly gf: number; readonly df: number }[];
}

/** `iterations` halved four times (rounded, at least 1, without repeats), ascending. */
export function defaultMilestones(iterations: number): number[] {
  return [...new Set([16, 8, 4, 2, 1].map((d) => Math.max(1, Math.round(iterations / d))))];
}

/**
 * Resolves the options against the config's training section.
 * @throws ConfigError naming `experiments.budget.<key>` for a milestone above the iterations or a
 *   `discriminatorWidths` list whose length differs from `widths`.
 */
export function budgetPlan(options: BudgetOptions, training: Pick<TrainingConfig, 'iterations' | 'gf' | 'df'>, key = 'experiments.budget'): BudgetPlan {
  const iterations = options.iterations ?? training.iterations;
  const milestones = options.milestones ?? defaultMilestones(iterations);
  const above = milestones.find((m) => m > iterations);
  if (above !== undefined) {
    throw new ConfigError(`${key}.milestones`, `milestone ${above} is above the ${iterations} training iterations of this experiment (${options.iterations === null ? 'training.iterations' : `${key}.iterations`}); the last milestone must be at most that`);
  }
  milestones.forEach((m, i) => {
    if (i > 0 && m <= milestones[i - 1]!) throw new ConfigError(`${key}.milestones`, `must be strictly increasing: ${milestones[i - 1]} then ${m}`);
  });
  const gfs = options.widths ?? [training.gf];
  const bad = gfs.find((w) => !Number.isInteger(w) || w < 1);
  if (bad !== undefined) throw new ConfigError(`${key}.widths`, `width ${bad} is not a positive integer`);
  if (options.discriminatorWidths && options.discriminatorWidths.length !== gfs.length) {
    throw new ConfigError(`${key}.discriminatorWidths`, `has ${options.discriminatorWidths.length} entries for ${gfs.length} widths: give one df per gf`);
  }
  const widths = gfs.map((gf, i) => ({ gf, df: options.discriminatorWidths?.[i] ?? Math.max(1, Math.round((gf * training.df) / training.gf)) }));
  return { iterations, milestones: [...milestones], widths };
}

/**
 * At most `cap` test images (indices into the dataset), taken round-robin over the users (each
 * user's test images in an order shuffled by `rng`), so users keep equal counts (within one)
 * until one runs out; returned users in order, each user's picks in their original order. All
 * test images when `cap` is null or not below their number.
 */
export function pickTestImages(users: readonly { readonly user: string; readonly test: readonly number[] }[], cap: number | null, rng: Rng): { user: string; index: number }[] {
  const all = users.flatMap((u) => u.test.map((index) => ({ user: u.user, index })));
  if (cap === null || cap >= all.length) return all;
  const queues = users.map((u) => rng.child(`user:${u.user}`).shuffle([...u.test]));
  const picked = users.map(() => new Set<number>());
  let left = cap;
  for (let round = 0; left > 0; round++) {
    for (let k = 0; k < users.length && left > 0; k++) {
      const index = queues[k]![round];
      if (index === undefined) continue;
      picked[k]!.add(index);
      left--;
    }
  }
  return users.flatMap((u, k) => u.test.filter((i) => picked[k]!.has(i)).map((index) => ({ user: u.user, index })));
}

/** Where on the budget axes a score was taken. */
export interface BudgetPoint {
  /** `privedge` or a baseline's name. */
  readonly system: string;
  /** Reconstructor gf (PrivEdge), else null. */
  readonly width: number | null;
  /** Discriminator df (PrivEdge), else null. */
  readonly df: number | null;
  /** Images per iteration (PrivEdge) or mini-batch (baselines). */
  readonly batchSize: number;
  /** Training iterations per user (PrivEdge), else null. */
  readonly iteration: number | null;
  /** Epochs over the pooled training images (baselines), else null. */
  readonly epoch: number | null;
  /** Training wall seconds up to this point (PrivEdge: summed over users). */
  readonly trainSeconds: number;
  /** Mean over users of the kept checkpoint's validation MSE (PrivEdge), else null. */
  readonly valMse: number | null;
  /** Validation accuracy of the kept epoch (baselines), else null. */
  readonly valAccuracy: number | null;
}

/** Columns of `budget.csv`, in order. */
export const BUDGET_COLUMNS = [
  'system', 'series', 'width', 'df', 'batch_size', 'iteration', 'epoch', 'train_seconds', 'val_mse', 'val_accuracy',
  'precision', 'recall', 'accuracy', 'recall_min', 'recall_p25', 'recall_p50', 'recall_p75', 'recall_max', 'users', 'test_images',
] as const;

/** The line a point belongs to in the charts: `privedge gf 8`, or the baseline's name. */
export function seriesName(point: Pick<BudgetPoint, 'system' | 'width'>): string {
  return point.width === null ? point.system : `${point.system} gf ${point.width}`;
}

/**
 * One `budget.csv` row: macro precision and recall (as `identification` computes them, under
 * `policy`), accuracy, and the spread of per-user recall (min, quartiles by linear interpolation,
 * max) over the users with test images.
 */
export function budgetRow(point: BudgetPoint, trueLabels: readonly string[], predicted: readonly string[], users: readonly string[], policy: UndefinedPolicy): Row {
  const report = classificationReport(confusionMatrix(trueLabels, predicted, users), { policy });
  const recalls = report.perClass.flatMap((c) => (c.recall === null ? [] : [c.recall]));
  const q = (p: number): number | null => (recalls.length === 0 ? null : quantile(recalls, p));
  return {
    system: point.system,
    series: seriesName(point),
    width: point.width,
    df: point.df,
    batch_size: point.batchSize,
    iteration: point.iteration,
    epoch: point.epoch,
    train_seconds: Math.round(point.trainSeconds * 100) / 100,
    val_mse: point.valMse,
    val_accuracy: point.valAccuracy,
    precision: report.macroPrecision,
    recall: report.macroRecall,
    accuracy: report.accuracy,
    recall_min: q(0),
    recall_p25: q(0.25),
    recall_p50: q(0.5),
    recall_p75: q(0.75),
    recall_max: q(1),
    users: recalls.length,
    test_images: trueLabels.length,
  };
}

/** Per-user recall of one point, as `budget_users.csv` rows. */
export function budgetUserRows(point: BudgetPoint, trueLabels: readonly string[], predicted: readonly string[], users: readonly string[]): Row[] {
  const report = classificationReport(confusionMatrix(trueLabels, predicted, users));
  return report.perClass.map((c) => ({ series: seriesName(point), iteration: point.iteration, epoch: point.epoch, user: c.label, support: c.support, recall: c.recall, precision: c.precision }));
}

/**
 * PrivEdge's training cost at one milestone from the users' milestone summaries: the wall seconds
 * summed over users (the time to train them one after another on one worker) and the mean of the
 * kept checkpoints' validation MSE.
 */
export function milestoneCost(users: readonly { readonly seconds: number; readonly bestValMse: number }[]): { trainSeconds: number; valMse: number } {
  return {
    trainSeconds: users.reduce((s, u) => s + u.seconds, 0),
    valMse: users.reduce((s, u) => s + u.bestValMse, 0) / users.length,
  };
}

/**
 * The measured training rate of one width, and what the paper's budget would take at it on one
 * worker: `hoursAtThisBatch` for 30,000 iterations of this run's batch, and `hoursAtPaperBatch`
 * assuming time grows linearly with the batch (256 / batchSize). Neither accounts for the width
 * (the paper's gf 32) or for parallel workers.
 */
export function paperBudgetExtrapolation(trainSeconds: number, users: number, iterations: number, batchSize: number): { secondsPerIterationPerUser: number; batchSize: number; hoursAtThisBatch: number; hoursAtPaperBatch: number } {
  const perIteration = trainSeconds / users / iterations;
  const hours = (perIteration * PAPER_BUDGET.iterations * users) / 3600;
  const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;
  return { secondsPerIterationPerUser: round(perIteration, 4), batchSize, hoursAtThisBatch: round(hours, 2), hoursAtPaperBatch: round((hours * PAPER_BUDGET.batchSize) / batchSize, 2) };
}
