import { z } from 'zod';

/*
 * The options of a centralised baseline, shared by every experiment that trains baselines
 * (`identification`, `jpeg`, `bias`): one schema, so the options and their defaults agree.
 */

const training = {
  epochs: z.number().int().min(1).default(30).describe('Training epochs over the pooled training split'),
  batchSize: z.number().int().min(1).default(64).describe('Mini-batch size'),
  learningRate: z.number().positive().default(1e-3).describe('Adam learning rate'),
};

/** VGG-style baseline options. */
export const vggBaselineSchema = z.strictObject({
  kind: z.literal('vgg').describe('VGG-style CNN: conv3x3 blocks with max pooling, dense head'),
  blocks: z.array(z.number().int().min(1)).min(1).default([32, 64, 128]).describe('Filters per block'),
  convsPerBlock: z.number().int().min(1).default(2).describe('3 x 3 convolutions per block'),
  dense: z.number().int().min(1).default(256).describe('Hidden dense units'),
  dropout: z.number().min(0).lt(1).default(0.3).describe('Dropout after the hidden dense layer'),
  ...training,
});

/** ResNet-style baseline options. */
export const resnetBaselineSchema = z.strictObject({
  kind: z.literal('resnet').describe('ResNet-style CNN: residual basic blocks with batch norm, global average pooling'),
  stages: z.array(z.number().int().min(1)).min(1).default([32, 64, 128]).describe('Filters per stage'),
  blocksPerStage: z.number().int().min(1).default(2).describe('Residual blocks per stage'),
  ...training,
});

/** One centralised multi-class baseline (`kind: vgg | resnet`). */
export const baselineSpecSchema = z.discriminatedUnion('kind', [vggBaselineSchema, resnetBaselineSchema]);
/** A resolved baseline spec. */
export type BaselineSpec = z.infer<typeof baselineSpecSchema>;

/** The default baselines: one VGG-style and one ResNet-style CNN with default settings. */
export function defaultBaselines(): BaselineSpec[] {
  return [vggBaselineSchema.parse({ kind: 'vgg' }), resnetBaselineSchema.parse({ kind: 'resnet' })];
}

/** The `baselines` option: a list of baselines, by default one VGG-style and one ResNet-style CNN. */
export const baselinesOption = z
  .array(baselineSpecSchema)
  .default(defaultBaselines)
  .describe("Centralised multi-class baselines trained on all users' pooled training images (`kind: vgg | resnet`), trained once on uncompressed images");
