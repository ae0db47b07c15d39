import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng.js';
import { initTensorflow } from '../runtime.js';
import { buildResnetClassifier } from './resnet.js';
import { predictClasses, trainClassifier } from './train-classifier.js';
import { buildVggClassifier } from './vgg.js';

const shape = [16, 16, 1] as const;
const rng = Rng.fromSeed(3);
const images = (n: number): Float32Array => Float32Array.from({ length: n * 256 }, () => rng.nextFloat() * 2 - 1);
const labels = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i % 3);
const data = { images: images(24), labels: labels(24), shape, classes: 3 };
const validation = { images: images(9), labels: labels(9) };
const weightsOf = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

const models = {
  vgg: () => buildVggClassifier({ height: 16, width: 16, channels: 1, classes: 3, blocks: [4], dense: 8, seed: 5 }),
  resnet: () => buildResnetClassifier({ height: 16, width: 16, channels: 1, classes: 3, stages: [4], blocksPerStage: 1, seed: 5 }),
};

describe('trainClassifier onEpochModel', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  for (const [kind, build] of Object.entries(models)) {
    it(`${kind}: training is unchanged by the hook, and epoch e's model is what a run of e epochs returns`, async () => {
      const options = { epochs: 3, batchSize: 8, learningRate: 1e-2 };
      const seen: { epoch: number; selectedEpoch: number; predicted: number[]; seconds: number }[] = [];
      const hooked = build();
      const result = await trainClassifier(hooked, data, { ...options, rng: Rng.fromSeed(9), validation, onEpochModel: async (e, m) => {
        seen.push({ epoch: e.epoch, selectedEpoch: e.selectedEpoch, predicted: Array.from(await predictClasses(m, validation.images, shape)), seconds: e.seconds });
      } });
      const plain = build();
      const plainResult = await trainClassifier(plain, data, { ...options, rng: Rng.fromSeed(9), validation });
      expect(weightsOf(hooked)).toEqual(weightsOf(plain));
      expect(result.bestEpoch).toBe(plainResult.bestEpoch);
      expect(seen.map((s) => s.epoch)).toEqual([1, 2, 3]);
      // At least one epoch is scored with an earlier epoch's weights (the swap-and-restore path).
      expect(seen.some((s) => s.selectedEpoch < s.epoch)).toBe(true);
      for (const s of seen) {
        const truncated = build();
        const t = await trainClassifier(truncated, data, { ...options, epochs: s.epoch, rng: Rng.fromSeed(9), validation });
        expect(s.selectedEpoch).toBe(t.bestEpoch);
        expect(s.predicted).toEqual(Array.from(await predictClasses(truncated, validation.images, shape)));
        truncated.dispose();
      }
      hooked.dispose();
      plain.dispose();
    });
  }
});
