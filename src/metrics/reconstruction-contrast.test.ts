import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { reconstructionContrast, summariseContrast } from './reconstruction-contrast.js';

describe('reconstructionContrast', () => {
  // Two images of 4 values.
  // Image 0: x = [1, -1, 1, -1] (mean 0, variance 1), r = [0.5, -0.5, 0.5, -0.5]:
  //   squared errors 0.25 each -> mse 0.25; r has variance 0.25 -> std 0.5.
  // Image 1: x = [1, 1, 1, -1] (mean 0.5, variance (3 * 0.25 + 2.25) / 4 = 0.75),
  //   r = [1, 1, 1, 1] (a flat white page): squared errors [0, 0, 0, 4] -> mse 1; std 0.
  const x = new Float32Array([1, -1, 1, -1, 1, 1, 1, -1]);
  const r = new Float32Array([0.5, -0.5, 0.5, -0.5, 1, 1, 1, 1]);

  it('gives each image its MSE, the best flat image\'s MSE (the variance) and both standard deviations', () => {
    const [a, b] = reconstructionContrast(x, r, 4);
    expect(a!.mse).toBeCloseTo(0.25, 12);
    expect(a!.flatMse).toBeCloseTo(1, 12);
    expect(a!.inputStd).toBeCloseTo(1, 12);
    expect(a!.reconstructionStd).toBeCloseTo(0.5, 12);
    expect(b!.mse).toBeCloseTo(1, 12);
    expect(b!.flatMse).toBeCloseTo(0.75, 12);
    expect(b!.inputStd).toBeCloseTo(Math.sqrt(0.75), 12);
    expect(b!.reconstructionStd).toBe(0);
  });

  it('a white-page reconstruction does worse than the flat image of the right grey: mse / flatMse above 1', () => {
    const [, b] = reconstructionContrast(x, r, 4);
    expect(b!.mse / b!.flatMse).toBeGreaterThan(1);
  });

  it('summarises a user as means over its images, with the two ratios of the means', () => {
    const s = summariseContrast(reconstructionContrast(x, r, 4));
    expect(s.images).toBe(2);
    expect(s.mse).toBeCloseTo((0.25 + 1) / 2, 12);
    expect(s.flatMse).toBeCloseTo((1 + 0.75) / 2, 12);
    expect(s.mseToFlat).toBeCloseTo(0.625 / 0.875, 12);
    expect(s.inputStd).toBeCloseTo((1 + Math.sqrt(0.75)) / 2, 12);
    expect(s.reconstructionStd).toBeCloseTo(0.25, 12);
    expect(s.stdRatio).toBeCloseTo(0.25 / ((1 + Math.sqrt(0.75)) / 2), 12);
  });

  it('refuses arrays that do not hold whole images of the same count, and an empty summary', () => {
    expect(() => reconstructionContrast(x, r.subarray(0, 4), 4)).toThrow(ShapeError);
    expect(() => reconstructionContrast(x, r, 3)).toThrow(/whole images of 3 values/);
    expect(() => reconstructionContrast(x, r, 0)).toThrow(/positive integer/);
    expect(() => summariseContrast([])).toThrow(/no images/);
  });
});
