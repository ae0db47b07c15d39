import * as tf from '@tensorflow/tfjs';
import type { ProgressTask } from '../../progress/reporter.js';
import type { Rng } from '../../util/rng.js';
import { yieldToEventLoop } from '../../util/yield-to-event-loop.js';
import { buildDiscriminator, buildReconstructor, type RanShape } from './architecture.js';
import { ranOptimizers, ranTrainStep, reconstructionErrors, type RanTrainingSettings, type StepLosses } from './train-step.js';

/** Everything that shapes one user's training run. */
export interface UserTrainingOptions extends RanTrainingSettings {
  readonly shape: RanShape;
  readonly iterations: number;
  /** Images per iteration; each iteration samples batchSize / 2 (with replacement), as the authors' code. */
  readonly batchSize: number;
  /** Validate (and maybe checkpoint) every this many iterations and after the last. */
  readonly validateEvery: number;
  /** Keep a checkpoint only when the validation MSE improves AND is below this (authors: 0.04); null: any improvement. */
  readonly checkpointBelow: number | null;
}

/** One row of the training curves. */
export interface CurvePoint extends StepLosses {
  readonly iteration: number;
  /** Validation MSE at this iteration, or null when not validated here. */
  readonly valMse: number | null;
}

/** The result of training one user. */
export interface TrainedUser {
  /** The best checkpoint's reconstructor (or the last, when no checkpoint qualified). */
  readonly reconstructor: tf.LayersModel;
  readonly curve: readonly CurvePoint[];
  readonly bestIteration: number;
  readonly bestValMse: number;
  /** Whether `reconstructor` is a checkpoint that met the rule (false: the final weights). */
  readonly checkpointed: boolean;
  /** The images the checkpoint was chosen on: `training` when the user has no validation image. */
  readonly checkpointOn: 'validation' | 'training';
  readonly seconds: number;
}

/** What training keeps at a milestone: exactly what {@link trainUser} would return had it been asked for `iteration` iterations. */
export interface MilestoneCheckpoint extends TrainedUser {
  /** The milestone (iterations trained so far). */
  readonly iteration: number;
  /** Validation MSE of the weights at the milestone itself (not the checkpoint's, which is `bestValMse`). */
  readonly valMseNow: number;
}

/** Milestones of {@link trainUser}: iterations at which the best-so-far checkpoint is handed to `onMilestone`. */
export interface TrainingMilestones {
  /** Strictly increasing iterations, each in 1..options.iterations. */
  readonly at: readonly number[];
  /**
   * Receives each milestone's checkpoint; its `reconstructor` holds the checkpoint's weights only
   * until the returned promise settles (save it, do not keep it). Its time is not counted in
   * `seconds` (of this or later milestones, nor of the final result).
   */
  readonly onMilestone: (checkpoint: MilestoneCheckpoint) => Promise<void>;
}

/** Checks milestones against the iterations; throws a RangeError naming the bad one. */
export function checkMilestones(at: readonly number[], iterations: number): void {
  at.forEach((m, i) => {
    if (!Number.isInteger(m) || m < 1 || m > iterations) throw new RangeError(`milestone ${m} is not an iteration in 1..${iterations}`);
    if (i > 0 && m <= at[i - 1]!) throw new RangeError(`milestones must increase: ${at[i - 1]} then ${m}`);
  });
}

/**
 * Trains one user's reconstructive adversarial network on their own images only (float32 NHWC
 * in [-1, 1]). Keeps the weights with the best validation MSE under the checkpoint rule.
 * Weight initialisation and batch sampling come from `rng` (children `init` and `batches`).
 *
 * With `milestones`, the reconstructor of a truncated run is handed over at each milestone m: the
 * best checkpoint among the validations a run of m iterations makes (every `validateEvery`, and
 * at m), else the weights at m. The validation at m, when not a regular one, is extra and does
 * not enter the checkpoint of the full run; the weights are swapped back after the hand-over, so
 * the full run returns byte-identical weights with or without milestones.
 */
export async function trainUser(train: Float32Array, validation: Float32Array, options: UserTrainingOptions, rng: Rng, progress?: ProgressTask, milestones?: TrainingMilestones): Promise<TrainedUser> {
  let started = performance.now();
  if (milestones) checkMilestones(milestones.at, options.iterations);
  const milestoneSet = new Set(milestones?.at ?? []);
  const { shape } = options;
  const size = shape.height * shape.width * shape.channels;
  const nTrain = train.length / size;
  if (nTrain === 0) throw new Error('trainUser: no training image');
  const initSeed = rng.child('init').nextUint32() % 1_000_000;
  const pair = { reconstructor: buildReconstructor(shape, initSeed), discriminator: buildDiscriminator(shape, initSeed), ...ranOptimizers(options) };
  const batches = rng.child('batches');
  const half = Math.max(1, Math.floor(options.batchSize / 2));
  const curve: CurvePoint[] = [];
  let best: tf.Tensor[] | undefined;
  let bestIteration = -1;
  let bestValMse = Number.POSITIVE_INFINITY;
  const validationSet = validation.length > 0 ? validation : train;
  const batchData = new Float32Array(half * size);
  const validationMse = async (): Promise<number> => {
    const errors = await reconstructionErrors(pair.reconstructor, validationSet, [shape.height, shape.width, shape.channels]);
    return errors.reduce((a, b) => a + b, 0) / errors.length;
  };
  try {
    for (let it = 1; it <= options.iterations; it++) {
      for (let k = 0; k < half; k++) {
        const i = batches.nextInt(nTrain);
        batchData.set(train.subarray(i * size, (i + 1) * size), k * size);
      }
      const batch = tf.tensor4d(batchData, [half, shape.height, shape.width, shape.channels]);
      const losses = await ranTrainStep(pair, batch, options);
      batch.dispose();
      let valMse: number | null = null;
      if (it % options.validateEvery === 0 || it === options.iterations) {
        valMse = await validationMse();
        const qualifies = options.checkpointBelow === null || valMse < options.checkpointBelow;
        if (valMse < bestValMse && qualifies) {
          bestValMse = valMse;
          bestIteration = it;
          if (best) tf.dispose(best);
          best = pair.reconstructor.getWeights().map((w) => w.clone());
        }
      }
      curve.push({ iteration: it, ...losses, valMse });
      if (milestones && milestoneSet.has(it)) {
        // The extra validation a truncated run makes at its last iteration counts as training time; the hand-over does not.
        const valMseNow = valMse ?? (await validationMse());
        const handOver = performance.now();
        await handOverMilestone(pair.reconstructor, { iteration: it, valMse, valMseNow, best, bestIteration, bestValMse, curve, seconds: (handOver - started) / 1000, checkpointBelow: options.checkpointBelow, checkpointOn: validation.length > 0 ? 'validation' : 'training' }, milestones.onMilestone);
        started += performance.now() - handOver;
      }
      progress?.tick();
      await yieldToEventLoop();
    }
    const checkpointed = best !== undefined;
    if (best) pair.reconstructor.setWeights(best);
    else {
      const last = curve.at(-1)!;
      bestIteration = last.iteration;
      bestValMse = last.valMse ?? Number.NaN;
    }
    const checkpointOn = validation.length > 0 ? 'validation' : 'training';
    return { reconstructor: pair.reconstructor, curve, bestIteration, bestValMse, checkpointed, checkpointOn, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (best) tf.dispose(best);
    pair.discriminator.dispose();
    pair.optimizerD.dispose();
    pair.optimizerR.dispose();
  }
}

/** Training state at a milestone, as {@link handOverMilestone} needs it. */
interface MilestoneState {
  readonly iteration: number;
  /** The regular validation MSE at this iteration, or null when it was not a regular validation. */
  readonly valMse: number | null;
  /** The validation MSE at this iteration (regular or extra). */
  readonly valMseNow: number;
  readonly best: tf.Tensor[] | undefined;
  readonly bestIteration: number;
  readonly bestValMse: number;
  readonly curve: readonly CurvePoint[];
  readonly seconds: number;
  readonly checkpointBelow: number | null;
  readonly checkpointOn: 'validation' | 'training';
}

/**
 * Picks what a run of `state.iteration` iterations would keep (the same rule as the end of
 * {@link trainUser}), loads it into `reconstructor`, calls `onMilestone`, and puts the current
 * weights back.
 */
async function handOverMilestone(reconstructor: tf.LayersModel, state: MilestoneState, onMilestone: TrainingMilestones['onMilestone']): Promise<void> {
  const { valMseNow } = state;
  // A truncated run validates at its last iteration: the milestone competes with the regular checkpoints.
  const qualifies = state.checkpointBelow === null || valMseNow < state.checkpointBelow;
  const milestoneWins = state.valMse === null && valMseNow < state.bestValMse && qualifies;
  const useBest = state.best !== undefined && !milestoneWins;
  const checkpointed = useBest || milestoneWins;
  const current = useBest ? reconstructor.getWeights().map((w) => w.clone()) : undefined;
  try {
    if (useBest) reconstructor.setWeights(state.best!);
    await onMilestone({
      iteration: state.iteration,
      valMseNow,
      reconstructor,
      // The truncated run's curve: its last point carries the validation made there.
      curve: state.curve.map((p, i) => (i === state.curve.length - 1 ? { ...p, valMse: valMseNow } : p)),
      bestIteration: useBest ? state.bestIteration : state.iteration,
      bestValMse: useBest ? state.bestValMse : valMseNow,
      checkpointed,
      checkpointOn: state.checkpointOn,
      seconds: state.seconds,
    });
  } finally {
    if (current) {
      reconstructor.setWeights(current);
      tf.dispose(current);
    }
  }
}
