import { pixelStats } from '../src/datasets/stats.js';
import { splitIndices, type SplitName } from '../src/datasets/prepare.js';
import type { Row } from '../src/report/csv.js';
import { vegaLite } from '../src/report/charts.js';
import { imageGridPng } from '../src/report/image-grid.js';
import { defineExperiment } from '../src/runner/experiment.js';
import { datasetSummaryOptions } from './options/dataset-summary.js';

const SPLITS: readonly SplitName[] = ['train', 'validation', 'test', 'nonPrivate'];

/**
 * `dataset-summary`: how many images each user has in each split, pixel statistics per split and
 * channel, the classes left out and why, and a sheet of sample images. The first experiment of
 * every smoke run: it checks the data before anything is trained on it.
 */
export const datasetSummary = defineExperiment({
  ...datasetSummaryOptions,
  charts: [
    {
      name: 'images_per_user',
      inputs: ['images_per_user.csv'],
      build: (tables) => {
        const rows = tables['images_per_user.csv']!;
        const many = new Set(rows.map((r) => r['user'])).size > 60;
        return vegaLite({
        title: 'Images per user and split',
        data: { values: rows as Record<string, unknown>[] },
        mark: 'bar',
        width: many ? 900 : { step: 14 },
        height: 240,
        encoding: {
          x: { field: 'user', type: 'nominal', sort: null, title: 'User (class)', axis: many ? { labels: false, ticks: false } : {} },
          y: { field: 'images', type: 'quantitative', stack: 'zero', title: 'Images' },
          color: { field: 'split', type: 'nominal', sort: ['train', 'validation', 'test', 'nonPrivate'], title: 'Split' },
          order: { field: 'splitOrder', type: 'quantitative' },
          tooltip: [{ field: 'user' }, { field: 'split' }, { field: 'images' }],
        },
        });
      },
    },
    {
      name: 'pixel_stats',
      inputs: ['pixel_stats.csv'],
      build: (tables) => vegaLite({
        title: 'Pixel mean ± std per split (model range [-1, 1])',
        data: { values: tables['pixel_stats.csv'] as Record<string, unknown>[] },
        transform: [
          { calculate: 'max(-1, datum.mean - datum.std)', as: 'low' },
          { calculate: 'min(1, datum.mean + datum.std)', as: 'high' },
        ],
        width: 260,
        height: 200,
        encoding: {
          x: { field: 'split', type: 'nominal', sort: ['train', 'validation', 'test', 'nonPrivate'], title: 'Split', axis: { labelAngle: 0 } },
          xOffset: { field: 'channel', type: 'nominal' },
          color: { field: 'channel', type: 'nominal', title: 'Channel' },
        },
        layer: [
          { mark: 'rule', encoding: { y: { field: 'low', type: 'quantitative', title: 'Pixel value', scale: { domain: [-1, 1] } }, y2: { field: 'high' } } },
          { mark: { type: 'point', filled: true, size: 50 }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
        ],
      }),
    },
  ],
  async run(ctx, options) {
    const data = await ctx.dataset();
    const { partition, images } = data;
    ctx.record('dataset', {
      name: data.name,
      source: data.config.source.type,
      images: images.count,
      imageSize: [images.height, images.width, images.channels],
      cache: data.load.cache,
      loadSeconds: Math.round(data.load.seconds * 1000) / 1000,
      notes: data.load.notes,
      enrolledUsers: partition.users.length,
      nonPrivateUsers: partition.nonPrivate.length,
    });
    const perUser: Row[] = [];
    for (const u of partition.users) {
      for (const [k, split] of (['train', 'validation', 'test'] as const).entries()) {
        perUser.push({ user: u.user, role: 'enrolled', split, splitOrder: k, images: u[split].length, sampleBiased: u.sampleBiased });
      }
    }
    for (const u of partition.nonPrivate) perUser.push({ user: u.user, role: 'non-private', split: 'nonPrivate', splitOrder: 3, images: u.images.length, sampleBiased: false });
    await ctx.writeCsv('images_per_user.csv', perUser, ['user', 'role', 'split', 'splitOrder', 'images', 'sampleBiased']);

    const stats: Row[] = [];
    for (const split of SPLITS) {
      const indices = splitIndices(partition, split);
      if (indices.length === 0) continue;
      for (const s of pixelStats(images, indices)) stats.push({ split, ...s });
    }
    await ctx.writeCsv('pixel_stats.csv', stats, ['split', 'channel', 'images', 'mean', 'std', 'min', 'max']);
    await ctx.writeCsv('dropped_users.csv', partition.dropped.map((d) => ({ ...d })), ['user', 'images', 'reason']);

    if (options.samplesPerUser > 0) {
      const rows = partition.users.slice(0, options.maxUsersInSamples).map((u) => u.train.slice(0, options.samplesPerUser));
      await ctx.writeFile('samples.png', await imageGridPng(images, rows));
    }
  },
});
