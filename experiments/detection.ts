import type { z } from 'zod';
import { datasetSchema } from '../src/config/dataset-schema.js';
import { prepareDataset, usedIndices, type PreparedDataset } from '../src/datasets/prepare.js';
import { ConfigError } from '../src/errors.js';
import { calibrateThreshold } from '../src/metrics/detection.js';
import type { FixedPointBits } from '../src/mpc-sim/encoding/fixed-point.js';
import { argminRows } from '../src/models/rec-adv/argmin.js';
import { loadUserModel } from '../src/models/rec-adv/train-users.js';
import type { Row } from '../src/report/csv.js';
import type { ExperimentContext } from '../src/runner/experiment.js';
import { defineExperiment } from '../src/runner/experiment.js';
import { deepFreeze } from '../src/util/deep-freeze.js';
import { detectionOptions } from './options/detection.js';
import { rocChart, scoresChart } from './shared/detection-charts.js';
import {
  addImages,
  emptyQueries,
  pickPrivateQueryRows,
  privateDetectionRows,
  privateDetectionTables,
  scoreRows,
  thresholdTables,
  type Queries,
  type Scores,
  type ThresholdTables,
} from './shared/detection-phases.js';
import { privateThresholdPredictions } from './shared/private-detection.js';
import { concatImages, privedgeDissimilarities, trainPrivedge, type PrivedgeModels } from './shared/privedge.js';

/** Loads `otherDataset` at the main image size and picks at most `max` of its images (seeded). */
async function otherDatasetImages(ctx: ExperimentContext, data: PreparedDataset, other: z.infer<typeof datasetSchema>, max: number): Promise<{ data: PreparedDataset; indices: number[] }> {
  const { width, height, channels } = data.config.image;
  const config = deepFreeze(datasetSchema.parse({ ...other, image: { ...other.image, width, height, channels } }));
  const rng = ctx.rng.child('detection').child('other-dataset');
  const prepared = await prepareDataset(config, rng.child('data'), { reporter: ctx.reporter });
  let indices = usedIndices(prepared.partition);
  if (indices.length > max) indices = rng.child('pick').shuffle(indices).slice(0, max).sort((a, b) => a - b);
  return { data: prepared, indices };
}

function noNonPrivateImages(): ConfigError {
  return new ConfigError(
    'dataset.users.nonPrivateUsers',
    'the detection experiment needs non-private queries: list held-out classes (or give a count), or set the experiment option `otherDataset`',
  );
}

/**
 * `detection`: tells private images (enrolled users' test images) from non-private ones
 * (held-out users' images, and optionally another dataset's) by thresholding the smallest
 * dissimilarity; the threshold is a quantile of the enrolled users' validation images' smallest
 * dissimilarities. Reports precision, recall, the ROC curve and AUC per group of non-private
 * queries, the confusion at the threshold, and checks the private (2PC) threshold bits of a
 * few queries against the plaintext decisions.
 */
export const detection = defineExperiment({
  ...detectionOptions,
  charts: [rocChart, scoresChart],
  async run(ctx, options) {
    const prepared = await prepareQueries(ctx, options);
    const { models, images, scores } = await trainAndScore(ctx, prepared.data, prepared.q, options.evalBatchSize);
    const { threshold, tables } = await thresholdPhase(ctx, prepared, scores, options.quantile);
    const priv = options.private.queries > 0 ? await privateQueriesPhase(ctx, prepared.q, scores, threshold, { images, modelsDir: models.modelsDir, ...options.private }) : undefined;
    await writeOutputs(ctx, tables, priv);
  },
});

type DetectionOptions = Parameters<typeof detection.run>[1];

/** The calibration images and the queries, with the dataset they come from (checks that there are non-private queries). */
interface PreparedQueries {
  readonly data: PreparedDataset;
  readonly q: Queries;
  readonly heldOutUsers: boolean;
  readonly otherDataset: boolean;
}

/**
 * Phase 1, prepare data: the enrolled users' calibration (or validation) images, then the queries:
 * their test images, the held-out users' images and, with `otherDataset`, another dataset's.
 * @throws ConfigError when there is no non-private query or no calibration image.
 */
async function prepareQueries(ctx: ExperimentContext, options: DetectionOptions): Promise<PreparedQueries> {
  const configured = ctx.config.dataset.users.nonPrivateUsers;
  const wantsHeldOut = typeof configured === 'number' ? configured > 0 : configured.length > 0;
  if (!wantsHeldOut && options.otherDataset === undefined) throw noNonPrivateImages();
  const data = await ctx.dataset();
  const heldOut = data.partition.nonPrivate.flatMap((u) => u.images);
  if (wantsHeldOut && data.partition.nonPrivate.length === 0) throw noNonPrivateImages();
  if (wantsHeldOut && heldOut.length === 0) throw new ConfigError('dataset.transforms.filter.test', 'no image of the held-out (non-private) users is left after the test filter');
  // Calibrate on the separate held-out share when the dataset has one (split.calibrationFraction), else on validation.
  const calibrateOn = data.config.split.calibrationFraction > 0 ? 'calibration' : 'validation';
  if (data.partition.users.every((u) => u[calibrateOn].length === 0)) {
    throw new ConfigError(`dataset.split.${calibrateOn}Fraction`, `the detection threshold is calibrated on ${calibrateOn} images, but no user has any: use a fraction above 0`);
  }
  const other = options.otherDataset === undefined ? undefined : await otherDatasetImages(ctx, data, options.otherDataset, options.otherImages);
  const q = emptyQueries();
  addImages(q, data, data.partition.users.flatMap((u) => u[calibrateOn]), 'calibration', 'private');
  addImages(q, data, data.partition.users.flatMap((u) => u.test), 'query', 'private');
  addImages(q, data, heldOut, 'query', 'held-out-user');
  if (other) addImages(q, other.data, other.indices, 'query', 'other-dataset', `${other.data.name}:`);
  return { data, q, heldOutUsers: heldOut.length > 0, otherDataset: other !== undefined };
}

/**
 * Phases 2 and 3, train (or reuse) the users' models and score every image: its dissimilarity
 * under each user's model, the nearest user and the smallest dissimilarity. Writes training_users.csv.
 */
async function trainAndScore(ctx: ExperimentContext, data: PreparedDataset, q: Queries, batchSize: number): Promise<{ models: PrivedgeModels; images: Float32Array; scores: Scores }> {
  const models = await trainPrivedge(ctx, ctx.config, data, 'privedge');
  await ctx.writeCsv('training_users.csv', models.trainingRows);
  const users = models.users;
  const images = concatImages(q.parts);
  const matrix = await privedgeDissimilarities(ctx, models, data, images, batchSize, 'dissimilarities');
  const nearest = argminRows(matrix.values, matrix.queries, users.length);
  const minMse = Array.from(nearest, (u, r) => matrix.values[r * users.length + u]!);
  return { models, images, scores: { users, values: matrix.values, nearest, minMse } };
}

/**
 * Phase 4, threshold: the quantile of the calibration images' smallest dissimilarities; writes
 * dissimilarity.csv and scores.csv, records the headline, and returns the plaintext tables.
 */
async function thresholdPhase(ctx: ExperimentContext, prepared: PreparedQueries, scores: Scores, quantile: number): Promise<{ threshold: number; tables: ThresholdTables }> {
  const { q } = prepared;
  const calibration = scores.minMse.filter((_, r) => q.set[r] === 'calibration');
  const threshold = calibrateThreshold(calibration, quantile);
  const rows = scoreRows(q, scores, threshold);
  await ctx.writeCsv('dissimilarity.csv', rows.dissimilarity, ['image', 'set', 'kind', 'trueUser', 'user', 'mse']);
  await ctx.writeCsv('scores.csv', rows.scores, ['image', 'set', 'kind', 'trueUser', 'nearestUser', 'minMse', 'declaredPrivate']);
  const tables = thresholdTables(q, scores.minMse, threshold, { quantile, calibrationImages: calibration.length, heldOutUsers: prepared.heldOutUsers, otherDataset: prepared.otherDataset });
  ctx.record('detection', tables.headline);
  return { threshold, tables };
}

/**
 * Phase 5, private queries: a few queries (half private, half not) answered in 2PC with the
 * threshold bit revealed, beside the plaintext decisions; writes private_detection.csv, warns
 * on a mismatch and records the summary.
 */
async function privateQueriesPhase(
  ctx: ExperimentContext,
  q: Queries,
  scores: Scores,
  threshold: number,
  settings: { images: Float32Array; modelsDir: string; queries: number; fixedPointBits: FixedPointBits },
): Promise<{ metrics: Row[]; confusion: Row[] }> {
  const { users } = scores;
  const picked = pickPrivateQueryRows(q, settings.queries);
  const size = settings.images.length / q.id.length;
  const task = ctx.reporter.task(`private detection (2PC): enrol ${users.length} users, ${picked.length} queries`, users.length + picked.length);
  const results = await privateThresholdPredictions(
    users,
    (u) => loadUserModel(settings.modelsDir, u),
    picked.map((r) => settings.images.subarray(r * size, (r + 1) * size)),
    threshold,
    { fixedPointBits: settings.fixedPointBits, tick: () => task.tick() },
  );
  task.done();
  const rows = privateDetectionRows(q, scores, threshold, picked, results);
  await ctx.writeCsv('private_detection.csv', rows);
  const tables = privateDetectionTables(rows, settings.fixedPointBits);
  const agree = rows.filter((r) => r.agree).length;
  if (agree < rows.length) {
    ctx.reporter.warn(`detection: ${rows.length - agree} of ${rows.length} private threshold bits differ from the plaintext decision (see private_detection.csv, marginToThreshold)`);
  }
  ctx.record('privateDetection', tables.record);
  return tables;
}

/** Phase 6, write outputs: metrics.csv, roc.csv and confusion.csv, the plaintext rows first, then the 2PC ones. */
async function writeOutputs(ctx: ExperimentContext, plain: ThresholdTables, priv: { metrics: Row[]; confusion: Row[] } | undefined): Promise<void> {
  await ctx.writeCsv('metrics.csv', [...plain.metrics, ...(priv?.metrics ?? [])], ['system', 'negatives', 'metric', 'value']);
  await ctx.writeCsv('roc.csv', plain.roc, ['negatives', 'step', 'fpr', 'tpr', 'threshold']);
  await ctx.writeCsv('confusion.csv', [...plain.confusion, ...(priv?.confusion ?? [])], ['system', 'negatives', 'actual', 'declared', 'count']);
}
