import { join } from 'node:path';
import type { DatasetConfig } from '../config/dataset-schema.js';
import { DatasetError } from '../errors.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import { sha256Hex, stableStringify } from '../util/hash.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { cacheFolder, cacheKey, readCachedImages, writeCachedImages } from './cache.js';
import { conformImage, decodeImageFileSized } from './decode/image.js';
import type { ArrayImages, FileItem, SourcePlan } from './sources/types.js';
import type { AttributeValue, DecodedImages } from './types.js';

/** Labels and attributes of every image of a source, known before any pixel is decoded. */
export type Catalog = Pick<DecodedImages, 'labels' | 'attributes' | 'ids' | 'count'>;

/** Decoded images plus how they were obtained. */
export interface LoadedImages {
  readonly images: DecodedImages;
  readonly cache: 'hit' | 'miss' | 'disabled';
  readonly seconds: number;
  /** Remarks from the source (skipped files, duplicates, ...). */
  readonly notes: readonly string[];
  readonly cacheFile: string | undefined;
}

/** The catalog of a file source: labels and attributes from the listing, no decoding. */
export function catalogOfFiles(items: readonly FileItem[]): Catalog {
  const names = [...new Set(items.flatMap((i) => Object.keys(i.attributes)))];
  const attributes: Record<string, AttributeValue[]> = {};
  for (const name of names) {
    attributes[name] = items.map((item) => {
      const v = item.attributes[name];
      if (v === undefined) throw new DatasetError(item.path, `has no value for attribute "${name}"`);
      return v;
    });
  }
  return { labels: items.map((i) => i.label), attributes, ids: items.map((i) => i.id), count: items.length };
}

/** Runs `decode` through the on-disk cache keyed by the source, image settings, `settings` and the fingerprints of `files`. */
export async function withCache(
  config: DatasetConfig,
  settings: unknown,
  files: readonly string[],
  reporter: Reporter,
  notes: readonly string[],
  decode: () => Promise<DecodedImages>,
): Promise<LoadedImages> {
  const started = performance.now();
  let cacheFile: string | undefined;
  if (config.cache.enabled) {
    const key = await cacheKey({ source: config.source, image: config.image, settings }, files, config.cache.verify);
    cacheFile = join(cacheFolder(config.cache.dir), `${config.source.type}-${key}.bin`);
    const cached = await readCachedImages(cacheFile);
    if (cached) return { images: cached, cache: 'hit', seconds: (performance.now() - started) / 1000, notes, cacheFile };
  }
  const images = await decode();
  if (cacheFile) {
    try {
      await writeCachedImages(cacheFile, images);
    } catch (error) {
      reporter.warn(`could not write the decoded-image cache ${cacheFile}: ${(error as Error).message}`);
    }
  }
  return { images, cache: cacheFile ? 'miss' : 'disabled', seconds: (performance.now() - started) / 1000, notes, cacheFile };
}

/**
 * Decodes the files at `indices` of a file plan (in that order) to 8-bit NHWC at the configured
 * size, through the on-disk cache (keyed by settings, the chosen files and their fingerprints).
 */
export async function loadFileImages(
  plan: Extract<SourcePlan, { kind: 'files' }>,
  indices: readonly number[],
  config: DatasetConfig,
  reporter: Reporter = silentReporter,
): Promise<LoadedImages> {
  const items = indices.map((i) => plan.items[i]!);
  if (items.length === 0) throw new DatasetError(String(config.source.type), 'no image selected');
  const itemsHash = sha256Hex(stableStringify(items.map((i) => [i.id, i.label, i.attributes])));
  const files = [...plan.inputs, ...items.map((i) => i.path)];
  return withCache(config, { itemsHash }, files, reporter, plan.notes, async () => {
    const { width, height, channels } = config.image;
    const size = width * height * channels;
    const pixels = new Uint8Array(items.length * size);
    const sourceSizes: [number, number][] = new Array(items.length);
    const task = reporter.task('decoding images', items.length);
    await mapConcurrent(items, config.concurrency, async (item, i) => {
      const decoded = await decodeImageFileSized(item.path, config.image);
      pixels.set(decoded.pixels, i * size);
      sourceSizes[i] = [decoded.width, decoded.height];
      task.tick();
    });
    task.done();
    return { width, height, channels, pixels, ...catalogOfFiles(items), sourceSizes };
  });
}

/** Loads an array plan whole and brings it to the configured size, through the on-disk cache. */
export async function loadArrayImages(plan: Extract<SourcePlan, { kind: 'arrays' }>, config: DatasetConfig, reporter: Reporter = silentReporter): Promise<LoadedImages> {
  return withCache(config, { version: plan.version ?? '' }, plan.inputs, reporter, plan.notes, async () => {
    const raw = await plan.load();
    if (raw.count === 0) throw new DatasetError(plan.inputs[0] ?? config.source.type, 'the source has no images');
    return conformArrays(raw, config, reporter);
  });
}

async function conformArrays(raw: ArrayImages, config: DatasetConfig, reporter: Reporter): Promise<DecodedImages> {
  const { width, height, channels } = config.image;
  const sourceSizes = Array.from({ length: raw.count }, () => [raw.width, raw.height] as const);
  if (raw.width === width && raw.height === height && raw.channels === channels) return { ...raw, width, height, channels, sourceSizes };
  const size = width * height * channels;
  const srcSize = raw.width * raw.height * raw.channels;
  const pixels = new Uint8Array(raw.count * size);
  const task = reporter.task('resizing images', raw.count);
  await mapConcurrent(Array.from({ length: raw.count }, (_, i) => i), config.concurrency, async (i) => {
    const image = { width: raw.width, height: raw.height, channels: raw.channels, data: raw.pixels.subarray(i * srcSize, (i + 1) * srcSize) };
    pixels.set(await conformImage(image, config.image, raw.ids[i]!), i * size);
    task.tick();
  });
  task.done();
  return { width, height, channels, pixels, labels: raw.labels, attributes: raw.attributes, ids: raw.ids, count: raw.count, sourceSizes };
}
