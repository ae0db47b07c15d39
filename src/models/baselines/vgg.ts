import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { SeededDropout } from './seeded-dropout.js';

/** Options of {@link buildVggClassifier}. */
export interface VggOptions {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Number of classes (one per user), at least 2. */
  readonly classes: number;
  /** Filters of each block; each block halves the spatial size. Default [32, 64, 128]. */
  readonly blocks?: readonly number[];
  /** 3 x 3 convolutions per block. Default 2. */
  readonly convsPerBlock?: number;
  /** Units of the hidden dense layer. Default 256. */
  readonly dense?: number;
  /** Dropout rate after the hidden dense layer (0 for none). Default 0.3. */
  readonly dropout?: number;
  /** Seeds the Glorot-uniform kernels (seed, seed + 1, ... per layer) and the dropout masks. */
  readonly seed?: number;
}

/**
 * A VGG-style image classifier for the centralised baseline (all users' images pooled, one class
 * per user): for each block, `convsPerBlock` x `Conv2D(3 x 3, same, ReLU)` then `MaxPool(2 x 2)`;
 * then `Flatten -> Dense(ReLU) -> Dropout -> Dense(classes, softmax)`. Input float32 NHWC in
 * [-1, 1]; output class probabilities `[batch, classes]`. Kernels are Glorot-uniform (seeded per
 * layer from `seed`, so one seed gives identical weights), biases zero. The defaults on
 * 32 x 32 x 3 with 10 classes have 814,122 parameters.
 */
export function buildVggClassifier(opts: VggOptions): tf.LayersModel {
  const blocks = opts.blocks ?? [32, 64, 128];
  const convs = opts.convsPerBlock ?? 2;
  const dense = opts.dense ?? 256;
  const dropout = opts.dropout ?? 0.3;
  checkDims('buildVggClassifier', opts);
  if (blocks.length === 0 || blocks.some((f) => !Number.isInteger(f) || f < 1)) throw new ShapeError('buildVggClassifier', `blocks must be positive integers, got [${blocks.join(', ')}]`);
  if (!Number.isInteger(convs) || convs < 1) throw new ShapeError('buildVggClassifier', `convsPerBlock must be a positive integer, got ${convs}`);
  if (!Number.isInteger(dense) || dense < 1) throw new ShapeError('buildVggClassifier', `dense must be a positive integer, got ${dense}`);
  const shrink = 2 ** blocks.length;
  if (opts.height < shrink || opts.width < shrink) {
    throw new ShapeError('buildVggClassifier', `${blocks.length} pooling blocks need images of at least ${shrink} x ${shrink}, got ${opts.height} x ${opts.width}`);
  }
  const init = seededGlorot(opts.seed);
  const input = tf.input({ shape: [opts.height, opts.width, opts.channels], name: 'image' });
  let x: tf.SymbolicTensor = input;
  blocks.forEach((filters, b) => {
    for (let c = 0; c < convs; c++) {
      x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(), name: `block${b + 1}_conv${c + 1}` }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: dense, activation: 'relu', kernelInitializer: init(), name: 'fc' }).apply(x) as tf.SymbolicTensor;
  if (dropout > 0) x = new SeededDropout({ rate: dropout, ...(opts.seed === undefined ? {} : { seed: opts.seed + 1_000_000 }), name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: opts.classes, activation: 'softmax', kernelInitializer: init(), name: 'probabilities' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'vgg_classifier' });
}

/** Glorot-uniform initialisers seeded `seed`, `seed + 1`, ... in call order (unseeded without a seed). */
export function seededGlorot(seed: number | undefined): () => ReturnType<typeof tf.initializers.glorotUniform> {
  let s = seed ?? 0;
  return () => tf.initializers.glorotUniform(seed === undefined ? {} : { seed: s++ });
}

/** Checks the image and class dimensions shared by the baseline builders. */
export function checkDims(what: string, opts: { height: number; width: number; channels: number; classes: number }): void {
  for (const key of ['height', 'width', 'channels'] as const) {
    if (!Number.isInteger(opts[key]) || opts[key] < 1) throw new ShapeError(what, `${key} must be a positive integer, got ${opts[key]}`);
  }
  if (!Number.isInteger(opts.classes) || opts.classes < 2) throw new ShapeError(what, `classes must be an integer of at least 2, got ${opts.classes}`);
}
