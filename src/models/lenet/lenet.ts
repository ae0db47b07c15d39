import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { predictClasses, trainClassifier, type EpochStats, type TrainedClassifier } from '../baselines/train-classifier.js';
import { seededGlorot } from '../baselines/vgg.js';
import type { Rng } from '../../util/rng.js';
import { INPUT_SCALE, type ConvPoolSpec, type FloatWeights, type NetworkPlan } from './network.js';

/**
 * The TF.js LeNet-5 of a plan: conv -> average pool -> ReLU per conv-pool layer (see
 * `network.ts` for why the pooling precedes the activation), flatten, dense + ReLU, and a softmax
 * on the last layer's logits for training. Glorot-uniform kernels seeded from `seed`, zero biases.
 */
export function buildLenet(plan: NetworkPlan, seed: number): tf.LayersModel {
  const init = seededGlorot(seed);
  const input = tf.input({ shape: [...plan.input], name: 'image' });
  let x: tf.SymbolicTensor = input;
  plan.layers.forEach((spec, l) => {
    const last = l === plan.layers.length - 1;
    if (spec.kind === 'conv-pool') {
      x = tf.layers.conv2d({ filters: spec.outC, kernelSize: spec.kernel, padding: spec.padding, kernelInitializer: init(), name: spec.name }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `${spec.name}_pool` }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `${spec.name}_relu` }).apply(x) as tf.SymbolicTensor;
    } else {
      if (x.shape.length > 2) x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.dense({ units: spec.outputs, activation: last ? 'softmax' : 'relu', kernelInitializer: init(), name: spec.name }).apply(x) as tf.SymbolicTensor;
    }
  });
  return tf.model({ inputs: input, outputs: x, name: 'lenet5' });
}

/** Bytes (H x W x C per image) as float32 in [0, 1] (byte / 255), the LeNet input. */
export function toLenetInput(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (v) => v / INPUT_SCALE);
}

/** The float weights of a LeNet model, layer by layer in plan order. */
export function lenetWeights(model: tf.LayersModel, plan: NetworkPlan): FloatWeights {
  return {
    layers: plan.layers.map((spec) => {
      const [kernel, bias] = model.getLayer(spec.name).getWeights();
      if (!kernel || !bias) throw new ShapeError(spec.name, 'layer has no kernel and bias');
      const expected = spec.kind === 'dense' ? [spec.inputs, spec.outputs] : [spec.kernel, spec.kernel, (spec as ConvPoolSpec).inC, spec.outC];
      if (kernel.shape.join('x') !== expected.join('x')) throw new ShapeError(spec.name, `kernel shape [${kernel.shape.join(', ')}], expected [${expected.join(', ')}]`);
      return { kernel: kernel.dataSync() as Float32Array, bias: bias.dataSync() as Float32Array };
    }),
  };
}

/** Training data for {@link trainLenet}: bytes and class indices. */
export interface LenetData {
  readonly train: { readonly pixels: Uint8Array; readonly labels: Int32Array };
  readonly validation?: { readonly pixels: Uint8Array; readonly labels: Int32Array };
}

/** Training settings. */
export interface LenetTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly rng: Rng;
  readonly onEpoch?: (e: EpochStats) => void;
}

/**
 * Builds and trains LeNet-5 with Adam on the cross-entropy (the project's classifier trainer:
 * seeded batch order, best validation epoch kept). The caller disposes the model.
 */
export async function trainLenet(plan: NetworkPlan, classes: number, data: LenetData, opts: LenetTraining): Promise<{ model: tf.LayersModel; trained: TrainedClassifier }> {
  const model = buildLenet(plan, opts.seed);
  const validation = data.validation && data.validation.labels.length > 0 ? { images: toLenetInput(data.validation.pixels), labels: data.validation.labels } : undefined;
  const trained = await trainClassifier(model, { images: toLenetInput(data.train.pixels), labels: data.train.labels, shape: plan.input, classes }, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    learningRate: opts.learningRate,
    rng: opts.rng,
    ...(validation ? { validation } : {}),
    ...(opts.onEpoch ? { onEpoch: opts.onEpoch } : {}),
  });
  return { model, trained };
}

/** Float-model predictions on bytes. */
export async function lenetPredictions(model: tf.LayersModel, plan: NetworkPlan, pixels: Uint8Array): Promise<Int32Array> {
  return predictClasses(model, toLenetInput(pixels), plan.input);
}
