import { z } from 'zod';
import type { DeepReadonly } from '../util/deep-freeze.js';

/**
 * The `training` section: every hyperparameter of the per-user reconstructive adversarial
 * networks. Defaults are the paper's (authors' `train.py`); CPU configs scale `iterations`,
 * `batchSize` and `gf` down and say so.
 */
export const trainingSchema = z.strictObject({
  gf: z.number().int().min(1).max(256).default(32).describe('Reconstructor base filters (paper: 32)'),
  df: z.number().int().min(1).max(512).default(64).describe('Discriminator base filters (paper: 64)'),
  iterations: z.number().int().min(1).default(30_000).describe('Training iterations per user (paper: 30,000)'),
  batchSize: z.number().int().min(2).default(256).describe('Batch size; each iteration samples batchSize / 2 images with replacement (paper: 256)'),
  learningRate: z.number().positive().default(2e-4).describe('Adam learning rate (paper: 2e-4)'),
  beta1: z.number().min(0).lt(1).default(0.5).describe('Adam beta1 (paper: 0.5)'),
  reconstructionWeight: z.number().min(0).default(0.999).describe('Weight of MSE(R(x), x) in the reconstructor loss (paper: 0.999)'),
  adversarialWeight: z.number().min(0).default(0.001).describe('Weight of MSE(D(R(x)), 1) in the reconstructor loss (paper: 0.001)'),
  validateEvery: z.number().int().min(1).default(100).describe('Validation (and checkpoint) interval in iterations'),
  checkpointBelow: z
    .number()
    .positive()
    .nullable()
    .default(0.04)
    .describe('Checkpoint only when the validation MSE improves and is below this (authors: 0.04); null: on any improvement'),
  workers: z.number().int().min(0).max(64).default(0).describe('Users trained in parallel worker threads (0: one per CPU core)'),
  modelsDir: z.string().optional().describe('Folder of trained models (default: <output.dir>/models/<hash of dataset + training + seed>)'),
  sampleImages: z.number().int().min(0).max(32).default(8).describe('Validation images shown in each user reconstructions.png'),
  withoutValidation: z
    .enum(['refuse', 'useTraining'])
    .default('refuse')
    .describe(
      'A user left with no validation image although `dataset.split.validationFraction` > 0 (a class of 2 images: 1 test, 1 training): `refuse` (an error naming the class) or `useTraining` (choose the checkpoint on the training images, and say so: console, done.json and training_users.csv `checkpointOn`). Not part of the models hash',
    ),
});

/** A resolved (frozen) training config. */
export type TrainingConfig = DeepReadonly<z.infer<typeof trainingSchema>>;
