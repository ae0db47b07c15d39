import { z } from 'zod';
import { datasetSchema } from '../../src/config/dataset-schema.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

/** Config path of the experiment's options, for error messages. */
export const KEY = 'experiments.collab';

const lenet = z.strictObject({ kind: z.literal('lenet5').describe('LeNet-5 of the 2P-DNN baseline (src/he): conv-pool 6, conv-pool 16, dense 120, 84') });
/** The VGG-style model option of a collab dataset. */
export const vgg = z.strictObject({
  kind: z.literal('vgg').describe('VGG-style CNN of the centralised baselines'),
  blocks: z.array(z.number().int().min(1)).min(1).default([16, 32, 64]).describe('Filters per block'),
  convsPerBlock: z.number().int().min(1).default(1).describe('3 x 3 convolutions per block'),
  dense: z.number().int().min(1).default(128).describe('Hidden dense units'),
  dropout: z.number().min(0).lt(1).default(0).describe('Dropout (its masks are per-owner state that does not travel: 0 keeps weight transmission exactly sequential SGD)'),
});
const model = z.discriminatedUnion('kind', [lenet, vgg]);

const optimizer = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('sgd'), learningRate: z.number().positive().default(0.05).describe('SGD step size') }),
  z.strictObject({
    kind: z.literal('adam'),
    learningRate: z.number().positive().default(1e-3).describe('Adam step size'),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
  }),
]);

const datasetEntry = z.strictObject({
  name: z.string().min(1).optional().describe('Label in the result files (default: the dataset name or source type)'),
  dataset: datasetSchema.optional().describe('A dataset section as the top-level `dataset` (default: the config\'s own)'),
  model: model.optional().describe('`{ kind: lenet5 }` or `{ kind: vgg, ... }` (default: lenet5 for an mnist source, vgg otherwise)'),
  optimizer: optimizer.optional().describe('Optimizer for this dataset (default: the experiment\'s `optimizer`)'),
  rounds: z.number().int().min(1).optional().describe('Rounds for this dataset (default: the experiment\'s `rounds`)'),
});

const partition = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('iid') }),
  z.strictObject({ kind: z.literal('class-skew'), skew: z.number().min(0).max(1).default(0.8).describe('Fraction of each class given to its home owner') }),
  z.strictObject({ kind: z.literal('dirichlet'), alpha: z.number().positive().default(0.5).describe('Dirichlet concentration (smaller: more skewed)') }),
]);


const schema = z.strictObject({
  datasets: z
    .array(datasetEntry)
    .min(1)
    .default([{}])
    .describe(
      'Datasets (default: the config\'s own), each `{ name, dataset, model, optimizer, rounds }`, all optional: `name` labels the rows (default: the dataset name); `dataset` is a section like the top-level `dataset` (default: the config\'s); `model` is `{ kind: lenet5 }` or `{ kind: vgg, blocks, convsPerBlock, dense, dropout }` (default: lenet5 for an mnist source, else vgg [16, 32, 64] x 1, dense 128, dropout 0); `optimizer` and `rounds` override the experiment\'s',
    ),
  owners: z.number().int().min(2).max(1000).default(5).describe('Number of data owners K'),
  partitions: z
    .array(partition)
    .min(1)
    .default(() => [{ kind: 'iid' as const }, { kind: 'class-skew' as const, skew: 0.8 }])
    .describe('How the pooled training images are divided among owners: `iid` (stratified), `class-skew` (skew), `dirichlet` (alpha)'),
  rounds: z.number().int().min(1).default(10).describe('Rounds; in each, every owner takes one turn'),
  local: z
    .strictObject({
      unit: z.enum(['epochs', 'batches']).default('epochs').describe('Local training per turn in passes over the owner\'s data or in mini-batches'),
      amount: z.number().int().min(1).default(1).describe('Passes or mini-batches per turn'),
    })
    .prefault({})
    .describe('Local training per turn'),
  batchSize: z.number().int().min(1).default(32).describe('Mini-batch size (every system)'),
  optimizer: optimizer.default({ kind: 'sgd', learningRate: 0.05 }).describe('`sgd` (no momentum: passing the weights is exactly sequential SGD) or `adam` (its moments and step count travel encrypted with the weights)'),
  order: z.enum(['fixed', 'shuffle']).default('fixed').describe('Order of owners in a round: 0..K-1, or a seeded shuffle per round'),
  topologies: z.array(z.enum(['server-aided', 'fully-connected'])).min(1).default(['server-aided', 'fully-connected']).describe('Topologies run (each trains the same model; their costs differ)'),
  centralised: z.boolean().default(true).describe('Also train centrally on the pooled data (same model, optimizer and steps per round)'),
  alone: z.boolean().default(true).describe('Also let each owner train alone on its own part'),
  testImages: z.number().int().min(1).nullable().default(null).describe('Score on at most this many test images (classes interleaved; null: the whole test split)'),
  evalBatchSize: z.number().int().min(1).default(128).describe('Images per model call when scoring'),
  checkEquivalence: z.boolean().default(true).describe('Replay round 1 of the first topology as sequential SGD over the owners\' batches concatenated in turn order, and fail if the weights differ by more than `equivalenceTolerance`'),
  equivalenceTolerance: z.number().min(0).default(1e-6).describe('Largest allowed absolute weight difference of that check'),
});

/**
 * `collab`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const collabOptions = {
  id: 'collab',
  description: 'Collaborative training by encrypted weight transmission (server-aided, fully connected) vs centralised SGD and owners alone: accuracy vs rounds, bytes, AES-GCM vs training time',
  schema,
} satisfies ExperimentSchemaEntry;
