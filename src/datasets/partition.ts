import type { DatasetConfig } from '../config/dataset-schema.js';
import { ConfigError } from '../errors.js';
import { closestMatch } from '../util/closest.js';
import { naturalCompare } from '../util/natural-sort.js';
import type { Rng } from '../util/rng.js';
import type { Catalog } from './load.js';
import { filterIndices, splitUser } from './split-user.js';

/** The image indices of one enrolled user, split three ways. */
export interface UserSplit {
  readonly user: string;
  readonly train: readonly number[];
  /** Carved from the training split, never from test. */
  readonly validation: readonly number[];
  /** Held out of training to calibrate the detection threshold (`split.calibrationFraction`); carved from training like validation. */
  readonly calibration: readonly number[];
  readonly test: readonly number[];
  /** Whether sample-size bias reduced this user's training images. */
  readonly sampleBiased: boolean;
}

/** A class held out of training, whose images are non-private queries. */
export interface HeldOutUser {
  readonly user: string;
  readonly images: readonly number[];
}

/** Which classes became users and how their images were split. */
export interface Partition {
  readonly users: readonly UserSplit[];
  readonly nonPrivate: readonly HeldOutUser[];
  /** Classes not used, with the reason. */
  readonly dropped: readonly { readonly user: string; readonly images: number; readonly reason: string }[];
}

/**
 * Splits decoded images into users (one class each) and per-user train / validation / test index
 * lists. Deterministic for a seed: every random choice comes from a child stream named after its
 * purpose and class, so adding or removing a class does not change another class's split.
 *
 * Order of operations: choose classes (explicit `classes`, else all in natural order); drop those
 * with fewer than `minImagesPerUser`; cap each at `maxImagesPerUser` (seeded subset); hold out
 * `nonPrivateUsers`; keep the first `maxUsers` of the rest. Per user, {@link splitUser}: by image,
 * by group or by an attribute's train/test values; validation (and calibration) carved from
 * training only. Index lists are returned sorted.
 */
export function partitionUsers(images: Catalog, config: DatasetConfig, rng: Rng): Partition {
  const byClass = new Map<string, number[]>();
  images.labels.forEach((label, i) => {
    const list = byClass.get(label);
    if (list) list.push(i);
    else byClass.set(label, [i]);
  });
  const all = [...byClass.keys()].sort(naturalCompare);
  const { users, transforms } = config;
  const dropped: { user: string; images: number; reason: string }[] = [];

  let candidates: string[];
  if (users.classes) {
    for (const c of users.classes) {
      if (!byClass.has(c)) {
        const hint = closestMatch(c, all);
        throw new ConfigError('dataset.users.classes', `class "${c}" is not in the dataset${hint ? ` (did you mean "${hint}"?)` : ''}; it has ${all.length} classes`);
      }
    }
    candidates = [...users.classes];
  } else candidates = all;

  candidates = candidates.filter((c) => {
    const n = byClass.get(c)!.length;
    if (n < users.minImagesPerUser) {
      dropped.push({ user: c, images: n, reason: `fewer than minImagesPerUser (${users.minImagesPerUser})` });
      return false;
    }
    return true;
  });
  const selected = new Map<string, number[]>();
  for (const c of candidates) {
    let list = byClass.get(c)!;
    if (users.maxImagesPerUser !== undefined && list.length > users.maxImagesPerUser) {
      list = rng.child(`subset:${c}`).shuffle([...list]).slice(0, users.maxImagesPerUser).sort((a, b) => a - b);
    }
    selected.set(c, list);
  }

  let heldOut: string[];
  if (typeof users.nonPrivateUsers === 'number') {
    if (users.nonPrivateUsers >= candidates.length) {
      throw new ConfigError('dataset.users.nonPrivateUsers', `holding out ${users.nonPrivateUsers} of ${candidates.length} classes leaves no enrolled user`);
    }
    heldOut = rng.child('non-private-users').shuffle([...candidates]).slice(0, users.nonPrivateUsers).sort(naturalCompare);
  } else {
    heldOut = [...users.nonPrivateUsers];
    for (const c of heldOut) {
      if (!selected.has(c)) {
        throw new ConfigError('dataset.users.nonPrivateUsers', `class "${c}" is not among the selected classes${byClass.has(c) ? ' (it was dropped by the user filters)' : ''}`);
      }
    }
  }
  let enrolled = candidates.filter((c) => !heldOut.includes(c));
  if (users.maxUsers !== undefined && enrolled.length > users.maxUsers) {
    for (const c of enrolled.slice(users.maxUsers)) dropped.push({ user: c, images: selected.get(c)!.length, reason: `beyond maxUsers (${users.maxUsers})` });
    enrolled = enrolled.slice(0, users.maxUsers);
  }
  if (enrolled.length === 0) throw new ConfigError('dataset.users', 'no class is left to enrol as a user');

  const biased = sampleBiasedUsers(config, enrolled, rng);
  const splits = enrolled.map((user) => splitUser(user, selected.get(user)!, images, config, biased.has(user), rng));
  const testFilter = transforms.filter.test;
  const nonPrivate = heldOut.map((user) => ({ user, images: filterIndices(selected.get(user)!, images, testFilter) }));
  return { users: splits, nonPrivate, dropped };
}

function sampleBiasedUsers(config: DatasetConfig, enrolled: readonly string[], rng: Rng): Set<string> {
  const bias = config.transforms.sampleBias;
  if (!bias) return new Set();
  if (typeof bias.users !== 'number') {
    for (const u of bias.users) {
      if (!enrolled.includes(u)) throw new ConfigError('dataset.transforms.sampleBias.users', `"${u}" is not an enrolled user`);
    }
    return new Set(bias.users);
  }
  const k = Math.max(1, Math.round(bias.users * enrolled.length));
  return new Set(rng.child('sample-bias-users').shuffle([...enrolled]).slice(0, k));
}
