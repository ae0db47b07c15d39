import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { writeBmp } from '../../testing/bmp-writer.js';
import { sharedDatasets, tempDir } from '../../testing/fixtures.js';
import { decodeBmp } from './bmp.js';
import { decodeImageFile, decodeRawImageFile } from './image.js';

async function letterRgb(): Promise<{ width: number; height: number; rgb: Buffer }> {
  const { data, info } = await sharp(join(sharedDatasets(), 'russian-letters/data/01_01.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: data };
}

function orlGrey(bytes: Buffer): Uint8Array {
  return bytes.subarray(bytes.length - 92 * 112);
}

describe('BMP decoding', () => {
  it('24-bit bottom-up and 32-bit top-down BMP files give back the letter PNG pixels exactly', async () => {
    const { width, height, rgb } = await letterRgb();
    const { dir, cleanup } = await tempDir();
    try {
      for (const [bits, topDown] of [[24, false], [32, true]] as const) {
        const file = join(dir, `letter${bits}.bmp`);
        await writeFile(file, writeBmp(width, height, rgb, { bits, topDown }));
        const raw = await decodeRawImageFile(file);
        expect([raw.width, raw.height, raw.channels]).toEqual([width, height, 3]);
        expect(Buffer.from(raw.data).equals(rgb)).toBe(true);
        const decoded = await decodeImageFile(file, { width, height, channels: 3, fit: 'fill', kernel: 'lanczos3' });
        expect(Buffer.from(decoded).equals(rgb)).toBe(true);
      }
    } finally {
      await cleanup();
    }
  });

  it('8-bit palette BMP: an ORL face with a grey palette is one grey channel, a false-colour palette is looked up', async () => {
    const grey = orlGrey(await readFile(join(sharedDatasets(), 'orl-faces/s1/1.pgm')));
    const greyPalette = Array.from({ length: 256 }, (_, v) => [v, v, v] as const);
    const raw = decodeBmp(writeBmp(92, 112, grey, { bits: 8, palette: greyPalette }), 'face.bmp');
    expect([raw.width, raw.height, raw.channels]).toEqual([92, 112, 1]);
    expect(Buffer.from(raw.data).equals(Buffer.from(grey))).toBe(true);
    const colour = Array.from({ length: 256 }, (_, v) => [v, 255 - v, (v * 7) % 256] as const);
    const rgb = decodeBmp(writeBmp(92, 112, grey, { bits: 8, palette: colour }), 'face.bmp');
    expect(rgb.channels).toBe(3);
    for (const p of [0, 1, 4000, 92 * 112 - 1]) expect(Array.from(rgb.data.subarray(3 * p, 3 * p + 3))).toEqual([...colour[grey[p]!]!]);
  });

  it('refuses compressed and truncated bitmaps, naming the file', () => {
    const bmp = writeBmp(4, 2, new Uint8Array(24), { bits: 24 });
    const rle = Buffer.from(bmp);
    rle.writeUInt32LE(1, 30);
    expect(() => decodeBmp(rle, 'x.bmp')).toThrow('x.bmp: bad BMP: compression 1 is not supported');
    expect(() => decodeBmp(bmp.subarray(0, bmp.length - 3), 'y.bmp')).toThrow('y.bmp: bad BMP: truncated pixel data');
  });
});
