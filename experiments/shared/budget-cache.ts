/**
 * What makes `budget` resumable although every run starts a fresh run folder: each milestone's
 * predictions are stored beside its models (`<milestone models>/evaluations/<key>.json`), and
 * each baseline's per-epoch predictions under `<results>/models/budget-baselines/<key>.json`.
 * A key hashes everything the predictions depend on (test images, users, the models' weight
 * checksums or the baseline's settings and seed), so a stale entry is never used.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { shortHash } from '../../src/util/hash.js';

/** Predictions stored for one milestone or one baseline epoch. */
export interface StoredEvaluation {
  readonly key: string;
  readonly images: readonly string[];
  readonly predicted: readonly string[];
}

/** One baseline epoch's stored scores. */
export interface StoredEpoch {
  readonly epoch: number;
  /** The epoch whose weights were scored (best validation accuracy so far). */
  readonly selectedEpoch: number;
  readonly seconds: number;
  readonly valAccuracy: number | null;
  readonly predicted: readonly string[];
}

/** A baseline's stored curve. */
export interface StoredBaseline {
  readonly key: string;
  readonly images: readonly string[];
  readonly epochs: readonly StoredEpoch[];
}

/** The file of a milestone's evaluation, and its key. */
export function milestoneEvaluationFile(milestoneDir: string, parts: { images: readonly string[]; users: readonly string[]; weights: readonly (string | undefined)[]; evalBatchSize: number }): { file: string; key: string } {
  const key = shortHash(parts, 16);
  return { file: join(milestoneDir, 'evaluations', `${key}.json`), key };
}

/** The file of a baseline's per-epoch evaluation, and its key. */
export function baselineEvaluationFile(resultsRoot: string, parts: Record<string, unknown>): { file: string; key: string } {
  const key = shortHash(parts, 16);
  return { file: join(resultsRoot, 'models', 'budget-baselines', `${key}.json`), key };
}

/** A stored entry whose key and images match, else undefined (missing, corrupt or stale). */
export async function readStored<T extends { key: string; images: readonly string[] }>(file: string, key: string, images: readonly string[]): Promise<T | undefined> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as T;
    if (stored.key !== key || stored.images.length !== images.length || stored.images.some((id, i) => id !== images[i])) return undefined;
    return stored;
  } catch {
    return undefined;
  }
}

/** Stores an entry atomically. */
export async function writeStored(file: string, value: StoredEvaluation | StoredBaseline): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`);
}
