import { groupAttributeOf, leakageReport, sizeReport, splitByIndex, type DuplicateSets, type LeakageReport } from './audit.js';
import { pixelStats } from './stats.js';
import { splitIndices, type PreparedDataset, type SplitName } from './prepare.js';

/** Summary numbers of a prepared dataset, as `privedge datasets inspect` prints them. */
export interface DatasetSummary {
  readonly name: string;
  readonly source: string;
  readonly images: number;
  readonly classes: number;
  readonly enrolledUsers: number;
  readonly nonPrivateUsers: number;
  readonly imagesPerUser: { readonly min: number; readonly median: number; readonly max: number };
  readonly splits: Readonly<Record<SplitName, number>>;
  readonly imageSize: readonly [number, number, number];
}

/** Computes the summary of a prepared dataset. */
export function summarise(data: PreparedDataset): DatasetSummary {
  const { partition, images } = data;
  const counts = partition.users.map((u) => u.train.length + u.validation.length + u.test.length).sort((a, b) => a - b);
  const median = counts.length === 0 ? 0 : counts.length % 2 ? counts[(counts.length - 1) / 2]! : (counts[counts.length / 2 - 1]! + counts[counts.length / 2]!) / 2;
  return {
    name: data.name,
    source: data.config.source.type,
    images: images.count,
    classes: partition.users.length + partition.nonPrivate.length + partition.dropped.length,
    enrolledUsers: partition.users.length,
    nonPrivateUsers: partition.nonPrivate.length,
    imagesPerUser: { min: counts[0] ?? 0, median, max: counts[counts.length - 1] ?? 0 },
    splits: {
      train: splitIndices(partition, 'train').length,
      validation: splitIndices(partition, 'validation').length,
      calibration: splitIndices(partition, 'calibration').length,
      test: splitIndices(partition, 'test').length,
      nonPrivate: splitIndices(partition, 'nonPrivate').length,
    },
    imageSize: [images.height, images.width, images.channels],
  };
}

/** {@link formatInspection} with the leakage report (duplicates, cross-split files) computed first. */
export async function inspectionReport(data: PreparedDataset, perUser: boolean): Promise<string> {
  return formatInspection(data, perUser, await leakageReport(data));
}

/**
 * A plain-text report: totals, source sizes and resampling, patches per source image, groups per
 * split, duplicates and leakage (when `leakage` is given), per-user counts (all users when
 * `perUser`) and pixel statistics.
 */
export function formatInspection(data: PreparedDataset, perUser: boolean, leakage?: LeakageReport): string {
  const s = summarise(data);
  const lines: string[] = [];
  lines.push(`dataset        ${s.name} (source: ${s.source})`);
  lines.push(`images         ${data.sourceImages} in the source, ${s.images} used (${data.load.cache === 'hit' ? 'read from the cache' : 'decoded'} in ${data.load.seconds.toFixed(2)} s)`);
  for (const note of data.load.notes) lines.push(`note           ${note}`);
  for (const warning of data.warnings) lines.push(`warning        ${warning}`);
  lines.push(`image size     ${s.imageSize[0]} x ${s.imageSize[1]} x ${s.imageSize[2]} (H x W x C), values in [-1, 1]`);
  lines.push(...sizeLines(data), ...patchLines(data), ...groupLines(data));
  if (leakage) lines.push(...leakageLines(leakage));
  lines.push(`users          ${s.enrolledUsers} enrolled, ${s.nonPrivateUsers} non-private (held out), ${data.partition.dropped.length} dropped`);
  lines.push(`images/user    min ${s.imagesPerUser.min}, median ${s.imagesPerUser.median}, max ${s.imagesPerUser.max} (enrolled users, after filters)`);
  lines.push(`splits         train ${s.splits.train}, validation ${s.splits.validation}, ${s.splits.calibration > 0 ? `calibration ${s.splits.calibration}, ` : ''}test ${s.splits.test}, non-private ${s.splits.nonPrivate}`);
  lines.push('pixel stats    split       channel  mean     std      min      max');
  for (const split of ['train', 'validation', 'calibration', 'test', 'nonPrivate'] as const) {
    const indices = splitIndices(data.partition, split);
    if (indices.length === 0) continue;
    for (const p of pixelStats(data.images, indices)) {
      lines.push(`               ${split.padEnd(11)} ${String(p.channel).padEnd(8)} ${fmt(p.mean)} ${fmt(p.std)} ${fmt(p.min)} ${fmt(p.max)}`);
    }
  }
  const shown = perUser ? data.partition.users : data.partition.users.slice(0, 10);
  lines.push('per user       user         train  val  test');
  for (const u of shown) lines.push(`               ${u.user.padEnd(12)} ${String(u.train.length).padStart(5)} ${String(u.validation.length).padStart(4)} ${String(u.test.length).padStart(5)}${u.sampleBiased ? '  (sample-biased)' : ''}`);
  if (shown.length < data.partition.users.length) lines.push(`               ... ${data.partition.users.length - shown.length} more (--all to list every user)`);
  for (const u of data.partition.nonPrivate) lines.push(`non-private    ${u.user.padEnd(12)} ${u.images.length} images`);
  if (data.partition.dropped.length > 0) {
    const reasons = new Map<string, number>();
    for (const d of data.partition.dropped) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) lines.push(`dropped        ${n} classes: ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function sizeLines(data: PreparedDataset): string[] {
  const r = sizeReport(data);
  if (!r) return [];
  const shown = r.sizes.slice(0, 4).map((z) => `${z.width} x ${z.height}: ${z.images}`);
  const more = r.sizes.length > 4 ? `, ${r.sizes.length - 4} other size(s)` : '';
  const { width, height, fit } = data.config.image;
  const what = data.config.transforms.patches ? 'patches' : 'images';
  return [
    `source sizes   ${shown.join(', ')}${more} (W x H of the ${data.config.transforms.patches ? 'source images of the used patches' : 'used images'})`,
    `resampled      ${r.resized} of ${r.used} ${what} to ${width} x ${height} (fit: ${fit}), ${r.stretched} stretched (aspect ratio changed by fit: fill)`,
  ];
}

function patchLines(data: PreparedDataset): string[] {
  const patches = data.config.transforms.patches;
  if (!patches) return [];
  const perSource = new Map<string, number>();
  for (const v of data.images.attributes[patches.sourceAttribute] ?? []) perSource.set(String(v), (perSource.get(String(v)) ?? 0) + 1);
  const counts = [...perSource.values()].sort((a, b) => a - b);
  const median = counts.length % 2 ? counts[(counts.length - 1) / 2]! : (counts[counts.length / 2 - 1]! + counts[counts.length / 2]!) / 2;
  return [
    `patches        ${data.images.count} patches of ${patches.width} x ${patches.height} from ${perSource.size} source images (${data.sourceImages - perSource.size} gave none); per source image min ${counts[0]}, median ${median}, max ${counts[counts.length - 1]}`,
  ];
}

function groupLines(data: PreparedDataset): string[] {
  const attribute = groupAttributeOf(data);
  if (attribute === undefined) return [];
  const values = data.images.attributes[attribute];
  if (!values) return [];
  const groups = new Map<string, Set<string>>();
  for (const [i, split] of splitByIndex(data)) {
    if (!groups.has(split)) groups.set(split, new Set());
    groups.get(split)!.add(`${data.images.labels[i]}\0${String(values[i])}`);
  }
  const n = (s: string): number => groups.get(s)?.size ?? 0;
  return [`groups         by ${attribute} (per user): train ${n('train')}, validation ${n('validation')}, ${n('calibration') > 0 ? `calibration ${n('calibration')}, ` : ''}test ${n('test')}, non-private ${n('nonPrivate')}`];
}

function leakageLines(leakage: LeakageReport): string[] {
  const lines: string[] = [];
  const describe = (label: string, d: DuplicateSets, unit: string): void => {
    const members = d.sets.reduce((n, s) => n + s.members.length, 0);
    lines.push(`${label.padEnd(15)}${d.sets.length} set(s) of identical ${unit} (${members} ${unit}), ${d.crossSplit} across training and test`);
    for (const set of d.sets.filter((x) => x.splits.length > 1).slice(0, 5)) lines.push(`               ${set.members.join(' = ')} (${set.splits.join(', ')})`);
  };
  if (leakage.files) describe('duplicates', leakage.files, 'files');
  describe('same pixels', leakage.pixels, 'images');
  if (leakage.files) lines.push(`cross-split    ${leakage.filesAcrossSplits} source file(s) with images in both training and test`);
  return lines;
}

function fmt(v: number): string {
  return v.toFixed(4).padStart(8);
}
