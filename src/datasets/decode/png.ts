import { crc32, inflateSync } from 'node:zlib';
import { DatasetError } from '../../errors.js';
import type { RawImage } from '../types.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether a buffer starts with the PNG signature. */
export function isPng(buffer: Uint8Array): boolean {
  return buffer.length >= 8 && SIGNATURE.every((b, i) => buffer[i] === b);
}

/**
 * Decodes a non-interlaced PNG to 8-bit pixels (grey, grey+alpha, RGB or RGBA; palettes expanded
 * to RGB; 1/2/4-bit grey scaled to 0..255; 16-bit reduced to its high byte, as libpng does).
 * Chunk CRCs are checked and a truncated file is an error. Returns undefined for an interlaced
 * PNG, which the caller hands to sharp. Small images decode here about 20x faster than through
 * sharp, whose per-call overhead (about 1.5 ms) dominates for 32 x 32 images.
 */
export function decodePng(buffer: Uint8Array, file: string): RawImage | undefined {
  if (!isPng(buffer)) throw new DatasetError(file, 'not a PNG file');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colour = -1;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos + 12 <= buffer.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(buffer[pos + 4]!, buffer[pos + 5]!, buffer[pos + 6]!, buffer[pos + 7]!);
    if (pos + 12 + length > buffer.length) throw new DatasetError(file, `truncated PNG: chunk ${type} runs past the end of the file`);
    const data = buffer.subarray(pos + 8, pos + 8 + length);
    const crc = view.getUint32(pos + 8 + length);
    if (crc32(buffer.subarray(pos + 4, pos + 8 + length)) !== crc) throw new DatasetError(file, `corrupt PNG: bad CRC in chunk ${type}`);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = data[8]!;
      colour = data[9]!;
      interlace = data[12]!;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos += 12 + length;
  }
  if (!ended) throw new DatasetError(file, 'truncated PNG: no IEND chunk');
  if (width === 0 || height === 0 || colour < 0) throw new DatasetError(file, 'corrupt PNG: missing or empty IHDR');
  if (interlace !== 0) return undefined;
  const channelsIn = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour as 0 | 2 | 3 | 4 | 6];
  if (channelsIn === undefined || ![1, 2, 4, 8, 16].includes(depth)) throw new DatasetError(file, `unsupported PNG colour type ${colour} / bit depth ${depth}`);
  if (colour === 3 && !palette) throw new DatasetError(file, 'corrupt PNG: palette image without PLTE');
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (error) {
    throw new DatasetError(file, `corrupt PNG image data: ${(error as Error).message}`);
  }
  const bitsPerPixel = channelsIn * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < height * (stride + 1)) throw new DatasetError(file, `truncated PNG image data: ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const lines = new Uint8Array(height * stride);
  unfilter(raw, lines, height, stride, bpp, file);
  return expand(lines, width, height, stride, depth, colour, channelsIn, palette);
}

function unfilter(raw: Uint8Array, out: Uint8Array, height: number, stride: number, bpp: number, file: string): void {
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const up = dst - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x]!;
      const a = x >= bpp ? out[dst + x - bpp]! : 0;
      const b = y > 0 ? out[up + x]! : 0;
      let r: number;
      switch (filter) {
        case 0:
          r = v;
          break;
        case 1:
          r = v + a;
          break;
        case 2:
          r = v + b;
          break;
        case 3:
          r = v + ((a + b) >> 1);
          break;
        case 4: {
          const c = x >= bpp && y > 0 ? out[up + x - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          r = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new DatasetError(file, `corrupt PNG: unknown filter ${filter} on row ${y}`);
      }
      out[dst + x] = r & 0xff;
    }
  }
}

function expand(
  lines: Uint8Array,
  width: number,
  height: number,
  stride: number,
  depth: number,
  colour: number,
  channelsIn: number,
  palette: Uint8Array | undefined,
): RawImage {
  const channels = colour === 3 ? 3 : channelsIn;
  const out = new Uint8Array(width * height * channels);
  if (depth === 8 && colour !== 3) {
    for (let y = 0; y < height; y++) out.set(lines.subarray(y * stride, y * stride + width * channels), y * width * channels);
  } else if (depth === 16) {
    for (let y = 0; y < height; y++) for (let i = 0; i < width * channels; i++) out[y * width * channels + i] = lines[y * stride + 2 * i]!;
  } else {
    const perByte = 8 / depth;
    const mask = (1 << depth) - 1;
    const scale = colour === 3 ? 1 : 255 / mask;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = depth === 8 ? lines[y * stride + x]! : (lines[y * stride + Math.floor(x / perByte)]! >> (8 - depth * ((x % perByte) + 1))) & mask;
        if (colour === 3) {
          const o = (y * width + x) * 3;
          out[o] = palette![3 * v] ?? 0;
          out[o + 1] = palette![3 * v + 1] ?? 0;
          out[o + 2] = palette![3 * v + 2] ?? 0;
        } else out[y * width + x] = Math.round(v * scale);
      }
    }
  }
  return { width, height, channels, data: out };
}
