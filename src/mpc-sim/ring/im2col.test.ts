import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { add } from './elementwise.js';
import { axisPadding, convGeometry, im2col, type ConvGeometry, type ConvGeometryOptions } from './im2col.js';
import { reshape } from './layout.js';
import { matmul } from './matmul.js';
import { SeededRandom, randomTensor } from './random.js';
import { RingTensor } from './ring-tensor.js';
import { upsampleNearest } from './upsample.js';

const random = new SeededRandom('im2col-test', { insecureDeterministic: true });

/**
 * Direct convolution with BigInt arithmetic modulo 2^64, written from the TF definition of
 * 'same' padding (not from convGeometry's padding fields): x [H, W, C], w [kh, kw, C, N].
 */
function directConv(x: RingTensor, w: RingTensor, stride: readonly [number, number], padding: 'same' | 'valid'): { out: bigint[]; outH: number; outW: number } {
  const [h, wd, c] = x.shape as [number, number, number];
  const [kh, kw, , n] = w.shape as [number, number, number, number];
  const [sh, sw] = stride;
  const outH = padding === 'same' ? Math.ceil(h / sh) : Math.ceil((h - kh + 1) / sh);
  const outW = padding === 'same' ? Math.ceil(wd / sw) : Math.ceil((wd - kw + 1) / sw);
  const top = padding === 'same' ? Math.floor(Math.max((outH - 1) * sh + kh - h, 0) / 2) : 0;
  const left = padding === 'same' ? Math.floor(Math.max((outW - 1) * sw + kw - wd, 0) / 2) : 0;
  const out: bigint[] = [];
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < n; o++) {
        let acc = 0n;
        for (let dy = 0; dy < kh; dy++) {
          for (let dx = 0; dx < kw; dx++) {
            const iy = oy * sh + dy - top;
            const ix = ox * sw + dx - left;
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            for (let ci = 0; ci < c; ci++) acc += x.data[(iy * wd + ix) * c + ci]! * w.data[((dy * kw + dx) * c + ci) * n + o]!;
          }
        }
        out.push(BigInt.asUintN(64, acc));
      }
    }
  }
  return { out, outH, outW };
}

describe('conv geometry', () => {
  it('follows TF same padding: out = ceil(in / s), pad total split floor / rest', () => {
    expect(axisPadding(32, 4, 2, 'same')).toEqual({ out: 16, before: 1, after: 1 }); // total 2
    expect(axisPadding(4, 4, 1, 'same')).toEqual({ out: 4, before: 1, after: 2 }); // total 3
    expect(axisPadding(1, 4, 1, 'same')).toEqual({ out: 1, before: 1, after: 2 });
    expect(axisPadding(1, 4, 2, 'same')).toEqual({ out: 1, before: 1, after: 2 });
    expect(axisPadding(2, 4, 2, 'same')).toEqual({ out: 1, before: 1, after: 1 });
    expect(axisPadding(5, 4, 2, 'same')).toEqual({ out: 3, before: 1, after: 2 });
    expect(axisPadding(7, 1, 3, 'same')).toEqual({ out: 3, before: 0, after: 0 }); // max(.., 0)
    expect(axisPadding(7, 3, 2, 'valid')).toEqual({ out: 3, before: 0, after: 0 });
    const g = convGeometry({ inHeight: 32, inWidth: 32, inChannels: 3, kernel: 4, stride: 2 });
    expect([g.outHeight, g.outWidth, g.rows, g.cols]).toEqual([16, 16, 256, 48]);
  });

  it('rejects bad sizes', () => {
    expect(() => convGeometry({ inHeight: 0, inWidth: 3, inChannels: 1, kernel: 3 })).toThrow(ShapeError);
    expect(() => convGeometry({ inHeight: 3, inWidth: 3, inChannels: 1, kernel: 3, stride: 1.5 })).toThrow(/sh/);
    expect(() => convGeometry({ inHeight: 2, inWidth: 3, inChannels: 1, kernel: 3, padding: 'valid' })).toThrow(/valid/);
  });
});

describe('im2col', () => {
  const cases: [string, ConvGeometryOptions, number][] = [
    ['32x32x3 -> 16x16x8, k4 s2 same', { inHeight: 32, inWidth: 32, inChannels: 3, kernel: 4, stride: 2 }, 8],
    ['4x4x8 -> 4x4x4, k4 s1 same', { inHeight: 4, inWidth: 4, inChannels: 8, kernel: 4 }, 4],
    ['1x1x16 -> 1x1x8, k4 s1 same', { inHeight: 1, inWidth: 1, inChannels: 16, kernel: 4 }, 8],
    ['2x2x16 -> 1x1x8, k4 s2 same', { inHeight: 2, inWidth: 2, inChannels: 16, kernel: 4, stride: 2 }, 8],
    ['5x7x2 -> 3x4x3, k4 s2 same (odd sizes)', { inHeight: 5, inWidth: 7, inChannels: 2, kernel: 4, stride: 2 }, 3],
    ['7x5x2, k[3,2] s[2,1] same', { inHeight: 7, inWidth: 5, inChannels: 2, kernel: [3, 2], stride: [2, 1] }, 3],
    ['6x7x2, k3 s2 valid', { inHeight: 6, inWidth: 7, inChannels: 2, kernel: 3, stride: 2, padding: 'valid' }, 2],
  ];

  it.each(cases)('%s: im2col(x) @ w equals the direct convolution exactly (full 64-bit words)', (_, options, n) => {
    const g = convGeometry(options);
    const x = randomTensor(random, [g.inHeight, g.inWidth, g.inChannels]);
    const w = randomTensor(random, [g.kernelHeight, g.kernelWidth, g.inChannels, n]);
    const patches = im2col(x, g);
    expect(patches.shape).toEqual([g.rows, g.cols]);
    const got = matmul(patches, reshape(w, [g.cols, n]));
    const ref = directConv(x, w, [g.strideHeight, g.strideWidth], g.padding);
    expect([ref.outH, ref.outW]).toEqual([g.outHeight, g.outWidth]);
    expect(Array.from(got.data)).toEqual(ref.out);
  });

  it('is linear, accepts a batch of 1 and rejects a mismatched image', () => {
    const g: ConvGeometry = convGeometry({ inHeight: 5, inWidth: 4, inChannels: 3, kernel: 4, stride: 2 });
    const x = randomTensor(random, [5, 4, 3]);
    const y = randomTensor(random, [5, 4, 3]);
    expect(im2col(add(x, y), g).data).toEqual(add(im2col(x, g), im2col(y, g)).data);
    expect(im2col(reshape(x, [1, 5, 4, 3]), g).data).toEqual(im2col(x, g).data);
    expect(() => im2col(randomTensor(random, [4, 5, 3]), g)).toThrow(ShapeError);
  });
});

describe('upsampleNearest', () => {
  it('copies pixel (floor(y / f), floor(x / f)) exactly, with or without a batch dimension', () => {
    for (const [h, w, c, f] of [
      [3, 2, 5, 2],
      [1, 1, 16, 2],
      [2, 3, 1, 3],
      [2, 2, 2, 1],
    ] as const) {
      const x = randomTensor(random, [h, w, c]);
      const up = upsampleNearest(x, f);
      expect(up.shape).toEqual([h * f, w * f, c]);
      const expected: bigint[] = [];
      for (let y = 0; y < h * f; y++) {
        for (let xx = 0; xx < w * f; xx++) {
          for (let ci = 0; ci < c; ci++) expected.push(x.data[(Math.floor(y / f) * w + Math.floor(xx / f)) * c + ci]!);
        }
      }
      expect(Array.from(up.data)).toEqual(expected);
      const batched = upsampleNearest(reshape(x, [1, h, w, c]), f);
      expect(batched.shape).toEqual([1, h * f, w * f, c]);
      expect(batched.data).toEqual(up.data);
    }
    expect(() => upsampleNearest(randomTensor(random, [2, 2]), 2)).toThrow(ShapeError);
    expect(() => upsampleNearest(randomTensor(random, [2, 2, 1]), 0)).toThrow(/positive integer/);
  });
});
