import { z } from 'zod';
import { datasetSchema } from '../src/config/dataset-schema.js';
import { prepareDataset, usedIndices, type PreparedDataset } from '../src/datasets/prepare.js';
import { toFloatImages } from '../src/datasets/tensors.js';
import { ConfigError } from '../src/errors.js';
import { argminRows } from '../src/models/rec-adv/argmin.js';
import { aucTrapezoid, calibrateThreshold, detectionAt, detectionOfDecisions, rocCurve, type DetectionCounts } from '../src/metrics/detection.js';
import { pickQueries } from '../src/mpc-sim/private-reconstructor/fidelity.js';
import { loadUserModel } from '../src/models/rec-adv/train-users.js';
import type { Row } from '../src/report/csv.js';
import type { ExperimentContext } from '../src/runner/experiment.js';
import { defineExperiment } from '../src/runner/experiment.js';
import { deepFreeze } from '../src/util/deep-freeze.js';
import { rocChart, scoresChart } from './shared/detection-charts.js';
import { privateThresholdPredictions } from './shared/private-detection.js';
import { concatImages, privedgeDissimilarities, trainPrivedge } from './shared/privedge.js';
import { detectionOptions } from './options/detection.js';

type Kind = 'private' | 'held-out-user' | 'other-dataset';
/** Images scored by the detector: validation images for calibration, then the queries. */
interface Queries {
  readonly id: string[];
  readonly set: ('calibration' | 'query')[];
  readonly kind: Kind[];
  readonly trueUser: string[];
  readonly parts: Float32Array[];
}

function addImages(q: Queries, data: PreparedDataset, indices: readonly number[], set: 'calibration' | 'query', kind: Kind, prefix = ''): void {
  for (const i of indices) {
    q.id.push(`${prefix}${data.images.ids[i]!}`);
    q.set.push(set);
    q.kind.push(kind);
    q.trueUser.push(data.images.labels[i]!);
  }
  q.parts.push(toFloatImages(data.images, indices).data);
}

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

function countRows(system: string, negatives: string, d: DetectionCounts): Row[] {
  return (['tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'f1', 'falsePositiveRate', 'accuracy'] as const).map((metric) => ({ system, negatives, metric, value: d[metric] }));
}

function confusionRows(system: string, negatives: string, d: DetectionCounts): Row[] {
  return [
    { system, negatives, actual: 'private', declared: 'private', count: d.tp },
    { system, negatives, actual: 'private', declared: 'non-private', count: d.fn },
    { system, negatives, actual: 'non-private', declared: 'private', count: d.fp },
    { system, negatives, actual: 'non-private', declared: 'non-private', count: d.tn },
  ];
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

    const q: Queries = { id: [], set: [], kind: [], trueUser: [], parts: [] };
    addImages(q, data, data.partition.users.flatMap((u) => u[calibrateOn]), 'calibration', 'private');
    addImages(q, data, data.partition.users.flatMap((u) => u.test), 'query', 'private');
    addImages(q, data, heldOut, 'query', 'held-out-user');
    if (other) addImages(q, other.data, other.indices, 'query', 'other-dataset', `${other.data.name}:`);

    const models = await trainPrivedge(ctx, ctx.config, data, 'privedge');
    await ctx.writeCsv('training_users.csv', models.trainingRows);
    const users = models.users;
    const images = concatImages(q.parts);
    const matrix = await privedgeDissimilarities(ctx, models, data, images, options.evalBatchSize, 'dissimilarities');
    const nearest = argminRows(matrix.values, matrix.queries, users.length);
    const minMse = Array.from(nearest, (u, r) => matrix.values[r * users.length + u]!);

    const calibration = minMse.filter((_, r) => q.set[r] === 'calibration');
    const threshold = calibrateThreshold(calibration, options.quantile);
    const dissimilarity: Row[] = [];
    const scores: Row[] = [];
    q.id.forEach((image, r) => {
      users.forEach((user, u) => dissimilarity.push({ image, set: q.set[r]!, kind: q.kind[r]!, trueUser: q.trueUser[r]!, user, mse: matrix.values[r * users.length + u]! }));
      scores.push({ image, set: q.set[r]!, kind: q.kind[r]!, trueUser: q.trueUser[r]!, nearestUser: users[nearest[r]!]!, minMse: minMse[r]!, declaredPrivate: minMse[r]! < threshold });
    });
    await ctx.writeCsv('dissimilarity.csv', dissimilarity, ['image', 'set', 'kind', 'trueUser', 'user', 'mse']);
    await ctx.writeCsv('scores.csv', scores, ['image', 'set', 'kind', 'trueUser', 'nearestUser', 'minMse', 'declaredPrivate']);

    const queryRows = q.id.map((_, r) => r).filter((r) => q.set[r] === 'query');
    const groups: [string, (k: Kind) => boolean][] = [['all', (k) => k !== 'private']];
    if (heldOut.length > 0) groups.push(['held-out-users', (k) => k === 'held-out-user']);
    if (other) groups.push(['other-dataset', (k) => k === 'other-dataset']);
    const metrics: Row[] = [
      { system: 'privedge', negatives: 'all', metric: 'threshold', value: threshold },
      { system: 'privedge', negatives: 'all', metric: 'quantile', value: options.quantile },
      { system: 'privedge', negatives: 'all', metric: 'calibrationImages', value: calibration.length },
    ];
    const roc: Row[] = [];
    const confusion: Row[] = [];
    const headline: Record<string, unknown> = { threshold, quantile: options.quantile, calibrationImages: calibration.length };
    for (const [negatives, isNegative] of groups) {
      const rows = queryRows.filter((r) => q.kind[r] === 'private' || isNegative(q.kind[r]!));
      const s = rows.map((r) => minMse[r]!);
      const positive = rows.map((r) => q.kind[r] === 'private');
      const d = detectionAt(s, positive, threshold);
      const curve = rocCurve(s, positive);
      const auc = aucTrapezoid(curve);
      metrics.push(
        { system: 'privedge', negatives, metric: 'positives', value: positive.filter(Boolean).length },
        { system: 'privedge', negatives, metric: 'negatives', value: positive.filter((p) => !p).length },
        ...countRows('privedge', negatives, d),
        { system: 'privedge', negatives, metric: 'auc', value: auc },
      );
      curve.forEach((p, step) => roc.push({ negatives, step, fpr: p.fpr, tpr: p.tpr, threshold: p.threshold }));
      confusion.push(...confusionRows('privedge', negatives, d));
      headline[negatives] = { precision: d.precision, recall: d.recall, falsePositiveRate: d.falsePositiveRate, auc };
    }
    ctx.record('detection', headline);

    if (options.private.queries > 0) {
      const positives = queryRows.filter((r) => q.kind[r] === 'private');
      const negatives = queryRows.filter((r) => q.kind[r] !== 'private');
      const k = options.private.queries;
      const picked = [
        ...pickQueries(positives.length, Math.ceil(k / 2), 'spread').map((i) => positives[i]!),
        ...pickQueries(negatives.length, Math.floor(k / 2), 'spread').map((i) => negatives[i]!),
      ];
      const size = images.length / matrix.queries;
      const task = ctx.reporter.task(`private detection (2PC): enrol ${users.length} users, ${picked.length} queries`, users.length + picked.length);
      const results = await privateThresholdPredictions(
        users,
        (u) => loadUserModel(models.modelsDir, u),
        picked.map((r) => images.subarray(r * size, (r + 1) * size)),
        threshold,
        { fixedPointBits: options.private.fixedPointBits, tick: () => task.tick() },
      );
      task.done();
      const rows = picked.map((r, i) => {
        const p = results[i]!;
        const plaintextPrivate = minMse[r]! < threshold;
        return {
          image: q.id[r]!,
          kind: q.kind[r]!,
          trueUser: q.trueUser[r]!,
          minMse: minMse[r]!,
          marginToThreshold: minMse[r]! - threshold,
          plaintextPrivate,
          privatePrivate: p.belowThreshold,
          agree: plaintextPrivate === p.belowThreshold,
          plaintextNearest: users[nearest[r]!]!,
          privateNearest: users[p.index]!,
          nearestAgree: nearest[r] === p.index,
          rounds: p.rounds,
          onlineBytes: p.bytes,
          onlineSeconds: p.onlineSeconds,
          offlineSeconds: p.offlineSeconds,
        };
      });
      await ctx.writeCsv('private_detection.csv', rows);
      const agree = rows.filter((r) => r.agree).length;
      if (agree < rows.length) {
        ctx.reporter.warn(`detection: ${rows.length - agree} of ${rows.length} private threshold bits differ from the plaintext decision (see private_detection.csv, marginToThreshold)`);
      }
      const nearestAgree = rows.filter((r) => r.nearestAgree).length;
      const d = detectionOfDecisions(rows.map((r) => r.privatePrivate), rows.map((r) => r.kind === 'private'));
      metrics.push(
        { system: 'privedge-2pc', negatives: 'all', metric: 'queries', value: rows.length },
        { system: 'privedge-2pc', negatives: 'all', metric: 'agreeWithPlaintext', value: agree },
        { system: 'privedge-2pc', negatives: 'all', metric: 'mismatches', value: rows.length - agree },
        { system: 'privedge-2pc', negatives: 'all', metric: 'nearestUserAgree', value: nearestAgree },
        ...countRows('privedge-2pc', 'all', d),
      );
      confusion.push(...confusionRows('privedge-2pc', 'all', d));
      const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
      ctx.record('privateDetection', {
        queries: rows.length,
        agreeWithPlaintext: agree,
        mismatches: rows.length - agree,
        mismatchedImages: rows.filter((r) => !r.agree).map((r) => r.image),
        nearestUserAgree: nearestAgree,
        fixedPointBits: options.private.fixedPointBits,
        meanOnlineSeconds: Math.round(mean((r) => r.onlineSeconds) * 1000) / 1000,
        meanRounds: mean((r) => r.rounds),
        meanOnlineBytes: Math.round(mean((r) => r.onlineBytes)),
      });
    }
    await ctx.writeCsv('metrics.csv', metrics, ['system', 'negatives', 'metric', 'value']);
    await ctx.writeCsv('roc.csv', roc, ['negatives', 'step', 'fpr', 'tpr', 'threshold']);
    await ctx.writeCsv('confusion.csv', confusion, ['system', 'negatives', 'actual', 'declared', 'count']);
  },
});
