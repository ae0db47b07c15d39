import { DatasetError } from '../../errors.js';

/** A decoded NumPy array: numbers (any numeric dtype) or strings (`U`/`S` dtypes), C order. */
export interface NdArray {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly values: Float64Array | Uint8Array | string[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Parses a `.npy` buffer (format versions 1, 2 and 3). Numeric little-endian dtypes (bool, int8..64,
 * uint8..64, float16 is refused, float32/64) become a Float64Array (uint8 stays a Uint8Array);
 * `U<n>` and `S<n>` become strings. Fortran-ordered arrays of more than one dimension are refused.
 */
export function parseNpy(buffer: Uint8Array, file: string): NdArray {
  if (buffer.length < 10 || MAGIC.some((b, i) => buffer[i] !== b)) throw new DatasetError(file, 'not a .npy file (bad magic)');
  const major = buffer[6]!;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let headerLength: number;
  let offset: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLength = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new DatasetError(file, `unsupported .npy version ${major}`);
  }
  if (offset + headerLength > buffer.length) throw new DatasetError(file, 'truncated .npy header');
  const header = Buffer.from(buffer.subarray(offset, offset + headerLength)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new DatasetError(file, `cannot parse .npy header: ${header.trim()}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DatasetError(file, `bad shape (${shapeText})`);
  if (fortran === 'True' && shape.length > 1) throw new DatasetError(file, 'Fortran-ordered arrays are not supported; save with order="C"');
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buffer.subarray(offset + headerLength);
  return { shape, dtype: descr, values: decodeValues(body, descr, count, file) };
}

function decodeValues(body: Uint8Array, descr: string, count: number, file: string): NdArray['values'] {
  const order = descr[0]!;
  const kind = descr[1]!;
  const size = Number(descr.slice(2));
  if (order === '>' && size > 1) throw new DatasetError(file, `big-endian dtype ${descr} is not supported`);
  const need = kind === 'U' ? count * size * 4 : count * size;
  if (body.length < need) throw new DatasetError(file, `truncated .npy data: ${body.length} bytes, expected ${need}`);
  const view = new DataView(body.buffer, body.byteOffset, need);
  if (kind === 'U' || kind === 'S') {
    const out: string[] = new Array(count);
    const width = kind === 'U' ? size * 4 : size;
    for (let i = 0; i < count; i++) {
      let s = '';
      for (let k = 0; k < size; k++) {
        const code = kind === 'U' ? view.getUint32(i * width + k * 4, true) : view.getUint8(i * width + k);
        if (code === 0) break;
        s += String.fromCodePoint(code);
      }
      out[i] = s;
    }
    return out;
  }
  if ((kind === 'u' || kind === 'b') && size === 1) return new Uint8Array(body.subarray(0, count));
  const out = new Float64Array(count);
  const read = reader(kind, size, view, file, descr);
  for (let i = 0; i < count; i++) out[i] = read(i * size);
  return out;
}

function reader(kind: string, size: number, view: DataView, file: string, descr: string): (at: number) => number {
  switch (`${kind}${size}`) {
    case 'i1':
      return (at) => view.getInt8(at);
    case 'i2':
      return (at) => view.getInt16(at, true);
    case 'u2':
      return (at) => view.getUint16(at, true);
    case 'i4':
      return (at) => view.getInt32(at, true);
    case 'u4':
      return (at) => view.getUint32(at, true);
    case 'i8':
      return (at) => Number(view.getBigInt64(at, true));
    case 'u8':
      return (at) => Number(view.getBigUint64(at, true));
    case 'f4':
      return (at) => view.getFloat32(at, true);
    case 'f8':
      return (at) => view.getFloat64(at, true);
    default:
      throw new DatasetError(file, `unsupported dtype ${descr}`);
  }
}
