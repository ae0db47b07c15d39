import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experiments } from '../../../experiments/index.js';
import { parseConfigText } from '../../config/load.js';
import { prepareDataset } from '../../datasets/prepare.js';
import { tempDir } from '../../testing/fixtures.js';
import { writeTrainingOutputs } from '../../runner/training-outputs.js';
import { Rng } from '../../util/rng.js';
import { trainKernelLabel } from '../train-kernel/native-addon.js';
import { userModelDir } from './artifacts.js';
import { loadUserModels, trainUsers } from './train-users.js';

const yaml = (workers: number): string => `
seed: 3
backend: wasm
dataset:
  source: { type: mnist }
  image: { width: 32, height: 32, channels: 3 }
  users: { classes: ['0', '1', '7'], maxImagesPerUser: 30 }
  cache: { enabled: false }
training: { gf: 4, df: 4, iterations: 6, batchSize: 4, validateEvery: 3, checkpointBelow: null, workers: ${workers}, sampleImages: 3 }
experiments: [dataset-summary]
`;

describe('training every user', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('trains in two worker threads, writes each user folder, and resumes by skipping finished users', async () => {
    const { config } = parseConfigText(yaml(2), 'w.yaml', { experiments });
    const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'));
    const out = join(tmp.dir, 'workers');
    const first = await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: out });
    expect(first.workers).toBe(2);
    expect(first.trained.map((s) => s.user).sort()).toEqual(['0', '1', '7']);
    for (const user of ['0', '1', '7']) {
      const dir = userModelDir(first.modelsDir, user);
      for (const f of ['model.json', 'weights.bin', 'curves.csv', 'reconstructions.png', 'done.json']) expect(existsSync(join(dir, f)), `${user}/${f}`).toBe(true);
      const curve = (await readFile(join(dir, 'curves.csv'), 'utf8')).trim().split('\n');
      expect(curve[0]).toBe('iteration,dLossReal,dLossFake,rLoss,rMse,valMse');
      expect(curve).toHaveLength(7);
      const done = JSON.parse(await readFile(join(dir, 'done.json'), 'utf8')) as { backend: string; kernels: string };
      expect(done.backend).toBe('wasm');
      expect(done.kernels).toBe(trainKernelLabel());
    }
    const again = await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: out });
    expect(again.trained).toHaveLength(0);
    expect(again.skipped).toHaveLength(3);
    const models = await loadUserModels(first.modelsDir, ['0', '1', '7']);
    expect(models.size).toBe(3);
  });

  it('trains shards in this thread with the same weights as the worker run; evaluation names missing users', async () => {
    const { config } = parseConfigText(yaml(1), 'one.yaml', { experiments });
    const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'));
    const out = join(tmp.dir, 'shards');
    const s0 = await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: out, shard: { index: 0, count: 2 } });
    expect(s0.trained.map((s) => s.user)).toEqual(['0', '7']);
    expect(s0.otherShards).toEqual(['1']);
    await expect(loadUserModels(s0.modelsDir, ['0', '1', '7'])).rejects.toThrow(/no trained model for user\(s\) 1 .*--shard/);
    await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: out, shard: { index: 1, count: 2 } });
    // Same seed, same data, same backend: identical weights whether trained in a worker or not.
    const a = await readFile(join(userModelDir(s0.modelsDir, '7'), 'weights.bin'));
    const b = await readFile(join(userModelDir(join(tmp.dir, 'workers', 'models', s0.modelsDir.split('/').pop()!), '7'), 'weights.bin'));
    expect(a.equals(b)).toBe(true);
  });
});
