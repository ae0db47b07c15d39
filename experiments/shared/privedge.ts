import type { PrivedgeConfig } from '../../src/config/schema.js';
import type { PreparedDataset } from '../../src/datasets/prepare.js';
import { dissimilarityMatrix, type DissimilarityMatrix } from '../../src/models/rec-adv/dissimilarity.js';
import { loadUserModel, requireUserModels, trainUsers } from '../../src/models/rec-adv/train-users.js';
import type { Row } from '../../src/report/csv.js';
import type { ExperimentContext } from '../../src/runner/experiment.js';
import { writeTrainingOutputs } from '../../src/runner/training-outputs.js';
import type { DeepReadonly } from '../../src/util/deep-freeze.js';

/** Trained (or reused) per-user reconstructors of one config. */
export interface PrivedgeModels {
  readonly modelsDir: string;
  readonly users: readonly string[];
  /** One `training_users.csv` row per user (as identification writes it), with `system`. */
  readonly trainingRows: readonly Row[];
}

/**
 * Trains every enrolled user's reconstructor of `config` on `data` that is not trained yet (or
 * reuses `<results>/models/<hash>`), checks all are complete, and records the models folder in
 * run.json under `facts[factKey]`.
 */
export async function trainPrivedge(ctx: ExperimentContext, config: DeepReadonly<PrivedgeConfig>, data: PreparedDataset, system: string, factKey = 'models'): Promise<PrivedgeModels> {
  await ctx.tensorflow();
  const outcome = await trainUsers(config, data, { outDir: ctx.resultsRoot, writeOutputs: writeTrainingOutputs, reporter: ctx.reporter });
  const users = data.partition.users.map((u) => u.user);
  await requireUserModels(outcome.modelsDir, users);
  ctx.record(factKey, { dir: outcome.modelsDir, trained: outcome.trained.length, reused: outcome.skipped.length, workers: outcome.workers });
  const summaries = [...outcome.trained, ...outcome.skipped];
  const trainingRows = users.map((u) => {
    const s = summaries.find((x) => x.user === u);
    return { system, user: u, bestIteration: s?.bestIteration ?? null, bestValMse: s?.bestValMse ?? null, checkpointed: s?.checkpointed ?? null, checkpointOn: s ? (s.checkpointOn ?? 'validation') : null, iterations: s?.iterations ?? null, seconds: s?.seconds ?? null };
  });
  return { modelsDir: outcome.modelsDir, users, trainingRows };
}

/** The `queries x users` dissimilarity matrix of float NHWC images under the trained models, with a progress task. */
export async function privedgeDissimilarities(ctx: ExperimentContext, models: PrivedgeModels, data: PreparedDataset, images: Float32Array, batchSize: number, label: string): Promise<DissimilarityMatrix> {
  const { width, height, channels } = data.config.image;
  const task = ctx.reporter.task(`${label}: ${images.length / (width * height * channels)} images x ${models.users.length} users`, models.users.length);
  const matrix = await dissimilarityMatrix(models.users, (u) => loadUserModel(models.modelsDir, u), images, [height, width, channels], { batchSize, progress: task });
  task.done();
  return matrix;
}

/** Concatenates float image arrays. */
export function concatImages(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
