import { DatasetError } from '../../errors.js';
import type { RawImage } from '../types.js';

/** Whether a buffer starts like a netpbm file this parser reads (P2, P3, P5, P6). */
export function isNetpbm(buffer: Uint8Array): boolean {
  return buffer.length >= 2 && buffer[0] === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(buffer[1]!);
}

/**
 * Parses a netpbm greymap or pixmap: P2/P5 (grey) and P3/P6 (RGB), ASCII or binary.
 * The header is magic, width, height, maxval separated by whitespace, with `#` comments to the end
 * of a line allowed anywhere in it; binary pixels follow one whitespace byte. Values are scaled
 * from 0..maxval to 0..255 (rounded). `file` is named in every error.
 */
export function parseNetpbm(buffer: Uint8Array, file: string): RawImage {
  if (buffer.length < 2 || buffer[0] !== 0x50) throw new DatasetError(file, 'not a netpbm file (no "P" magic)');
  const kind = String.fromCharCode(buffer[1]!);
  if (!['2', '3', '5', '6'].includes(kind)) {
    throw new DatasetError(file, `unsupported netpbm format P${kind} (supported: P2, P3, P5, P6)`);
  }
  const channels = kind === '3' || kind === '6' ? 3 : 1;
  const binary = kind === '5' || kind === '6';
  let pos = 2;
  const readHeaderInt = (name: string): number => {
    // Skip whitespace and comments.
    for (;;) {
      if (pos >= buffer.length) throw new DatasetError(file, `bad PGM/PPM header: missing ${name}`);
      const c = buffer[pos]!;
      if (c === 0x23) {
        while (pos < buffer.length && buffer[pos] !== 0x0a && buffer[pos] !== 0x0d) pos++;
      } else if (isSpace(c)) {
        pos++;
      } else break;
    }
    const start = pos;
    while (pos < buffer.length && buffer[pos]! >= 0x30 && buffer[pos]! <= 0x39) pos++;
    if (pos === start) {
      throw new DatasetError(file, `bad PGM/PPM header: ${name} is not a number (byte ${start})`);
    }
    if (pos < buffer.length && !isSpace(buffer[pos]!) && buffer[pos] !== 0x23) {
      throw new DatasetError(file, `bad PGM/PPM header: ${name} is not a number (byte ${start})`);
    }
    return Number(Buffer.from(buffer.subarray(start, pos)).toString('ascii'));
  };
  if (pos < buffer.length && !isSpace(buffer[pos]!) && buffer[pos] !== 0x23) {
    throw new DatasetError(file, 'bad PGM/PPM header: no whitespace after the magic number');
  }
  const width = readHeaderInt('width');
  const height = readHeaderInt('height');
  const maxval = readHeaderInt('maxval');
  if (width <= 0 || height <= 0) throw new DatasetError(file, `bad PGM/PPM header: size ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw new DatasetError(file, `bad PGM/PPM header: maxval ${maxval} not in 1..65535`);
  const n = width * height * channels;
  const data = new Uint8Array(n);
  const scale = (v: number): number => (maxval === 255 ? v : Math.round((v * 255) / maxval));
  if (binary) {
    if (pos >= buffer.length || !isSpace(buffer[pos]!)) throw new DatasetError(file, 'bad PGM/PPM header: no whitespace before the pixels');
    pos++;
    const bytesPerValue = maxval > 255 ? 2 : 1;
    const need = n * bytesPerValue;
    if (buffer.length - pos < need) {
      throw new DatasetError(file, `truncated pixel data: ${buffer.length - pos} bytes, expected ${need}`);
    }
    for (let i = 0; i < n; i++) {
      const v = bytesPerValue === 1 ? buffer[pos + i]! : (buffer[pos + 2 * i]! << 8) | buffer[pos + 2 * i + 1]!;
      if (v > maxval) throw new DatasetError(file, `pixel ${i} is ${v}, above maxval ${maxval}`);
      data[i] = scale(v);
    }
  } else {
    for (let i = 0; i < n; i++) {
      while (pos < buffer.length && (isSpace(buffer[pos]!) || buffer[pos] === 0x23)) {
        if (buffer[pos] === 0x23) while (pos < buffer.length && buffer[pos] !== 0x0a) pos++;
        else pos++;
      }
      const start = pos;
      let v = 0;
      while (pos < buffer.length && buffer[pos]! >= 0x30 && buffer[pos]! <= 0x39) v = v * 10 + buffer[pos++]! - 0x30;
      if (pos === start) throw new DatasetError(file, `truncated or invalid pixel data at value ${i} of ${n}`);
      if (v > maxval) throw new DatasetError(file, `pixel ${i} is ${v}, above maxval ${maxval}`);
      data[i] = scale(v);
    }
  }
  return { width, height, channels, data };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}
