import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareDataset } from '../../datasets/prepare.js';
import { toFloatImages } from '../../datasets/tensors.js';
import { datasetConfig, sharedDatasets } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { loadModel, saveModel } from '../io.js';
import { initTensorflow } from '../runtime.js';
import { buildDiscriminator, buildReconstructor } from './architecture.js';
import { ranOptimizers, ranTrainStep, reconstructionErrors } from './train-step.js';
import { trainUser } from './train-user.js';

const settings = { learningRate: 2e-4, beta1: 0.5, reconstructionWeight: 0.999, adversarialWeight: 0.001 };
const small = { height: 32, width: 32, channels: 3, gf: 8, df: 8 };

describe('RAN training (wasm backend with our gradient kernels)', () => {
  beforeAll(async () => {
    expect((await initTensorflow('wasm')).name).toBe('wasm');
  });

  it('leaks no tensor across training steps', async () => {
    const pair = { reconstructor: buildReconstructor(small, 1), discriminator: buildDiscriminator(small, 1), ...ranOptimizers(settings) };
    const batch = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    await ranTrainStep(pair, batch, settings); // optimiser slots are created on the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await ranTrainStep(pair, batch, settings);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch]);
    pair.reconstructor.dispose();
    pair.discriminator.dispose();
  });

  it('trains two ORL users whose reconstructors each reconstruct their own test faces better; a saved model reloads identically', async () => {
    const data = await prepareDataset(
      datasetConfig({ source: { type: 'folder', root: join(sharedDatasets(), 'orl-faces') }, users: { classes: ['s1', 's2'] }, split: { testFraction: 0.3, validationFraction: 0.15 } }),
      Rng.fromSeed(5).child('data'),
    );
    const models: tf.LayersModel[] = [];
    for (const u of data.partition.users) {
      const trained = await trainUser(toFloatImages(data.images, u.train).data, toFloatImages(data.images, u.validation).data, { ...settings, learningRate: 1e-3, shape: small, iterations: 120, batchSize: 8, validateEvery: 20, checkpointBelow: null }, Rng.fromSeed(5).child(`train:${u.user}`));
      expect(trained.curve).toHaveLength(120);
      expect(trained.curve.at(-1)!.rMse).toBeLessThan(trained.curve[0]!.rMse);
      models.push(trained.reconstructor);
    }
    // Each user's test images: the own reconstructor's error is lower than the other user's.
    let correct = 0;
    let total = 0;
    for (const [k, u] of data.partition.users.entries()) {
      const x = toFloatImages(data.images, u.test).data;
      const own = await reconstructionErrors(models[k]!, x, [32, 32, 3]);
      const other = await reconstructionErrors(models[1 - k]!, x, [32, 32, 3]);
      own.forEach((e, i) => {
        total++;
        if (e < other[i]!) correct++;
      });
    }
    expect(correct / total).toBeGreaterThan(0.5);
    const dir = await mkdtemp(join(tmpdir(), 'privedge-model-'));
    try {
      await saveModel(models[0]!, dir);
      const loaded = await loadModel(dir);
      const x = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 9);
      const a = (models[0]!.predict(x) as tf.Tensor).dataSync();
      const b = (loaded.predict(x) as tf.Tensor).dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
