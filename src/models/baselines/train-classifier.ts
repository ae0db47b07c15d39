import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { Rng } from '../../util/rng.js';
import { yieldToEventLoop } from '../../util/yield-to-event-loop.js';
import { BatchNorm } from './batch-norm.js';

/** Pooled labelled images: float32 NHWC in [-1, 1] and one class index per image. */
export interface ClassifierData {
  readonly images: Float32Array;
  /** Class index of each image, in 0..classes-1. */
  readonly labels: Int32Array;
  /** [height, width, channels] of one image. */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
}

/** One row of the training curve. */
export interface EpochStats {
  /** 1-based. */
  readonly epoch: number;
  /** Mean cross-entropy over the epoch's mini-batches (weighted by batch size). */
  readonly loss: number;
  /** Accuracy of the training-mode predictions made during the epoch's steps. */
  readonly accuracy: number;
  /** Accuracy on the validation set after the epoch (inference mode), or null without one. */
  readonly valAccuracy: number | null;
}

/** Options of {@link trainClassifier}. */
export interface ClassifierTrainingOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam step size (beta1 0.9, beta2 0.999). */
  readonly learningRate: number;
  /** The batch order of every epoch comes from its child stream `batches`. */
  readonly rng: Rng;
  /** When given (and not empty), the weights of the epoch with the best validation accuracy (the earliest on ties) are kept. */
  readonly validation?: { readonly images: Float32Array; readonly labels: Int32Array };
  readonly onEpoch?: (e: EpochStats) => void;
  /**
   * After every epoch, with `model` temporarily holding the weights a run of that many epochs
   * would return (the best validation epoch so far; the current weights without validation).
   * Its time is not counted in `seconds`, here or in the result; training continues unchanged.
   */
  readonly onEpochModel?: (e: EpochStats & { readonly selectedEpoch: number; readonly selectedValAccuracy: number | null; readonly seconds: number }, model: tf.LayersModel) => Promise<void>;
}

/** The outcome of {@link trainClassifier}; the model itself is trained in place. */
export interface TrainedClassifier {
  readonly curve: readonly EpochStats[];
  /** The epoch whose weights the model holds: the best validation epoch, or the last without validation. */
  readonly bestEpoch: number;
  readonly bestValAccuracy: number | null;
  readonly seconds: number;
}

/**
 * Trains a softmax classifier (output `[batch, classes]` probabilities) with Adam on the
 * categorical cross-entropy `-mean(log(clip(p[label], 1e-7, 1)))`, as Keras does for
 * probability outputs. Each epoch visits every image once, in `ceil(n / batchSize)` mini-batches
 * of near-equal size (no tiny last batch) in an order shuffled by `rng`. The model is called with
 * `training: true`, so dropout is active and batch normalisation uses batch statistics.
 *
 * If the model has {@link BatchNorm} layers, their moving statistics are re-estimated with the
 * current weights over the epoch's training batches before every validation (and after the last
 * epoch), since the moving averages lag behind fast-changing weights (see
 * {@link BatchNorm.beginRecalibration}); this costs one forward pass over the training set.
 * Each step builds its tensors inside `tf.tidy` and reads its loss afterwards; the loop leaks no
 * tensor. On return the model holds the best validation epoch's weights (the last without
 * validation).
 */
export async function trainClassifier(model: tf.LayersModel, data: ClassifierData, opts: ClassifierTrainingOptions): Promise<TrainedClassifier> {
  let started = performance.now();
  const n = checkLabelled('trainClassifier', data.images, data.labels, data.shape, data.classes);
  if (n === 0) throw new ShapeError('trainClassifier', 'no training image');
  if (opts.validation) checkLabelled('trainClassifier validation', opts.validation.images, opts.validation.labels, data.shape, data.classes);
  const validation = opts.validation && opts.validation.labels.length > 0 ? opts.validation : undefined;
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`trainClassifier: epochs must be a positive integer, got ${opts.epochs}`);
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`trainClassifier: batchSize must be a positive integer, got ${opts.batchSize}`);
  const shuffles = opts.rng.child('batches');
  const steps = Math.ceil(n / opts.batchSize);
  const batchAt = batchMaker(data, opts.batchSize);
  const norms = model.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
  const optimizer = tf.train.adam(opts.learningRate);
  const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const curve: EpochStats[] = [];
  let best: tf.Tensor[] | undefined;
  let bestEpoch = opts.epochs;
  let bestValAccuracy: number | null = null;
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const order = shuffles.permutation(n);
      let lossSum = 0;
      let correctSum = 0;
      for (let b = 0; b < steps; b++) {
        const { xs, ys } = batchAt(order, b, steps);
        let correct: tf.Scalar | undefined;
        const loss = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const probs = model.apply(xs, { training: true }) as tf.Tensor2D;
              correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, 1), ys), 'float32')) as tf.Scalar);
              return crossEntropy(probs, tf.oneHot(ys, data.classes) as tf.Tensor2D);
            }),
          true,
          variables,
        )!;
        const [l, a] = await Promise.all([loss.data(), correct!.data()]);
        lossSum += l[0]! * xs.shape[0];
        correctSum += a[0]!;
        tf.dispose([xs, ys, loss, correct!]);
        // Between batches, so that a SIGINT/SIGTERM during a long epoch is handled now.
        await yieldToEventLoop();
      }
      if (norms.length > 0 && (validation || epoch === opts.epochs)) {
        norms.forEach((layer) => layer.beginRecalibration());
        try {
          for (let b = 0; b < steps; b++) {
            const { xs, ys } = batchAt(order, b, steps);
            tf.tidy(() => void model.apply(xs, { training: false }));
            tf.dispose([xs, ys]);
            await yieldToEventLoop();
          }
        } finally {
          norms.forEach((layer) => layer.endRecalibration());
        }
      }
      let valAccuracy: number | null = null;
      if (validation) {
        const predicted = await predictClasses(model, validation.images, data.shape);
        valAccuracy = accuracy(predicted, validation.labels);
        if (bestValAccuracy === null || valAccuracy > bestValAccuracy) {
          bestValAccuracy = valAccuracy;
          bestEpoch = epoch;
          if (best) tf.dispose(best);
          best = model.getWeights().map((t) => t.clone());
        }
      }
      const stats: EpochStats = { epoch, loss: lossSum / n, accuracy: correctSum / n, valAccuracy };
      curve.push(stats);
      opts.onEpoch?.(stats);
      if (opts.onEpochModel) {
        const handOver = performance.now();
        const selectedEpoch = best ? bestEpoch : epoch;
        const current = best && bestEpoch !== epoch ? model.getWeights().map((t) => t.clone()) : undefined;
        try {
          if (current) model.setWeights(best!);
          await opts.onEpochModel({ ...stats, selectedEpoch, selectedValAccuracy: bestValAccuracy, seconds: (handOver - started) / 1000 }, model);
        } finally {
          if (current) {
            model.setWeights(current);
            tf.dispose(current);
          }
        }
        started += performance.now() - handOver;
      }
    }
    if (best) model.setWeights(best);
    return { curve, bestEpoch, bestValAccuracy, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (best) tf.dispose(best);
    optimizer.dispose();
  }
}

/** Class probabilities `[n * classes]` (row-major) in inference mode, evaluated in batches. */
export async function predictProbabilities(model: tf.LayersModel, images: Float32Array, shape: readonly [number, number, number], batchSize = 64): Promise<Float32Array> {
  const classes = model.outputs[0]!.shape[1];
  if (typeof classes !== 'number') throw new ShapeError('predictProbabilities', `model output must be [batch, classes], got [${model.outputs[0]!.shape.join(', ')}]`);
  const n = imageCount('predictProbabilities', images, shape);
  const out = new Float32Array(n * classes);
  await batched(model, images, shape, batchSize, (probs) => probs, (values, start) => out.set(values as Float32Array, start * classes));
  return out;
}

/** The most probable class of each image (inference mode), evaluated in batches. */
export async function predictClasses(model: tf.LayersModel, images: Float32Array, shape: readonly [number, number, number], batchSize = 64): Promise<Int32Array> {
  const out = new Int32Array(imageCount('predictClasses', images, shape));
  await batched(model, images, shape, batchSize, (probs) => tf.argMax(probs, 1), (values, start) => out.set(values as Int32Array, start));
  return out;
}

/** Fraction of `predicted` equal to `labels`. */
export function accuracy(predicted: Int32Array, labels: Int32Array): number {
  if (predicted.length !== labels.length) throw new ShapeError('accuracy', `${predicted.length} predictions for ${labels.length} labels`);
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p === labels[i]) correct++;
  });
  return predicted.length === 0 ? Number.NaN : correct / predicted.length;
}

/** Batch b of `steps` near-equal batches of the images in `order`, as new tensors. */
function batchMaker(data: ClassifierData, batchSize: number): (order: readonly number[], b: number, steps: number) => { xs: tf.Tensor4D; ys: tf.Tensor1D } {
  const [h, w, c] = data.shape;
  const size = h * w * c;
  const n = data.labels.length;
  const batchX = new Float32Array(Math.min(batchSize, n) * size);
  const batchY = new Int32Array(Math.min(batchSize, n));
  return (order, b, steps) => {
    const start = Math.floor((n * b) / steps);
    const count = Math.floor((n * (b + 1)) / steps) - start;
    for (let k = 0; k < count; k++) {
      const i = order[start + k]!;
      batchX.set(data.images.subarray(i * size, (i + 1) * size), k * size);
      batchY[k] = data.labels[i]!;
    }
    return { xs: tf.tensor4d(batchX.subarray(0, count * size), [count, h, w, c]), ys: tf.tensor1d(batchY.subarray(0, count), 'int32') };
  };
}

function crossEntropy(probs: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, 1e-7, 1))), 1))) as tf.Scalar;
}

async function batched(
  model: tf.LayersModel,
  images: Float32Array,
  shape: readonly [number, number, number],
  batchSize: number,
  head: (probs: tf.Tensor2D) => tf.Tensor,
  sink: (values: tf.TypedArray, start: number) => void,
): Promise<void> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const size = shape[0] * shape[1] * shape[2];
  const n = images.length / size;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const result = tf.tidy(() => head(model.apply(tf.tensor4d(images.subarray(start * size, (start + count) * size), [count, ...shape]), { training: false }) as tf.Tensor2D));
    const values = await result.data();
    result.dispose();
    sink(values, start);
    await yieldToEventLoop();
  }
}

function imageCount(what: string, images: Float32Array, shape: readonly [number, number, number]): number {
  const size = shape[0] * shape[1] * shape[2];
  if (size === 0 || images.length % size !== 0) throw new ShapeError(what, `${images.length} values are not a whole number of ${shape.join(' x ')} images`);
  return images.length / size;
}

function checkLabelled(what: string, images: Float32Array, labels: Int32Array, shape: readonly [number, number, number], classes: number): number {
  const n = imageCount(what, images, shape);
  if (labels.length !== n) throw new ShapeError(what, `${labels.length} labels for ${n} images`);
  const bad = labels.findIndex((l) => l < 0 || l >= classes);
  if (bad >= 0) throw new ShapeError(what, `label ${labels[bad]} of image ${bad} outside 0..${classes - 1}`);
  return n;
}
