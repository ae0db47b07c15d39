import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experiments } from '../../../experiments/index.js';
import { parseConfigText } from '../../config/load.js';
import { prepareDataset } from '../../datasets/prepare.js';
import { silentReporter } from '../../progress/reporter.js';
import { tempDir } from '../../testing/fixtures.js';
import { writeTrainingOutputs } from '../../runner/training-outputs.js';
import { Rng } from '../../util/rng.js';
import { userModelDir } from './artifacts.js';
import { trainUsers } from './train-users.js';

/** Digit 0 keeps 2 images (1 test, 1 training, no validation); digit 1 keeps 12. */
const yaml = (setting: string): string => `
seed: 5
backend: wasm
dataset:
  source: { type: mnist }
  image: { width: 32, height: 32, channels: 3 }
  users: { classes: ['0', '1'], maxImagesPerUser: 12 }
  split: { testFraction: 0.2, validationFraction: 0.2 }
  cache: { enabled: false }
training: { gf: 2, df: 2, iterations: 2, batchSize: 4, validateEvery: 1, checkpointBelow: null, workers: 1, sampleImages: 1${setting} }
experiments: [dataset-summary]
`;

async function setup(setting: string) {
  const { config } = parseConfigText(yaml(setting), 'c.yaml', { experiments });
  const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'));
  // Cut digit 0 down to two images, as a class with 2 images would be.
  const zero = data.partition.users.find((u) => u.user === '0')!;
  const cut = { ...zero, train: zero.train.slice(0, 1), validation: [], test: zero.test.slice(0, 1) };
  return { config, data: { ...data, partition: { ...data.partition, users: data.partition.users.map((u) => (u.user === '0' ? cut : u)) } } };
}

describe('a user without validation images', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('is refused by default, naming the class and the setting to change, before anything is trained', async () => {
    const { config, data } = await setup('');
    await expect(trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: tmp.dir })).rejects.toThrow(
      'training.withoutValidation: class "0" has no validation image (1 training, 1 test image(s)): its checkpoint would be chosen on its training images. Give it more images, raise dataset.users.minImagesPerUser to drop it, or set training.withoutValidation: useTraining',
    );
  });

  it('with withoutValidation: useTraining, trains and says the checkpoint was chosen on the training images (console, done.json)', async () => {
    const { config, data } = await setup(', withoutValidation: useTraining');
    const lines: string[] = [];
    const outcome = await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: tmp.dir, reporter: { ...silentReporter, info: (m: string) => void lines.push(m) } });
    const done = async (user: string) => JSON.parse(await readFile(join(userModelDir(outcome.modelsDir, user), 'done.json'), 'utf8'));
    expect((await done('0')).checkpointOn).toBe('training');
    expect((await done('1')).checkpointOn).toBe('validation');
    expect(lines.find((l) => l.startsWith('  user 0:'))).toMatch(/best training MSE \(no validation image: checkpoint chosen on the training images\) [\d.]+ at iteration \d/);
    expect(lines.find((l) => l.startsWith('  user 1:'))).toMatch(/best validation MSE [\d.]+ at iteration \d/);
  });
});
