import sharp from 'sharp';
import { DatasetError } from '../../errors.js';
import { mapConcurrent } from '../../util/map-concurrent.js';
import type { DecodedImages } from '../types.js';

/** JPEG re-encoding settings. */
export interface JpegSettings {
  readonly quality: number;
  readonly chromaSubsampling: '4:4:4' | '4:2:0';
}

/** Encodes one 8-bit image as JPEG with sharp (libjpeg-turbo, no mozjpeg tricks) and decodes it back. */
export async function jpegRoundTrip(pixels: Uint8Array, width: number, height: number, channels: 1 | 3, settings: JpegSettings): Promise<Uint8Array> {
  try {
    const jpeg = await sharp(pixels, { raw: { width, height, channels } })
      .jpeg({ quality: settings.quality, chromaSubsampling: settings.chromaSubsampling, mozjpeg: false })
      .toBuffer();
    const { data, info } = await sharp(jpeg).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels === channels) return new Uint8Array(data.buffer, data.byteOffset, data.length);
    // sharp decodes a 1-channel JPEG as grey; keep the requested channel count.
    const out = new Uint8Array(width * height * channels);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = data[i * info.channels + Math.min(c, info.channels - 1)]!;
    return out;
  } catch (error) {
    throw new DatasetError('jpeg transform', `JPEG re-encoding failed: ${(error as Error).message}`);
  }
}

/**
 * A copy of `images` whose images at `indices` are replaced by their JPEG round trip at the given
 * quality; the other images are unchanged.
 */
export async function withJpeg(images: DecodedImages, indices: readonly number[], settings: JpegSettings, concurrency = 8): Promise<DecodedImages> {
  const size = images.width * images.height * images.channels;
  const pixels = new Uint8Array(images.pixels);
  await mapConcurrent(indices, concurrency, async (i) => {
    const out = await jpegRoundTrip(images.pixels.subarray(i * size, (i + 1) * size), images.width, images.height, images.channels, settings);
    pixels.set(out, i * size);
  });
  return { ...images, pixels };
}
