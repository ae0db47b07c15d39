import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { buildLenet } from '../models/lenet/lenet.js';
import { lenetPlan } from '../models/lenet/network.js';
import { buildVggClassifier } from '../models/baselines/vgg.js';
import type { NamedVariable } from './optimizer.js';
import type { NamedArray, OptimizerKind, StateLayout } from './serialise.js';

/**
 * The model every owner trains: LeNet-5 (the 2P-DNN network of `src/he`, for MNIST) or the
 * VGG-style CNN of the centralised baselines (letters, faces). Only models whose every weight is
 * trainable are supported, so the weights and the optimizer state are the whole training state
 * (the ResNet baseline's batch-norm moving statistics would have to travel too).
 */
export type CollabModelSpec =
  | { readonly kind: 'lenet5' }
  | { readonly kind: 'vgg'; readonly blocks: readonly number[]; readonly convsPerBlock: number; readonly dense: number; readonly dropout: number };

/** Builds the model with seeded Glorot-uniform kernels: one seed, identical weights. */
export function buildCollabModel(spec: CollabModelSpec, shape: readonly [number, number, number], classes: number, seed: number): tf.LayersModel {
  const [height, width, channels] = shape;
  const model =
    spec.kind === 'lenet5'
      ? buildLenet(lenetPlan(height, width, channels, classes), seed)
      : buildVggClassifier({ height, width, channels, classes, blocks: spec.blocks, convsPerBlock: spec.convsPerBlock, dense: spec.dense, dropout: spec.dropout, seed });
  if (model.trainableWeights.length !== model.weights.length) {
    model.dispose();
    throw new ShapeError(spec.kind, 'weight transmission supports models whose every weight is trainable');
  }
  return model;
}

/** The model's trainable variables under their layer-relative names (`conv1/kernel`), which travel in the payload. */
export function namedVariables(model: tf.LayersModel): NamedVariable[] {
  return model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
}

/** What a receiver of this model expects in a payload. */
export function stateLayout(model: tf.LayersModel, optimizer: OptimizerKind): StateLayout {
  return { weights: model.trainableWeights.map((w) => ({ name: w.originalName, shape: w.shape as number[] })), optimizer };
}

/** Copies of the model's weights, named. */
export function readWeights(model: tf.LayersModel): NamedArray[] {
  return model.trainableWeights.map((w) => ({ name: w.originalName, shape: w.shape as number[], values: (w.read().dataSync() as Float32Array).slice() }));
}

/** Loads named weights into the model (names and shapes must match, in order). */
export function writeWeights(model: tf.LayersModel, weights: readonly NamedArray[]): void {
  const vars = model.trainableWeights;
  if (weights.length !== vars.length) throw new ShapeError(model.name, `${weights.length} weight arrays for ${vars.length} weights`);
  vars.forEach((w, i) => {
    const a = weights[i]!;
    if (a.name !== w.originalName || a.shape.join('x') !== w.shape.join('x')) throw new ShapeError(model.name, `weight ${i} is ${w.originalName} [${w.shape.join(', ')}], got ${a.name} [${a.shape.join(', ')}]`);
  });
  const tensors = weights.map((a) => tf.tensor(a.values, [...a.shape], 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** Number of weights (parameters) of the model. */
export function parameterCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0);
}
