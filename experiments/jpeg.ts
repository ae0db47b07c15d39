import type { PrivedgeConfig } from '../src/config/schema.js';
import { prepareDataset, type PreparedDataset } from '../src/datasets/prepare.js';
import { toFloatImages } from '../src/datasets/tensors.js';
import { withJpeg } from '../src/datasets/transforms/jpeg.js';
import { ConfigError, RunError } from '../src/errors.js';
import { argminRows } from '../src/models/rec-adv/argmin.js';
import { classificationReport, confusionMatrix, reportRows, type ClassificationReport } from '../src/metrics/confusion.js';
import { quantile } from '../src/metrics/detection.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment, type ExperimentContext } from '../src/runner/experiment.js';
import { deepFreeze, type DeepReadonly } from '../src/util/deep-freeze.js';
import { predictUsers, trainBaselineModels } from './shared/trained-baselines.js';
import { jpegChart } from './shared/jpeg-chart.js';
import { privedgeDissimilarities, trainPrivedge, type PrivedgeModels } from './shared/privedge.js';
import { jpegOptions } from './options/jpeg.js';

interface System {
  readonly name: string;
  predict(images: Float32Array): Promise<{ predicted: string[]; minMse?: number[] }>;
}

function privedgeSystem(ctx: ExperimentContext, name: string, models: PrivedgeModels, data: PreparedDataset, batchSize: number): System {
  return {
    name,
    predict: async (images) => {
      const n = models.users.length;
      const matrix = await privedgeDissimilarities(ctx, models, data, images, batchSize, `${name} dissimilarities`);
      const argmin = argminRows(matrix.values, matrix.queries, n);
      return { predicted: Array.from(argmin, (k) => models.users[k]!), minMse: Array.from(argmin, (k, q) => matrix.values[q * n + k]!) };
    },
  };
}

/**
 * The run config with `dataset.transforms.jpeg` compressing training and validation images at
 * `quality` (replacing any jpeg transform of the config). `training.modelsDir` is dropped, so the
 * models go to `<results>/models/<hash>` of the changed dataset and never mix with the others.
 */
function compressedTrainingConfig(config: DeepReadonly<PrivedgeConfig>, quality: number, chromaSubsampling: '4:4:4' | '4:2:0'): DeepReadonly<PrivedgeConfig> {
  const dataset = { ...config.dataset, transforms: { ...config.dataset.transforms, jpeg: { quality, chromaSubsampling, splits: ['train', 'validation'] as const } } };
  const { modelsDir: _modelsDir, ...training } = config.training;
  return deepFreeze({ ...config, dataset, training }) as DeepReadonly<PrivedgeConfig>;
}

/** Per-user values of one metric under the undefined-precision policy (null: 0, or left out). */
function perUser(report: ClassificationReport, metric: 'precision' | 'recall', policy: 'zero' | 'exclude'): number[] {
  const values = report.perClass.map((c) => c[metric]);
  return policy === 'zero' ? values.map((v) => v ?? 0) : values.filter((v): v is number => v !== null);
}

/**
 * `jpeg`: robustness to JPEG compression. The test images are re-encoded at each quality and
 * predicted by PrivEdge (reconstructors trained on the uncompressed training images) and by the
 * centralised baselines (trained once, on uncompressed images); optionally also by PrivEdge
 * trained on compressed images. Writes per-user and macro precision and recall per system and
 * quality, their spread across users, per-image predictions and the pixel error of each quality.
 */
export const jpeg = defineExperiment({
  ...jpegOptions,
  charts: [jpegChart],
  async run(ctx, options) {
    if (ctx.config.dataset.transforms.jpeg?.splits.includes('test')) {
      throw new ConfigError('dataset.transforms.jpeg.splits', 'the jpeg experiment re-encodes the test images itself: remove "test" from the splits (or the jpeg transform)');
    }
    const data = await ctx.dataset();
    const users = data.partition.users.map((u) => u.user);
    const testIndices = data.partition.users.flatMap((u) => u.test);
    const trueLabels = data.partition.users.flatMap((u) => u.test.map(() => u.user));

    const models = await trainPrivedge(ctx, ctx.config, data, 'privedge');
    const systems: System[] = [privedgeSystem(ctx, 'privedge', models, data, options.evalBatchSize)];
    const trainingRows = [...models.trainingRows];
    if (options.trainOnCompressed !== false) {
      const name = `privedge-train-q${options.trainOnCompressed}`;
      const config = compressedTrainingConfig(ctx.config, options.trainOnCompressed, options.chromaSubsampling);
      const compressed = await prepareDataset(config.dataset, ctx.rng.child('data'), { reporter: ctx.reporter });
      if (compressed.partition.users.some((u, k) => u.test.join() !== data.partition.users[k]?.test.join())) {
        throw new RunError(ctx.dir, 'the compressed-training dataset was partitioned differently from the main one');
      }
      const compressedModels = await trainPrivedge(ctx, config, compressed, name, 'modelsTrainedOnCompressed');
      trainingRows.push(...compressedModels.trainingRows);
      systems.push(privedgeSystem(ctx, name, compressedModels, data, options.evalBatchSize));
    }
    await ctx.writeCsv('training_users.csv', trainingRows);
    const baselines = await trainBaselineModels(ctx, data, options.baselines);
    for (const b of baselines) systems.push({ name: b.name, predict: async (images) => ({ predicted: await predictUsers(b, data, images) }) });

    const policy = options.undefinedPrecision;
    const metrics: Row[] = [];
    const spread: Row[] = [];
    const predictions: Row[] = [];
    const compression: Row[] = [];
    const headline: Record<string, Record<string, { precision: number; recall: number }>> = {};
    const size = data.images.width * data.images.height * data.images.channels;
    try {
      for (const quality of options.qualities) {
        const encoded = await withJpeg(data.images, testIndices, { quality, chromaSubsampling: options.chromaSubsampling }, data.config.concurrency);
        let absError = 0;
        let squared = 0;
        for (const i of testIndices) {
          for (let j = i * size; j < (i + 1) * size; j++) {
            const d = encoded.pixels[j]! - data.images.pixels[j]!;
            absError += Math.abs(d);
            squared += d * d;
          }
        }
        const mse = squared / (testIndices.length * size);
        compression.push({ quality, meanAbsError: absError / (testIndices.length * size), psnr: mse === 0 ? null : 10 * Math.log10((255 * 255) / mse) });
        const images = toFloatImages(encoded, testIndices).data;
        for (const system of systems) {
          const { predicted, minMse } = await system.predict(images);
          testIndices.forEach((index, q) => predictions.push({ system: system.name, quality, image: data.images.ids[index]!, trueUser: trueLabels[q]!, predicted: predicted[q]!, minMse: minMse?.[q] ?? null }));
          const report = classificationReport(confusionMatrix(trueLabels, predicted, users), { policy });
          metrics.push(...reportRows(report).map((r) => ({ system: system.name, quality, label: r.label, metric: r.metric, value: r.value })));
          for (const metric of ['precision', 'recall'] as const) {
            const values = perUser(report, metric, policy);
            const [low, high] = values.length === 0 ? [null, null] : options.band === 'iqr' ? [quantile(values, 0.25), quantile(values, 0.75)] : [Math.min(...values), Math.max(...values)];
            spread.push({ system: system.name, quality, metric, band: options.band, low, high, users: values.length });
          }
          (headline[system.name] ??= {})[String(quality)] = { precision: report.macroPrecision, recall: report.macroRecall };
        }
        ctx.reporter.info(`jpeg: quality ${quality} evaluated`);
      }
    } finally {
      for (const b of baselines) b.model.dispose();
    }
    ctx.record('jpeg', { qualities: options.qualities, testImages: testIndices.length, macro: headline });
    await ctx.writeCsv('metrics.csv', metrics, ['system', 'quality', 'label', 'metric', 'value']);
    await ctx.writeCsv('spread.csv', spread, ['system', 'quality', 'metric', 'band', 'low', 'high', 'users']);
    await ctx.writeCsv('predictions.csv', predictions, ['system', 'quality', 'image', 'trueUser', 'predicted', 'minMse']);
    await ctx.writeCsv('compression.csv', compression, ['quality', 'meanAbsError', 'psnr']);
  },
});
