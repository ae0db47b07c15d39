import type { DatasetConfig } from '../config/dataset-schema.js';
import { ConfigError, DatasetError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { Catalog } from './load.js';
import type { UserSplit } from './partition.js';
import type { AttributeValue } from './types.js';

/** The values of a named attribute, or a config error naming `key` and the attributes there are. */
export function requireAttribute(images: Catalog, name: string, key: string): readonly AttributeValue[] {
  const values = images.attributes[name];
  if (!values) throw new ConfigError(key, `attribute "${name}" is not in the dataset (attributes: ${Object.keys(images.attributes).join(', ') || 'none'})`);
  return values;
}

/** Indices grouped by the value of `values` (groups in order of first appearance). */
function groupsOf(indices: readonly number[], values: readonly AttributeValue[] | undefined): number[][] {
  if (!values) return indices.map((i) => [i]);
  const groups = new Map<string, number[]>();
  for (const i of indices) {
    const key = String(values[i]);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  return [...groups.values()];
}

/** How many of `n` units a fraction takes: round(n * f), at least 1 when f > 0, leaving at least `keep`. */
function share(n: number, fraction: number, keep: number): number {
  if (fraction <= 0 || n < keep + 1) return 0;
  return Math.min(n - keep, Math.max(1, Math.round(n * fraction)));
}

/**
 * Splits one user's images into train / validation / calibration / test. The unit of the split is
 * an image (`by: image`) or a group of images sharing `groupAttribute` (`by: group`), shuffled by the
 * user's own seeded stream; test = the first round(U * testFraction) units (at least 1, leaving 1).
 * With `by: attribute` test and training come from the attribute's listed values instead. Then:
 * filters apply per image, sample bias keeps round(U * keep) training units, validation = the
 * first round(U * validationFraction) training units, calibration the next
 * round(U * calibrationFraction); the rest is training. Validation and calibration are therefore
 * always carved from training units, never from test. Index lists come back sorted.
 */
export function splitUser(user: string, indices: readonly number[], images: Catalog, config: DatasetConfig, biased: boolean, rng: Rng): UserSplit {
  const split = config.split;
  const stream = rng.child(`split:${user}`);
  const groupValues = split.groupAttribute === undefined ? undefined : requireAttribute(images, split.groupAttribute, 'dataset.split.groupAttribute');
  if (split.by === 'group' && !groupValues) throw new ConfigError('dataset.split.groupAttribute', 'by: group needs groupAttribute (the attribute naming each image\'s group, e.g. source for patches)');
  let test: number[];
  let training: number[][];
  if (split.by === 'attribute') {
    if (split.attribute === undefined) throw new ConfigError('dataset.split.attribute', 'by: attribute needs attribute (the attribute whose values say train or test)');
    const values = requireAttribute(images, split.attribute, 'dataset.split.attribute');
    const isIn = (list: readonly (string | number)[], i: number): boolean => list.some((v) => String(v) === String(values[i]));
    test = indices.filter((i) => isIn(split.test, i));
    training = stream.shuffle(groupsOf(indices.filter((i) => isIn(split.train, i) && !isIn(split.test, i)), groupValues));
  } else {
    const units = stream.shuffle(groupsOf(indices, split.by === 'group' ? groupValues : undefined));
    const what = split.by === 'group' ? `group(s) of "${split.groupAttribute}"` : units.length === 1 ? 'image' : 'images';
    if (units.length < 2) throw new DatasetError(`class "${user}"`, `has ${units.length} ${what}, too few to split into train and test (raise dataset.users.minImagesPerUser)`);
    const nTest = Math.min(units.length - 1, Math.max(1, Math.round(units.length * split.testFraction)));
    test = units.slice(0, nTest).flat();
    training = units.slice(nTest);
  }
  test = filterIndices(test, images, config.transforms.filter.test);
  training = training.map((u) => filterIndices(u, images, config.transforms.filter.train)).filter((u) => u.length > 0);
  if (biased && config.transforms.sampleBias) training = training.slice(0, Math.max(1, Math.round(training.length * config.transforms.sampleBias.keep)));
  const filtered = split.by === 'attribute' ? ` with ${split.attribute} in [${split.train.join(', ')}] after dataset.transforms.filter.train` : ' left after dataset.transforms.filter.train';
  if (training.length === 0) throw new DatasetError(`class "${user}"`, `has no training image${filtered}`);
  if (test.length === 0) throw new DatasetError(`class "${user}"`, `has no test image${split.by === 'attribute' ? ` with ${split.attribute} in [${split.test.join(', ')}] after the test filter` : ' left after dataset.transforms.filter.test'}`);
  const nVal = share(training.length, split.validationFraction, 1);
  const rest = training.length - nVal;
  const nCal = split.calibrationFraction > 0 && rest >= 2 ? Math.min(rest - 1, Math.max(1, Math.round(training.length * split.calibrationFraction))) : 0;
  const sort = (a: number[]): number[] => a.sort((x, y) => x - y);
  return {
    user,
    validation: sort(training.slice(0, nVal).flat()),
    calibration: sort(training.slice(nVal, nVal + nCal).flat()),
    train: sort(training.slice(nVal + nCal).flat()),
    test: sort(test),
    sampleBiased: biased,
  };
}

/** The indices whose attributes take one of the listed values for every filtered attribute. */
export function filterIndices(indices: readonly number[], images: Catalog, filter: Readonly<Record<string, readonly AttributeValue[]>> | undefined): number[] {
  if (!filter) return [...indices];
  const entries = Object.entries(filter);
  for (const [name] of entries) requireAttribute(images, name, 'dataset.transforms.filter');
  return indices.filter((i) => entries.every(([name, values]) => values.some((v) => String(v) === String(images.attributes[name]![i]))));
}
