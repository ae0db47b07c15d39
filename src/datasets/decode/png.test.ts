import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharedDatasets } from '../../testing/fixtures.js';
import { decodePng } from './png.js';

/** Independent decoder: libvips through sharp, without ICC conversion (stored values, as PIL and OpenCV read them). */
async function sharpDecode(bytes: Uint8Array): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(bytes, { ignoreIcc: true }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

describe('PNG decoder', () => {
  it('matches libvips on real letters (RGBA with ICC profiles) and CEDAR (RGB) files', async () => {
    const root = sharedDatasets();
    const files = [
      ...(await readdir(join(root, 'russian-letters/data'))).filter((f) => f.endsWith('.png')).slice(0, 40).map((f) => join(root, 'russian-letters/data', f)),
      ...(await readdir(join(root, 'russian-letters/data3'))).filter((f) => f.endsWith('.png')).slice(0, 20).map((f) => join(root, 'russian-letters/data3', f)),
      ...(await readdir(join(root, 'cedar-and/ValidationSet'))).slice(0, 20).map((f) => join(root, 'cedar-and/ValidationSet', f)),
    ];
    expect(files.length).toBe(80);
    for (const file of files) {
      const bytes = await readFile(file);
      const mine = decodePng(bytes, file)!;
      const ref = await sharpDecode(bytes);
      expect(mine.channels).toBe(ref.channels);
      expect(Buffer.from(mine.data).equals(ref.data)).toBe(true);
    }
  });

  it('decodes grey, palette and 16-bit PNGs like libvips, and leaves interlaced ones to sharp', async () => {
    const w = 7;
    const h = 5;
    const rgb = Buffer.alloc(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 256;
    const raw = { raw: { width: w, height: h, channels: 3 as const } };
    const variants = [
      await sharp(rgb, raw).greyscale().png().toBuffer(),
      await sharp(rgb, raw).png({ palette: true, colours: 16, dither: 0 }).toBuffer(),
      await sharp(rgb, raw).toColourspace('rgb16').png().toBuffer(),
      await sharp(rgb, raw).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer(),
    ];
    for (const bytes of variants) {
      const mine = decodePng(bytes, 'v.png')!;
      const ref = await sharpDecode(bytes);
      expect(mine.channels).toBe(ref.channels);
      expect(Array.from(mine.data)).toEqual(Array.from(ref.data));
    }
    const interlaced = await sharp(rgb, raw).png({ progressive: true }).toBuffer();
    expect(decodePng(interlaced, 'i.png')).toBeUndefined();
  });

  it('rejects truncated and corrupt files, naming them', async () => {
    const file = join(sharedDatasets(), 'russian-letters/data/01_01.png');
    const bytes = await readFile(file);
    expect(() => decodePng(bytes.subarray(0, bytes.length - 40), 'cut.png')).toThrow(/cut\.png: truncated PNG/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 60] = flipped[flipped.length - 60]! ^ 0xff;
    expect(() => decodePng(flipped, 'flip.png')).toThrow(/flip\.png: corrupt PNG: bad CRC/);
  });
});
