import { copyFile, mkdir, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetConfig, sharedDatasets, tempDir } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import { prepareDataset } from './prepare.js';

describe('decoded-array cache', () => {
  it('hits on the second load with identical pixels, and misses when a file or the size changes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const root = join(dir, 'faces');
      for (const s of ['s1', 's2']) {
        await mkdir(join(root, s), { recursive: true });
        for (const f of await readdir(join(sharedDatasets(), 'orl-faces', s))) await copyFile(join(sharedDatasets(), 'orl-faces', s, f), join(root, s, f));
      }
      const config = datasetConfig({ source: { type: 'folder', root }, cache: { dir: join(dir, 'cache') } });
      const rng = Rng.fromSeed(1).child('data');
      const first = await prepareDataset(config, rng);
      expect(first.load.cache).toBe('miss');
      const second = await prepareDataset(config, rng);
      expect(second.load.cache).toBe('hit');
      expect(Buffer.from(second.images.pixels).equals(Buffer.from(first.images.pixels))).toBe(true);
      expect(second.images.labels).toEqual(first.images.labels);
      await utimes(join(root, 's1/3.pgm'), new Date(), new Date(Date.now() + 5000));
      expect((await prepareDataset(config, rng)).load.cache).toBe('miss');
      expect((await prepareDataset(config, rng)).load.cache).toBe('hit');
      const bigger = datasetConfig({ source: { type: 'folder', root }, cache: { dir: join(dir, 'cache') }, image: { width: 40 } });
      expect((await prepareDataset(bigger, rng)).load.cache).toBe('miss');
      const content = datasetConfig({ source: { type: 'folder', root }, cache: { dir: join(dir, 'cache'), verify: 'content' } });
      expect((await prepareDataset(content, rng)).load.cache).toBe('miss');
      expect((await prepareDataset(content, rng)).load.cache).toBe('hit');
    } finally {
      await cleanup();
    }
  });
});
