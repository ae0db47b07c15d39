import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { yieldToEventLoop } from '../util/yield-to-event-loop.js';
import type { NamedVariable, StatefulOptimizer } from './optimizer.js';

/** Labelled images, float32 NHWC, that batches index into. */
export interface ImageSet {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly shape: readonly [number, number, number];
  readonly classes: number;
}

/** How much an owner trains per turn: whole passes over its data, or a number of mini-batches. */
export interface LocalTraining {
  readonly unit: 'epochs' | 'batches';
  readonly amount: number;
}

/**
 * A participant's stream of mini-batches over its own images: each pass visits every image once
 * in an order shuffled by `rng` (one permutation per pass, drawn when the pass starts), cut into
 * batches of `batchSize` with a smaller last batch; a batch never spans two passes. `take(k)`
 * continues where the previous call stopped, so `batches` turns walk through the data across rounds.
 */
export class BatchCursor {
  private order: readonly number[] = [];
  private pos = 0;

  constructor(
    private readonly indices: readonly number[],
    private readonly batchSize: number,
    private readonly rng: Rng,
  ) {
    if (indices.length === 0) throw new ShapeError('BatchCursor', 'a participant has no training image');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }

  /** Mini-batches per pass over the data. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.indices.length / this.batchSize);
  }

  /** Mini-batches in one turn of `local` training. */
  turnBatches(local: LocalTraining): number {
    return local.unit === 'epochs' ? local.amount * this.batchesPerEpoch : local.amount;
  }

  /** The next `count` mini-batches (image indices). */
  take(count: number): number[][] {
    const out: number[][] = [];
    for (let k = 0; k < count; k++) {
      if (this.pos >= this.order.length) {
        this.order = this.rng.permutation(this.indices.length).map((i) => this.indices[i]!);
        this.pos = 0;
      }
      out.push(this.order.slice(this.pos, this.pos + this.batchSize));
      this.pos += this.batchSize;
    }
    return out;
  }
}

function crossEntropy(probs: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, 1e-7, 1))), 1))) as tf.Scalar;
}

/** Outcome of {@link trainOnBatches}. */
export interface TrainedBatches {
  readonly steps: number;
  /** Mean cross-entropy over the images of the batches (training mode, before each step). */
  readonly loss: number;
  readonly seconds: number;
}

/**
 * One optimizer step per batch, in order, on the categorical cross-entropy of the model's softmax
 * output (`-mean(log(clip(p[label], 1e-7, 1)))`, as the centralised baselines), in training mode.
 * Each step builds its tensors inside `tf.tidy`; no tensor outlives the call.
 */
export async function trainOnBatches(model: tf.LayersModel, optimizer: StatefulOptimizer, variables: readonly NamedVariable[], data: ImageSet, batches: readonly (readonly number[])[]): Promise<TrainedBatches> {
  const started = performance.now();
  const [h, w, c] = data.shape;
  const size = h * w * c;
  const largest = Math.max(0, ...batches.map((b) => b.length));
  const x = new Float32Array(largest * size);
  const y = new Int32Array(largest);
  const varList = variables.map((v) => v.variable);
  let lossSum = 0;
  let count = 0;
  for (const batch of batches) {
    batch.forEach((i, k) => {
      x.set(data.images.subarray(i * size, (i + 1) * size), k * size);
      y[k] = data.labels[i]!;
    });
    const xs = tf.tensor4d(x.subarray(0, batch.length * size), [batch.length, h, w, c]);
    const ys = tf.tensor1d(y.subarray(0, batch.length), 'int32');
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(xs, { training: true }) as tf.Tensor2D, tf.oneHot(ys, data.classes) as tf.Tensor2D), varList);
    optimizer.apply(grads);
    lossSum += (await value.data())[0]! * batch.length;
    count += batch.length;
    tf.dispose([xs, ys, value, ...Object.values(grads)]);
    await yieldToEventLoop();
  }
  return { steps: batches.length, loss: count === 0 ? Number.NaN : lossSum / count, seconds: (performance.now() - started) / 1000 };
}
