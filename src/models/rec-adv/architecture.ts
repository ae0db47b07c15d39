import * as tf from '@tensorflow/tfjs';
import { InstanceNorm } from '../layers/instance-norm.js';

/** Sizes of the reconstructive adversarial network. */
export interface RanShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Reconstructor base filters (paper: 32). */
  readonly gf: number;
  /** Discriminator base filters (paper: 64). */
  readonly df: number;
}

const DOWN = [1, 2, 4, 4, 8];
const UP = [8, 8, 8, 4, 2];

/**
 * The reconstructor of the authors' `train.py`: 5 down blocks `Conv2D(k4, s2, same) -> LeakyReLU(0.2)
 * -> InstanceNorm` with gf x {1, 2, 4, 4, 8} filters, 5 up blocks `UpSampling2D(2, nearest) ->
 * Conv2D(k4, s1, same, ReLU) -> InstanceNorm` with gf x {8, 8, 8, 4, 2}, then `Conv2D(C, k4, s1,
 * same, tanh)`. No skip connections. gf = 32 on 32 x 32 x 3 gives 4,757,559 parameters.
 */
export function buildReconstructor(shape: RanShape, seed?: number): tf.LayersModel {
  const input = tf.input({ shape: [shape.height, shape.width, shape.channels], name: 'image' });
  let x: tf.SymbolicTensor = input;
  let s = seed ?? 0;
  const init = () => tf.initializers.glorotUniform(seed === undefined ? {} : { seed: s++ });
  DOWN.forEach((m, i) => {
    x = tf.layers.conv2d({ filters: shape.gf * m, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(), name: `down${i}_conv` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `down${i}_lrelu` }).apply(x) as tf.SymbolicTensor;
    x = new InstanceNorm({ name: `down${i}_norm` }).apply(x) as tf.SymbolicTensor;
  });
  UP.forEach((m, i) => {
    x = tf.layers.upSampling2d({ size: [2, 2], name: `up${i}_upsample` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: shape.gf * m, kernelSize: 4, strides: 1, padding: 'same', activation: 'relu', kernelInitializer: init(), name: `up${i}_conv` }).apply(x) as tf.SymbolicTensor;
    x = new InstanceNorm({ name: `up${i}_norm` }).apply(x) as tf.SymbolicTensor;
  });
  const output = tf.layers.conv2d({ filters: shape.channels, kernelSize: 4, strides: 1, padding: 'same', activation: 'tanh', kernelInitializer: init(), name: 'reconstruction' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'reconstructor' });
}

/**
 * The PatchGAN discriminator (training only): 4 blocks `Conv2D(k4, s2, same) -> LeakyReLU(0.2) ->
 * InstanceNorm` (no norm in the first) with df x {1, 2, 4, 8} filters, then `Conv2D(1, k4, s1,
 * same)`: a 2 x 2 x 1 output for 32 x 32 inputs.
 */
export function buildDiscriminator(shape: RanShape, seed?: number): tf.LayersModel {
  const input = tf.input({ shape: [shape.height, shape.width, shape.channels], name: 'image' });
  let x: tf.SymbolicTensor = input;
  let s = (seed ?? 0) + 1000;
  const init = () => tf.initializers.glorotUniform(seed === undefined ? {} : { seed: s++ });
  [1, 2, 4, 8].forEach((m, i) => {
    x = tf.layers.conv2d({ filters: shape.df * m, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(), name: `d${i}_conv` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `d${i}_lrelu` }).apply(x) as tf.SymbolicTensor;
    if (i > 0) x = new InstanceNorm({ name: `d${i}_norm` }).apply(x) as tf.SymbolicTensor;
  });
  const validity = tf.layers.conv2d({ filters: 1, kernelSize: 4, strides: 1, padding: 'same', kernelInitializer: init(), name: 'validity' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: validity, name: 'discriminator' });
}
