import { z } from 'zod';
import type { PreparedDataset } from '../../src/datasets/prepare.js';
import { toFloatImages } from '../../src/datasets/tensors.js';
import { buildResnetClassifier } from '../../src/models/baselines/resnet.js';
import { predictClasses, trainClassifier } from '../../src/models/baselines/train-classifier.js';
import { buildVggClassifier } from '../../src/models/baselines/vgg.js';
import type { Reporter } from '../../src/progress/reporter.js';
import type { Rng } from '../../src/util/rng.js';
import { baselineSpecSchema, defaultBaselines, type BaselineSpec } from './baseline-schema.js';

/** One centralised multi-class baseline (`kind: vgg | resnet`). */
export const baselineSchema = baselineSpecSchema;
export type { BaselineSpec };

/** The `baselines` option: a list of baselines, by default one VGG-style and one ResNet-style CNN. */
export function baselinesOption(description: string) {
  return z
    .array(baselineSchema)
    .default(defaultBaselines)
    .describe(description);
}

/** System names of a baseline list, as `identification` names them: `vgg`, `resnet`, then `vgg-2`, ... */
export function baselineNames(specs: readonly BaselineSpec[]): string[] {
  return specs.map((spec, i) => {
    const nth = specs.filter((b, j) => b.kind === spec.kind && j <= i).length;
    return `${spec.kind}${nth > 1 ? `-${nth}` : ''}`;
  });
}

/** What {@link trainBaseline} returns. */
export interface BaselineOutcome {
  /** Predicted user of each test image, aligned with `testIndices`. */
  readonly predicted: string[];
  readonly seconds: number;
  readonly trainImages: number;
}

/**
 * Trains one baseline on the pooled training splits of `data` (validation splits for model
 * selection) and predicts the users of `testIndices` (indices into `data.images`). Weights are
 * initialised from `rng.child('init')` and batches drawn from `rng`, so the same stream on the
 * same data gives the same model.
 */
export async function trainBaseline(
  data: PreparedDataset,
  spec: BaselineSpec,
  options: { name: string; rng: Rng; reporter: Reporter; testIndices: readonly number[] },
): Promise<BaselineOutcome> {
  const users = data.partition.users.map((u) => u.user);
  const { width, height, channels } = data.config.image;
  const shape: [number, number, number] = [height, width, channels];
  const pooled = (split: 'train' | 'validation') => {
    const indices = data.partition.users.flatMap((u) => u[split]);
    const labels = Int32Array.from(data.partition.users.flatMap((u, k) => u[split].map(() => k)));
    return { images: toFloatImages(data.images, indices).data, labels };
  };
  const modelSeed = options.rng.child('init').nextUint32() % 1_000_000;
  const model =
    spec.kind === 'vgg'
      ? buildVggClassifier({ height, width, channels, classes: users.length, blocks: spec.blocks, convsPerBlock: spec.convsPerBlock, dense: spec.dense, dropout: spec.dropout, seed: modelSeed })
      : buildResnetClassifier({ height, width, channels, classes: users.length, stages: spec.stages, blocksPerStage: spec.blocksPerStage, seed: modelSeed });
  try {
    const train = pooled('train');
    const validation = pooled('validation');
    const task = options.reporter.task(`baseline ${options.name}: ${spec.epochs} epochs on ${train.labels.length} images`, spec.epochs);
    const trained = await trainClassifier(model, { ...train, shape, classes: users.length }, {
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      rng: options.rng,
      ...(validation.labels.length > 0 ? { validation } : {}),
      onEpoch: () => task.tick(),
    });
    task.done();
    const predicted = await predictClasses(model, toFloatImages(data.images, options.testIndices).data, shape);
    return { predicted: Array.from(predicted, (k) => users[k]!), seconds: trained.seconds, trainImages: train.labels.length };
  } finally {
    model.dispose();
  }
}
