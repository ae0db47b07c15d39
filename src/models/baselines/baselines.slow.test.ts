import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareDataset, type PreparedDataset } from '../../datasets/prepare.js';
import { toFloatImages } from '../../datasets/tensors.js';
import { ShapeError } from '../../errors.js';
import { datasetConfig } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { initTensorflow } from '../runtime.js';
import { BatchNorm } from './batch-norm.js';
import { buildResnetClassifier } from './resnet.js';
import { accuracy, predictClasses, predictProbabilities, trainClassifier, type EpochStats } from './train-classifier.js';
import { buildVggClassifier } from './vgg.js';

const SHAPE = [28, 28, 1] as const;
const dims = { height: 28, width: 28, channels: 1, classes: 3 };
const smallVgg = (seed: number) => buildVggClassifier({ ...dims, blocks: [8, 16], dense: 32, seed });
const smallResnet = (seed: number) => buildResnetClassifier({ ...dims, stages: [8, 16], blocksPerStage: 1, seed });

const paramCount = (model: tf.LayersModel, trainable: boolean) =>
  (trainable ? model.trainableWeights : model.weights).reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
const weightsOf = (model: tf.LayersModel) => model.getWeights().map((t) => Array.from(t.dataSync()));

/** The pooled images of one split, labelled by user index. */
function pooled(data: PreparedDataset, split: 'train' | 'validation' | 'test'): { images: Float32Array; labels: Int32Array } {
  const indices = data.partition.users.flatMap((u) => u[split]);
  const labels = Int32Array.from(data.partition.users.flatMap((u, k) => u[split].map(() => k)));
  return { images: toFloatImages(data.images, indices).data, labels };
}

describe('baseline classifier builders', () => {
  it('builds the VGG classifier with the documented layers and parameter counts', () => {
    const model = smallVgg(1);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    expect(model.layers.map((l) => l.name)).toEqual(['image', 'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2', 'block2_pool', 'flatten', 'fc', 'dropout', 'probabilities']);
    // convs 80 + 584 + 1,168 + 2,320; fc 7*7*16*32 + 32; softmax 32*3 + 3
    expect(paramCount(model, true)).toBe(29_371);
    model.dispose();
    const big = buildVggClassifier({ height: 32, width: 32, channels: 3, classes: 10 });
    expect(big.outputs[0]!.shape).toEqual([null, 10]);
    expect(paramCount(big, true)).toBe(814_122);
    big.dispose();
  });

  it('builds the ResNet classifier with BN, projection shortcuts only where the shape changes, and the documented counts', () => {
    const model = smallResnet(1);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    const names = model.layers.map((l) => l.name);
    expect(names.filter((n) => n.endsWith('_shortcut_conv'))).toEqual(['stage2_block1_shortcut_conv']);
    expect(model.layers.filter((l) => l instanceof BatchNorm).map((l) => l.name)).toEqual(names.filter((n) => n.endsWith('_bn')));
    expect(names.filter((n) => n.endsWith('_bn'))).toHaveLength(6);
    expect(model.getLayer('stage2_block1_add').outputShape).toEqual([null, 14, 14, 16]);
    expect(paramCount(model, true)).toBe(5_003);
    expect(paramCount(model, false)).toBe(5_147);
    model.dispose();
    const big = buildResnetClassifier({ height: 32, width: 32, channels: 3, classes: 10 });
    expect(big.outputs[0]!.shape).toEqual([null, 10]);
    expect(big.getLayer('stage3_block2_relu2').outputShape).toEqual([null, 8, 8, 128]);
    expect(paramCount(big, false)).toBe(698_858);
    expect(paramCount(big, false) - paramCount(big, true)).toBe(2_240);
    big.dispose();
    const plain = buildResnetClassifier({ ...dims, stages: [8], blocksPerStage: 1, normalization: 'none', seed: 1 });
    expect(plain.layers.some((l) => l instanceof BatchNorm)).toBe(false);
    plain.dispose();
  });

  it('gives identical initial weights for the same seed and different ones for another', () => {
    for (const build of [smallVgg, smallResnet]) {
      const [a, b, c] = [build(7), build(7), build(8)];
      expect(weightsOf(a)).toEqual(weightsOf(b));
      expect(weightsOf(a)).not.toEqual(weightsOf(c));
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('rejects impossible options with a ShapeError', () => {
    expect(() => buildVggClassifier({ ...dims, blocks: [8, 8, 8, 8, 8] })).toThrow(ShapeError);
    expect(() => buildVggClassifier({ ...dims, classes: 1 })).toThrow(ShapeError);
    expect(() => buildResnetClassifier({ ...dims, stages: [] })).toThrow(ShapeError);
  });
});

describe('baseline classifier training on MNIST digits 0-2 (wasm backend)', () => {
  let data: PreparedDataset;
  let train: { images: Float32Array; labels: Int32Array };
  let validation: { images: Float32Array; labels: Int32Array };
  let test: { images: Float32Array; labels: Int32Array };

  beforeAll(async () => {
    expect((await initTensorflow('wasm')).name).toBe('wasm');
    data = await prepareDataset(
      datasetConfig({ source: { type: 'mnist' }, image: { width: 28, height: 28, channels: 1 }, users: { classes: ['0', '1', '2'], maxImagesPerUser: 120 } }),
      Rng.fromSeed(1).child('data'),
    );
    [train, validation, test] = (['train', 'validation', 'test'] as const).map((s) => pooled(data, s)) as [typeof train, typeof train, typeof train];
  });

  it.each([
    ['VGG (seeded dropout)', smallVgg],
    ['ResNet (batch norm and its recalibration)', smallResnet],
  ] as const)('%s: leaks no tensor across epochs and repeats a run exactly for the same seeds', async (_, build) => {
    const runs: { curve: readonly EpochStats[]; weights: number[][] }[] = [];
    for (let r = 0; r < 2; r++) {
      const model = build(3);
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const sub = { images: train.images.subarray(0, 64 * 784), labels: train.labels.subarray(0, 64), shape: SHAPE, classes: 3 };
      const result = await trainClassifier(model, sub, { epochs: 3, batchSize: 16, learningRate: 1e-3, rng: Rng.fromSeed(4), validation, onEpoch: () => counts.push(tf.memory().numTensors) });
      expect(counts).toEqual([counts[0], counts[0], counts[0]]);
      expect(tf.memory().numTensors).toBe(before);
      runs.push({ curve: result.curve, weights: weightsOf(model) });
      model.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it.each([
    ['VGG', () => smallVgg(11), 1e-3],
    ['ResNet', () => smallResnet(11), 3e-3],
  ] as const)('trains the %s classifier to well above chance on held-out digits', async (name, build, learningRate) => {
    const model = build();
    const result = await trainClassifier(model, { ...train, shape: SHAPE, classes: 3 }, { epochs: 6, batchSize: 16, learningRate, rng: Rng.fromSeed(2).child(name), validation });
    const predicted = await predictClasses(model, test.images, SHAPE, 32);
    const testAccuracy = accuracy(predicted, test.labels);
    const probs = await predictProbabilities(model, test.images, SHAPE);
    expect(probs).toHaveLength(test.labels.length * 3);
    expect(probs[0]! + probs[1]! + probs[2]!).toBeCloseTo(1, 5);
    const last = result.curve.at(-1)!;
    console.log(`${name}: ${train.labels.length} train / ${validation.labels.length} val / ${test.labels.length} test; loss ${result.curve[0]!.loss.toFixed(3)} -> ${last.loss.toFixed(3)}, best val ${result.bestValAccuracy} (epoch ${result.bestEpoch}), test ${testAccuracy.toFixed(3)}, ${result.seconds.toFixed(1)} s`);
    expect(result.curve).toHaveLength(6);
    expect(last.loss).toBeLessThan(result.curve[0]!.loss);
    expect(testAccuracy).toBeGreaterThan(0.8); // chance: 1/3
    model.dispose();
  });
});
