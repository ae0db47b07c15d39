import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { ImageConfig } from '../../config/dataset-schema.js';
import { DatasetError } from '../../errors.js';
import type { RawImage } from '../types.js';
import { decodeBmp, isBmp } from './bmp.js';
import { isNetpbm, parseNetpbm } from './netpbm.js';
import { decodePng, isPng } from './png.js';

export { imageExtensions } from './sniff.js';

/** Image size and resampling a decoder targets. */
export type TargetImage = Pick<ImageConfig, 'width' | 'height' | 'channels' | 'fit' | 'kernel'>;

/** Reads a file, naming it in a {@link DatasetError} when it is missing or unreadable. */
export async function readSourceFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(path, 'file not found');
    if (code === 'EISDIR') throw new DatasetError(path, 'is a folder, expected a file');
    throw new DatasetError(path, `cannot read (${code ?? String(error)})`);
  }
}

/**
 * Decodes an image file at its own size, choosing the decoder by content, never by extension:
 * non-interlaced PNG, PGM/PPM and uncompressed BMP with our own parsers; interlaced PNG, JPEG,
 * GIF, WebP, TIFF with sharp.
 */
export async function decodeRawImageFile(path: string): Promise<RawImage> {
  const buffer = await readSourceFile(path);
  if (isNetpbm(buffer)) return parseNetpbm(buffer, path);
  if (isBmp(buffer)) return decodeBmp(buffer, path);
  return (isPng(buffer) ? decodePng(buffer, path) : undefined) ?? (await decodeWithSharp(buffer, path));
}

/**
 * Decodes an image file (see {@link decodeRawImageFile}) to 8-bit pixels at the target size and
 * channel count: alpha dropped, grey repeated to 3 channels (or colour converted to grey when 1
 * channel is asked for). An image already at the target size is not resampled, so its pixels are
 * exactly the file's. Also returns the file's own size.
 */
export async function decodeImageFileSized(path: string, target: TargetImage): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const raw = await decodeRawImageFile(path);
  return { pixels: await conformImage(raw, target, path), width: raw.width, height: raw.height };
}

/** {@link decodeImageFileSized} without the size. */
export async function decodeImageFile(path: string, target: TargetImage): Promise<Uint8Array> {
  return (await decodeImageFileSized(path, target)).pixels;
}

async function decodeWithSharp(buffer: Buffer, file: string): Promise<RawImage> {
  try {
    const { data, info } = await sharp(buffer, { failOn: 'error', ignoreIcc: true })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw new DatasetError(file, `cannot decode image: ${firstLine(error)}`, { cause: error });
  }
}

/**
 * Brings raw 8-bit pixels to the target size and channel count (resampling with sharp only when
 * the size differs). `what` names the source in errors.
 */
export async function conformImage(raw: RawImage, target: TargetImage, what: string): Promise<Uint8Array> {
  let { data, width, height, channels } = raw;
  if (data.length !== width * height * channels) {
    throw new DatasetError(what, `pixel buffer has ${data.length} bytes, expected ${width}x${height}x${channels}`);
  }
  if (channels === 2 || channels === 4) {
    data = dropAlpha(data, channels);
    channels -= 1;
  }
  if (channels !== 1 && channels !== 3) throw new DatasetError(what, `unsupported channel count ${channels}`);
  if (target.channels === 1 && channels === 3) {
    data = toGrey(data);
    channels = 1;
  }
  if (width !== target.width || height !== target.height) {
    try {
      const resized = sharp(data, { raw: { width, height, channels: channels as 1 | 3 } })
        .resize(target.width, target.height, { fit: target.fit, kernel: target.kernel, background: { r: 0, g: 0, b: 0 } });
      // sharp returns grey input as 3 equal sRGB channels after a resize: ask for grey back.
      const out = await (channels === 1 ? resized.toColourspace('b-w') : resized)
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
      channels = out.info.channels;
      if (channels === 2 || channels === 4) {
        data = dropAlpha(data, channels);
        channels -= 1;
      }
    } catch (error) {
      throw new DatasetError(what, `cannot resize image: ${firstLine(error)}`, { cause: error });
    }
  }
  if (target.channels === 3 && channels === 1) data = greyToRgb(data);
  return data;
}

function dropAlpha(data: Uint8Array, channels: number): Uint8Array {
  const n = data.length / channels;
  const c = channels - 1;
  const out = new Uint8Array(n * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) out[i * c + k] = data[i * channels + k]!;
  return out;
}

function greyToRgb(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length * 3);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    out[3 * i] = v;
    out[3 * i + 1] = v;
    out[3 * i + 2] = v;
  }
  return out;
}

/** ITU-R BT.601 luma, rounded. */
function toGrey(data: Uint8Array): Uint8Array {
  const n = data.length / 3;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(0.299 * data[3 * i]! + 0.587 * data[3 * i + 1]! + 0.114 * data[3 * i + 2]!);
  return out;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}
