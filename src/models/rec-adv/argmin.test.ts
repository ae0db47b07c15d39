import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { argminRows } from './argmin.js';
import { MetricsError } from '../../metrics/metrics-error.js';

describe('argminRows', () => {
  it('picks the column of the smallest value, ties to the lowest index', () => {
    // 4 test images x 4 users, row-major:
    //   row 0: 0.5  0.2  0.9  0.2   -> min 0.2 at columns 1 and 3; tie -> 1
    //   row 1: 3    2    1    0     -> 3
    //   row 2: -1   -1   -1   -1    -> all tie -> 0
    //   row 3: 7    -Inf 2    Inf   -> 1
    const m = new Float32Array([0.5, 0.2, 0.9, 0.2, 3, 2, 1, 0, -1, -1, -1, -1, 7, -Infinity, 2, Infinity]);
    expect(Array.from(argminRows(m, 4, 4))).toEqual([1, 3, 0, 1]);
  });

  it('works on Float64Array and returns an Int32Array', () => {
    // 3 x 2: [1e-9, 2e-9] -> 0; [2e-9, 1e-9] -> 1; [0, -0] -> equal, tie -> 0
    const result = argminRows(new Float64Array([1e-9, 2e-9, 2e-9, 1e-9, 0, -0]), 3, 2);
    expect(result).toBeInstanceOf(Int32Array);
    expect(Array.from(result)).toEqual([0, 1, 0]);
  });

  it('distinguishes values that differ in float64 but ties them once rounded to float32', () => {
    // 1 and 1 + 2^-30 differ as doubles, round to the same float32.
    const row = [1 + 2 ** -30, 1];
    expect(Array.from(argminRows(new Float64Array(row), 1, 2))).toEqual([1]);
    expect(Array.from(argminRows(new Float32Array(row), 1, 2))).toEqual([0]);
  });

  it('handles a single column and zero rows', () => {
    expect(Array.from(argminRows(new Float32Array([5, -5, 0]), 3, 1))).toEqual([0, 0, 0]);
    expect(argminRows(new Float32Array(0), 0, 3)).toHaveLength(0);
  });

  it('throws naming the row and column of a NaN, including the first column', () => {
    // 2 x 3; NaN at row 1, column 2
    const m = new Float32Array([1, 2, 3, 4, 5, Number.NaN]);
    expect(() => argminRows(m, 2, 3)).toThrow(MetricsError);
    expect(() => argminRows(m, 2, 3)).toThrow(/row 1, column 2/);
    // A NaN in column 0 would otherwise win silently (every comparison with NaN is false).
    expect(() => argminRows(new Float64Array([0, 1, Number.NaN, 0]), 2, 2)).toThrow(/row 1, column 0/);
  });

  it('rejects a matrix whose length is not rows * cols, and bad dimensions', () => {
    expect(() => argminRows(new Float32Array(5), 2, 3)).toThrow(ShapeError);
    expect(() => argminRows(new Float32Array(5), 2, 3)).toThrow(/5 entries.*2 \* 3 = 6/);
    expect(() => argminRows(new Float32Array(0), 2, 0)).toThrow(/0 columns/);
    expect(() => argminRows(new Float32Array(2), 1.5, 2)).toThrow(ShapeError);
    expect(() => argminRows(new Float32Array(0), -1, 0)).toThrow(ShapeError);
  });
});
