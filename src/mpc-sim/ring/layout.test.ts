import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { reshape, strides, sumAxis, transpose } from './layout.js';
import { SeededRandom, randomTensor } from './random.js';
import { RingTensor } from './ring-tensor.js';

const M = 1n << 64n;

describe('reshape, transpose and sumAxis', () => {
  const random = new SeededRandom('layout-test', { insecureDeterministic: true });

  it('reshapes without copying and infers one -1', () => {
    const t = randomTensor(random, [2, 3, 4]);
    const r = reshape(t, [6, -1]);
    expect(r.shape).toEqual([6, 4]);
    expect(r.data).toBe(t.data);
    expect(() => reshape(t, [5, -1])).toThrow(ShapeError);
    expect(() => reshape(t, [25])).toThrow(/24 elements/);
  });

  it('transposes a matrix and permutes axes like numpy', () => {
    const m = RingTensor.fromBigInts([1n, 2n, 3n, 4n, 5n, 6n], [2, 3]);
    const mt = transpose(m);
    expect(mt.shape).toEqual([3, 2]);
    expect(Array.from(mt.data)).toEqual([1n, 4n, 2n, 5n, 3n, 6n]);

    const t = randomTensor(random, [2, 3, 4, 5]);
    const axes = [2, 0, 3, 1];
    const p = transpose(t, axes);
    expect(p.shape).toEqual([4, 2, 5, 3]);
    const inS = strides(t.shape);
    const outS = strides(p.shape);
    for (let i0 = 0; i0 < 4; i0++)
      for (let i1 = 0; i1 < 2; i1++)
        for (let i2 = 0; i2 < 5; i2++)
          for (let i3 = 0; i3 < 3; i3++) {
            const out = [i0, i1, i2, i3];
            const src = [0, 0, 0, 0];
            axes.forEach((a, i) => (src[a] = out[i]!));
            const si = src.reduce((s, v, i) => s + v * inS[i]!, 0);
            const oi = out.reduce((s, v, i) => s + v * outS[i]!, 0);
            expect(p.data[oi]).toBe(t.data[si]);
          }
    expect(() => transpose(t, [0, 1, 1, 2])).toThrow(/permutation/);
  });

  it('sums along an axis modulo 2^64', () => {
    const t = randomTensor(random, [3, 4, 5]);
    for (const axis of [0, 1, 2, -1]) {
      const s = sumAxis(t, axis);
      const ax = (axis + 3) % 3;
      const shape = t.shape.filter((_, i) => i !== ax);
      expect(s.shape).toEqual(shape);
      expect(sumAxis(t, axis, true).shape).toEqual(t.shape.map((d, i) => (i === ax ? 1 : d)));
      const st = strides(t.shape);
      for (let o = 0; o < s.size; o++) {
        // Rebuild the full index with the summed axis free.
        const idx: number[] = [];
        let rest = o;
        for (let d = shape.length - 1; d >= 0; d--) idx.unshift(rest % shape[d]!), (rest = Math.floor(rest / shape[d]!));
        idx.splice(ax, 0, 0);
        let sum = 0n;
        for (let r = 0; r < t.shape[ax]!; r++) {
          idx[ax] = r;
          sum += t.data[idx.reduce((acc, v, i) => acc + v * st[i]!, 0)]!;
        }
        expect(s.data[o]).toBe(sum % M);
      }
    }
    expect(() => sumAxis(t, 3)).toThrow(ShapeError);
  });
});
