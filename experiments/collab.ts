import { z } from 'zod';
import { type DatasetConfig } from '../src/config/dataset-schema.js';
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
import { collabOptions, KEY, vgg } from './options/collab.js';

type Options = z.infer<typeof collabOptions.schema>;

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
  ...collabOptions,
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
