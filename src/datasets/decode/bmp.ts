import { DatasetError } from '../../errors.js';
import type { RawImage } from '../types.js';

/** Whether a buffer starts with the BMP magic `BM`. */
export function isBmp(buffer: Uint8Array): boolean {
  return buffer.length >= 2 && buffer[0] === 0x42 && buffer[1] === 0x4d;
}

/**
 * Decodes an uncompressed Windows bitmap: 24- and 32-bit BGR(A) (alpha dropped), and 1-, 4- and
 * 8-bit palette images (palette colours looked up); BITMAPCOREHEADER (12 bytes) and the
 * BITMAPINFOHEADER family (40 to 124 bytes); bottom-up (positive height) and top-down (negative
 * height) rows, each padded to 4 bytes. `BI_BITFIELDS` is read only with the standard 8-8-8 masks of
 * 32-bit images. Compressed (RLE, JPEG, PNG) bitmaps are refused with an error naming `file`.
 * Output is RGB, or grey (1 channel) when every palette entry is grey.
 */
export function decodeBmp(buffer: Uint8Array, file: string): RawImage {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const fail = (message: string): never => {
    throw new DatasetError(file, `bad BMP: ${message}`);
  };
  if (!isBmp(buffer) || buffer.length < 26) fail('too short or no "BM" magic');
  const dataOffset = view.getUint32(10, true);
  const infoSize = view.getUint32(14, true);
  const core = infoSize === 12;
  if (!core && infoSize < 40) fail(`unknown header size ${infoSize}`);
  if (14 + infoSize > buffer.length) fail('truncated header');
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getInt16(22, true) : view.getInt32(22, true);
  const bpp = view.getUint16(core ? 24 : 28, true);
  const compression = core ? 0 : view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) fail(`size ${width}x${rawHeight}`);
  if (![1, 4, 8, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is not supported (1, 4, 8, 24, 32 are)`);
  if (compression === 3 && bpp === 32) {
    if (buffer.length < 66) fail('truncated bit masks');
    const masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
    if (masks[0] !== 0x00ff0000 || masks[1] !== 0x0000ff00 || masks[2] !== 0x000000ff) fail('BI_BITFIELDS with non-standard masks is not supported');
  } else if (compression !== 0) fail(`compression ${compression} is not supported (only uncompressed BI_RGB)`);

  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const entrySize = core ? 3 : 4;
    const declared = core ? 0 : view.getUint32(46, true);
    const colours = declared > 0 ? declared : 1 << bpp;
    const start = 14 + infoSize;
    if (start + colours * entrySize > buffer.length) fail('truncated palette');
    palette = new Uint8Array(colours * 3);
    for (let i = 0; i < colours; i++) {
      palette[3 * i] = buffer[start + i * entrySize + 2]!;
      palette[3 * i + 1] = buffer[start + i * entrySize + 1]!;
      palette[3 * i + 2] = buffer[start + i * entrySize]!;
    }
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > buffer.length) fail(`truncated pixel data: ${buffer.length - dataOffset} bytes, expected ${stride * height}`);

  const grey = palette !== undefined && isGreyPalette(palette);
  const channels = grey ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const index = bpp === 8 ? buffer[row + x]! : bpp === 4 ? (buffer[row + (x >> 1)]! >> (x & 1 ? 0 : 4)) & 0x0f : (buffer[row + (x >> 3)]! >> (7 - (x & 7))) & 1;
        if (3 * index + 2 >= palette.length) fail(`pixel (${x}, ${y}) uses colour ${index}, beyond the ${palette.length / 3}-colour palette`);
        if (grey) data[o] = palette[3 * index]!;
        else data.set(palette.subarray(3 * index, 3 * index + 3), o);
      } else {
        const p = row + x * (bpp / 8);
        data[o] = buffer[p + 2]!;
        data[o + 1] = buffer[p + 1]!;
        data[o + 2] = buffer[p]!;
      }
    }
  }
  return { width, height, channels, data };
}

function isGreyPalette(palette: Uint8Array): boolean {
  for (let i = 0; i < palette.length; i += 3) if (palette[i] !== palette[i + 1] || palette[i] !== palette[i + 2]) return false;
  return true;
}
