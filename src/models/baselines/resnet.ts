import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { BatchNorm } from './batch-norm.js';
import { checkDims, seededGlorot } from './vgg.js';

/** Options of {@link buildResnetClassifier}. */
export interface ResnetOptions {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Number of classes (one per user), at least 2. */
  readonly classes: number;
  /** Filters of each stage; every stage after the first starts with a stride-2 block. Default [32, 64, 128]. */
  readonly stages?: readonly number[];
  /** Residual basic blocks per stage. Default 2. */
  readonly blocksPerStage?: number;
  /** `batch` (default): {@link BatchNorm} after every convolution; `none`: plain convolutions with biases. */
  readonly normalization?: 'batch' | 'none';
  /** Momentum of the batch normalisation moving statistics. Default 0.9 (Keras: 0.99; PyTorch's 0.1 means the same as 0.9). */
  readonly batchNormMomentum?: number;
  /** Seeds the Glorot-uniform kernels (seed, seed + 1, ... per layer). */
  readonly seed?: number;
}

/**
 * A small ResNet image classifier for the centralised baseline (all users' images pooled, one
 * class per user), after He et al.'s CIFAR ResNets: a stem `Conv2D(3 x 3) -> BN -> ReLU` with
 * `stages[0]` filters, then per stage `blocksPerStage` basic blocks
 * `Conv2D(3 x 3, stride s) -> BN -> ReLU -> Conv2D(3 x 3) -> BN`, added to the shortcut (identity,
 * or `Conv2D(1 x 1, stride s) -> BN` when the shape changes), then ReLU; the first block of every
 * stage after the first has stride 2. Then global average pooling and `Dense(classes, softmax)`.
 *
 * Batch normalisation is the project's {@link BatchNorm} layer, not `tf.layers.batchNormalization`.
 * Both train on the wasm backend (every gradient kernel they need exists; the built-in layer's
 * gradients match the cpu backend's to 2e-7), and they compute the same thing, but the built-in
 * layer's `FusedBatchNorm` gradient tiles a per-channel vector to the full activation shape and
 * the wasm `Tile` kernel is slow. Train with `model.apply(x, { training: true })` so that batch
 * statistics are used; inference uses the moving statistics, whose momentum defaults to 0.9, not
 * Keras's 0.99, because the baseline often trains for only a few hundred steps;
 * `trainClassifier` re-estimates them before each validation. Convolutions followed by batch
 * normalisation have no bias. Kernels are Glorot-uniform (seeded per layer from `seed`, so one
 * seed gives identical weights). The defaults on 32 x 32 x 3 with 10 classes have 698,858
 * parameters, 2,240 of them moving statistics.
 */
export function buildResnetClassifier(opts: ResnetOptions): tf.LayersModel {
  const stages = opts.stages ?? [32, 64, 128];
  const perStage = opts.blocksPerStage ?? 2;
  const norm = (opts.normalization ?? 'batch') === 'batch';
  const momentum = opts.batchNormMomentum ?? 0.9;
  checkDims('buildResnetClassifier', opts);
  if (stages.length === 0 || stages.some((f) => !Number.isInteger(f) || f < 1)) throw new ShapeError('buildResnetClassifier', `stages must be positive integers, got [${stages.join(', ')}]`);
  if (!Number.isInteger(perStage) || perStage < 1) throw new ShapeError('buildResnetClassifier', `blocksPerStage must be a positive integer, got ${perStage}`);
  if (!(momentum > 0 && momentum < 1)) throw new ShapeError('buildResnetClassifier', `batchNormMomentum must be in (0, 1), got ${momentum}`);
  const init = seededGlorot(opts.seed);
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string): tf.SymbolicTensor => {
    const y = tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: !norm, kernelInitializer: init(), name: `${name}_conv` }).apply(x) as tf.SymbolicTensor;
    return norm ? (new BatchNorm({ momentum, epsilon: 1e-3, name: `${name}_bn` }).apply(y) as tf.SymbolicTensor) : y;
  };
  const input = tf.input({ shape: [opts.height, opts.width, opts.channels], name: 'image' });
  let x = relu(conv(input, stages[0]!, 3, 1, 'stem'), 'stem_relu');
  let filtersIn = stages[0]!;
  stages.forEach((filters, s) => {
    for (let b = 0; b < perStage; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      x = basicBlock(x, { filtersIn, filters, stride, name: `stage${s + 1}_block${b + 1}`, conv });
      filtersIn = filters;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: opts.classes, activation: 'softmax', kernelInitializer: init(), name: 'probabilities' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'resnet_classifier' });
}

function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
}

function basicBlock(
  x: tf.SymbolicTensor,
  b: { filtersIn: number; filters: number; stride: number; name: string; conv: (x: tf.SymbolicTensor, filters: number, k: number, s: number, name: string) => tf.SymbolicTensor },
): tf.SymbolicTensor {
  let y = relu(b.conv(x, b.filters, 3, b.stride, `${b.name}_1`), `${b.name}_relu1`);
  y = b.conv(y, b.filters, 3, 1, `${b.name}_2`);
  const shortcut = b.stride !== 1 || b.filtersIn !== b.filters ? b.conv(x, b.filters, 1, b.stride, `${b.name}_shortcut`) : x;
  const sum = tf.layers.add({ name: `${b.name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return relu(sum, `${b.name}_relu2`);
}
