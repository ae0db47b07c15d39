import * as tf from '@tensorflow/tfjs';
import { applyInBatches } from './reconstruct.js';

/** Loss weights and optimiser settings of the RAN (authors' `train.py` defaults). */
export interface RanTrainingSettings {
  readonly learningRate: number;
  readonly beta1: number;
  /** Weight of MSE(R(x), x) in the reconstructor loss (paper: 0.999). */
  readonly reconstructionWeight: number;
  /** Weight of MSE(D(R(x)), 1) in the reconstructor loss (paper: 0.001). */
  readonly adversarialWeight: number;
}

/** A reconstructor, its discriminator and their two Adam optimisers. */
export interface RanPair {
  readonly reconstructor: tf.LayersModel;
  readonly discriminator: tf.LayersModel;
  readonly optimizerR: tf.Optimizer;
  readonly optimizerD: tf.Optimizer;
}

/** Losses of one training iteration, as plain numbers. */
export interface StepLosses {
  readonly dLossReal: number;
  readonly dLossFake: number;
  /** The weighted reconstructor loss. */
  readonly rLoss: number;
  /** MSE(R(x), x) on the batch, before the reconstructor step. */
  readonly rMse: number;
}

/** Creates the Adam optimisers of a pair (lr 2e-4, beta1 0.5 in the paper). */
export function ranOptimizers(settings: RanTrainingSettings): { optimizerR: tf.Optimizer; optimizerD: tf.Optimizer } {
  return {
    optimizerR: tf.train.adam(settings.learningRate, settings.beta1),
    optimizerD: tf.train.adam(settings.learningRate, settings.beta1),
  };
}

function variablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

const mse = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.squaredDifference(a, b));

/**
 * One iteration, as the authors' Keras code does it: reconstruct the batch; the discriminator
 * takes one Adam step towards 1 on the real images and one towards 0 on their reconstructions
 * (two `train_on_batch` calls); then the reconstructor takes a step on
 * `wRec * MSE(R(x), x) + wAdv * MSE(D(R(x)), 1)` with the discriminator frozen.
 * Tensors are built inside `tf.tidy`; the caller's batch is not disposed.
 */
export async function ranTrainStep(pair: RanPair, batch: tf.Tensor4D, settings: RanTrainingSettings): Promise<StepLosses> {
  const { reconstructor: R, discriminator: D } = pair;
  const fake = tf.tidy(() => R.apply(batch) as tf.Tensor4D);
  const dVars = variablesOf(D);
  const rVars = variablesOf(R);
  const dReal = pair.optimizerD.minimize(() => tf.tidy(() => {
    const out = D.apply(batch) as tf.Tensor;
    return mse(out, tf.onesLike(out));
  }), true, dVars)!;
  const dFake = pair.optimizerD.minimize(() => tf.tidy(() => {
    const out = D.apply(fake) as tf.Tensor;
    return mse(out, tf.zerosLike(out));
  }), true, dVars)!;
  const rMse = tf.tidy(() => mse(fake, batch));
  fake.dispose();
  const rLoss = pair.optimizerR.minimize(() => tf.tidy(() => {
    const rec = R.apply(batch) as tf.Tensor;
    const validity = D.apply(rec) as tf.Tensor;
    return tf.add(tf.mul(settings.reconstructionWeight, mse(rec, batch)), tf.mul(settings.adversarialWeight, mse(validity, tf.onesLike(validity)))) as tf.Scalar;
  }), true, rVars)!;
  const [a, b, c, d] = await Promise.all([dReal.data(), dFake.data(), rLoss.data(), rMse.data()]);
  tf.dispose([dReal, dFake, rLoss, rMse]);
  return { dLossReal: a[0]!, dLossFake: b[0]!, rLoss: c[0]!, rMse: d[0]! };
}

/**
 * Per-image MSE between images and their reconstructions, evaluated in batches of `batchSize`.
 * `images` is float32 NHWC in [-1, 1].
 */
export async function reconstructionErrors(model: tf.LayersModel, images: Float32Array, shape: readonly [number, number, number], batchSize = 64): Promise<Float32Array> {
  return applyInBatches(images, shape, batchSize, 1, (x) => tf.mean(tf.squaredDifference(model.apply(x) as tf.Tensor, x), [1, 2, 3]));
}
