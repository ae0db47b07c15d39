import { inflateSync } from 'node:zlib';
import { DatasetError } from '../../errors.js';

/** A MATLAB array: its dimensions and values in MATLAB (column-major) order. */
export interface MatArray {
  readonly dims: readonly number[];
  /** The MATLAB class, e.g. `double`, `uint8`, `char`, `cell`. */
  readonly className: string;
  /** Numbers for numeric and logical arrays, strings for char arrays (one per row) and cell arrays of char. */
  readonly values: Float64Array | string[];
}

const CLASSES: Record<number, string> = { 1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64' };
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;

/** Whether a buffer is a MAT v5 file (header text and the `IM`/`MI` endian indicator at byte 126). */
export function isMatV5(buffer: Uint8Array): boolean {
  if (buffer.length < 128) return false;
  const text = Buffer.from(buffer.subarray(0, 10)).toString('latin1');
  const endian = String.fromCharCode(buffer[126]!, buffer[127]!);
  return text.startsWith('MATLAB') && (endian === 'IM' || endian === 'MI') && !isMatV73(buffer);
}

/** Whether a buffer is a MAT v7.3 file: HDF5 with a 512-byte MATLAB user block (or plain HDF5). */
export function isMatV73(buffer: Uint8Array): boolean {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return [0, 512, 1024, 2048].some((at) => buffer.length >= at + 8 && signature.every((b, i) => buffer[at + i] === b));
}

/**
 * Reads the top-level arrays of a MAT v5 file (MATLAB `save -v5`/`-v6`/`-v7`): numeric, logical
 * and char arrays and cell arrays of char, each element uncompressed or zlib-compressed
 * (`miCOMPRESSED`), either byte order. Values are converted from the stored type (which MATLAB may
 * narrow, e.g. a double array of small integers stored as uint8) to numbers. Complex parts, structs,
 * objects and sparse arrays are skipped with their names listed in `skipped`. `file` is named in errors.
 */
export function parseMatV5(buffer: Uint8Array, file: string): { arrays: Map<string, MatArray>; skipped: string[] } {
  if (!isMatV5(buffer)) throw new DatasetError(file, 'not a MAT v5 file (no "MATLAB" header with an IM/MI endian indicator)');
  const little = String.fromCharCode(buffer[126]!, buffer[127]!) === 'IM';
  const arrays = new Map<string, MatArray>();
  const skipped: string[] = [];
  let pos = 128;
  while (pos + 8 <= buffer.length) {
    const el = readElement(buffer, pos, little, file);
    pos = el.next;
    let type = el.type;
    let body = el.body;
    if (type === MI_COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(body);
      } catch (error) {
        throw new DatasetError(file, `corrupt compressed element at byte ${el.start}: ${(error as Error).message}`);
      }
      const inner = readElement(inflated, 0, little, file);
      type = inner.type;
      body = inner.body;
    }
    if (type !== MI_MATRIX) continue;
    const array = readMatrix(body, little, file);
    if (array.value) arrays.set(array.name, array.value);
    else skipped.push(`${array.name} (${array.className})`);
  }
  return { arrays, skipped };
}

interface Element {
  readonly type: number;
  readonly body: Uint8Array;
  readonly start: number;
  readonly next: number;
}

function readElement(buffer: Uint8Array, pos: number, little: boolean, file: string): Element {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (pos + 8 > buffer.length) throw new DatasetError(file, `truncated data element at byte ${pos}`);
  const first = view.getUint32(pos, little);
  if (first >>> 16 !== 0) {
    // Small data element: type and size in the first 4 bytes, up to 4 bytes of data in the next 4.
    const size = first >>> 16;
    if (size > 4) throw new DatasetError(file, `bad small data element at byte ${pos}`);
    return { type: first & 0xffff, body: buffer.subarray(pos + 4, pos + 4 + size), start: pos, next: pos + 8 };
  }
  const size = view.getUint32(pos + 4, little);
  if (pos + 8 + size > buffer.length) throw new DatasetError(file, `truncated data element at byte ${pos}: ${size} bytes announced, ${buffer.length - pos - 8} left`);
  const padded = first === MI_COMPRESSED ? size : Math.ceil(size / 8) * 8;
  return { type: first, body: buffer.subarray(pos + 8, pos + 8 + size), start: pos, next: Math.min(buffer.length, pos + 8 + padded) };
}

function numbers(el: Element, little: boolean, file: string): Float64Array {
  const { type, body } = el;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const read: Record<number, [number, (o: number) => number]> = {
    1: [1, (o) => view.getInt8(o)],
    2: [1, (o) => view.getUint8(o)],
    3: [2, (o) => view.getInt16(o, little)],
    4: [2, (o) => view.getUint16(o, little)],
    5: [4, (o) => view.getInt32(o, little)],
    6: [4, (o) => view.getUint32(o, little)],
    7: [4, (o) => view.getFloat32(o, little)],
    9: [8, (o) => view.getFloat64(o, little)],
    12: [8, (o) => Number(view.getBigInt64(o, little))],
    13: [8, (o) => Number(view.getBigUint64(o, little))],
    16: [1, (o) => view.getUint8(o)],
    17: [2, (o) => view.getUint16(o, little)],
  };
  const entry = read[type];
  if (!entry) throw new DatasetError(file, `unsupported MAT data type ${type}`);
  const [width, get] = entry;
  const out = new Float64Array(Math.floor(body.length / width));
  for (let i = 0; i < out.length; i++) out[i] = get(i * width);
  return out;
}

function readMatrix(body: Uint8Array, little: boolean, file: string): { name: string; className: string; value?: MatArray } {
  const flagsEl = readElement(body, 0, little, file);
  const flags = numbers(flagsEl, little, file);
  const classId = flags[0]! & 0xff;
  const complex = (flags[0]! & 0x800) !== 0;
  const className = CLASSES[classId] ?? `class ${classId}`;
  const dimsEl = readElement(body, flagsEl.next, little, file);
  const dims = Array.from(numbers(dimsEl, little, file));
  const nameEl = readElement(body, dimsEl.next, little, file);
  const name = Buffer.from(nameEl.body).toString('latin1');
  const count = dims.reduce((a, b) => a * b, 1);
  if (className === 'cell') {
    const values: string[] = [];
    let pos = nameEl.next;
    for (let i = 0; i < count; i++) {
      const cell = readElement(body, pos, little, file);
      pos = cell.next;
      const inner = cell.type === MI_MATRIX ? readMatrix(cell.body, little, file) : undefined;
      if (!inner?.value || inner.value.className !== 'char') return { name, className: 'cell (not all char)' };
      values.push((inner.value.values as string[]).join(''));
    }
    return { name, className, value: { dims, className, values } };
  }
  if (complex || !(classId === 4 || (classId >= 6 && classId <= 15))) return { name, className: complex ? `complex ${className}` : className };
  const data = numbers(readElement(body, nameEl.next, little, file), little, file);
  if (data.length !== count) throw new DatasetError(file, `array "${name}" has ${data.length} values, dims [${dims.join(' x ')}] need ${count}`);
  if (className === 'char') {
    // One string per row of an R x L char matrix (column-major), trailing blanks trimmed.
    const rows = dims[0] ?? 0;
    const length = rows === 0 ? 0 : count / rows;
    const values = Array.from({ length: rows }, (_, r) => String.fromCharCode(...Array.from({ length }, (_, c) => data[r + c * rows]!)).trimEnd());
    return { name, className, value: { dims, className, values } };
  }
  return { name, className, value: { dims, className, values: data } };
}
