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
      test: splitIndices(partition, 'test').length,
      nonPrivate: splitIndices(partition, 'nonPrivate').length,
    },
    imageSize: [images.height, images.width, images.channels],
  };
}

/** A plain-text report: totals, per-user counts (all users when `perUser`) and pixel statistics. */
export function formatInspection(data: PreparedDataset, perUser: boolean): string {
  const s = summarise(data);
  const lines: string[] = [];
  lines.push(`dataset        ${s.name} (source: ${s.source})`);
  lines.push(`images         ${data.sourceImages} in the source, ${s.images} used (${data.load.cache === 'hit' ? 'read from the cache' : 'decoded'} in ${data.load.seconds.toFixed(2)} s)`);
  for (const note of data.load.notes) lines.push(`note           ${note}`);
  lines.push(`image size     ${s.imageSize[0]} x ${s.imageSize[1]} x ${s.imageSize[2]} (H x W x C), values in [-1, 1]`);
  lines.push(`users          ${s.enrolledUsers} enrolled, ${s.nonPrivateUsers} non-private (held out), ${data.partition.dropped.length} dropped`);
  lines.push(`images/user    min ${s.imagesPerUser.min}, median ${s.imagesPerUser.median}, max ${s.imagesPerUser.max} (enrolled users, after filters)`);
  lines.push(`splits         train ${s.splits.train}, validation ${s.splits.validation}, test ${s.splits.test}, non-private ${s.splits.nonPrivate}`);
  lines.push('pixel stats    split       channel  mean     std      min      max');
  for (const split of ['train', 'validation', 'test', 'nonPrivate'] as const) {
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

function fmt(v: number): string {
  return v.toFixed(4).padStart(8);
}
