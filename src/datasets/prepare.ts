import type { DatasetConfig } from '../config/dataset-schema.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import type { Rng } from '../util/rng.js';
import { ConfigError } from '../errors.js';
import { catalogOfFiles, loadArrayImages, loadFileImages, type LoadedImages } from './load.js';
import { loadPatchImages } from './load-patches.js';
import { partitionUsers, type Partition } from './partition.js';
import { planSource } from './sources/index.js';
import { withJpeg } from './transforms/jpeg.js';
import type { DecodedImages } from './types.js';

/** A dataset ready for experiments: decoded (and transformed) images and the user partition. */
export interface PreparedDataset {
  readonly name: string;
  readonly config: DatasetConfig;
  /** The images the partition uses (file sources decode only those), indexed by the partition. */
  readonly images: DecodedImages;
  readonly partition: Partition;
  /** Images the source holds in all, before user selection (source files when patches are cut). */
  readonly sourceImages: number;
  /** The file each image was decoded from (a patch's page), when the source is files. */
  readonly sourceFiles?: readonly string[];
  /** Warnings about the prepared data (e.g. a calibration set below `split.minCalibrationImages`). */
  readonly warnings: readonly string[];
  readonly load: Omit<LoadedImages, 'images'>;
}

/** The split names a transform can target. */
export type SplitName = 'train' | 'validation' | 'calibration' | 'test' | 'nonPrivate';

/** Image indices of one split over all users. */
export function splitIndices(partition: Partition, split: SplitName): number[] {
  if (split === 'nonPrivate') return partition.nonPrivate.flatMap((u) => u.images);
  return partition.users.flatMap((u) => u[split]);
}

/** Every image index a partition uses, sorted. */
export function usedIndices(partition: Partition): number[] {
  const all = (['train', 'validation', 'calibration', 'test', 'nonPrivate'] as const).flatMap((s) => splitIndices(partition, s));
  return [...new Set(all)].sort((a, b) => a - b);
}

/** Rewrites a partition's indices through `map` (old index -> new index). */
export function remapPartition(partition: Partition, map: ReadonlyMap<number, number>): Partition {
  const m = (list: readonly number[]): number[] => list.map((i) => map.get(i)!);
  return {
    users: partition.users.map((u) => ({ ...u, train: m(u.train), validation: m(u.validation), calibration: m(u.calibration), test: m(u.test) })),
    nonPrivate: partition.nonPrivate.map((u) => ({ ...u, images: m(u.images) })),
    dropped: partition.dropped,
  };
}

/**
 * Loads, partitions and transforms a dataset. `rng` should be the config's `data` stream;
 * partitioning uses its `partition` child. File sources are partitioned from their listing
 * first and only the images the partition uses are decoded (a 3-user CI subset of CEDAR decodes
 * 45 files, not 15,000); array sources are loaded whole.
 */
export async function prepareDataset(config: DatasetConfig, rng: Rng, options: { reporter?: Reporter; base?: string } = {}): Promise<PreparedDataset> {
  const reporter = options.reporter ?? silentReporter;
  const plan = await planSource(config.source, options.base);
  let loaded: LoadedImages;
  let partition: Partition;
  let sourceImages: number;
  let sourceFiles: string[] | undefined;
  const patches = config.transforms.patches;
  if (patches) {
    if (plan.kind !== 'files') throw new ConfigError('dataset.transforms.patches', `patches are cut from image files; the ${config.source.type} source holds arrays`);
    loaded = await loadPatchImages(plan, patches, config, reporter);
    partition = partitionUsers(loaded.images, config, rng.child('partition'));
    sourceImages = plan.items.length;
    const pathOf = new Map(plan.items.map((item) => [item.id, item.path]));
    sourceFiles = loaded.images.attributes[patches.sourceAttribute]!.map((id) => pathOf.get(String(id))!);
  } else if (plan.kind === 'files') {
    const full = partitionUsers(catalogOfFiles(plan.items), config, rng.child('partition'));
    const used = usedIndices(full);
    loaded = await loadFileImages(plan, used, config, reporter);
    partition = remapPartition(full, new Map(used.map((old, i) => [old, i])));
    sourceImages = plan.items.length;
    sourceFiles = used.map((i) => plan.items[i]!.path);
  } else {
    loaded = await loadArrayImages(plan, config, reporter);
    partition = partitionUsers(loaded.images, config, rng.child('partition'));
    sourceImages = loaded.images.count;
  }
  let images = loaded.images;
  const jpeg = config.transforms.jpeg;
  if (jpeg) {
    const indices = [...new Set(jpeg.splits.flatMap((s) => splitIndices(partition, s)))];
    images = await withJpeg(images, indices, jpeg, config.concurrency);
  }
  const { images: _decoded, ...load } = loaded;
  void _decoded;
  const warnings = calibrationWarnings(partition, config);
  for (const w of warnings) reporter.warn(w);
  return { name: config.name ?? config.source.type, config, images, partition, sourceImages, ...(sourceFiles ? { sourceFiles } : {}), warnings, load };
}

/**
 * A warning when the pooled images a detection threshold would be calibrated on (calibration
 * images when `split.calibrationFraction` > 0, else validation images) are fewer than
 * `split.minCalibrationImages`: a quantile of so few numbers is unreliable.
 */
export function calibrationWarnings(partition: Partition, config: DatasetConfig): string[] {
  const min = config.split.minCalibrationImages;
  const set = config.split.calibrationFraction > 0 ? 'calibration' : 'validation';
  const n = splitIndices(partition, set).length;
  if (n >= min) return [];
  const key = set === 'calibration' ? 'calibrationFraction' : 'validationFraction';
  return [
    `only ${n} ${set} image(s) over ${partition.users.length} user(s) (${partition.users.map((u) => u[set].length).join('/')} per user), fewer than dataset.split.minCalibrationImages (${min}): a threshold calibrated on them (the detection experiment's quantile) is unreliable; raise dataset.split.${key}${set === 'validation' ? ' or set calibrationFraction' : ''}, or lower minCalibrationImages`,
  ];
}
