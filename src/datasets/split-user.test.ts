import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { datasetConfig, sharedDatasets, tempDir } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import { prepareDataset, splitIndices, type SplitName } from './prepare.js';

const rng = (seed = 3): Rng => Rng.fromSeed(seed).child('data');
const cedar = (): string => join(sharedDatasets(), 'cedar-and');

/** split name of every image index of a prepared dataset. */
function splitOf(data: Awaited<ReturnType<typeof prepareDataset>>): Map<number, SplitName> {
  const out = new Map<number, SplitName>();
  for (const s of ['train', 'validation', 'calibration', 'test', 'nonPrivate'] as const) for (const i of splitIndices(data.partition, s)) out.set(i, s);
  return out;
}

describe('grouped splits keep a group on one side (CEDAR documents a, b, c of each writer)', () => {
  const config = (seed: number) =>
    datasetConfig({
      source: { type: 'filename', root: join(cedar(), 'TrainingSet'), pattern: '^(?<label>\\d{4})(?<document>[a-z]+)_num(?<sample>\\d+)\\.png$' },
      users: { minImagesPerUser: 14, maxUsers: 5 },
      split: { by: 'group', groupAttribute: 'document', testFraction: 0.3, validationFraction: 0.4 },
      image: { width: 8, height: 8 },
    });

  it('every (writer, document) lies in one split; test takes round(G * 0.3) documents; validation documents come from training', async () => {
    const data = await prepareDataset(config(1), rng());
    const split = splitOf(data);
    for (const user of data.partition.users) {
      const docs = new Map<string, Set<SplitName>>();
      const all = [...user.train, ...user.validation, ...user.test];
      for (const i of all) {
        const doc = /^\d{4}([a-z]+)_/.exec(data.images.ids[i]!.split('/').pop()!)![1]!; // from the file name, independently of the source
        expect(data.images.labels[i]).toBe(user.user);
        if (!docs.has(doc)) docs.set(doc, new Set());
        docs.get(doc)!.add(split.get(i)!);
      }
      for (const sides of docs.values()) expect(sides.size).toBe(1);
      const g = docs.size;
      const count = (s: SplitName) => [...docs.values()].filter((v) => v.has(s)).length;
      const nTest = Math.min(g - 1, Math.max(1, Math.round(g * 0.3)));
      expect(count('test')).toBe(nTest);
      const gTrain = g - nTest;
      expect(count('validation')).toBe(gTrain >= 2 ? Math.min(gTrain - 1, Math.max(1, Math.round(gTrain * 0.4))) : 0);
    }
    const again = await prepareDataset(config(1), rng());
    expect(again.partition).toEqual(data.partition);
  });

  it('group split needs a group attribute that exists', async () => {
    const bad = datasetConfig({ ...config(1), split: { by: 'group', groupAttribute: 'page' } });
    await expect(prepareDataset(bad, rng())).rejects.toThrow(ConfigError);
    await expect(prepareDataset(bad, rng())).rejects.toThrow('dataset.split.groupAttribute: attribute "page" is not in the dataset (attributes: document, sample)');
  });
});

describe('fixed splits from the dataset itself', () => {
  it('by attribute: CEDAR TrainingSet/ValidationSet folders, read from the relative path, are train and test exactly', async () => {
    const config = datasetConfig({
      source: { type: 'filename', root: cedar(), pattern: '^(?<set>TrainingSet|ValidationSet)/(?<label>\\d{4})[a-z]+_num\\d+\\.png$', matchOn: 'path' },
      users: { classes: ['0001', '0004', '0005'] },
      split: { by: 'attribute', attribute: 'set', train: ['TrainingSet'], test: ['ValidationSet'], validationFraction: 0.2 },
      image: { width: 8, height: 8 },
    });
    const data = await prepareDataset(config, rng());
    const training = await readdir(join(cedar(), 'TrainingSet'));
    const validation = await readdir(join(cedar(), 'ValidationSet'));
    for (const u of data.partition.users) {
      const ids = (list: readonly number[]) => list.map((i) => data.images.ids[i]!).sort();
      expect(ids(u.test)).toEqual(validation.filter((n) => n.startsWith(u.user)).map((n) => `ValidationSet/${n}`).sort());
      expect(ids([...u.train, ...u.validation])).toEqual(training.filter((n) => n.startsWith(u.user)).map((n) => `TrainingSet/${n}`).sort());
      expect(u.validation.length).toBe(Math.round((u.train.length + u.validation.length) * 0.2));
    }
  });

  it('by attribute: a manifest split column (ORL faces 9 and 10 listed as test)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const root = join(sharedDatasets(), 'orl-faces');
      const rows = ['file,label,split'];
      for (const s of ['s1', 's2', 's3']) for (let i = 1; i <= 10; i++) rows.push(`${join(root, s, `${i}.pgm`)},${s},${i >= 9 ? 'test' : 'train'}`);
      await writeFile(join(dir, 'faces.csv'), `${rows.join('\n')}\n`);
      const config = datasetConfig({
        source: { type: 'csv', manifests: join(dir, 'faces.csv'), attributeColumns: ['split'] },
        split: { by: 'attribute', attribute: 'split' },
        image: { width: 8, height: 8 },
      });
      const data = await prepareDataset(config, rng());
      for (const u of data.partition.users) {
        expect(u.test.map((i) => data.images.ids[i]!.split('/').pop()).sort()).toEqual(['10.pgm', '9.pgm']);
        expect(u.train.length + u.validation.length).toBe(8);
        expect(u.validation.length).toBe(1);
      }
    } finally {
      await cleanup();
    }
  });
});
