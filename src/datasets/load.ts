import { join } from 'node:path';
import type { DatasetConfig } from '../config/dataset-schema.js';
import { DatasetError } from '../errors.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import { sha256Hex, stableStringify } from '../util/hash.js';
import { mapConcurrent } from '../util/pool.js';
import { cacheFolder, cacheKey, readCachedImages, writeCachedImages } from './cache.js';
import { conformImage, decodeImageFile } from './decode/image.js';
import { planSource } from './sources/index.js';
import type { ArrayImages, SourcePlan } from './sources/types.js';
import type { AttributeValue, DecodedImages } from './types.js';

/** Decoded images plus how they were obtained. */
export interface LoadedImages {
  readonly images: DecodedImages;
  readonly cache: 'hit' | 'miss' | 'disabled';
  readonly seconds: number;
  /** Remarks from the source (skipped files, duplicates, ...). */
  readonly notes: readonly string[];
  readonly cacheFile: string | undefined;
}

/** Options of {@link loadImages}. */
export interface LoadImagesOptions {
  readonly reporter?: Reporter;
  /** Folder relative dataset paths resolve against (default: the working directory). */
  readonly base?: string;
}

/**
 * Decodes every image of a dataset source to 8-bit NHWC at the configured size, using the on-disk
 * cache of decoded arrays when its key (settings + source file fingerprints) matches.
 */
export async function loadImages(config: DatasetConfig, options: LoadImagesOptions = {}): Promise<LoadedImages> {
  const reporter = options.reporter ?? silentReporter;
  const started = performance.now();
  const plan = await planSource(config.source, options.base);
  const target = { ...config.image };
  let cacheFile: string | undefined;
  if (config.cache.enabled) {
    const files = plan.kind === 'files' ? [...plan.inputs, ...plan.items.map((i) => i.path)] : plan.inputs;
    const itemsHash = plan.kind === 'files' ? sha256Hex(stableStringify(plan.items.map((i) => [i.id, i.label, i.attributes]))) : plan.version ?? '';
    const key = await cacheKey({ source: config.source, image: target, itemsHash }, files, config.cache.verify);
    cacheFile = join(cacheFolder(config.cache.dir), `${config.source.type}-${key}.bin`);
    const cached = await readCachedImages(cacheFile);
    if (cached) return { images: cached, cache: 'hit', seconds: (performance.now() - started) / 1000, notes: plan.notes, cacheFile };
  }
  const images = await decodePlan(plan, config, reporter);
  if (cacheFile) {
    try {
      await writeCachedImages(cacheFile, images);
    } catch (error) {
      reporter.warn(`could not write the decoded-image cache ${cacheFile}: ${(error as Error).message}`);
    }
  }
  return { images, cache: cacheFile ? 'miss' : 'disabled', seconds: (performance.now() - started) / 1000, notes: plan.notes, cacheFile };
}

async function decodePlan(plan: SourcePlan, config: DatasetConfig, reporter: Reporter): Promise<DecodedImages> {
  const { width, height, channels } = config.image;
  const size = width * height * channels;
  if (plan.kind === 'files') {
    const { items } = plan;
    if (items.length === 0) throw new DatasetError(String(config.source.type), 'the source has no images');
    const pixels = new Uint8Array(items.length * size);
    const task = reporter.task('decoding images', items.length);
    await mapConcurrent(items, config.concurrency, async (item, i) => {
      pixels.set(await decodeImageFile(item.path, config.image), i * size);
      task.tick();
    });
    task.done();
    const names = [...new Set(items.flatMap((i) => Object.keys(i.attributes)))];
    const attributes: Record<string, AttributeValue[]> = {};
    for (const name of names) {
      attributes[name] = items.map((item) => {
        const v = item.attributes[name];
        if (v === undefined) throw new DatasetError(item.path, `has no value for attribute "${name}"`);
        return v;
      });
    }
    return { width, height, channels, pixels, labels: items.map((i) => i.label), attributes, ids: items.map((i) => i.id), count: items.length };
  }
  const raw = await plan.load();
  if (raw.count === 0) throw new DatasetError(raw.ids[0] ?? config.source.type, 'the source has no images');
  return conformArrays(raw, config, reporter);
}

async function conformArrays(raw: ArrayImages, config: DatasetConfig, reporter: Reporter): Promise<DecodedImages> {
  const { width, height, channels } = config.image;
  if (raw.width === width && raw.height === height && raw.channels === channels) {
    return { ...raw, width, height, channels };
  }
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
  return { width, height, channels, pixels, labels: raw.labels, attributes: raw.attributes, ids: raw.ids, count: raw.count };
}
