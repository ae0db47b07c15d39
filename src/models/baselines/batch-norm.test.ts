import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorflow } from '../runtime.js';
import { BatchNorm } from './batch-norm.js';

const WEIGHTS = () => [tf.tensor1d([1.5, 0.5, 2]), tf.tensor1d([0.1, -0.2, 0.3]), tf.tensor1d([0.5, 0.6, 0.7]), tf.tensor1d([2, 3, 4])];

function single(layer: tf.layers.Layer): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 3] });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  model.setWeights(WEIGHTS());
  return model;
}

const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-5) => expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(tol);

describe('BatchNorm (wasm backend)', () => {
  beforeAll(async () => {
    expect((await initTensorflow('wasm')).name).toBe('wasm');
  });

  it('matches tf.layers.batchNormalization in training (outputs, all gradients, moving statistics) and at inference', () => {
    const x = tf.randomNormal([4, 5, 5, 3], 1, 2, 'float32', 3);
    const r = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 4);
    const results = [new BatchNorm({ momentum: 0.9 }), tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 })].map((layer) => {
      const model = single(layer);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const f = (input: tf.Tensor) => tf.sum(tf.mul(model.apply(input, { training: true }) as tf.Tensor, r)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(() => f(x), vars);
      const dx = tf.grad(f)(x); // a second training call: the moving statistics move twice
      return { value, dGamma: grads[vars[0]!.name]!, dBeta: grads[vars[1]!.name]!, dx, moving: model.getWeights().slice(2), inference: model.apply(x) as tf.Tensor };
    });
    const [ours, theirs] = results as [(typeof results)[0], (typeof results)[0]];
    close(ours.value, theirs.value, 1e-3);
    close(ours.dGamma, theirs.dGamma);
    close(ours.dBeta, theirs.dBeta);
    close(ours.dx, theirs.dx);
    close(ours.moving[0]!, theirs.moving[0]!);
    close(ours.moving[1]!, theirs.moving[1]!);
    close(ours.inference, theirs.inference);
  });

  it('recalibration sets the moving statistics to the mean of the batch statistics and normalises with batch statistics', () => {
    const layer = new BatchNorm({ momentum: 0.9 });
    const model = single(layer);
    const batches = [tf.randomNormal([3, 5, 5, 3], 2, 1, 'float32', 5), tf.randomNormal([3, 5, 5, 3], -1, 3, 'float32', 6)];
    layer.beginRecalibration();
    const outputs = batches.map((b) => model.apply(b, { training: false }) as tf.Tensor);
    layer.endRecalibration();
    const stats = batches.map((b) => tf.moments(b, [0, 1, 2]));
    const [movingMean, movingVariance] = model.getWeights().slice(2) as [tf.Tensor, tf.Tensor];
    close(movingMean, tf.div(tf.add(stats[0]!.mean, stats[1]!.mean), 2));
    close(movingVariance, tf.div(tf.add(stats[0]!.variance, stats[1]!.variance), 2), 1e-4);
    // Batch-normalised outputs: per channel mean beta and std |gamma| (up to epsilon).
    const { mean, variance } = tf.moments(outputs[1]!, [0, 1, 2]);
    close(mean, tf.tensor1d([0.1, -0.2, 0.3]), 1e-4);
    close(tf.sqrt(variance), tf.tensor1d([1.5, 0.5, 2]), 1e-3);
    // Afterwards, inference uses the (recalibrated) moving statistics again.
    const inference = model.apply(batches[1]!) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(inference, outputs[1]!))).dataSync()[0]).toBeGreaterThan(0.1);
  });
});
