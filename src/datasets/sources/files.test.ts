import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ConfigError, DatasetError } from '../../errors.js';
import { datasetConfig, sharedDatasets, tempDir } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { prepareDataset } from '../prepare.js';
import { toFloatImages } from '../tensors.js';

const rng = Rng.fromSeed(42).child('data');

describe('file sources on the shared datasets', () => {
  it('csv: letters manifests, labels and backgrounds, pixels equal to an independent decode', async () => {
    const root = join(sharedDatasets(), 'russian-letters');
    const config = datasetConfig({
      source: { type: 'csv', manifests: join(root, 'data*/letters*.csv'), attributeColumns: ['background'] },
      users: { maxUsers: 2, maxImagesPerUser: 6 },
    });
    const data = await prepareDataset(config, rng);
    expect(data.sourceImages).toBe(14_190);
    expect(data.partition.users.map((u) => u.user)).toEqual(['1', '2']);
    expect(data.images.count).toBe(12);
    // Manifest rows name files relative to their own folder; ids keep the folder (data/, data2/, data3/).
    for (let k = 0; k < data.images.count; k++) {
      const id = data.images.ids[k]!;
      expect(id).toMatch(/^data\d?\/\d\d_\d+\.png$/);
      const { data: ref, info } = await sharp(join(root, id), { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(info.width).toBe(32); // these files are 32 x 32: no resampling
      expect(Buffer.from(data.images.pixels.subarray(k * 3072, (k + 1) * 3072)).equals(ref)).toBe(true);
      const manifestRows = (await readFile(join(root, id.split('/')[0]!, `letters${id.split('/')[0]!.slice(4)}.csv`), 'utf8')).split('\n');
      const row = manifestRows.find((r) => r.split(',')[2] === id.split('/')[1])!.split(',');
      expect(data.images.labels[k]).toBe(row[1]);
      expect(data.images.attributes['background']![k]).toBe(Number(row[3]));
    }
    // Float conversion x / 127.5 - 1.
    const floats = toFloatImages(data.images, [0]);
    expect(floats.shape).toEqual([1, 32, 32, 3]);
    expect(floats.data[5]).toBeCloseTo(data.images.pixels[5]! / 127.5 - 1, 6);
  });

  it('folder: ORL faces as PGM sub-folders, grey repeated to 3 channels', async () => {
    const root = join(sharedDatasets(), 'orl-faces');
    const config = datasetConfig({ source: { type: 'folder', root }, users: { maxUsers: 3 }, image: { width: 92, height: 112 } });
    const data = await prepareDataset(config, rng);
    expect(data.partition.users.map((u) => u.user)).toEqual(['s1', 's2', 's3']);
    expect(data.partition.users.map((u) => [u.train.length, u.validation.length, u.test.length])).toEqual([[7, 1, 2], [7, 1, 2], [7, 1, 2]]);
    const k = data.images.ids.indexOf('s2/5.pgm');
    const bytes = await readFile(join(root, 's2/5.pgm'));
    const grey = bytes.subarray(bytes.length - 92 * 112); // P5 pixels are the last width*height bytes
    const img = data.images.pixels.subarray(k * 92 * 112 * 3, (k + 1) * 92 * 112 * 3);
    for (const p of [0, 1, 500, 92 * 112 - 1]) expect([img[3 * p], img[3 * p + 1], img[3 * p + 2]]).toEqual([grey[p], grey[p], grey[p]]);
  });

  it('folder: resizing to 32 x 32 uses the configured kernel', async () => {
    const root = join(sharedDatasets(), 'orl-faces');
    const data = await prepareDataset(datasetConfig({ source: { type: 'folder', root }, users: { classes: ['s7'] }, image: { kernel: 'cubic' } }), rng);
    const k = data.images.ids.indexOf('s7/1.pgm');
    const bytes = await readFile(join(root, 's7/1.pgm'));
    const { data: ref, info } = await sharp(bytes.subarray(bytes.length - 92 * 112), { raw: { width: 92, height: 112, channels: 1 } })
      .resize(32, 32, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const img = data.images.pixels.subarray(k * 3072, (k + 1) * 3072);
    expect(Array.from({ length: 1024 }, (_, p) => img[3 * p])).toEqual(Array.from({ length: 1024 }, (_, p) => ref[p * info.channels]));
  });

  it('filename: CEDAR writers from the first four digits, writers chosen by minImagesPerUser', async () => {
    const root = join(sharedDatasets(), 'cedar-and');
    const config = datasetConfig({
      source: { type: 'filename', root, pattern: '^(?<label>\\d{4})(?<document>[a-z]+)_num(?<sample>\\d+)\\.png$' },
      users: { minImagesPerUser: 15, maxUsers: 2 },
    });
    const data = await prepareDataset(config, rng);
    expect(data.partition.users.map((u) => u.user)).toEqual(['0001', '0004']);
    for (let k = 0; k < data.images.count; k++) {
      const name = data.images.ids[k]!.split('/').pop()!;
      expect(name.slice(0, 4)).toBe(data.images.labels[k]);
      expect(data.images.attributes['sample']![k]).toBe(Number(/_num(\d+)/.exec(name)![1]));
    }
    // Writers with at least 15 images (files with the same name in both folders counted once): 247.
    const all = await prepareDataset(datasetConfig({ ...config, users: { minImagesPerUser: 15, maxImagesPerUser: 2 } }), rng);
    expect(all.partition.users).toHaveLength(247);
    expect(all.load.notes.join(' ')).toContain('6 file(s) with a name already seen were skipped');
    const strict = datasetConfig({ ...config, source: { ...config.source, duplicates: 'error' } });
    await expect(prepareDataset(strict, rng)).rejects.toThrow(/ValidationSet\/0034c_num1\.png: same file name as .*TrainingSet\/0034c_num1\.png/);
  });
});

describe('file source errors name the culprit', () => {
  async function classFolder(files: Record<string, Buffer | string>): Promise<{ root: string; cleanup: () => Promise<void> }> {
    const { dir, cleanup } = await tempDir();
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return { root: dir, cleanup };
  }
  const face = (): string => join(sharedDatasets(), 'orl-faces/s1/1.pgm');
  const letter = (): string => join(sharedDatasets(), 'russian-letters/data/01_01.png');

  it('missing root folder and empty class', async () => {
    await expect(prepareDataset(datasetConfig({ source: { type: 'folder', root: '/nonexistent/faces' } }), rng)).rejects.toThrow('/nonexistent/faces: dataset root folder not found');
    const { root, cleanup } = await classFolder({ 'a/1.txt': 'not an image' });
    try {
      await mkdir(join(root, 'b'));
      await copyFile(face(), join(root, 'b/1.pgm'));
      await expect(prepareDataset(datasetConfig({ source: { type: 'folder', root } }), rng)).rejects.toThrow(`${join(root, "a")}: class "a" has no image file (found by content): 1 file(s) seen, skipped: 1 not an image by content (e.g. 1.txt)`);
    } finally {
      await cleanup();
    }
  });

  it('corrupt, truncated and unsupported images; a PGM with a bad header', async () => {
    const png = await readFile(letter());
    const { root, cleanup } = await classFolder({
      'ok/1.png': png,
      'ok/2.png': png,
      'corrupt/1.png': Buffer.from('this is not a png at all'),
      'corrupt/2.png': png,
      'cut/1.png': png.subarray(0, 200),
      'cut/2.png': png,
      'odd/1.tif': Buffer.from('II*\0garbage'),
      'odd/2.png': png,
      'pgm/1.pgm': Buffer.from('P5\n92 x12\n255\n'),
      'pgm/2.png': png,
    });
    try {
      const only = (cls: string) => datasetConfig({ source: { type: 'folder', root }, users: { classes: ['ok', cls] } });
      await expect(prepareDataset(only('corrupt'), rng)).rejects.toThrow(`${join(root, 'corrupt/1.png')}: cannot decode image`);
      await expect(prepareDataset(only('cut'), rng)).rejects.toThrow(`${join(root, 'cut/1.png')}: truncated PNG`);
      await expect(prepareDataset(only('odd'), rng)).rejects.toThrow(`${join(root, 'odd/1.tif')}: cannot decode image`);
      await expect(prepareDataset(only('pgm'), rng)).rejects.toThrow(`${join(root, 'pgm/1.pgm')}: bad PGM/PPM header: height is not a number`);
    } finally {
      await cleanup();
    }
  });

  it('a CSV manifest without the label column, and a manifest pattern matching nothing', async () => {
    const { root, cleanup } = await classFolder({ 'm/letters.csv': 'letter,file,background\nа,01_01.png,0\n' });
    try {
      const manifest = join(root, 'm/letters.csv');
      await expect(prepareDataset(datasetConfig({ source: { type: 'csv', manifests: manifest } }), rng)).rejects.toThrow(`${manifest}: no "label" column (columns: letter, file, background)`);
      await expect(prepareDataset(datasetConfig({ source: { type: 'csv', manifests: join(root, 'none*/x.csv') } }), rng)).rejects.toThrow(DatasetError);
    } finally {
      await cleanup();
    }
  });

  it('an unknown class name is a config error with a suggestion', async () => {
    const root = join(sharedDatasets(), 'orl-faces');
    const config = datasetConfig({ source: { type: 'folder', root }, users: { classes: ['s1', 'S41x'] } });
    await expect(prepareDataset(config, rng)).rejects.toThrow(ConfigError);
    await expect(prepareDataset(config, rng)).rejects.toThrow('dataset.users.classes: class "S41x" is not in the dataset');
  });
});
