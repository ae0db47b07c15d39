import type * as tf from '@tensorflow/tfjs';
import type { PreparedDataset } from '../../src/datasets/prepare.js';
import { toFloatImages } from '../../src/datasets/tensors.js';
import { buildResnetClassifier } from '../../src/models/baselines/resnet.js';
import { predictClasses, trainClassifier, type ClassifierTrainingOptions } from '../../src/models/baselines/train-classifier.js';
import { buildVggClassifier } from '../../src/models/baselines/vgg.js';
import type { ExperimentContext } from '../../src/runner/experiment.js';
import { baselineCacheDir, loadStoredBaseline, storeBaseline } from './baseline-cache.js';
import { baselineSpecSchema as sharedSpecSchema, type BaselineSpec } from './baseline-schema.js';

/** One centralised baseline's settings (`kind: vgg | resnet`). */
export const baselineSpecSchema = sharedSpecSchema;
export type { BaselineSpec };

/** Pooled images (float NHWC in [-1, 1]) and user-index labels of one split over all enrolled users. */
function pooledSplit(data: PreparedDataset, split: 'train' | 'validation'): { images: Float32Array; labels: Int32Array } {
  const indices = data.partition.users.flatMap((u) => u[split]);
  const labels = Int32Array.from(data.partition.users.flatMap((u, k) => u[split].map(() => k)));
  return { images: toFloatImages(data.images, indices).data, labels };
}

/** A trained baseline: evaluate with {@link predictUsers}, then dispose of `model`. */
export interface TrainedBaseline {
  readonly name: string;
  readonly model: tf.LayersModel;
  /** Training seconds (of the run that trained it, when reused). */
  readonly seconds: number;
  /** Loaded from `<results>/models/baselines/` instead of trained (see `baseline-cache.ts`). */
  readonly reused: boolean;
}

/** Options of {@link trainBaselineModels}. */
export interface BaselineTrainingOptions {
  /** Names the condition in the progress line. */
  readonly label?: string;
  /** Train only the baselines of these names (the others keep their names and seeds). */
  readonly only?: ReadonlySet<string>;
  /** Called after every epoch of baseline `name` (see `trainClassifier`'s `onEpochModel`). */
  readonly onEpochModel?: (name: string, epoch: Parameters<NonNullable<ClassifierTrainingOptions['onEpochModel']>>[0], model: tf.LayersModel) => Promise<void>;
}

/** The name of the i-th baseline of `specs`: `<kind>` for the first of its kind, else `<kind>-k`. */
export function baselineName(specs: readonly BaselineSpec[], i: number): string {
  const spec = specs[i]!;
  const k = specs.filter((b, j) => b.kind === spec.kind && j <= i).length;
  return `${spec.kind}${k > 1 ? `-${k}` : ''}`;
}

/**
 * Trains every baseline of `specs` in order on the pooled training split (validation split for
 * model selection). Names and seeds are identification's: the k-th baseline of a kind is
 * `<kind>` (k = 1) or `<kind>-k`, seeded from `ctx.rng.child('baselines').child('<kind>:<k>')`,
 * so the same spec trains the same network in every experiment (`bias` retrains them per
 * condition on that condition's data; `label` names the condition in the progress line).
 */
export async function trainBaselineModels(ctx: ExperimentContext, data: PreparedDataset, specs: readonly BaselineSpec[], options: BaselineTrainingOptions = {}): Promise<TrainedBaseline[]> {
  const train = pooledSplit(data, 'train');
  const validation = pooledSplit(data, 'validation');
  const out: TrainedBaseline[] = [];
  try {
    for (let i = 0; i < specs.length; i++) {
      if (options.only && !options.only.has(baselineName(specs, i))) continue;
      out.push(await trainOne(ctx, data, specs, i, train, validation, options));
    }
  } catch (error) {
    for (const b of out) b.model.dispose();
    throw error;
  }
  return out;
}

async function trainOne(
  ctx: ExperimentContext,
  data: PreparedDataset,
  specs: readonly BaselineSpec[],
  i: number,
  train: { images: Float32Array; labels: Int32Array },
  validation: { images: Float32Array; labels: Int32Array },
  options: BaselineTrainingOptions,
): Promise<TrainedBaseline> {
  const { label, onEpochModel } = options;
  const classes = data.partition.users.length;
  const { width, height, channels } = data.config.image;
  const spec = specs[i]!;
  const k = specs.filter((b, j) => b.kind === spec.kind && j <= i).length;
  const name = baselineName(specs, i);
  const seed = ctx.rng.child('baselines').child(`${spec.kind}:${k}`);
  const modelSeed = seed.child('init').nextUint32() % 1_000_000;
  const model =
    spec.kind === 'vgg'
      ? buildVggClassifier({ height, width, channels, classes, blocks: spec.blocks, convsPerBlock: spec.convsPerBlock, dense: spec.dense, dropout: spec.dropout, seed: modelSeed })
      : buildResnetClassifier({ height, width, channels, classes, stages: spec.stages, blocksPerStage: spec.blocksPerStage, seed: modelSeed });
  // Budget scores every epoch, so it always trains; every other caller reuses a stored model.
  const cache = onEpochModel ? undefined : baselineCacheDir(ctx.resultsRoot, { name, spec, seedPath: seed.path, shape: [height, width, channels], classes, train, validation });
  if (cache) {
    const stored = await loadStoredBaseline(cache.dir, cache.key, (m) => ctx.reporter.warn(m)).catch((error: unknown) => {
      model.dispose();
      throw error;
    });
    if (stored) {
      model.dispose();
      ctx.reporter.info(`baseline ${name}${label === undefined ? '' : ` (${label})`}: reused ${cache.dir} (trained in ${stored.summary.seconds.toFixed(1)} s)`);
      return { name, model: stored.model, seconds: stored.summary.seconds, reused: true };
    }
  }
  try {
    const task = ctx.reporter.task(`baseline ${name}${label === undefined ? '' : ` (${label})`}: ${spec.epochs} epochs on ${train.labels.length} images`, spec.epochs);
    const trained = await trainClassifier(model, { ...train, shape: [height, width, channels], classes }, {
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      rng: seed,
      ...(validation.labels.length > 0 ? { validation } : {}),
      onEpoch: () => task.tick(),
      ...(onEpochModel ? { onEpochModel: (e, m) => onEpochModel(name, e, m) } : {}),
    });
    task.done();
    if (cache) await storeBaseline(cache.dir, model, { key: cache.key, name, seconds: trained.seconds });
    return { name, model, seconds: trained.seconds, reused: false };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** A baseline's predicted user for each image (float NHWC in [-1, 1]). */
export async function predictUsers(baseline: TrainedBaseline, data: PreparedDataset, images: Float32Array): Promise<string[]> {
  const { width, height, channels } = data.config.image;
  const users = data.partition.users.map((u) => u.user);
  const predicted = await predictClasses(baseline.model, images, [height, width, channels]);
  return Array.from(predicted, (k) => users[k]!);
}
