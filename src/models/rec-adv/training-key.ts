/**
 * Reuse of a trained user model wherever it was trained: a user's model is a function of its
 * training key (seed, user, image decoding, training settings and the ids of its training and
 * validation images), so a models folder that needs a user can take a verified copy of a model
 * another folder holds for the same key, in whatever order the folders were trained. The index
 * lives in `<results>/models/.by-key/<key>.json`.
 */
import { cp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrivedgeConfig } from '../../config/schema.js';
import type { PreparedDataset } from '../../datasets/prepare.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { DeepReadonly } from '../../util/deep-freeze.js';
import { shortHash } from '../../util/hash.js';
import { checkUserWeights, readUserSummary, userModelDir, type UserTrainingSummary } from './artifacts.js';

/**
 * What one user's trained reconstructor depends on: the seed, the user, the ids of their training
 * and validation images (in order), how images are decoded and transformed, and the training
 * settings (`train/user:<name>` is the user's random stream, see run-job.ts).
 */
export function userTrainingKey(config: DeepReadonly<PrivedgeConfig>, data: PreparedDataset, user: string): string {
  const split = data.partition.users.find((u) => u.user === user)!;
  const { workers: _w, modelsDir: _m, sampleImages: _s, withoutValidation: _v, ...training } = config.training;
  const { source, image, transforms } = config.dataset;
  return shortHash({
    seed: config.seed,
    user,
    source,
    image,
    jpeg: transforms.jpeg ?? null,
    training,
    train: split.train.map((i) => data.images.ids[i]),
    validation: split.validation.map((i) => data.images.ids[i]),
  });
}

interface KeyEntry {
  readonly user: string;
  readonly dir: string;
  readonly weightsSha256: string;
}

const entryPath = (resultsRoot: string, key: string): string => join(resultsRoot, 'models', '.by-key', `${key}.json`);

/** Records that `modelsDir` holds a complete model of `user` for `key` (only models with a checksum). */
export async function recordTrainingKey(resultsRoot: string, key: string, modelsDir: string, summary: UserTrainingSummary): Promise<void> {
  if (summary.weightsSha256 === undefined) return;
  const entry: KeyEntry = { user: summary.user, dir: userModelDir(modelsDir, summary.user), weightsSha256: summary.weightsSha256 };
  await writeFileAtomic(entryPath(resultsRoot, key), `${JSON.stringify(entry, null, 2)}\n`);
}

/**
 * Copies into `modelsDir` the model another folder holds for the same training key, when its
 * weights still match the recorded checksum; the copy is atomic (temporary name, then rename).
 * @returns the copied user's summary, or undefined when there is nothing to reuse.
 */
export async function reuseByTrainingKey(resultsRoot: string, key: string, modelsDir: string, user: string): Promise<UserTrainingSummary | undefined> {
  let entry: KeyEntry;
  try {
    entry = JSON.parse(await readFile(entryPath(resultsRoot, key), 'utf8')) as KeyEntry;
  } catch {
    return undefined;
  }
  const to = userModelDir(modelsDir, user);
  if (entry.user !== user || entry.dir === to) return undefined;
  const fromModels = join(entry.dir, '..');
  const summary = await readUserSummary(fromModels, user);
  if (!summary || summary.weightsSha256 !== entry.weightsSha256 || (await checkUserWeights(fromModels, user, summary))) return undefined;
  const tmp = `${to}.copy-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await cp(entry.dir, tmp, { recursive: true });
  await rm(to, { recursive: true, force: true });
  await rename(tmp, to);
  return summary;
}
