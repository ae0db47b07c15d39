import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { matmul, matmulTs } from './matmul.js';
import { SeededRandom, randomTensor } from './random.js';
import { RingTensor } from './ring-tensor.js';

const M = 1n << 64n;

/** Exact reference: unbounded BigInt dot products, reduced modulo 2^64 at the end. */
function reference(a: RingTensor, b: RingTensor): bigint[] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out: bigint[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0n;
      for (let p = 0; p < k; p++) s += a.data[i * k + p]! * b.data[p * n + j]!;
      out.push(s % M);
    }
  }
  return out;
}

describe('matmul over Z_2^64', () => {
  const random = new SeededRandom('matmul-test', { insecureDeterministic: true });

  // Odd rows (1 x 1 path), k remainders of the 4-way unroll, k and n across tile edges (128, 256).
  it.each([
    [1, 1, 1],
    [2, 4, 2],
    [3, 5, 7],
    [4, 3, 1],
    [5, 131, 3],
    [2, 129, 259],
    [7, 256, 9],
  ])('[%i x %i] @ [%i x ...] matches the exact reference', (m, k, n) => {
    const a = randomTensor(random, [m, k]);
    const b = randomTensor(random, [k, n]);
    const want = reference(a, b);
    const got = matmul(a, b);
    expect(got.shape).toEqual([m, n]);
    expect(Array.from(got.data)).toEqual(want);
    // The TypeScript kernel (the fallback) on its own, whichever kernel `matmul` dispatches to.
    expect(Array.from(matmulTs(a, b).data)).toEqual(want);
  });

  it('wraps around: all-ones words are -1, so (-1)(-1) summed k times is k', () => {
    const k = 9;
    const a = RingTensor.fromBigInts(new Array<bigint>(2 * k).fill(M - 1n), [2, k]);
    const b = RingTensor.fromBigInts(new Array<bigint>(k * 3).fill(M - 1n), [k, 3]);
    expect(Array.from(matmul(a, b).data)).toEqual(new Array<bigint>(6).fill(BigInt(k)));
    const big = RingTensor.fromBigInts([1n << 63n, 1n << 63n], [1, 2]);
    const ones = RingTensor.fromBigInts([1n, 1n], [2, 1]);
    expect(matmul(big, ones).data[0]).toBe(0n); // 2^63 + 2^63 = 2^64 = 0
  });

  it('handles empty dimensions', () => {
    expect(Array.from(matmul(RingTensor.zeros([2, 0]), RingTensor.zeros([0, 3])).data)).toEqual(new Array(6).fill(0n));
    expect(matmul(RingTensor.zeros([0, 4]), RingTensor.zeros([4, 3])).shape).toEqual([0, 3]);
  });

  it('rejects non-matrices and mismatched inner dimensions', () => {
    expect(() => matmul(RingTensor.zeros([2, 3]), RingTensor.zeros([2, 3]))).toThrow(ShapeError);
    expect(() => matmul(RingTensor.zeros([2, 3, 1]), RingTensor.zeros([3, 2]))).toThrow(/two matrices/);
  });
});
