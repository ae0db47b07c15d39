import * as tf from '@tensorflow/tfjs';
import type { ProgressTask } from '../../progress/reporter.js';
import type { Rng } from '../../util/rng.js';
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

/**
 * Trains one user's reconstructive adversarial network on their own images only (float32 NHWC
 * in [-1, 1]). Keeps the weights with the best validation MSE under the checkpoint rule.
 * Weight initialisation and batch sampling come from `rng` (children `init` and `batches`).
 */
export async function trainUser(train: Float32Array, validation: Float32Array, options: UserTrainingOptions, rng: Rng, progress?: ProgressTask): Promise<TrainedUser> {
  const started = performance.now();
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
        const errors = await reconstructionErrors(pair.reconstructor, validationSet, [shape.height, shape.width, shape.channels]);
        valMse = errors.reduce((a, b) => a + b, 0) / errors.length;
        const qualifies = options.checkpointBelow === null || valMse < options.checkpointBelow;
        if (valMse < bestValMse && qualifies) {
          bestValMse = valMse;
          bestIteration = it;
          if (best) tf.dispose(best);
          best = pair.reconstructor.getWeights().map((w) => w.clone());
        }
      }
      curve.push({ iteration: it, ...losses, valMse });
      progress?.tick();
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
