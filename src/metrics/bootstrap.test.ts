import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { bootstrapMacroIntervals } from './bootstrap.js';
import { quantile } from './detection.js';

const repeat = (label: string, n: number): string[] => Array.from({ length: n }, () => label);

describe('bootstrapMacroIntervals', () => {
  it('the quantile it uses interpolates linearly between order statistics (type 7)', () => {
    const v = [1, 2, 3, 4];
    expect(quantile(v, 0)).toBe(1);
    expect(quantile(v, 1)).toBe(4);
    expect(quantile(v, 0.5)).toBe(2.5);
    expect(quantile(v, 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([7], 0.975)).toBe(7);
  });

  it('perfect predictions give the degenerate interval [1, 1]', () => {
    const t = [...repeat('a', 10), ...repeat('b', 5)];
    const ci = bootstrapMacroIntervals(t, t, ['a', 'b'], { resamples: 200, level: 0.95, rng: Rng.fromSeed(1) });
    expect(ci.precision).toEqual({ value: 1, lower: 1, upper: 1 });
    expect(ci.recall).toEqual({ value: 1, lower: 1, upper: 1 });
  });

  it('matches the normal approximation of a binomial recall, stratified by class', () => {
    // Class a: 400 images, half predicted b; class b: 400 images, all right. Stratified resampling
    // keeps 400 of each, so recall(b) stays 1 and recall(a) ~ Binomial(400, 0.5) / 400:
    // macro recall = (recall(a) + 1) / 2, standard deviation sqrt(0.25 / 400) / 2 = 0.0125.
    const t = [...repeat('a', 400), ...repeat('b', 400)];
    const p = [...repeat('a', 200), ...repeat('b', 200), ...repeat('b', 400)];
    const ci = bootstrapMacroIntervals(t, p, ['a', 'b'], { resamples: 4000, level: 0.95, rng: Rng.fromSeed('binomial') });
    expect(ci.recall.value).toBe(0.75);
    expect(ci.recall.lower).toBeCloseTo(0.75 - 1.96 * 0.0125, 2);
    expect(ci.recall.upper).toBeCloseTo(0.75 + 1.96 * 0.0125, 2);
    expect(ci.recall.upper).toBeLessThanOrEqual(1);
    // Precision: a is always right when predicted (1); b's is 400 / (400 + the a's called b).
    expect(ci.precision.value).toBeCloseTo((1 + 400 / 600) / 2, 12);
    expect(ci.precision.lower).toBeLessThan(ci.precision.value);
    expect(ci.precision.upper).toBeGreaterThan(ci.precision.value);
  });

  it('is deterministic for a stream, differs across streams, narrows with the level', () => {
    const t = [...repeat('a', 30), ...repeat('b', 30), ...repeat('c', 30)];
    const p = t.map((x, i) => (i % 3 === 0 ? 'a' : x));
    const run = (seed: string, level = 0.95) => bootstrapMacroIntervals(t, p, ['a', 'b', 'c'], { resamples: 500, level, rng: Rng.fromSeed(seed) });
    expect(run('s')).toEqual(run('s'));
    expect(run('s').recall.lower).not.toBe(run('t').recall.lower);
    const wide = run('s', 0.95);
    const narrow = run('s', 0.5);
    expect(narrow.recall.lower).toBeGreaterThanOrEqual(wide.recall.lower);
    expect(narrow.recall.upper).toBeLessThanOrEqual(wide.recall.upper);
  });

  it('refuses too few resamples and a level outside (0, 1), naming them', () => {
    const t = ['a', 'b'];
    expect(() => bootstrapMacroIntervals(t, t, t, { resamples: 99, level: 0.95, rng: Rng.fromSeed(1) })).toThrow(/resamples must be a whole number >= 100, got 99/);
    expect(() => bootstrapMacroIntervals(t, t, t, { resamples: 100, level: 1, rng: Rng.fromSeed(1) })).toThrow(/level must be in \(0, 1\), got 1/);
  });
});
