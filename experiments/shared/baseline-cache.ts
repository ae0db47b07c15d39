/**
 * Trained centralised baselines kept under `<results>/models/baselines/<name>-<key>/` so that the
 * experiments of a config (identification, jpeg, the unbiased condition of bias) and later runs
 * train each one once. The same spec, seed stream and training data train the same network
 * bit for bit (`trainBaselineModels`), so a stored model is what training again would give; the
 * key hashes all three (the pixels themselves, not image names, so a transform that changes
 * them changes the key). `done.json` is written last and records the weights' SHA-256: a
 * missing, partial or altered model is trained again, with a warning naming the file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/models/io.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { sha256Hex, shortHash } from '../../src/util/hash.js';
import type { BaselineSpec } from './baseline-schema.js';

/** Labelled pooled images of one split. */
interface Split {
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

/** What a stored baseline's `done.json` records. */
export interface StoredBaselineSummary {
  readonly key: string;
  readonly name: string;
  /** Training seconds of the run that trained it. */
  readonly seconds: number;
  readonly weightsSha256: string;
  readonly trainedAt: string;
}

const bytesOf = (a: Float32Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The folder of a baseline trained from `spec`, the seed stream `seedPath` and these splits. */
export function baselineCacheDir(
  resultsRoot: string,
  parts: { name: string; spec: BaselineSpec; seedPath: string; shape: readonly number[]; classes: number; train: Split; validation: Split },
): { dir: string; key: string } {
  const digest = createHash('sha256');
  for (const a of [parts.train.images, parts.train.labels, parts.validation.images, parts.validation.labels]) {
    digest.update(String(a.length)).update(bytesOf(a));
  }
  const key = shortHash({ format: 1, spec: parts.spec, seedPath: parts.seedPath, shape: parts.shape, classes: parts.classes, data: digest.digest('hex') }, 16);
  return { dir: join(resultsRoot, 'models', 'baselines', `${parts.name}-${key}`), key };
}

/**
 * The stored model of `dir` if it is complete and intact, else undefined. `warn` (the reporter's
 * warning line) is told why a model that claims to be complete (done.json present) is not used.
 */
export async function loadStoredBaseline(dir: string, key: string, warn: (message: string) => void): Promise<{ model: tf.LayersModel; summary: StoredBaselineSummary } | undefined> {
  const done = join(dir, 'done.json');
  if (!existsSync(done)) return undefined;
  try {
    const summary = JSON.parse(await readFile(done, 'utf8')) as StoredBaselineSummary;
    if (summary.key !== key) throw new Error(`done.json is for key ${String(summary.key)}, not ${key}`);
    const weights = join(dir, 'weights.bin');
    if (sha256Hex(await readFile(weights)) !== summary.weightsSha256) throw new Error(`${weights} does not match the SHA-256 recorded in done.json (a corrupt or replaced model)`);
    return { model: await loadModel(dir), summary };
  } catch (error) {
    warn(`${dir}: stored baseline not usable (${(error as Error).message}): training it again`);
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Stores a trained baseline (model files first, done.json last). */
export async function storeBaseline(dir: string, model: tf.LayersModel, summary: Omit<StoredBaselineSummary, 'weightsSha256' | 'trainedAt'>): Promise<void> {
  await rm(join(dir, 'done.json'), { force: true });
  await saveModel(model, dir);
  const weightsSha256 = sha256Hex(await readFile(join(dir, 'weights.bin')));
  await writeFileAtomic(join(dir, 'done.json'), `${JSON.stringify({ ...summary, weightsSha256, trainedAt: new Date().toISOString() }, null, 2)}\n`);
}
