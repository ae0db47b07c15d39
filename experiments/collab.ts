import { z } from 'zod';
import { datasetSchema, type DatasetConfig } from '../src/config/dataset-schema.js';
import { prepareDataset } from '../src/datasets/prepare.js';
import { ConfigError, ProtocolError } from '../src/errors.js';
import { collabCharts } from '../src/collab/charts.js';
import { runCondition, SYSTEM, type ConditionSpec } from '../src/collab/condition.js';
import { collabData } from '../src/collab/data.js';
import type { CollabModelSpec } from '../src/collab/models.js';
import { partitionLabel } from '../src/collab/partition.js';
import { accuracyRows, COLUMNS, costRows, partitionRows, predictionRows, trafficRows, turnRows } from '../src/collab/results.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment } from '../src/runner/experiment.js';

const KEY = 'experiments.collab';

const lenet = z.strictObject({ kind: z.literal('lenet5').describe('LeNet-5 of the 2P-DNN baseline (src/he): conv-pool 6, conv-pool 16, dense 120, 84') });
const vgg = z.strictObject({
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

type Options = z.infer<typeof schema>;

function modelFor(entry: Options['datasets'][number], dataset: DatasetConfig): CollabModelSpec {
  if (entry.model) return entry.model;
  return dataset.source.type === 'mnist' ? { kind: 'lenet5' } : vgg.parse({ kind: 'vgg' });
}

/**
 * `collab`: collaborative training by weight transmission (Phong and Phuong, IEEE TIFS 2019)
 * against centralised SGD on the pooled data and each owner alone, per dataset and partition:
 * accuracy vs rounds, the owners' class mix, every turn's training and AES-GCM time, bytes per
 * party and round, final predictions, and a replay check that one round of weight transmission is
 * sequential SGD over the owners' data concatenated in turn order.
 */
export const collab = defineExperiment({
  id: 'collab',
  description: 'Collaborative training by encrypted weight transmission (server-aided, fully connected) vs centralised SGD and owners alone: accuracy vs rounds, bytes, AES-GCM vs training time',
  schema,
  charts: collabCharts,
  async run(ctx, o) {
    await ctx.tensorflow();
    const names = o.datasets.map((e) => e.name ?? (e.dataset ?? ctx.config.dataset).name ?? (e.dataset ?? ctx.config.dataset).source.type);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) throw new ConfigError(`${KEY}.datasets[${i}].name`, `dataset name "${n}" is used twice; give each entry its own name`);
    });
    const out: Record<string, Row[]> = { testImages: [], accuracy: [], partition: [], partitionSummary: [], turns: [], traffic: [], costs: [], predictions: [], equivalence: [] };
    const facts: Record<string, unknown> = {};
    for (const [i, entry] of o.datasets.entries()) {
      const name = names[i]!;
      const config = (entry.dataset ?? ctx.config.dataset) as DatasetConfig;
      const prepared = entry.dataset ? await prepareDataset(config, ctx.rng.child('data'), { reporter: ctx.reporter }) : await ctx.dataset();
      const data = collabData(prepared, o.testImages);
      const scored = new Set(data.test.ids);
      out['testImages']!.push(...data.testSplit.map((t) => ({ dataset: name, image: t.image, label: t.label, scored: scored.has(t.image) })));
      const spec: ConditionSpec = {
        owners: o.owners,
        partition: o.partitions[0]!,
        rounds: entry.rounds ?? o.rounds,
        local: o.local,
        batchSize: o.batchSize,
        optimizer: entry.optimizer ?? o.optimizer,
        order: o.order,
        topologies: o.topologies,
        centralised: o.centralised,
        alone: o.alone,
        model: modelFor(entry, config),
        evalBatchSize: o.evalBatchSize,
        checkEquivalence: o.checkEquivalence,
      };
      const datasetFacts: Record<string, unknown> = { classes: data.classes.length, trainImages: data.train.labels.length, testImages: data.test.labels.length, imageBytes: data.imageBytes, shape: data.train.shape, model: spec.model, optimizer: spec.optimizer, rounds: spec.rounds };
      for (const [j, p] of o.partitions.entries()) {
        const key = { dataset: name, partition: partitionLabel(p) };
        const r = await runCondition(data, { ...spec, partition: p, partitionKey: `${KEY}.partitions[${j}]` }, ctx.rng.child('collab').child(`dataset:${name}`), ctx.reporter, `${name} ${key.partition}`);
        out['accuracy']!.push(...accuracyRows(key, r));
        const parts = partitionRows(key, r, data);
        out['partition']!.push(...parts.counts);
        out['partitionSummary']!.push(...parts.summary);
        out['turns']!.push(...turnRows(key, r));
        out['traffic']!.push(...trafficRows(key, r, o.owners, spec.rounds));
        out['costs']!.push(...costRows(key, r, o.owners, spec.rounds));
        out['predictions']!.push(...predictionRows(key, r, data));
        const final = (system: string) => r.curves.find((c) => c.system === system && c.owner === null && c.round === spec.rounds)?.accuracy ?? null;
        datasetFacts[key.partition] = {
          parameters: r.parameters,
          messageBytes: r.transmissions[0] ? Math.max(...r.transmissions[0].turns.map((t) => t.messageBytes)) : null,
          finalAccuracy: Object.fromEntries([...new Set(r.curves.map((c) => c.system))].map((s) => [s, final(s)])),
          identicalFinalModels: Object.fromEntries(r.transmissions.map((t) => [t.topology, t.identicalFinalModels])),
          equivalence: r.equivalence,
        };
        if (r.equivalence) {
          const holds = r.equivalence.maxAbsDifference <= o.equivalenceTolerance;
          out['equivalence']!.push({ ...key, optimizer: spec.optimizer.kind, steps: r.equivalence.steps, maxAbsDifference: r.equivalence.maxAbsDifference, tolerance: o.equivalenceTolerance, holds });
        }
        const different = r.transmissions.filter((t) => !t.identicalFinalModels);
        if (different.length > 0) throw new ProtocolError('collab', `${name} ${key.partition}: after the final distribution the owners hold different models (${different.map((t) => t.topology).join(', ')})`);
      }
      facts[name] = datasetFacts;
    }
    ctx.record('collab', { systems: [...o.topologies.map(SYSTEM.wt), ...(o.centralised ? [SYSTEM.centralised] : []), ...(o.alone ? [SYSTEM.alone] : [])], datasets: facts });
    await ctx.writeCsv('test_images.csv', out['testImages']!, ['dataset', 'image', 'label', 'scored']);
    await ctx.writeCsv('accuracy.csv', out['accuracy']!, COLUMNS.accuracy);
    await ctx.writeCsv('partition.csv', out['partition']!, COLUMNS.partition);
    await ctx.writeCsv('partition_summary.csv', out['partitionSummary']!, COLUMNS.partitionSummary);
    await ctx.writeCsv('turns.csv', out['turns']!, COLUMNS.turns);
    await ctx.writeCsv('traffic.csv', out['traffic']!, COLUMNS.traffic);
    await ctx.writeCsv('costs.csv', out['costs']!, COLUMNS.costs);
    await ctx.writeCsv('predictions.csv', out['predictions']!, COLUMNS.predictions);
    await ctx.writeCsv('equivalence.csv', out['equivalence']!, COLUMNS.equivalence);
    const broken = out['equivalence']!.filter((r) => r['holds'] === false);
    if (broken.length > 0) {
      throw new ProtocolError('collab', `weight transmission differs from sequential SGD over the concatenated data beyond ${o.equivalenceTolerance}: ${broken.map((r) => `${r['dataset']} ${r['partition']} (${r['maxAbsDifference']})`).join(', ')}`);
    }
  },
});
