import { stat } from 'node:fs/promises';
import type { SourceConfig } from '../../config/dataset-schema.js';
import { DatasetError } from '../../errors.js';
import type { NdArray } from '../decode/npy.js';
import { arraysToImages, type NamedArray } from './arrays.js';
import type { SourcePlan } from './types.js';

type Hdf5Config = Extract<SourceConfig, { type: 'hdf5' }>;

/**
 * Plans loading images, labels and attributes from named datasets of an HDF5 file with h5wasm
 * (the Kaggle `LetterColorImages_123.h5` layout: `images` float32 0..255 N x 32 x 32 x 3,
 * `labels`, `backgrounds`).
 */
export function planHdf5(config: Hdf5Config, resolvePath: (p: string) => string): SourcePlan {
  const file = resolvePath(config.file);
  return {
    kind: 'arrays',
    inputs: [file],
    notes: [],
    load: async () => {
      try {
        if (!(await stat(file)).isFile()) throw new DatasetError(file, 'is not a file');
      } catch (error) {
        if (error instanceof DatasetError) throw error;
        throw new DatasetError(file, 'file not found');
      }
      const h5wasm = (await import('h5wasm/node')).default;
      await h5wasm.ready;
      let h5: InstanceType<typeof h5wasm.File>;
      try {
        h5 = new h5wasm.File(file, 'r');
      } catch (error) {
        throw new DatasetError(file, `cannot open as HDF5: ${(error as Error).message}`);
      }
      try {
        const read = (name: string): NamedArray => {
          const entity = h5.get(name);
          const where = `${file}:${name}`;
          if (!entity || !(entity instanceof h5wasm.Dataset)) {
            throw new DatasetError(file, `no dataset named "${name}" (it has: ${h5.keys().join(', ') || 'nothing'})`);
          }
          const shape = entity.shape ?? [];
          const value = entity.value;
          let values: NdArray['values'];
          if (value instanceof Uint8Array) values = value;
          else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
            values = Float64Array.from(value as unknown as ArrayLike<number | bigint>, Number);
          } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) values = value as string[];
          else throw new DatasetError(where, `unsupported HDF5 data type ${JSON.stringify(entity.dtype)}`);
          return { array: { shape, dtype: String(entity.dtype), values }, where };
        };
        const attributes: Record<string, NamedArray> = {};
        for (const [k, v] of Object.entries(config.attributes)) attributes[k] = read(v);
        return arraysToImages(read(config.images), read(config.labels), attributes, { layout: 'nhwc', pixelMax: config.pixelMax });
      } finally {
        h5.close();
      }
    },
  };
}
