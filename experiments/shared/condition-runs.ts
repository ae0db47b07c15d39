import type { DatasetConfig } from '../../src/config/dataset-schema.js';
import type { PrivedgeConfig } from '../../src/config/schema.js';
import { prepareDataset, type PreparedDataset } from '../../src/datasets/prepare.js';
import type { Partition } from '../../src/datasets/partition.js';
import { toFloatImages } from '../../src/datasets/tensors.js';
import type { AttributeValue } from '../../src/datasets/types.js';
import { argminRows } from '../../src/models/rec-adv/argmin.js';
import { dissimilarityMatrix } from '../../src/models/rec-adv/dissimilarity.js';
import { loadUserModel, requireUserModels, trainUsers } from '../../src/models/rec-adv/train-users.js';
import type { Row } from '../../src/report/csv.js';
import type { ExperimentContext } from '../../src/runner/experiment.js';
import { writeTrainingOutputs } from '../../src/runner/training-outputs.js';
import { deepFreeze, type DeepReadonly } from '../../src/util/deep-freeze.js';
import { stableStringify } from '../../src/util/hash.js';
import type { BaselineSpec } from './baseline-schema.js';
import { predictUsers, trainBaselineModels } from './trained-baselines.js';

/** System name of PrivEdge's plaintext prediction in results tables. */
export const PRIVEDGE = 'privedge';

/**
 * The config one training condition trains with: `base` with its dataset replaced and
 * `training.iterations` set. Models then go to `<results>/models/<hash of dataset + training +
 * seed>`, so each condition trains (or reuses) its own models. An explicit `training.modelsDir`
 * is kept only when the condition trains exactly what `base` trains: a fixed folder would
 * otherwise hand one condition's models to another.
 */
export function conditionConfig(base: DeepReadonly<PrivedgeConfig>, dataset: DatasetConfig, iterations: number): DeepReadonly<PrivedgeConfig> {
  if (stableStringify(dataset) === stableStringify(base.dataset) && iterations === base.training.iterations) return base;
  const { modelsDir: _modelsDir, ...training } = base.training;
  return deepFreeze({ ...base, dataset, training: { ...training, iterations } }) as DeepReadonly<PrivedgeConfig>;
}

/** One training condition, trained and evaluated on its whole test split. */
export interface ConditionResult {
  readonly modelsDir: string;
  readonly users: readonly string[];
  readonly partition: Partition;
  /** Image ids of the test split, users in order (the same images whatever the training bias). */
  readonly testIds: readonly string[];
  readonly trueLabels: readonly string[];
  /** Every attribute of the test images, aligned with `testIds`. */
  readonly testAttributes: Readonly<Record<string, readonly AttributeValue[]>>;
  /** Predicted user of each test image by system (`privedge`, then the baselines). */
  readonly predictions: ReadonlyMap<string, readonly string[]>;
  /** One row per user: training images, checkpoint, seconds, whether the model was reused. */
  readonly training: readonly Row[];
  /** Training seconds of each baseline. */
  readonly baselineSeconds: Readonly<Record<string, number>>;
}

/** Settings shared by every condition of a run. */
export interface ConditionSettings {
  /** Training iterations per user in every condition. */
  readonly iterations: number;
  /** Images per model call when computing dissimilarities. */
  readonly evalBatchSize: number;
  readonly baselines: readonly BaselineSpec[];
}

/**
 * Trains and evaluates training conditions (variants of the config's dataset), each once:
 * a condition asked for again (the same dataset config) returns the first result. Each condition
 * prepares its dataset from the config's `data` stream (so its users, splits and test images are
 * those of the config's own dataset), trains or reuses every user's reconstructor, predicts every
 * test image by the smallest reconstruction MSE, and trains each baseline on the condition's pooled
 * training images. Baselines start from the same seeded streams in every condition (as in
 * `identification`), so conditions differ by their data only.
 */
export class ConditionRunner {
  private readonly results = new Map<string, Promise<ConditionResult>>();

  constructor(
    private readonly ctx: ExperimentContext,
    private readonly settings: ConditionSettings,
  ) {}

  /** The dataset of a condition: the run's shared dataset when unchanged, else prepared afresh. */
  prepare(dataset: DatasetConfig): Promise<PreparedDataset> {
    if (stableStringify(dataset) === stableStringify(this.ctx.config.dataset)) return this.ctx.dataset();
    return prepareDataset(dataset, this.ctx.rng.child('data'), { reporter: this.ctx.reporter });
  }

  /** Trains and evaluates one condition (`label` is for progress lines only). */
  run(label: string, dataset: DatasetConfig): Promise<ConditionResult> {
    const key = stableStringify(dataset);
    let result = this.results.get(key);
    if (!result) {
      result = this.evaluate(label, dataset);
      this.results.set(key, result);
    }
    return result;
  }

  private async evaluate(label: string, dataset: DatasetConfig): Promise<ConditionResult> {
    const { ctx, settings } = this;
    const data = await this.prepare(dataset);
    await ctx.tensorflow();
    const config = conditionConfig(ctx.config, dataset, settings.iterations);
    ctx.reporter.info(`condition ${label}: ${data.partition.users.length} users x ${settings.iterations} iterations`);
    // Users whose images are unchanged (in any condition, trained before or by another experiment) are copied by training key.
    const outcome = await trainUsers(config, data, { outDir: ctx.resultsRoot, writeOutputs: writeTrainingOutputs, reporter: ctx.reporter });
    const users = data.partition.users.map((u) => u.user);
    await requireUserModels(outcome.modelsDir, users);
    if (outcome.reused.length > 0) ctx.reporter.info(`condition ${label}: reused the models of ${outcome.reused.length} user(s) whose training images are unchanged`);
    const trainedNow = new Set(outcome.trained.map((s) => s.user));
    const summaries = [...outcome.trained, ...outcome.skipped];
    const training = data.partition.users.map((split) => {
      const s = summaries.find((x) => x.user === split.user)!;
      return {
        user: split.user,
        trainImages: split.train.length,
        validationImages: split.validation.length,
        iterations: s.iterations,
        bestIteration: s.bestIteration,
        bestValMse: s.bestValMse,
        checkpointed: s.checkpointed,
        checkpointOn: s.checkpointOn ?? 'validation',
        seconds: s.seconds,
        reused: !trainedNow.has(split.user),
      };
    });

    const testIndices = data.partition.users.flatMap((u) => u.test);
    const trueLabels = data.partition.users.flatMap((u) => u.test.map(() => u.user));
    const { width, height, channels } = data.config.image;
    const task = ctx.reporter.task(`condition ${label}: dissimilarities of ${testIndices.length} test images x ${users.length} users`, users.length);
    const queries = toFloatImages(data.images, testIndices).data;
    const matrix = await dissimilarityMatrix(users, (u) => loadUserModel(outcome.modelsDir, u), queries, [height, width, channels], { batchSize: settings.evalBatchSize, progress: task });
    task.done();
    const predictions = new Map<string, readonly string[]>([[PRIVEDGE, Array.from(argminRows(matrix.values, matrix.queries, users.length), (k) => users[k]!)]]);

    const baselineSeconds: Record<string, number> = {};
    const baselines = await trainBaselineModels(ctx, data, settings.baselines, { label });
    try {
      for (const b of baselines) {
        predictions.set(b.name, await predictUsers(b, data, queries));
        baselineSeconds[b.name] = b.seconds;
      }
    } finally {
      for (const b of baselines) b.model.dispose();
    }
    const testAttributes = Object.fromEntries(Object.entries(data.images.attributes).map(([k, v]) => [k, testIndices.map((i) => v[i]!)]));
    return {
      modelsDir: outcome.modelsDir,
      users,
      partition: data.partition,
      testIds: testIndices.map((i) => data.images.ids[i]!),
      trueLabels,
      testAttributes,
      predictions,
      training,
      baselineSeconds,
    };
  }
}
