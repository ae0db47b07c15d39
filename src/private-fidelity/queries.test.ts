import { describe, expect, it } from 'vitest';
import { RunError, UsageError } from '../errors.js';
import { plaintextMargin } from '../mpc-sim/private-reconstructor/fidelity.js';
import { plaintextDissimilarities, plaintextLabels, resumableRows, selectQueries } from './queries.js';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

describe('selectQueries', () => {
  it('picks K spread or first, all, or the listed images in test-set order; no suffix without shard or list', () => {
    expect(selectQueries(ids, { queries: 4, all: false, order: 'first' })).toEqual({ picked: [0, 1, 2, 3], suffix: '' });
    // spread: floor(i * 8 / 4) for i = 0..3
    expect(selectQueries(ids, { queries: 4, all: false, order: 'spread' }).picked).toEqual([0, 2, 4, 6]);
    expect(selectQueries(ids, { queries: 3, all: true, order: 'spread' }).picked).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(selectQueries(ids, { queries: 99, all: false, order: 'first' }).picked).toHaveLength(8);
    expect(selectQueries(ids, { queries: 1, all: false, order: 'first', images: new Set(['g', 'b']) })).toEqual({ picked: [1, 6], suffix: '.images' });
  });

  it('a shard i/n keeps every n-th picked image from i and names its outputs', () => {
    expect(selectQueries(ids, { queries: 4, all: false, order: 'first', shard: { index: 0, count: 2 } })).toEqual({ picked: [0, 2], suffix: '.shard-0-of-2' });
    expect(selectQueries(ids, { queries: 4, all: false, order: 'first', shard: { index: 1, count: 2 } })).toEqual({ picked: [1, 3], suffix: '.shard-1-of-2' });
    // The shards of one selection partition it.
    const shards = [0, 1, 2].map((index) => selectQueries(ids, { queries: 7, all: false, order: 'spread', shard: { index, count: 3 } }).picked);
    expect(shards.flat().sort((x, y) => x - y)).toEqual(selectQueries(ids, { queries: 7, all: false, order: 'spread' }).picked);
    expect(selectQueries(ids, { queries: 1, all: false, order: 'first', images: new Set(['a', 'c', 'e']), shard: { index: 1, count: 2 } })).toEqual({ picked: [2], suffix: '.images.shard-1-of-2' });
    expect(selectQueries(ids, { queries: 4, all: false, order: 'first', protocol: 'v1' }).suffix).toBe('');
    expect(selectQueries(ids, { queries: 4, all: false, order: 'first', protocol: 'v3', shard: { index: 1, count: 2 } })).toEqual({ picked: [1, 3], suffix: '.v3.shard-1-of-2' });
  });
});

describe('selectQueries --order margin', () => {
  // Margins of the 8 test images a..h; c and f tie.
  const margins = [0.5, 0.01, 0.2, 3, 1e-6, 0.2, Infinity, 0.05];

  it('picks the K smallest margins, smallest first, ties in test-set order; all and listed images are ordered too', () => {
    expect(selectQueries(ids, { queries: 4, all: false, order: 'margin', margins }).picked).toEqual([4, 1, 7, 2]);
    expect(selectQueries(ids, { queries: 2, all: true, order: 'margin', margins }).picked).toEqual([4, 1, 7, 2, 5, 0, 3, 6]);
    expect(selectQueries(ids, { queries: 1, all: false, order: 'margin', margins, images: new Set(['a', 'd', 'e']) })).toEqual({ picked: [4, 0, 3], suffix: '.images' });
  });

  it('every shard starts with the riskiest of its share, and the shards partition the selection', () => {
    const shard = (index: number): readonly number[] => selectQueries(ids, { queries: 5, all: false, order: 'margin', margins, shard: { index, count: 2 } }).picked;
    expect(shard(0)).toEqual([4, 7, 5]);
    expect(shard(1)).toEqual([1, 2]);
  });

  it('without a margin per test image it is refused', () => {
    expect(() => selectQueries(ids, { queries: 4, all: false, order: 'margin' })).toThrow(UsageError);
    expect(() => selectQueries(ids, { queries: 4, all: false, order: 'margin', margins: [1, 2] })).toThrow(/8 test images/);
  });
});

describe('plaintextMargin', () => {
  it('is the second smallest minus the smallest dissimilarity, whatever their order', () => {
    expect(plaintextMargin([0.3, 0.1, 0.25, 0.9])).toBeCloseTo(0.15, 12);
    expect(plaintextMargin([0.2, 0.2, 0.5])).toBe(0);
    expect(plaintextMargin([0.7, 0.4])).toBeCloseTo(0.3, 12);
    expect(plaintextMargin([0.7])).toBeUndefined();
  });
});

describe('plaintext reference of an identification run', () => {
  const predictions = [
    { system: 'privedge', image: 'a', predicted: 'u1' },
    { system: 'vgg', image: 'a', predicted: 'u2' },
    { system: 'privedge', image: 'b', predicted: 'u2' },
  ];
  it('labels of the privedge system, in query order; a missing image is named with the file', () => {
    expect(plaintextLabels(predictions, ['b', 'a'], 'p.csv')).toEqual(['u2', 'u1']);
    expect(() => plaintextLabels(predictions, ['a', 'z'], 'p.csv')).toThrow(new RunError('p.csv', "no privedge prediction for test image 'z'"));
  });

  it('dissimilarities per query in users order; a missing pair is named with the file', () => {
    const rows = [
      { image: 'a', user: 'u1', mse: 0.5 },
      { image: 'a', user: 'u2', mse: 0.25 },
      { image: 'b', user: 'u2', mse: 1 },
      { image: 'b', user: 'u1', mse: 2 },
    ];
    expect(plaintextDissimilarities(rows, ['b', 'a'], ['u1', 'u2'], 'd.csv')).toEqual([
      [2, 1],
      [0.5, 0.25],
    ]);
    expect(() => plaintextDissimilarities(rows.slice(1), ['a'], ['u1', 'u2'], 'd.csv')).toThrow(new RunError('d.csv', "no dissimilarity of test image 'a' for user 'u1'"));
  });
});

describe('resumableRows', () => {
  it('keeps the recorded rows by image; a row of another selection is refused naming the partial file', () => {
    const rows = [{ image: 'c', agree: true }, { image: 'a', agree: false }];
    const kept = resumableRows(rows, ['a', 'b', 'c'], 'x.partial.csv');
    expect([...kept.keys()]).toEqual(['c', 'a']);
    expect(kept.get('a')).toBe(rows[1]);
    expect(resumableRows([], ['a'], 'x.partial.csv').size).toBe(0);
    expect(() => resumableRows(rows, ['a', 'b'], 'x.partial.csv')).toThrow(/^x\.partial\.csv: test image 'c' is not among this run's queries/);
  });
});
