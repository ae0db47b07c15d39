import type { SourceConfig } from '../../config/dataset-schema.js';
import { DatasetError } from '../../errors.js';
import { readSourceFile } from '../decode/image.js';
import { isMatV73, parseMatV5, type MatArray } from '../decode/mat.js';
import { arraysToImages, type NamedArray } from './arrays.js';
import type { SourcePlan } from './types.js';

type MatConfig = Extract<SourceConfig, { type: 'mat' }>;

/** Axis letters of each MATLAB layout, in MATLAB's dimension order. */
const AXES: Record<MatConfig['layout'], string> = { hwn: 'hwn', hwcn: 'hwcn', nhw: 'nhw', nhwc: 'nhwc' };

/**
 * Rearranges a MATLAB image array (column-major, dimensions in the order `layout` names) into
 * N x H x W x C row-major values.
 */
export function matImagesToNhwc(array: MatArray, layout: MatConfig['layout'], where: string): NamedArray {
  const axes = AXES[layout];
  if (typeof array.values[0] === 'string') throw new DatasetError(where, `is a ${array.className} array, expected numbers`);
  // MATLAB drops trailing singleton dimensions: H x W x 1 is saved as H x W.
  const dims = [...array.dims];
  while (dims.length < axes.length) dims.push(1);
  if (dims.length !== axes.length) throw new DatasetError(where, `has dimensions [${array.dims.join(' x ')}], expected ${axes.length} for layout ${layout} (${axes.split('').join(' x ').toUpperCase()})`);
  const size = (axis: string): number => (axes.includes(axis) ? dims[axes.indexOf(axis)]! : 1);
  const [n, h, w, c] = [size('n'), size('h'), size('w'), size('c')];
  const stride: number[] = [];
  dims.reduce((acc, d, k) => ((stride[k] = acc), acc * d), 1);
  const st = (axis: string): number => (axes.includes(axis) ? stride[axes.indexOf(axis)]! : 0);
  const [sn, sh, sw, sc] = [st('n'), st('h'), st('w'), st('c')];
  const src = array.values as Float64Array;
  const out = new Float64Array(n * h * w * c);
  let o = 0;
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[o++] = src[i * sn + y * sh + x * sw + k * sc]!;
  return { array: { shape: [n, h, w, c], dtype: array.className, values: out }, where };
}

function vector(array: MatArray, where: string): NamedArray {
  const nonSingleton = array.dims.filter((d) => d !== 1);
  if (nonSingleton.length > 1 && array.className !== 'char') throw new DatasetError(where, `has dimensions [${array.dims.join(' x ')}], expected a vector`);
  const values = array.values;
  return { array: { shape: [values.length], dtype: array.className, values: values instanceof Float64Array ? values : [...values] }, where };
}

async function readMatV73(file: string): Promise<Map<string, MatArray>> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let h5: InstanceType<typeof h5wasm.File>;
  try {
    h5 = new h5wasm.File(file, 'r');
  } catch (error) {
    throw new DatasetError(file, `cannot open as a MAT v7.3 (HDF5) file: ${(error as Error).message}`);
  }
  try {
    const arrays = new Map<string, MatArray>();
    for (const name of h5.keys()) {
      const entity = h5.get(name);
      if (!(entity instanceof h5wasm.Dataset)) continue;
      const value = entity.value;
      if (!ArrayBuffer.isView(value) || value instanceof DataView) continue;
      // HDF5 stores MATLAB's column-major array row-major with the dimensions reversed.
      const dims = [...(entity.shape ?? [])].reverse();
      arrays.set(name, { dims, className: String(entity.attrs['MATLAB_class']?.value ?? entity.dtype), values: Float64Array.from(value as unknown as ArrayLike<number | bigint>, Number) });
    }
    return arrays;
  } finally {
    h5.close();
  }
}

/**
 * Plans loading images, labels and attributes from a MATLAB file: MAT v5 (`save -v7` and older,
 * compressed or not) with our own reader, v7.3 (HDF5) through h5wasm. The usual face-benchmark
 * layout is an `x` H x W x N array and a `label` vector.
 */
export function planMat(config: MatConfig, resolvePath: (p: string) => string): SourcePlan {
  const file = resolvePath(config.file);
  return {
    kind: 'arrays',
    inputs: [file],
    notes: [],
    load: async () => {
      const buffer = await readSourceFile(file);
      const v73 = isMatV73(buffer);
      const parsed = v73 ? { arrays: await readMatV73(file), skipped: [] } : parseMatV5(buffer, file);
      const get = (name: string): MatArray => {
        const array = parsed.arrays.get(name);
        if (!array) {
          const skipped = parsed.skipped.length > 0 ? `; skipped: ${parsed.skipped.join(', ')}` : '';
          throw new DatasetError(file, `no array named "${name}" (it has: ${[...parsed.arrays.keys()].join(', ') || 'nothing'}${skipped})`);
        }
        return array;
      };
      const attributes: Record<string, NamedArray> = {};
      for (const [k, v] of Object.entries(config.attributes)) attributes[k] = vector(get(v), `${file}:${v}`);
      const images = matImagesToNhwc(get(config.images), config.layout, `${file}:${config.images}`);
      return arraysToImages(images, vector(get(config.labels), `${file}:${config.labels}`), attributes, { layout: 'nhwc', pixelMax: config.pixelMax });
    },
  };
}
