import { resolve } from 'node:path';
import type { SourceConfig } from '../../config/dataset-schema.js';
import { ConfigError } from '../../errors.js';
import { planCsv, planFilename, planFolder } from './files.js';
import { planHdf5 } from './hdf5.js';
import { planMat } from './mat.js';
import { planMnist } from './mnist.js';
import { planNpy, planNpz } from './npy.js';
import type { SourcePlan } from './types.js';

/**
 * Expands `${VAR}` and `${VAR:-default}` in a configured path and resolves it against `base`
 * (the working directory), so configs can say `${PRIVEDGE_DATASETS:-../shared/datasets}/orl-faces`.
 */
export function pathResolver(base: string, env: NodeJS.ProcessEnv = process.env): (p: string) => string {
  return (p) => {
    const expanded = p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      throw new ConfigError('dataset.source', `environment variable ${name} is not set (in "${p}")`);
    });
    return resolve(base, expanded);
  };
}

/** Lists what a source holds (files to decode, or arrays to load) without decoding anything. */
export async function planSource(config: SourceConfig, base: string = process.cwd()): Promise<SourcePlan> {
  const resolvePath = pathResolver(base);
  switch (config.type) {
    case 'folder':
      return planFolder(config, resolvePath);
    case 'csv':
      return planCsv(config, resolvePath, base);
    case 'filename':
      return planFilename(config, resolvePath);
    case 'hdf5':
      return planHdf5(config, resolvePath);
    case 'npy':
      return planNpy(config, resolvePath);
    case 'npz':
      return planNpz(config, resolvePath);
    case 'mat':
      return planMat(config, resolvePath);
    case 'mnist':
      return planMnist();
  }
}
