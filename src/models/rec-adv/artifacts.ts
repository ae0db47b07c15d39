import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { toPixelByte } from '../../datasets/tensors.js';
import { RunError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { saveModel } from '../io.js';
import type { CurvePoint, TrainedUser } from './train-user.js';

/** What `done.json` records about a trained user; its presence marks the user complete. */
export interface UserTrainingSummary {
  readonly user: string;
  readonly bestIteration: number;
  readonly bestValMse: number;
  readonly checkpointed: boolean;
  /** The images the checkpoint was chosen on (`bestValMse` is then their MSE); absent in older models: validation. */
  readonly checkpointOn?: 'validation' | 'training';
  readonly iterations: number;
  readonly seconds: number;
  readonly backend: string;
  /** Convolution kernels that trained the model (`BackendChoice.kernels`, e.g. `native-avx2`). */
  readonly kernels?: string;
  /** SHA-256 (hex) of `weights.bin`, checked before the model is used (absent in models written before it was recorded). */
  readonly weightsSha256?: string;
}

/** Folder of one user's model inside a models folder (user names are made safe for file names). */
export function userModelDir(modelsDir: string, user: string): string {
  return join(modelsDir, `user-${user.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.codePointAt(0)!.toString(16)}`)}`);
}

/** The summary of a completed user, or undefined when the user has not finished training. */
export async function readUserSummary(modelsDir: string, user: string): Promise<UserTrainingSummary | undefined> {
  const file = join(userModelDir(modelsDir, user), 'done.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as UserTrainingSummary;
}

/** SHA-256 (hex) of a user's `weights.bin`, or null when it cannot be read. */
export async function weightsChecksum(modelsDir: string, user: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(join(userModelDir(modelsDir, user), 'weights.bin'))).digest('hex');
  } catch {
    return null;
  }
}

/**
 * Checks a complete user's `weights.bin` against the checksum its `done.json` records.
 * @returns null when it matches (or no checksum was recorded), else the problem, naming the file.
 */
export async function checkUserWeights(modelsDir: string, user: string, summary: UserTrainingSummary): Promise<RunError | null> {
  if (summary.weightsSha256 === undefined) return null;
  const weights = join(userModelDir(modelsDir, user), 'weights.bin');
  const actual = await weightsChecksum(modelsDir, user);
  if (actual === summary.weightsSha256) return null;
  return new RunError(
    weights,
    actual === null ? `user ${user}: missing or unreadable, though done.json marks the model complete` : `user ${user}: does not match the SHA-256 recorded in done.json (a corrupt or replaced model)`,
  );
}

/** Removes what an interrupted run left of a user, so it restarts cleanly. */
export async function clearUser(modelsDir: string, user: string): Promise<void> {
  await rm(userModelDir(modelsDir, user), { recursive: true, force: true });
}

/**
 * Validation images above their reconstructions, as 8-bit pixels: images `0..count/2-1` are the
 * samples, `count/2..count-1` their reconstructions (height x width x channels each, row-major).
 */
export interface ReconstructionSheet {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly count: number;
  readonly pixels: Uint8Array;
}

/** What training one user produced besides the model: for the caller to write (curves.csv, reconstructions.png). */
export interface UserTrainingOutputs {
  readonly curve: readonly CurvePoint[];
  /** Null when the user had no sample image. */
  readonly reconstructions: ReconstructionSheet | null;
}

/** Writes a user's {@link UserTrainingOutputs} into their model folder (the runner's `writeTrainingOutputs`). */
export type UserOutputWriter = (userDir: string, outputs: UserTrainingOutputs) => Promise<void>;

/** A trained user whose model is saved but not yet marked complete. */
export interface SavedUser {
  readonly summary: UserTrainingSummary;
  readonly outputs: UserTrainingOutputs;
}

/**
 * Saves a trained user's reconstructor (TF.js format) into their folder and returns the summary
 * `done.json` will hold and the outputs for the caller to write: the curves, and the sample
 * images with their reconstructions. The user is complete only after {@link markUserDone}.
 */
export async function saveTrainedUser(
  modelsDir: string,
  user: string,
  trained: TrainedUser,
  samples: { images: Float32Array; shape: readonly [number, number, number] },
  backend: string,
  kernels?: string,
): Promise<SavedUser> {
  await saveModel(trained.reconstructor, userModelDir(modelsDir, user));
  const [h, w, c] = samples.shape;
  const size = h * w * c;
  const n = samples.images.length / size;
  let reconstructions: ReconstructionSheet | null = null;
  if (n > 0) {
    const recon = tf.tidy(() => (trained.reconstructor.predict(tf.tensor4d(samples.images, [n, h, w, c])) as tf.Tensor).dataSync());
    const pixels = new Uint8Array(2 * n * size);
    for (let i = 0; i < n * size; i++) {
      pixels[i] = toPixelByte(samples.images[i]!);
      pixels[n * size + i] = toPixelByte(recon[i]!);
    }
    reconstructions = { width: w, height: h, channels: c as 1 | 3, count: 2 * n, pixels };
  }
  const summary: UserTrainingSummary = {
    user,
    bestIteration: trained.bestIteration,
    bestValMse: trained.bestValMse,
    checkpointed: trained.checkpointed,
    checkpointOn: trained.checkpointOn,
    iterations: trained.curve.length,
    seconds: Math.round(trained.seconds * 100) / 100,
    backend,
    ...(kernels ? { kernels } : {}),
    weightsSha256: (await weightsChecksum(modelsDir, user)) ?? undefined,
  };
  return { summary, outputs: { curve: trained.curve, reconstructions } };
}

/** Writes `done.json`, which marks the user complete: call it last, after the user's other files. */
export async function markUserDone(modelsDir: string, summary: UserTrainingSummary): Promise<void> {
  await writeFileAtomic(join(userModelDir(modelsDir, summary.user), 'done.json'), `${JSON.stringify(summary, null, 2)}\n`);
}
