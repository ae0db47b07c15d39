import { z } from 'zod';
import type { PreparedDataset } from '../../src/datasets/prepare.js';
import { toFloatImages } from '../../src/datasets/tensors.js';
import { buildResnetClassifier } from '../../src/models/baselines/resnet.js';
import { predictClasses, trainClassifier } from '../../src/models/baselines/train-classifier.js';
import { buildVggClassifier } from '../../src/models/baselines/vgg.js';
import type { Reporter } from '../../src/progress/reporter.js';
import type { Rng } from '../../src/util/rng.js';

// The same option shape as `identification`'s `baselines` (copied from experiments/identification.ts,
// which keeps its own private copy).
const training = {
  epochs: z.number().int().min(1).default(30).describe('Training epochs over the pooled training split'),
  batchSize: z.number().int().min(1).default(64).describe('Mini-batch size'),
  learningRate: z.number().positive().default(1e-3).describe('Adam learning rate'),
};
const vgg = z.strictObject({
  kind: z.literal('vgg').describe('VGG-style CNN: conv3x3 blocks with max pooling, dense head'),
  blocks: z.array(z.number().int().min(1)).min(1).default([32, 64, 128]).describe('Filters per block'),
  convsPerBlock: z.number().int().min(1).default(2).describe('3 x 3 convolutions per block'),
  dense: z.number().int().min(1).default(256).describe('Hidden dense units'),
  dropout: z.number().min(0).lt(1).default(0.3).describe('Dropout after the hidden dense layer'),
  ...training,
});
const resnet = z.strictObject({
  kind: z.literal('resnet').describe('ResNet-style CNN: residual basic blocks with batch norm, global average pooling'),
  stages: z.array(z.number().int().min(1)).min(1).default([32, 64, 128]).describe('Filters per stage'),
  blocksPerStage: z.number().int().min(1).default(2).describe('Residual blocks per stage'),
  ...training,
});

/** One centralised multi-class baseline (`kind: vgg | resnet`). */
export const baselineSchema = z.discriminatedUnion('kind', [vgg, resnet]);
/** A resolved baseline spec. */
export type BaselineSpec = z.infer<typeof baselineSchema>;

/** The `baselines` option: a list of baselines, by default one VGG-style and one ResNet-style CNN. */
export function baselinesOption(description: string) {
  return z
    .array(baselineSchema)
    .default(() => [vgg.parse({ kind: 'vgg' }), resnet.parse({ kind: 'resnet' })])
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
