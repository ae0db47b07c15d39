import { fraction, groupedBars, tooltipMark } from '../src/report/chart-parts.js';
import type { z } from 'zod';
import type { PreparedDataset } from '../src/datasets/prepare.js';
import { toFloatImages, toPixelByte } from '../src/datasets/tensors.js';
import { argminRows } from '../src/models/rec-adv/argmin.js';
import { classificationReport, confusionMatrix, confusionRows, reportRows, type ClassificationReport } from '../src/metrics/confusion.js';
import { bootstrapMacroIntervals } from '../src/metrics/bootstrap.js';
import { quantile } from '../src/metrics/detection.js';
import { dissimilarityMatrix } from '../src/models/rec-adv/dissimilarity.js';
import { reconstructImages } from '../src/models/rec-adv/reconstruct.js';
import { reconstructionContrast, summariseContrast } from '../src/metrics/reconstruction-contrast.js';
import { imageGridPng } from '../src/report/image-grid.js';
import { loadUserModel, requireUserModels, trainUsers } from '../src/models/rec-adv/train-users.js';
import { vegaLite } from '../src/report/charts.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment, type ExperimentContext } from '../src/runner/experiment.js';
import { writeTrainingOutputs } from '../src/runner/training-outputs.js';
import { predictUsers, trainBaselineModels } from './shared/trained-baselines.js';
import { FIDELITY_COLUMNS, LAYER_COLUMNS, fidelityRows, layerRows, pickQueries, runPrivateFidelity } from '../src/mpc-sim/private-reconstructor/fidelity.js';
import { summarizeFidelityRows } from '../src/mpc-sim/private-reconstructor/fidelity-rows.js';
import { identificationOptions } from './options/identification.js';

/** Macro precision / recall (and F1, accuracy) of each system as long rows. */
function systemRows(system: string, report: ClassificationReport): Row[] {
  return reportRows(report).map((r) => ({ system, label: r.label, metric: r.metric, value: r.value }));
}

type Options = z.infer<typeof identificationOptions.schema>;

/** One system's predicted users (of every test image, or of `trueLabels`' images only). */
interface SystemPredictions {
  readonly name: string;
  readonly predicted: string[];
  readonly trueLabels?: string[];
  readonly seconds?: number;
  /** A baseline loaded from `<results>/models/baselines/` (its seconds are those of the run that trained it). */
  readonly reused?: boolean;
}

/** Phase 1: every user's reconstructor trained (or reused), recorded in `training_users.csv`. */
async function trainReconstructors(ctx: ExperimentContext, data: PreparedDataset): Promise<{ users: string[]; modelsDir: string }> {
  const outcome = await trainUsers(ctx.config, data, { outDir: ctx.resultsRoot, writeOutputs: writeTrainingOutputs, reporter: ctx.reporter });
  const users = data.partition.users.map((u) => u.user);
  ctx.record('models', { dir: outcome.modelsDir, trained: outcome.trained.length, reused: outcome.skipped.length, workers: outcome.workers });
  const summaries = [...outcome.trained, ...outcome.skipped];
  await ctx.writeCsv('training_users.csv', users.map((u) => {
    const s = summaries.find((x) => x.user === u)!;
    return { user: u, bestIteration: s.bestIteration, bestValMse: s.bestValMse, checkpointed: s.checkpointed, checkpointOn: s.checkpointOn ?? 'validation', iterations: s.iterations, seconds: s.seconds, backend: s.backend };
  }));
  return { users, modelsDir: outcome.modelsDir };
}

/** What the plaintext prediction leaves for the later phases. */
interface PlaintextPrediction {
  readonly testIndices: number[];
  readonly trueLabels: string[];
  /** The test images, float NHWC. */
  readonly queries: Float32Array;
  /** Test images x users. */
  readonly matrix: { values: Float32Array | Float64Array; queries: number };
  readonly predicted: string[];
}

/** Phase 2: the dissimilarity matrix and the argmin rule; writes `dissimilarity.csv` and `predictions.csv`. */
async function plaintextPrediction(ctx: ExperimentContext, data: PreparedDataset, trained: { users: string[]; modelsDir: string }, batchSize: number): Promise<PlaintextPrediction> {
  const { users, modelsDir } = trained;
  const testIndices = data.partition.users.flatMap((u) => u.test);
  const trueLabels = data.partition.users.flatMap((u) => u.test.map(() => u.user));
  const { width, height, channels } = data.config.image;
  await requireUserModels(modelsDir, users);
  const started = performance.now();
  const task = ctx.reporter.task(`dissimilarities: ${testIndices.length} test images x ${users.length} users`, users.length);
  const queries = toFloatImages(data.images, testIndices).data;
  const matrix = await dissimilarityMatrix(users, (u) => loadUserModel(modelsDir, u), queries, [height, width, channels], { batchSize, progress: task });
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
  return { testIndices, trueLabels, queries, matrix, predicted };
}

/**
 * Phase 2b: does each reconstructor carry more than the background? Every user's reconstructions
 * of its own test images against the best flat image (`reconstruction_contrast.csv`; see
 * `reconstructionContrast`), and `reconstructions.png` for the first `samples` users: a test
 * image, its reconstruction by its own user and by the predicted user.
 */
async function reconstructionDiagnostics(ctx: ExperimentContext, data: PreparedDataset, trained: { users: string[]; modelsDir: string }, plain: PlaintextPrediction, samples: number, batchSize: number): Promise<void> {
  const { users, modelsDir } = trained;
  const { width, height, channels } = data.config.image;
  const shape = [height, width, channels] as const;
  const size = width * height * channels;
  const rows: Row[] = [];
  /** Per pictured user: the first test image, its own reconstruction, the predicted user's. */
  const pictured: Float32Array[][] = [];
  let offset = 0;
  const task = ctx.reporter.task(`reconstructions: ${users.length} users' own test images`, users.length);
  for (const [u, user] of data.partition.users.entries()) {
    const count = user.test.length;
    const own = plain.queries.subarray(offset * size, (offset + count) * size);
    const first = offset;
    offset += count;
    task.tick();
    if (count === 0) continue;
    const model = await loadUserModel(modelsDir, user.user);
    let recs: Float32Array;
    try {
      recs = await reconstructImages(model, own, shape, batchSize);
    } finally {
      model.dispose();
    }
    const s = summariseContrast(reconstructionContrast(own, recs, size));
    rows.push({ user: user.user, testImages: s.images, mse: s.mse, flatMse: s.flatMse, mseToFlat: s.mseToFlat, inputStd: s.inputStd, reconstructionStd: s.reconstructionStd, stdRatio: s.stdRatio, correct: plain.predicted.slice(first, offset).filter((p) => p === user.user).length });
    if (u < samples) {
      const predicted = plain.predicted[first]!;
      let other = recs.subarray(0, size);
      if (predicted !== user.user) {
        const m = await loadUserModel(modelsDir, predicted);
        try {
          other = await reconstructImages(m, own.subarray(0, size), shape, 1);
        } finally {
          m.dispose();
        }
      }
      pictured.push([own.subarray(0, size), recs.subarray(0, size), other]);
    }
  }
  task.done();
  await ctx.writeCsv('reconstruction_contrast.csv', rows, ['user', 'testImages', 'mse', 'flatMse', 'mseToFlat', 'inputStd', 'reconstructionStd', 'stdRatio', 'correct']);
  if (rows.length > 0) {
    const ratio = rows.map((r) => r['mseToFlat'] as number);
    ctx.record('reconstructionContrast', {
      users: rows.length,
      medianMseToFlat: Math.round(quantile(ratio, 0.5) * 1e4) / 1e4,
      usersNoBetterThanFlat: ratio.filter((x) => x >= 1).length,
      medianStdRatio: Math.round(quantile(rows.map((r) => r['stdRatio'] as number), 0.5) * 1e4) / 1e4,
    });
  }
  if (pictured.length > 0) {
    const flat = new Float32Array(pictured.length * 3 * size);
    pictured.flat().forEach((image, k) => flat.set(image, k * size));
    const grid = { width, height, channels: channels as 1 | 3, pixels: Uint8Array.from(flat, toPixelByte) };
    await ctx.writeFile('reconstructions.png', await imageGridPng(grid, pictured.map((_, r) => [3 * r, 3 * r + 1, 3 * r + 2])));
  }
}

/** Phase 3 (`mode: private`): K test images predicted by 2PC; writes `private_predictions.csv` and `private_cost_layers.csv`. */
async function privatePrediction(ctx: ExperimentContext, data: PreparedDataset, trained: { users: string[]; modelsDir: string }, plain: PlaintextPrediction, options: Options['private']): Promise<SystemPredictions> {
  const { users, modelsDir } = trained;
  const { testIndices, matrix, queries, predicted, trueLabels } = plain;
  const { width, height, channels } = data.config.image;
  const picked = pickQueries(testIndices.length, options.queries === 'all' ? testIndices.length : options.queries, 'spread');
  const size = width * height * channels;
  const plaintextDissimilarities = picked.map((q) => Array.from(matrix.values.subarray(q * users.length, (q + 1) * users.length)));
  const privTask = ctx.reporter.task(`private prediction (2PC): enrol ${users.length} users, ${picked.length} queries`, users.length + picked.length);
  const fidelity = await runPrivateFidelity(
    options.fixedPointBits,
    users,
    (u) => loadUserModel(modelsDir, u),
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
    fixedPointBits: options.fixedPointBits,
    meanOnlineSeconds: Math.round(f.meanOnlineSeconds * 1000) / 1000,
    meanOfflineSeconds: Math.round(f.meanOfflineSeconds * 1000) / 1000,
    meanRounds: f.meanRounds,
    meanOnlineBytes: Math.round(f.meanBytes),
  });
  return { name: 'privedge-2pc', predicted: fidelity.queries.map((r) => r.private), trueLabels: subsetTrue };
}

/** Phase 4: confusion matrices and macro metrics of every system; writes `metrics.csv` and `confusion.csv`. */
async function scoreSystems(ctx: ExperimentContext, users: readonly string[], trueLabels: string[], systems: readonly SystemPredictions[], options: Pick<Options, 'undefinedPrecision' | 'intervals'>): Promise<void> {
  const undefinedPrecision = options.undefinedPrecision;
  const policy = { policy: undefinedPrecision };
  const metricRows: Row[] = [];
  const intervalRows: Row[] = [];
  const confusion: Row[] = [];
  const headline: Record<string, unknown> = {};
  for (const s of systems) {
    const cm = confusionMatrix(s.trueLabels ?? trueLabels, s.predicted, users);
    const report = classificationReport(cm, policy);
    metricRows.push(...systemRows(s.name, report));
    confusion.push(...confusionRows(cm).map((r) => ({ system: s.name, true: r.true, predicted: r.predicted, count: r.count })));
    const ci = bootstrapMacroIntervals(s.trueLabels ?? trueLabels, s.predicted, users, { ...options.intervals, policy: undefinedPrecision, rng: ctx.rng.child('identification').child('bootstrap').child(s.name) });
    for (const [metric, interval] of [['precision', ci.precision], ['recall', ci.recall]] as const) {
      intervalRows.push({ system: s.name, metric, value: interval.value, lower: interval.lower, upper: interval.upper, level: ci.level, resamples: ci.resamples });
    }
    const rounded = (x: number): number => Math.round(x * 1e4) / 1e4;
    headline[s.name] = {
      macroPrecision: report.macroPrecision,
      macroRecall: report.macroRecall,
      macroPrecisionInterval: [rounded(ci.precision.lower), rounded(ci.precision.upper)],
      macroRecallInterval: [rounded(ci.recall.lower), rounded(ci.recall.upper)],
      accuracy: report.accuracy,
      neverPredicted: report.undefinedPrecision.length,
      ...(s.seconds === undefined ? {} : { trainSeconds: Math.round(s.seconds * 10) / 10 }),
      ...(s.reused === undefined ? {} : { reused: s.reused }),
    };
  }
  ctx.record('identification', headline);
  await ctx.writeCsv('metrics.csv', metricRows, ['system', 'label', 'metric', 'value']);
  await ctx.writeCsv('confusion.csv', confusion, ['system', 'true', 'predicted', 'count']);
  await ctx.writeCsv('metrics_intervals.csv', intervalRows, ['system', 'metric', 'value', 'lower', 'upper', 'level', 'resamples']);
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
  ...identificationOptions,
  charts: [
    {
      name: 'identification',
      inputs: ['metrics.csv'],
      build: (t) =>
        groupedBars({
          title: 'User identification: macro precision and recall',
          values: (t['metrics.csv'] as Record<string, unknown>[]).filter((r) => r['label'] === 'macro' && (r['metric'] === 'precision' || r['metric'] === 'recall')),
          x: { field: 'system', title: 'System' },
          group: { field: 'metric', title: 'Metric' },
          y: fraction('value', 'Macro average'),
          step: 28,
          height: 220,
        }),
    },
    {
      name: 'training_users',
      inputs: ['training_users.csv'],
      build: (t) => vegaLite({
        title: 'Per-user training: best validation MSE (checkpoint)',
        data: { values: t['training_users.csv'] as Record<string, unknown>[] },
        mark: tooltipMark('bar'),
        width: (t['training_users.csv'] ?? []).length > 60 ? 900 : { step: 14 },
        height: 200,
        encoding: {
          x: { field: 'user', type: 'nominal', sort: null, title: 'User' },
          y: { field: 'bestValMse', type: 'quantitative', title: 'Validation MSE' },
          color: { field: 'checkpointed', type: 'nominal', title: 'Checkpoint met the rule' },
        },
      }),
    },
    {
      name: 'reconstruction_contrast',
      inputs: ['reconstruction_contrast.csv'],
      build: (t) => vegaLite({
        title: 'Own reconstruction error against a flat page (below 1: more than the background)',
        data: { values: t['reconstruction_contrast.csv'] as Record<string, unknown>[] },
        width: (t['reconstruction_contrast.csv'] ?? []).length > 60 ? 900 : { step: 14 },
        height: 200,
        layer: [
          {
            mark: tooltipMark('bar'),
            encoding: {
              x: { field: 'user', type: 'nominal', sort: null, title: 'User' },
              y: { field: 'mseToFlat', type: 'quantitative', title: 'MSE / MSE of the best flat image' },
            },
          },
          { mark: { type: 'rule', color: '#c0392b' }, encoding: { y: { datum: 1 } } },
        ],
      }),
    },
    {
      name: 'confusion_privedge',
      inputs: ['confusion.csv'],
      build: (t) => vegaLite({
        title: 'PrivEdge confusion matrix (test images)',
        data: { values: (t['confusion.csv'] as Record<string, unknown>[]).filter((r) => r['system'] === 'privedge') },
        mark: tooltipMark('rect'),
        width: 320,
        height: 320,
        encoding: {
          x: { field: 'predicted', type: 'nominal', sort: null, title: 'Predicted user' },
          y: { field: 'true', type: 'nominal', sort: null, title: 'True user' },
          color: { field: 'count', type: 'quantitative', title: 'Images', scale: { scheme: 'blues' } },
        },
      }),
    },
  ],
  async run(ctx, options) {
    const data = await ctx.dataset();
    await ctx.tensorflow();
    const trained = await trainReconstructors(ctx, data);
    const plain = await plaintextPrediction(ctx, data, trained, options.evalBatchSize);
    await reconstructionDiagnostics(ctx, data, trained, plain, options.reconstructionSamples, options.evalBatchSize);
    const systems: SystemPredictions[] = [{ name: 'privedge', predicted: plain.predicted }];
    if (options.mode === 'private') systems.push(await privatePrediction(ctx, data, trained, plain, options.private));
    const baselines = await trainBaselineModels(ctx, data, options.baselines);
    try {
      for (const b of baselines) systems.push({ name: b.name, predicted: await predictUsers(b, data, plain.queries), seconds: b.seconds, reused: b.reused });
    } finally {
      for (const b of baselines) b.model.dispose();
    }
    if (baselines.length > 0) {
      // Same images and order as predictions.csv, so that systems can be compared image by image.
      const rows = systems.filter((s) => s.name !== 'privedge' && s.trueLabels === undefined).flatMap((s) => s.predicted.map((predicted, q) => ({ system: s.name, image: data.images.ids[plain.testIndices[q]!]!, trueUser: plain.trueLabels[q]!, predicted })));
      await ctx.writeCsv('baseline_predictions.csv', rows, ['system', 'image', 'trueUser', 'predicted']);
    }
    await scoreSystems(ctx, trained.users, plain.trueLabels, systems, options);
  },
});
