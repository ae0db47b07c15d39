import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { classCounts, classDistance, partitionLabel, partitionOwners, type PartitionSpec } from './partition.js';

// 10 classes with 100, 101, ..., 109 images, labels interleaved.
const sizes = Array.from({ length: 10 }, (_, c) => 100 + c);
const labels = Int32Array.from(sizes.flatMap((n, c) => new Array<number>(n).fill(c)));
const K = 5;
const split = (spec: PartitionSpec, seed = 1) => partitionOwners(labels, 10, K, spec, Rng.fromSeed(seed));

function expectPartition(parts: number[][]) {
  const all = parts.flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: labels.length }, (_, i) => i));
  for (const p of parts) expect(p).toEqual([...p].sort((a, b) => a - b));
}

describe('owner partitions', () => {
  it('iid: every owner holds floor or ceil of n_c / K images of every class; owner sizes differ by at most the class count', () => {
    const parts = split({ kind: 'iid' });
    expectPartition(parts);
    const counts = classCounts(parts, labels, 10);
    counts.forEach((row) => row.forEach((n, c) => expect([Math.floor(sizes[c]! / K), Math.ceil(sizes[c]! / K)]).toContain(n)));
    const totals = counts.map((row) => row.reduce((a, b) => a + b, 0));
    expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(1);
    for (const d of classDistance(counts)) expect(d).toBeLessThan(0.01);
  });

  it('class-skew s: the home owner (c mod K) gets round(s n_c) plus its share of the rest', () => {
    for (const skew of [0, 0.5, 0.8, 1]) {
      const parts = split({ kind: 'class-skew', skew });
      expectPartition(parts);
      const counts = classCounts(parts, labels, 10);
      sizes.forEach((n, c) => {
        const home = Math.round(skew * n);
        const rest = n - home;
        // The rest is dealt round-robin starting at the home owner.
        counts.forEach((row, k) => {
          const offset = (k - (c % K) + K) % K;
          const share = Math.floor(rest / K) + (offset < rest % K ? 1 : 0);
          expect(row[c]).toBe((k === c % K ? home : 0) + share);
        });
      });
    }
    // skew 1: each owner holds exactly its two home classes.
    const one = classCounts(split({ kind: 'class-skew', skew: 1 }), labels, 10);
    one.forEach((row, k) => expect(row.flatMap((n, c) => (n > 0 ? [c] : []))).toEqual([k, k + 5]));
    // skew 0 is the stratified IID deal.
    expect(split({ kind: 'class-skew', skew: 0 })).toEqual(split({ kind: 'iid' }));
  });

  it('the class distance grows with the skew: about s (1 - 1/K) for equal classes', () => {
    const mean = (spec: PartitionSpec) => classDistance(classCounts(split(spec), labels, 10)).reduce((a, b) => a + b, 0) / K;
    // Hand computation for equal classes: an owner holds s + (1-s)/K of its 2 home classes and
    // (1-s)/K of the 8 others, so p_k(home) = (s + (1-s)/K) / 2 against 1/10 pooled.
    const s = 0.8;
    const expected = 2 * ((s + (1 - s) / K) / 2 - 0.1);
    expect(mean({ kind: 'class-skew', skew: s })).toBeCloseTo(expected, 2);
    expect(expected).toBeCloseTo(s * (1 - 1 / K), 10);
    expect(mean({ kind: 'class-skew', skew: 0.5 })).toBeLessThan(mean({ kind: 'class-skew', skew: 0.8 }));
  });

  it('dirichlet: a partition, seeded, and more skewed for smaller alpha', () => {
    const parts = split({ kind: 'dirichlet', alpha: 0.5 });
    expectPartition(parts);
    expect(split({ kind: 'dirichlet', alpha: 0.5 })).toEqual(parts);
    expect(split({ kind: 'dirichlet', alpha: 0.5 }, 2)).not.toEqual(parts);
    const mean = (alpha: number) => {
      let sum = 0;
      for (let seed = 1; seed <= 5; seed++) sum += classDistance(classCounts(split({ kind: 'dirichlet', alpha }, seed), labels, 10)).reduce((a, b) => a + b, 0) / K;
      return sum / 5;
    };
    const [low, mid, high] = [mean(0.1), mean(1), mean(100)];
    expect(low).toBeGreaterThan(mid);
    expect(mid).toBeGreaterThan(high);
    expect(high).toBeLessThan(0.1);
  });

  it('refuses a partition that leaves an owner without images, naming the setting', () => {
    const few = Int32Array.from([0, 0, 1, 1]);
    expect(() => partitionOwners(few, 2, 3, { kind: 'class-skew', skew: 1 }, Rng.fromSeed(1), 'experiments.collab.partitions[1]')).toThrow(ConfigError);
    expect(() => partitionOwners(few, 2, 3, { kind: 'class-skew', skew: 1 }, Rng.fromSeed(1), 'experiments.collab.partitions[1]')).toThrow(/partitions\[1\]: owner 2 gets no training image under skew-1/);
    expect(partitionLabel({ kind: 'dirichlet', alpha: 0.3 })).toBe('dirichlet-0.3');
  });

  it('computes the total-variation distance of a hand-worked example', () => {
    // Pooled 50 / 50; owner 0 holds 30 / 10 (0.75 / 0.25), owner 1 holds 20 / 40.
    expect(classDistance([[30, 10], [20, 40]])).toEqual([0.25, 0.5 * (Math.abs(1 / 3 - 0.5) + Math.abs(2 / 3 - 0.5))]);
  });
});
