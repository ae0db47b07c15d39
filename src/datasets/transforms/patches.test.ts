import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PAGE, writeCedarPages, type TiledPage } from '../../testing/cedar-pages.js';
import { datasetConfig, tempDir } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { prepareDataset, splitIndices } from '../prepare.js';
import type { RawImage } from '../types.js';
import { evenlySpaced, extractPatches } from './patches.js';

const base = { foreground: 'dark', threshold: 128, minInk: 0.05, maxInk: 1, normalise: 'none' } as const;

async function readPage(dir: string, page: TiledPage): Promise<RawImage> {
  const { data, info } = await sharp(join(dir, page.id)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** Windows passing the ink filter, by brute force (a second implementation: no summed-area table). */
function bruteWindows(page: RawImage, w: number, h: number, stride: number, threshold: number, minInk: number): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y + h <= page.height; y += stride) {
    for (let x = 0; x + w <= page.width; x += stride) {
      let ink = 0;
      for (let j = 0; j < h; j++) {
        for (let i = 0; i < w; i++) {
          const o = ((y + j) * page.width + x + i) * 3;
          if (Math.round(0.299 * page.data[o]! + 0.587 * page.data[o + 1]! + 0.114 * page.data[o + 2]!) < threshold) ink++;
        }
      }
      if (ink / (w * h) >= minInk) out.push({ x, y });
    }
  }
  return out;
}

describe('patch extraction from pages tiled from CEDAR word images', () => {
  it('windows, ink filter and pixels match a brute-force reference; blank paper gives no patch; the cap picks evenly', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const [page] = await writeCedarPages(dir, 1, 1);
      const raw = await readPage(dir, page!);
      const patches = extractPatches(raw, { ...base, width: 32, height: 32, stride: 16 });
      const expected = bruteWindows(raw, 32, 32, 16, 128, 0.05);
      expect(patches.map((p) => ({ x: p.x, y: p.y }))).toEqual(expected);
      expect(expected.length).toBeGreaterThan(10);
      expect(expected.length).toBeLessThan(((PAGE.width - 32) / 16 + 1) * ((PAGE.height - 32) / 16 + 1)); // blank windows dropped
      for (const p of patches) expect(p.x).toBeLessThan(PAGE.margin + 2 * PAGE.word + PAGE.gap); // nothing from the blank band
      const probe = patches[3]!;
      const { data: crop } = await sharp(join(dir, page!.id)).extract({ left: probe.x, top: probe.y, width: 32, height: 32 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(Buffer.from(probe.image.data).equals(crop)).toBe(true);
      const capped = extractPatches(raw, { ...base, width: 32, height: 32, stride: 16, maxPerImage: 4 });
      const n = expected.length;
      expect(capped.map((p) => ({ x: p.x, y: p.y }))).toEqual([0, 1, 2, 3].map((k) => expected[Math.floor((k * n) / 4)]));
      expect(evenlySpaced(10, 4)).toEqual([0, 2, 5, 7]);
    } finally {
      await cleanup();
    }
  });

  it('binarise gives ink 0 and paper 255 on one channel; contrast stretches each patch to 0..255', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const [page] = await writeCedarPages(dir, 1, 1);
      const raw = await readPage(dir, page!);
      const plain = extractPatches(raw, { ...base, width: 64, height: 64, stride: 40 });
      const binary = extractPatches(raw, { ...base, width: 64, height: 64, stride: 40, normalise: 'binarise' });
      const contrast = extractPatches(raw, { ...base, width: 64, height: 64, stride: 40, normalise: 'contrast' });
      expect(binary.map((p) => [p.x, p.y])).toEqual(plain.map((p) => [p.x, p.y]));
      binary.forEach((p, k) => {
        expect(p.image.channels).toBe(1);
        const src = plain[k]!.image.data; // CEDAR words are grey stored as RGB: R = G = B
        expect(Array.from(p.image.data)).toEqual(Array.from({ length: 64 * 64 }, (_, i) => (src[3 * i]! < 128 ? 0 : 255)));
      });
      for (const p of contrast) {
        expect(Math.min(...p.image.data)).toBe(0);
        expect(Math.max(...p.image.data)).toBe(255);
      }
    } finally {
      await cleanup();
    }
  });

  it('as a dataset transform: patches keep their page as an attribute, stay unresampled at 64 x 64, and a grouped split keeps each page on one side', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const pages = await writeCedarPages(dir, 3, 4);
      const config = datasetConfig({
        source: { type: 'filename', root: dir, pattern: '^w(?<label>\\d{4})/page(?<page>\\d+)\\.png$', matchOn: 'path' },
        image: { width: 64, height: 64 },
        transforms: { patches: { width: 64, height: 64, stride: 32, minInk: 0.02, maxPerImage: 6 } },
        split: { by: 'group', groupAttribute: 'source', testFraction: 0.25, validationFraction: 0.34 },
      });
      const data = await prepareDataset(config, Rng.fromSeed(5).child('data'));
      expect(data.sourceImages).toBe(12);
      let expectedCount = 0;
      for (const page of pages) expectedCount += Math.min(6, bruteWindows(await readPage(dir, page), 64, 64, 32, 128, 0.02).length);
      expect(data.images.count).toBe(expectedCount);
      expect(expectedCount).toBeGreaterThan(12 * 3);
      for (let k = 0; k < data.images.count; k++) {
        const [pageId, at] = data.images.ids[k]!.split('#');
        expect(data.images.attributes['source']![k]).toBe(pageId);
        const [x, y] = /^x(\d+)y(\d+)$/.exec(at!)!.slice(1).map(Number);
        expect([data.images.attributes['patchX']![k], data.images.attributes['patchY']![k]]).toEqual([x, y]);
        expect(data.images.sourceSizes![k]).toEqual([PAGE.width, PAGE.height]);
        if (k % 17 === 0) {
          const { data: crop } = await sharp(join(dir, pageId!)).extract({ left: x!, top: y!, width: 64, height: 64 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
          expect(Buffer.from(data.images.pixels.subarray(k * 64 * 64 * 3, (k + 1) * 64 * 64 * 3)).equals(crop)).toBe(true);
        }
      }
      const sideOf = new Map<string, Set<string>>();
      for (const s of ['train', 'validation', 'test'] as const) {
        for (const i of splitIndices(data.partition, s)) {
          const page = String(data.images.attributes['source']![i]);
          if (!sideOf.has(page)) sideOf.set(page, new Set());
          sideOf.get(page)!.add(s);
        }
      }
      expect([...sideOf.keys()].sort()).toEqual(pages.map((p) => p.id).sort());
      for (const sides of sideOf.values()) expect(sides.size).toBe(1);
      for (const u of data.partition.users) {
        const pagesIn = (list: readonly number[]) => new Set(list.map((i) => data.images.attributes['source']![i])).size;
        expect([pagesIn(u.train), pagesIn(u.validation), pagesIn(u.test)]).toEqual([2, 1, 1]);
      }
      // Resizing is a choice: at 32 x 32 each patch is the 64 x 64 crop resized by sharp.
      const small = await prepareDataset(datasetConfig({ ...config, image: { width: 32, height: 32, kernel: 'cubic' } }), Rng.fromSeed(5).child('data'));
      const [pageId, at] = small.images.ids[0]!.split('#');
      const [x, y] = /^x(\d+)y(\d+)$/.exec(at!)!.slice(1).map(Number);
      const ref = await sharp(join(dir, pageId!)).extract({ left: x!, top: y!, width: 64, height: 64 }).removeAlpha().raw().toBuffer();
      const resized = await sharp(ref, { raw: { width: 64, height: 64, channels: 3 } }).resize(32, 32, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
      expect(Buffer.from(small.images.pixels.subarray(0, 32 * 32 * 3)).equals(resized)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
