import { describe, expect, it } from 'vitest';
import { ConfigError, DatasetError } from '../errors.js';
import { datasetConfig } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import type { Catalog } from './load.js';
import { partitionUsers } from './partition.js';

/** 5 classes: class c has 10 + c images; attribute `bg` cycles 0..3 within each class. */
function catalog(): Catalog {
  const labels: string[] = [];
  const bg: number[] = [];
  for (let c = 0; c < 5; c++) for (let i = 0; i < 10 + c; i++) {
    labels.push(`c${c}`);
    bg.push(i % 4);
  }
  return { labels, attributes: { bg }, ids: labels.map((l, i) => `${l}/${i}`), count: labels.length };
}
const rng = (seed = 1): Rng => Rng.fromSeed(seed).child('data').child('partition');

describe('partitionUsers', () => {
  it('splits each user by the fractions, with validation carved from training, all disjoint', () => {
    const cat = catalog();
    const p = partitionUsers(cat, datasetConfig({ split: { testFraction: 0.2, validationFraction: 0.25 } }), rng());
    expect(p.users.map((u) => u.user)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    p.users.forEach((u, c) => {
      const n = 10 + c;
      const nTest = Math.round(n * 0.2);
      const nVal = Math.round((n - nTest) * 0.25);
      expect([u.train.length, u.validation.length, u.test.length]).toEqual([n - nTest - nVal, nVal, nTest]);
      const all = [...u.train, ...u.validation, ...u.test];
      expect(new Set(all).size).toBe(n);
      for (const i of all) expect(cat.labels[i]).toBe(u.user);
    });
  });

  it('is deterministic for a seed, changes with the seed, and one class does not move another', () => {
    const config = datasetConfig({});
    const a = partitionUsers(catalog(), config, rng(1));
    expect(partitionUsers(catalog(), config, rng(1))).toEqual(a);
    expect(partitionUsers(catalog(), config, rng(2)).users[0]!.test).not.toEqual(a.users[0]!.test);
    const fewer = partitionUsers(catalog(), datasetConfig({ users: { classes: ['c2', 'c4'] } }), rng(1));
    expect(fewer.users[0]).toEqual(a.users[2]);
    expect(fewer.users[1]).toEqual(a.users[4]);
  });

  it('selects users: minImagesPerUser, maxUsers, maxImagesPerUser, nonPrivateUsers by name or count', () => {
    const p = partitionUsers(catalog(), datasetConfig({ users: { minImagesPerUser: 11, maxUsers: 2, maxImagesPerUser: 10, nonPrivateUsers: ['c4'] } }), rng());
    expect(p.users.map((u) => u.user)).toEqual(['c1', 'c2']);
    expect(p.users.map((u) => u.train.length + u.validation.length + u.test.length)).toEqual([10, 10]);
    expect(p.nonPrivate.map((u) => [u.user, u.images.length])).toEqual([['c4', 10]]);
    expect(p.dropped.map((d) => d.user)).toEqual(['c0', 'c3']);
    const byCount = partitionUsers(catalog(), datasetConfig({ users: { nonPrivateUsers: 2 } }), rng());
    expect(byCount.nonPrivate).toHaveLength(2);
    expect(byCount.users).toHaveLength(3);
    expect(() => partitionUsers(catalog(), datasetConfig({ users: { nonPrivateUsers: ['c9'] } }), rng())).toThrow(ConfigError);
    expect(() => partitionUsers(catalog(), datasetConfig({ users: { nonPrivateUsers: 5 } }), rng())).toThrow('leaves no enrolled user');
  });

  it('applies attribute filters after the split: train on bg {0,1}, test on {2,3}', () => {
    const cat = catalog();
    const split = { testFraction: 0.5 };
    const base = partitionUsers(cat, datasetConfig({ split }), rng());
    const biased = partitionUsers(cat, datasetConfig({ split, transforms: { filter: { train: { bg: [0, 1] }, test: { bg: [2, 3] } } } }), rng());
    biased.users.forEach((u, k) => {
      for (const i of [...u.train, ...u.validation]) expect([0, 1]).toContain(cat.attributes['bg']![i]);
      for (const i of u.test) expect([2, 3]).toContain(cat.attributes['bg']![i]);
      // The test images are the unbiased split's test images with the filter applied.
      expect(u.test).toEqual(base.users[k]!.test.filter((i) => [2, 3].includes(cat.attributes['bg']![i] as number)));
    });
    expect(() => partitionUsers(cat, datasetConfig({ transforms: { filter: { train: { colour: [1] } } } }), rng())).toThrow('attribute "colour" is not in the dataset');
    expect(() => partitionUsers(cat, datasetConfig({ transforms: { filter: { train: { bg: [7] } } } }), rng())).toThrow(DatasetError);
  });

  it('sample bias keeps a fraction of the chosen users’ training images', () => {
    const cat = catalog();
    const base = partitionUsers(cat, datasetConfig({ split: { validationFraction: 0 } }), rng());
    const p = partitionUsers(cat, datasetConfig({ split: { validationFraction: 0 }, transforms: { sampleBias: { users: ['c1', 'c3'], keep: 0.25 } } }), rng());
    p.users.forEach((u, k) => {
      const full = base.users[k]!.train.length;
      expect(u.sampleBiased).toBe(['c1', 'c3'].includes(u.user));
      expect(u.train.length).toBe(u.sampleBiased ? Math.max(1, Math.round(full * 0.25)) : full);
      expect(u.test).toEqual(base.users[k]!.test);
    });
    const byFraction = partitionUsers(cat, datasetConfig({ transforms: { sampleBias: { users: 0.4, keep: 0.5 } } }), rng());
    expect(byFraction.users.filter((u) => u.sampleBiased)).toHaveLength(2);
  });

  it('refuses a class too small to split', () => {
    const cat: Catalog = { labels: ['a', 'a', 'b'], attributes: {}, ids: ['1', '2', '3'], count: 3 };
    expect(() => partitionUsers(cat, datasetConfig({}), rng())).toThrow('class "b": has 1 image, too few to split');
  });
});
