import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictProbabilities } from '../baselines/train-classifier.js';
import { initTensorflow } from '../runtime.js';
import { buildLenet, lenetWeights, toLenetInput } from './lenet.js';
import { floatForward, lenetPlan } from './network.js';
import { mnistBytes } from '../../testing/he-fixtures.js';

beforeAll(async () => {
  await initTensorflow('wasm');
});

describe('LeNet-5 on TF.js', () => {
  it('has the layers of the plan, and the JavaScript forward pass reproduces its probabilities', async () => {
    const plan = lenetPlan(28, 28, 1);
    const model = buildLenet(plan, 3);
    expect(model.layers.map((l) => l.name)).toEqual(['image', 'conv1', 'conv1_pool', 'conv1_relu', 'conv2', 'conv2_pool', 'conv2_relu', 'flatten', 'fc1', 'fc2', 'fc3']);
    // 156 + 2,416 + 48,120 + 10,164 + 850 parameters.
    expect(model.countParams()).toBe(61_706);
    // Non-zero biases, so that the test also checks where the bias goes.
    for (const spec of plan.layers) {
      const layer = model.getLayer(spec.name);
      const [kernel, bias] = layer.getWeights();
      const b = tf.tensor1d(Float32Array.from({ length: bias!.shape[0]! }, (_, i) => 0.02 * ((i % 5) - 2)));
      layer.setWeights([kernel!, b]);
      b.dispose();
    }
    const weights = lenetWeights(model, plan);
    expect(weights.layers.map((l) => l.kernel.length)).toEqual([150, 2400, 48000, 10080, 840]);
    const { pixels, count } = await mnistBytes(1);
    const probs = await predictProbabilities(model, toLenetInput(pixels), plan.input);
    for (let k = 0; k < count; k++) {
      const logits = floatForward(plan, weights, Float64Array.from(pixels.subarray(k * 784, (k + 1) * 784), (v) => v / 255)).logits;
      const max = Math.max(...logits);
      const exp = logits.map((v) => Math.exp(v - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      exp.forEach((e, j) => expect(probs[k * 10 + j]!).toBeCloseTo(e / sum, 5));
    }
    model.dispose();
  });
});
