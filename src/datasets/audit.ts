import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeCsv, type Row } from '../report/csv.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import type { PreparedDataset, SplitName } from './prepare.js';

/** Splits a model learns from, and splits it is judged on. */
const TRAINING: readonly SplitName[] = ['train', 'validation', 'calibration'];
const EVALUATION: readonly SplitName[] = ['test', 'nonPrivate'];
const ORDER: readonly SplitName[] = ['train', 'validation', 'calibration', 'test', 'nonPrivate'];

/** One used image and where it went: a row of `splits.csv`. */
export interface SplitAssignment {
  readonly image: string;
  readonly user: string;
  readonly split: SplitName;
  /** The image's group: `split.groupAttribute`, else a patch's source image, else the image itself. */
  readonly group: string;
}

/** The attribute naming each image's group, if any. */
export function groupAttributeOf(data: PreparedDataset): string | undefined {
  return data.config.split.groupAttribute ?? data.config.transforms.patches?.sourceAttribute;
}

/** Split of every image index a partition uses. */
export function splitByIndex(data: PreparedDataset): Map<number, SplitName> {
  const out = new Map<number, SplitName>();
  for (const u of data.partition.users) for (const s of ['train', 'validation', 'calibration', 'test'] as const) for (const i of u[s]) out.set(i, s);
  for (const u of data.partition.nonPrivate) for (const i of u.images) out.set(i, 'nonPrivate');
  return out;
}

/** Every used image with its user, split and group, in image order. */
export function splitAssignments(data: PreparedDataset): SplitAssignment[] {
  const groups = groupAttributeOf(data);
  const values = groups === undefined ? undefined : data.images.attributes[groups];
  return [...splitByIndex(data)]
    .sort((a, b) => a[0] - b[0])
    .map(([i, split]) => ({ image: data.images.ids[i]!, user: data.images.labels[i]!, split, group: values ? String(values[i]) : data.images.ids[i]! }));
}

/** Writes `splits.csv` (image, user, split, group) atomically. */
export async function writeSplitsCsv(path: string, data: PreparedDataset): Promise<void> {
  await writeCsv(path, splitAssignments(data) as unknown as Row[], ['image', 'user', 'split', 'group']);
}

/** Sets of identical items and how many straddle training and evaluation splits. */
export interface DuplicateSets {
  /** Each set: the image ids (or files) that are identical, with the splits they landed in. */
  readonly sets: readonly { readonly members: readonly string[]; readonly splits: readonly SplitName[] }[];
  /** Sets with members on both a training split (train, validation, calibration) and an evaluation split (test, non-private). */
  readonly crossSplit: number;
}

function duplicateSets(keyOf: ReadonlyMap<string, string>, splitsOf: ReadonlyMap<string, ReadonlySet<SplitName>>): DuplicateSets {
  const byKey = new Map<string, string[]>();
  for (const [member, key] of keyOf) {
    const list = byKey.get(key);
    if (list) list.push(member);
    else byKey.set(key, [member]);
  }
  const sets = [...byKey.values()]
    .filter((members) => members.length > 1)
    .map((members) => ({ members: members.sort(), splits: ORDER.filter((s) => members.some((m) => splitsOf.get(m)!.has(s))) }))
    .sort((a, b) => (a.members[0]! < b.members[0]! ? -1 : 1));
  return { sets, crossSplit: sets.filter((s) => straddles(s.splits)).length };
}

function straddles(splits: Iterable<SplitName>): boolean {
  const list = [...splits];
  return list.some((s) => TRAINING.includes(s)) && list.some((s) => EVALUATION.includes(s));
}

/** What `datasets inspect` reports about leakage: identical files, identical decoded images, and source files cut across splits. */
export interface LeakageReport {
  /** Byte-identical source files (undefined for array sources). */
  readonly files?: DuplicateSets;
  /** Used images whose decoded pixels are identical. */
  readonly pixels: DuplicateSets;
  /** Source files whose images (patches) lie on both training and evaluation splits. */
  readonly filesAcrossSplits: number;
}

/** Hashes used source files and decoded images and finds duplicates and cross-split leakage. */
export async function leakageReport(data: PreparedDataset): Promise<LeakageReport> {
  const split = splitByIndex(data);
  const size = data.images.width * data.images.height * data.images.channels;
  const pixelKey = new Map<string, string>();
  const pixelSplits = new Map<string, Set<SplitName>>();
  for (const [i, s] of split) {
    const id = data.images.ids[i]!;
    pixelKey.set(id, createHash('sha256').update(data.images.pixels.subarray(i * size, (i + 1) * size)).digest('hex'));
    pixelSplits.set(id, new Set([s]));
  }
  const pixels = duplicateSets(pixelKey, pixelSplits);
  if (!data.sourceFiles) return { pixels, filesAcrossSplits: 0 };
  // Files are named by their image id (a patch's page id), relative to the source root.
  const fileSplits = new Map<string, Set<SplitName>>();
  const pathOf = new Map<string, string>();
  const patches = data.config.transforms.patches !== undefined;
  for (const [i, s] of split) {
    const name = patches ? data.images.ids[i]!.replace(/#[^#]*$/, '') : data.images.ids[i]!;
    pathOf.set(name, data.sourceFiles[i]!);
    if (!fileSplits.has(name)) fileSplits.set(name, new Set());
    fileSplits.get(name)!.add(s);
  }
  const names = [...fileSplits.keys()];
  const hashes = await mapConcurrent(names, 16, async (f) => createHash('sha256').update(await readFile(pathOf.get(f)!)).digest('hex'));
  const files = duplicateSets(new Map(names.map((f, k) => [f, hashes[k]!])), fileSplits);
  const filesAcrossSplits = [...fileSplits.values()].filter((s) => straddles(s)).length;
  return { files, pixels, filesAcrossSplits };
}

/** Source image sizes (W x H, most common first) and how many images were resampled or stretched. */
export interface SizeReport {
  readonly sizes: readonly { readonly width: number; readonly height: number; readonly images: number }[];
  /** Images (patches) whose size differs from the configured one: resampled. */
  readonly resized: number;
  /** Resampled images whose aspect ratio changed under `fit: fill`. */
  readonly stretched: number;
  readonly used: number;
}

/** Counts sizes of the used images' sources; patches count as resampled when the patch size differs. */
export function sizeReport(data: PreparedDataset): SizeReport | undefined {
  const sizes = data.images.sourceSizes;
  if (!sizes) return undefined;
  const used = [...splitByIndex(data).keys()];
  const { width: W, height: H, fit } = data.config.image;
  const patch = data.config.transforms.patches;
  const counts = new Map<string, number>();
  let resized = 0;
  let stretched = 0;
  for (const i of used) {
    const [w, h] = sizes[i]!;
    counts.set(`${w}x${h}`, (counts.get(`${w}x${h}`) ?? 0) + 1);
    const [rw, rh] = patch ? [patch.width, patch.height] : [w, h];
    if (rw !== W || rh !== H) {
      resized++;
      if (fit === 'fill' && rw * H !== rh * W) stretched++;
    }
  }
  const list = [...counts].map(([k, images]) => ({ width: Number(k.split('x')[0]), height: Number(k.split('x')[1]), images })).sort((a, b) => b.images - a.images || a.width - b.width);
  return { sizes: list, resized, stretched, used: used.length };
}
