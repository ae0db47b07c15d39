import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { datasetConfig, sharedDatasets } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { prepareDataset, splitIndices } from '../prepare.js';
import { jpegRoundTrip } from './jpeg.js';

const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe('JPEG transform', () => {
  it('re-encodes with the requested quality: lower quality, larger error; equals a direct sharp round trip', async () => {
    const file = join(sharedDatasets(), 'russian-letters/data/05_10.png');
    const { data } = await sharp(file, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const img = new Uint8Array(data);
    const q90 = await jpegRoundTrip(img, 32, 32, 3, { quality: 90, chromaSubsampling: '4:4:4' });
    const q10 = await jpegRoundTrip(img, 32, 32, 3, { quality: 10, chromaSubsampling: '4:4:4' });
    expect(meanAbsDiff(img, q90)).toBeGreaterThan(0);
    expect(meanAbsDiff(img, q10)).toBeGreaterThan(2 * meanAbsDiff(img, q90));
    const ref = await sharp(await sharp(img, { raw: { width: 32, height: 32, channels: 3 } }).jpeg({ quality: 10, chromaSubsampling: '4:4:4' }).toBuffer()).raw().toBuffer();
    expect(Buffer.from(q10).equals(ref)).toBe(true);
  });

  it('applies to the configured splits only', async () => {
    const root = join(sharedDatasets(), 'russian-letters');
    const base = { source: { type: 'csv', manifests: join(root, 'data/letters.csv') }, users: { maxUsers: 2, maxImagesPerUser: 10 } };
    const rng = Rng.fromSeed(3).child('data');
    const plain = await prepareDataset(datasetConfig(base), rng);
    const jpeg = await prepareDataset(datasetConfig({ ...base, transforms: { jpeg: { quality: 20, splits: ['test'] } } }), rng);
    const size = 32 * 32 * 3;
    const image = (d: typeof plain, i: number): Uint8Array => d.images.pixels.subarray(i * size, (i + 1) * size);
    for (const i of splitIndices(plain.partition, 'train')) expect(Buffer.from(image(jpeg, i)).equals(Buffer.from(image(plain, i)))).toBe(true);
    for (const i of splitIndices(plain.partition, 'test')) expect(meanAbsDiff(image(plain, i), image(jpeg, i))).toBeGreaterThan(0);
  });
});
