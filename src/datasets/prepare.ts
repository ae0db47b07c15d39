import type { DatasetConfig } from '../config/dataset-schema.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import type { Rng } from '../util/rng.js';
import { loadImages, type LoadedImages } from './load.js';
import { partitionUsers, type Partition } from './partition.js';
import { withJpeg } from './transforms/jpeg.js';
import type { DecodedImages } from './types.js';

/** A dataset ready for experiments: decoded (and transformed) images and the user partition. */
export interface PreparedDataset {
  readonly name: string;
  readonly config: DatasetConfig;
  readonly images: DecodedImages;
  readonly partition: Partition;
  readonly load: Omit<LoadedImages, 'images'>;
}

/** The split names a transform can target. */
export type SplitName = 'train' | 'validation' | 'test' | 'nonPrivate';

/** Image indices of one split over all users. */
export function splitIndices(partition: Partition, split: SplitName): number[] {
  if (split === 'nonPrivate') return partition.nonPrivate.flatMap((u) => u.images);
  return partition.users.flatMap((u) => u[split]);
}

/**
 * Loads (or reads from the cache), partitions and transforms a dataset. `rng` should be the
 * config's `data` child stream; partitioning uses its `partition` child.
 */
export async function prepareDataset(config: DatasetConfig, rng: Rng, options: { reporter?: Reporter; base?: string } = {}): Promise<PreparedDataset> {
  const reporter = options.reporter ?? silentReporter;
  const loaded = await loadImages(config, { reporter, ...(options.base ? { base: options.base } : {}) });
  const partition = partitionUsers(loaded.images, config, rng.child('partition'));
  let images = loaded.images;
  const jpeg = config.transforms.jpeg;
  if (jpeg) {
    const indices = jpeg.splits.flatMap((s) => splitIndices(partition, s));
    images = await withJpeg(images, indices, jpeg, config.concurrency);
  }
  const { images: _unused, ...load } = loaded;
  void _unused;
  return { name: config.name ?? config.source.type, config, images, partition, load };
}
