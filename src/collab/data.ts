import type { PreparedDataset } from '../datasets/prepare.js';
import { toFloatImages } from '../datasets/tensors.js';
import type { ImageSet } from './local-train.js';

/** A dataset as the collaborative-training experiment uses it. */
export interface CollabData {
  /** Class names: the dataset's enrolled users in partition order. */
  readonly classes: readonly string[];
  /**
   * The pooled training part (each class's training and validation images: no model selection
   * happens here, so nothing is held back), float32 NHWC in [-1, 1].
   */
  readonly train: ImageSet;
  /** The test split, classes interleaved (class 0's first image, class 1's first, ...) so any prefix covers every class. */
  readonly test: ImageSet & { readonly ids: readonly string[] };
  /** The whole test split (image id and class name), even when only a prefix is scored: what other systems' runs must match. */
  readonly testSplit: readonly { readonly image: string; readonly label: string }[];
  /** Bytes of one image as uint8 (H x W x C): what uploading a raw image costs. */
  readonly imageBytes: number;
}

/** Round-robin interleaving of per-class lists. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let k = 0; k < longest; k++) for (const list of lists) if (k < list.length) out.push(list[k]!);
  return out;
}

/** The prepared dataset's partition as pooled training images and an interleaved test set (at most `testImages`). */
export function collabData(data: PreparedDataset, testImages: number | null = null): CollabData {
  const users = data.partition.users;
  const shape: [number, number, number] = [data.images.height, data.images.width, data.images.channels];
  const trainIdx = users.flatMap((u) => [...u.train, ...u.validation]);
  const trainLab = users.flatMap((u, k) => [...u.train, ...u.validation].map(() => k));
  const all = interleave(users.map((u, k) => u.test.map((index) => ({ index, k }))));
  const tests = all.slice(0, testImages ?? undefined);
  return {
    classes: users.map((u) => u.user),
    train: { images: toFloatImages(data.images, trainIdx).data, labels: Int32Array.from(trainLab), shape, classes: users.length },
    test: {
      images: toFloatImages(data.images, tests.map((t) => t.index)).data,
      labels: Int32Array.from(tests, (t) => t.k),
      shape,
      classes: users.length,
      ids: tests.map((t) => data.images.ids[t.index]!),
    },
    testSplit: all.map((t) => ({ image: data.images.ids[t.index]!, label: users[t.k]!.user })),
    imageBytes: shape[0] * shape[1] * shape[2],
  };
}
