import { z } from 'zod';
import { toFloatImages } from '../src/datasets/tensors.js';
import { argminRows } from '../src/metrics/argmin.js';
import { classificationReport, confusionMatrix, confusionRows, reportRows, type ClassificationReport } from '../src/metrics/confusion.js';
import { dissimilarityMatrix } from '../src/models/rec-adv/dissimilarity.js';
import { loadUserModel, requireUserModels, trainUsers } from '../src/models/rec-adv/train-users.js';
import { chartTheme } from '../src/report/charts.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment } from '../src/runner/experiment.js';
import { baselineSpecSchema, defaultBaselines } from './shared/baseline-schema.js';
import { predictUsers, trainBaselineModels } from './shared/trained-baselines.js';
import { CryptoDealer } from '../src/mpc-sim/dealer/stream-dealer.js';
import { FIXED16, FIXED20 } from '../src/mpc-sim/encoding/fixed-point.js';
import { FIDELITY_COLUMNS, LAYER_COLUMNS, fidelityRows, layerRows, pickQueries, runPrivateFidelity } from '../src/mpc-sim/models/fidelity.js';
import { summarizeFidelityRows } from '../src/mpc-sim/models/fidelity-rows.js';
import { createInProcessSession } from '../src/mpc-sim/parties/in-process.js';

const baseline = baselineSpecSchema;

const schema = z.strictObject({
  baselines: z
    .array(baseline)
    .default(defaultBaselines)
    .describe('Centralised multi-class baselines trained on all users\' pooled training images (`kind: vgg | resnet`)'),
  undefinedPrecision: z
    .enum(['zero', 'exclude'])
    .default('zero')
    .describe('How a user never predicted (undefined precision) enters the macro average: as 0, or left out'),
  evalBatchSize: z.number().int().min(1).default(64).describe('Images per model call when computing dissimilarities'),
  mode: z
    .enum(['plaintext', 'private'])
    .default('plaintext')
    .describe('`private`: also predict test images by two-party computation (in process) and report the private predictions as system `privedge-2pc`'),
  private: z
    .strictObject({
      queries: z
        .union([z.number().int().min(1), z.literal('all')])
        .default(20)
        .describe('Test images predicted privately (spread evenly over the test set), or `all`; `privedge-2pc` metrics cover these images only'),
      fixedPointBits: z.union([z.literal(16), z.literal(20)]).default(20).describe('Fractional bits of the fixed-point encoding'),
    })
    .default(() => ({ queries: 20 as const, fixedPointBits: 20 as const }))
    .describe('Settings of `mode: private`'),
});

/** Macro precision / recall (and F1, accuracy) of each system as long rows. */
function systemRows(system: string, report: ClassificationReport): Row[] {
  return reportRows(report).map((r) => ({ system, label: r.label, metric: r.metric, value: r.value }));
}

/**
 * `identification`: PrivEdge (one reconstructor per user, trained on that user's images only;
 * a test image goes to the user whose reconstructor reconstructs it best) against centralised
 * multi-class CNNs trained on the pooled images. Writes the full dissimilarity matrix (test
 * images x users) for later experiments, predictions, confusion matrices and per-user and macro
 * precision, recall and F1. With `mode: private`, K test images are also predicted by 2PC
 * (`privedge-2pc`, metrics over those K), with `private_predictions.csv` (agreement with the
 * plaintext labels, dissimilarity errors, cost per query) and `private_cost_layers.csv`.
 */
export const identification = defineExperiment({
  id: 'identification',
  description: 'PrivEdge (per-user reconstructors, argmin dissimilarity) vs centralised CNN baselines: precision, recall, confusion',
  schema,
  charts: [
    {
      name: 'identification',
      inputs: ['metrics.csv'],
      build: (t) => ({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'User identification: macro precision and recall',
        data: { values: (t['metrics.csv'] as Record<string, unknown>[]).filter((r) => r['label'] === 'macro' && (r['metric'] === 'precision' || r['metric'] === 'recall')) },
        mark: { type: 'bar', tooltip: true },
        width: { step: 28 },
        height: 220,
        encoding: {
          x: { field: 'system', type: 'nominal', title: 'System', axis: { labelAngle: 0 } },
          xOffset: { field: 'metric', type: 'nominal' },
          y: { field: 'value', type: 'quantitative', title: 'Macro average', scale: { domain: [0, 1] } },
          color: { field: 'metric', type: 'nominal', title: 'Metric' },
        },
        config: chartTheme,
      }),
    },
    {
      name: 'training_users',
      inputs: ['training_users.csv'],
      build: (t) => ({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Per-user training: best validation MSE (checkpoint)',
        data: { values: t['training_users.csv'] as Record<string, unknown>[] },
        mark: { type: 'bar', tooltip: true },
        width: (t['training_users.csv'] ?? []).length > 60 ? 900 : { step: 14 },
        height: 200,
        encoding: {
          x: { field: 'user', type: 'nominal', sort: null, title: 'User' },
          y: { field: 'bestValMse', type: 'quantitative', title: 'Validation MSE' },
          color: { field: 'checkpointed', type: 'nominal', title: 'Checkpoint met the rule' },
        },
        config: chartTheme,
      }),
    },
    {
      name: 'confusion_privedge',
      inputs: ['confusion.csv'],
      build: (t) => ({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'PrivEdge confusion matrix (test images)',
        data: { values: (t['confusion.csv'] as Record<string, unknown>[]).filter((r) => r['system'] === 'privedge') },
        mark: { type: 'rect', tooltip: true },
        width: 320,
        height: 320,
        encoding: {
          x: { field: 'predicted', type: 'nominal', sort: null, title: 'Predicted user' },
          y: { field: 'true', type: 'nominal', sort: null, title: 'True user' },
          color: { field: 'count', type: 'quantitative', title: 'Images', scale: { scheme: 'blues' } },
        },
        config: chartTheme,
      }),
    },
  ],
  async run(ctx, options) {
    const data = await ctx.dataset();
    await ctx.tensorflow();
    const outcome = await trainUsers(ctx.config, data, { outDir: ctx.resultsRoot, reporter: ctx.reporter });
    const users = data.partition.users.map((u) => u.user);
    ctx.record('models', { dir: outcome.modelsDir, trained: outcome.trained.length, reused: outcome.skipped.length, workers: outcome.workers });
    const summaries = [...outcome.trained, ...outcome.skipped];
    await ctx.writeCsv('training_users.csv', users.map((u) => {
      const s = summaries.find((x) => x.user === u)!;
      return { user: u, bestIteration: s.bestIteration, bestValMse: s.bestValMse, checkpointed: s.checkpointed, checkpointOn: s.checkpointOn ?? 'validation', iterations: s.iterations, seconds: s.seconds, backend: s.backend };
    }));

    const testIndices = data.partition.users.flatMap((u) => u.test);
    const trueLabels = data.partition.users.flatMap((u) => u.test.map(() => u.user));
    const { width, height, channels } = data.config.image;
    await requireUserModels(outcome.modelsDir, users);
    const started = performance.now();
    const task = ctx.reporter.task(`dissimilarities: ${testIndices.length} test images x ${users.length} users`, users.length);
    const queries = toFloatImages(data.images, testIndices).data;
    const matrix = await dissimilarityMatrix(users, (u) => loadUserModel(outcome.modelsDir, u), queries, [height, width, channels], { batchSize: options.evalBatchSize, progress: task });
    task.done();
    const predictSeconds = (performance.now() - started) / 1000;
    const argmin = argminRows(matrix.values, matrix.queries, users.length);
    const predicted = Array.from(argmin, (k) => users[k]!);
    ctx.record('plaintextPrediction', { images: matrix.queries, users: users.length, seconds: Math.round(predictSeconds * 100) / 100, msPerImage: Math.round((predictSeconds * 1e5) / matrix.queries) / 100 });

    const dissimilarity: Row[] = [];
    testIndices.forEach((index, q) => {
      users.forEach((user, u) => dissimilarity.push({ image: data.images.ids[index]!, trueUser: trueLabels[q]!, user, mse: matrix.values[q * users.length + u]! }));
    });
    await ctx.writeCsv('dissimilarity.csv', dissimilarity, ['image', 'trueUser', 'user', 'mse']);
    await ctx.writeCsv('predictions.csv', testIndices.map((index, q) => ({ system: 'privedge', image: data.images.ids[index]!, trueUser: trueLabels[q]!, predicted: predicted[q]!, minMse: matrix.values[q * users.length + argmin[q]!]! })));

    const policy = { policy: options.undefinedPrecision };
    const systems: { name: string; predicted: string[]; trueLabels?: string[]; seconds?: number }[] = [{ name: 'privedge', predicted }];
    if (options.mode === 'private') {
      const picked = pickQueries(testIndices.length, options.private.queries === 'all' ? testIndices.length : options.private.queries, 'spread');
      const size = width * height * channels;
      const plaintextDissimilarities = picked.map((q) => Array.from(matrix.values.subarray(q * users.length, (q + 1) * users.length)));
      const session = createInProcessSession({ encoding: options.private.fixedPointBits === 16 ? FIXED16 : FIXED20, dealer: new CryptoDealer() });
      const privTask = ctx.reporter.task(`private prediction (2PC): enrol ${users.length} users, ${picked.length} queries`, users.length + picked.length);
      const fidelity = await runPrivateFidelity(
        session,
        users,
        (u) => loadUserModel(outcome.modelsDir, u),
        picked.map((q) => queries.subarray(q * size, (q + 1) * size)),
        picked.map((q) => predicted[q]!),
        { plaintextDissimilarities, tick: () => privTask.tick() },
      );
      privTask.done();
      const ids = picked.map((q) => data.images.ids[testIndices[q]!]!);
      const subsetTrue = picked.map((q) => trueLabels[q]!);
      const rows = fidelityRows(fidelity, ids, subsetTrue);
      await ctx.writeCsv('private_predictions.csv', rows, FIDELITY_COLUMNS);
      await ctx.writeCsv('private_cost_layers.csv', layerRows(fidelity), LAYER_COLUMNS);
      const f = summarizeFidelityRows(rows);
      ctx.record('privatePrediction', {
        queries: f.queries,
        agreeWithPlaintext: f.agree,
        maxDissimilarityError: f.maxDissimilarityError,
        suspectedTruncationFailures: f.suspectedFailures,
        fixedPointBits: options.private.fixedPointBits,
        meanOnlineSeconds: Math.round(f.meanOnlineSeconds * 1000) / 1000,
        meanOfflineSeconds: Math.round(f.meanOfflineSeconds * 1000) / 1000,
        meanRounds: f.meanRounds,
        meanOnlineBytes: Math.round(f.meanBytes),
      });
      systems.push({ name: 'privedge-2pc', predicted: fidelity.queries.map((r) => r.private), trueLabels: subsetTrue });
    }
    const baselines = await trainBaselineModels(ctx, data, options.baselines);
    try {
      for (const b of baselines) systems.push({ name: b.name, predicted: await predictUsers(b, data, queries), seconds: b.seconds });
    } finally {
      for (const b of baselines) b.model.dispose();
    }
    const metricRows: Row[] = [];
    const confusion: Row[] = [];
    const headline: Record<string, unknown> = {};
    for (const s of systems) {
      const cm = confusionMatrix(s.trueLabels ?? trueLabels, s.predicted, users);
      const report = classificationReport(cm, policy);
      metricRows.push(...systemRows(s.name, report));
      confusion.push(...confusionRows(cm).map((r) => ({ system: s.name, true: r.true, predicted: r.predicted, count: r.count })));
      headline[s.name] = {
        macroPrecision: report.macroPrecision,
        macroRecall: report.macroRecall,
        accuracy: report.accuracy,
        neverPredicted: report.undefinedPrecision.length,
        ...(s.seconds === undefined ? {} : { trainSeconds: Math.round(s.seconds * 10) / 10 }),
      };
    }
    ctx.record('identification', headline);
    await ctx.writeCsv('metrics.csv', metricRows, ['system', 'label', 'metric', 'value']);
    await ctx.writeCsv('confusion.csv', confusion, ['system', 'true', 'predicted', 'count']);
  },
});
