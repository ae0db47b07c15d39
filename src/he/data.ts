import type { PreparedDataset } from '../datasets/prepare.js';
import type { DecodedImages } from '../datasets/types.js';

/** Images of one split as bytes (H x W x C each, back to back) with class indices and ids. */
export interface ByteSplit {
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly ids: readonly string[];
  readonly count: number;
}

/** The dataset's users as classes, and its train / validation / test splits as bytes. */
export interface HeData {
  /** Class names: the enrolled users in partition order (digits "0".."9" for MNIST). */
  readonly classes: readonly string[];
  readonly shape: readonly [number, number, number];
  readonly train: ByteSplit;
  readonly validation: ByteSplit;
  /**
   * The whole test split, users interleaved (user 0's first image, user 1's first, ...), so that
   * any prefix (`testImages`) covers every user evenly.
   */
  readonly test: ByteSplit;
}

function gather(images: DecodedImages, indices: readonly number[], labels: readonly number[]): ByteSplit {
  const size = images.width * images.height * images.channels;
  const pixels = new Uint8Array(indices.length * size);
  indices.forEach((index, k) => pixels.set(images.pixels.subarray(index * size, (index + 1) * size), k * size));
  return { pixels, labels: Int32Array.from(labels), ids: indices.map((i) => images.ids[i]!), count: indices.length };
}

/** Round-robin interleaving of per-user lists. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let k = 0; k < longest; k++) for (const list of lists) if (k < list.length) out.push(list[k]!);
  return out;
}

/** The prepared dataset's partition (users = classes) as byte splits. */
export function heData(data: PreparedDataset): HeData {
  const users = data.partition.users;
  const split = (name: 'train' | 'validation') =>
    gather(
      data.images,
      users.flatMap((u) => u[name]),
      users.flatMap((u, k) => u[name].map(() => k)),
    );
  const test = interleave(users.map((u, k) => u.test.map((index) => ({ index, k }))));
  return {
    classes: users.map((u) => u.user),
    shape: [data.images.height, data.images.width, data.images.channels],
    train: split('train'),
    validation: split('validation'),
    test: gather(
      data.images,
      test.map((t) => t.index),
      test.map((t) => t.k),
    ),
  };
}

/** The first `count` images of a split. */
export function firstImages(split: ByteSplit, count: number): ByteSplit {
  const n = Math.min(count, split.count);
  const size = split.count === 0 ? 0 : split.pixels.length / split.count;
  return { pixels: split.pixels.subarray(0, n * size), labels: split.labels.subarray(0, n), ids: split.ids.slice(0, n), count: n };
}

/** Fraction of predictions equal to the labels. */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) correct++;
  return predicted.length === 0 ? Number.NaN : correct / predicted.length;
}
