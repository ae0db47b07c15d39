import type { SourceConfig } from '../../config/dataset-schema.js';
import { DatasetError } from '../../errors.js';
import { readSourceFile } from '../decode/image.js';
import { parseNpy, type NdArray } from '../decode/npy.js';
import { readZipEntries } from '../decode/zip.js';
import { arraysToImages, type NamedArray } from './arrays.js';
import type { SourcePlan } from './types.js';

type NpyConfig = Extract<SourceConfig, { type: 'npy' }>;
type NpzConfig = Extract<SourceConfig, { type: 'npz' }>;

/** Plans loading images, labels and attributes from separate `.npy` files. */
export function planNpy(config: NpyConfig, resolvePath: (p: string) => string): SourcePlan {
  const files = {
    images: resolvePath(config.images),
    labels: resolvePath(config.labels),
    ...Object.fromEntries(Object.entries(config.attributes).map(([k, v]) => [`attr:${k}`, resolvePath(v)])),
  };
  return {
    kind: 'arrays',
    inputs: Object.values(files),
    notes: [],
    load: async () => {
      const read = async (path: string): Promise<NamedArray> => ({ array: parseNpy(await readSourceFile(path), path), where: path });
      const attributes: Record<string, NamedArray> = {};
      for (const [k, v] of Object.entries(config.attributes)) attributes[k] = await read(resolvePath(v));
      return arraysToImages(await read(files.images), await read(files.labels), attributes, config);
    },
  };
}

/** Plans loading named arrays from one `.npz` archive. */
export function planNpz(config: NpzConfig, resolvePath: (p: string) => string): SourcePlan {
  const file = resolvePath(config.file);
  return {
    kind: 'arrays',
    inputs: [file],
    notes: [],
    load: async () => {
      const entries = readZipEntries(await readSourceFile(file), file);
      const get = (name: string): NamedArray => {
        const entry = entries.get(`${name}.npy`) ?? entries.get(name);
        if (!entry) {
          const names = [...entries.keys()].map((k) => k.replace(/\.npy$/, ''));
          throw new DatasetError(file, `no array named "${name}" in the archive (it has: ${names.join(', ') || 'nothing'})`);
        }
        const where = `${file}:${name}`;
        const array: NdArray = parseNpy(entry(), where);
        return { array, where };
      };
      const attributes: Record<string, NamedArray> = {};
      for (const [k, v] of Object.entries(config.attributes)) attributes[k] = get(v);
      return arraysToImages(get(config.images), get(config.labels), attributes, config);
    },
  };
}
