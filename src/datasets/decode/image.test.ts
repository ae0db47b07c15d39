import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/fixtures.js';
import { conformImage, decodeImageFile } from './image.js';

const W = 12;
const H = 9;
/** A known RGB test card: smooth gradients, so lossy codecs stay close. */
const card = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
  card[(y * W + x) * 3] = x * 20;
  card[(y * W + x) * 3 + 1] = y * 25;
  card[(y * W + x) * 3 + 2] = 128;
}
const raw = { raw: { width: W, height: H, channels: 3 as const } };
const target = { width: W, height: H, channels: 3 as const, fit: 'fill' as const, kernel: 'lanczos3' as const };

describe('image decoding through sharp', () => {
  it('reads lossless WebP, TIFF, interlaced PNG and RGBA exactly; JPEG and GIF closely', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const exact: Record<string, Buffer> = {
        'a.webp': await sharp(card, raw).webp({ lossless: true }).toBuffer(),
        'a.tiff': await sharp(card, raw).tiff({ compression: 'lzw' }).toBuffer(),
        'i.png': await sharp(card, raw).png({ progressive: true }).toBuffer(),
        'alpha.png': await sharp(card, raw).ensureAlpha(0.5).png().toBuffer(),
      };
      for (const [name, bytes] of Object.entries(exact)) {
        await writeFile(join(dir, name), bytes);
        expect(Buffer.from(await decodeImageFile(join(dir, name), target)).equals(card), name).toBe(true);
      }
      const close: Record<string, [Buffer, number]> = {
        'a.jpg': [await sharp(card, raw).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer(), 3],
        'a.gif': [await sharp(card, raw).gif().toBuffer(), 12],
      };
      for (const [name, [bytes, tolerance]] of Object.entries(close)) {
        await writeFile(join(dir, name), bytes);
        const got = await decodeImageFile(join(dir, name), target);
        const mean = got.reduce((s, v, i) => s + Math.abs(v - card[i]!), 0) / got.length;
        expect(mean, name).toBeLessThan(tolerance);
      }
      // Grey to three channels, and colour to one channel when asked.
      await writeFile(join(dir, 'g.png'), await sharp(card, raw).greyscale().png().toBuffer());
      const grey = await decodeImageFile(join(dir, 'g.png'), target);
      for (let p = 0; p < W * H; p++) expect(grey[3 * p]).toBe(grey[3 * p + 2]);
      const one = await decodeImageFile(join(dir, 'a.tiff'), { ...target, channels: 1 });
      expect(one.length).toBe(W * H);
      expect(one[5]).toBe(Math.round(0.299 * card[15]! + 0.587 * card[16]! + 0.114 * card[17]!));
      await expect(decodeImageFile(join(dir, 'missing.png'), target)).rejects.toThrow(`${join(dir, 'missing.png')}: file not found`);
    } finally {
      await cleanup();
    }
  });
});

describe('conformImage', () => {
  // A 4 x 2 grey ramp resized to 8 x 4 with nearest neighbour: each pixel becomes a 2 x 2 block.
  const grey = { width: 4, height: 2, channels: 1, data: Uint8Array.from([0, 40, 80, 120, 160, 200, 240, 255]) };
  const expected = (channels: 1 | 3): number[] => {
    const out: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < channels; c++) out.push(grey.data[(y >> 1) * 4 + (x >> 1)]!);
    return out;
  };
  const sized = { width: 8, height: 4, fit: 'fill' as const, kernel: 'nearest' as const };

  it('keeps a resized grey image grey when 1 channel is asked for (sharp returns 3 channels)', async () => {
    expect(Array.from(await conformImage(grey, { ...sized, channels: 1 }, 'grey'))).toEqual(expected(1));
  });

  it('repeats a resized grey image to 3 channels when 3 are asked for', async () => {
    expect(Array.from(await conformImage(grey, { ...sized, channels: 3 }, 'grey'))).toEqual(expected(3));
  });
});
