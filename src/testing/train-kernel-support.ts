/**
 * Test helpers for the native training kernels: seeded values, the tensor-scale relative error,
 * and an independent float64 reference of the three convolution operations on sampled elements.
 */
import { expect } from 'vitest';

/** Deterministic values in [-1, 1) (mulberry32), identical on every backend. */
export function seeded(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let a = seed >>> 0;
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** max |actual − expected| / max |expected| over the given indices (all when omitted). */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>, indices?: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let worst = 0;
  const each = (i: number): void => {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  };
  if (indices) indices.forEach(each);
  else for (let i = 0; i < expected.length; i++) each(i);
  return worst / (scale || 1);
}

/** NHWC convolution geometry with explicit padding before (top, left). */
export interface Geometry {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly oh: number;
  readonly ow: number;
  readonly co: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
}

/** Indices 0, last, and `count` spread pseudo-randomly in between. */
export function sampleIndices(length: number, count: number, seed: number): number[] {
  const u = seeded(count, seed);
  return [0, length - 1, ...Array.from(u, (v) => Math.floor(((v + 1) / 2) * length))];
}

/** Float64 reference of one output element of y = conv(x, w), dx or dw (from the definition). */
export function referenceAt(op: 'forward' | 'dx' | 'dw', g: Geometry, a: Float32Array, b: Float32Array, index: number): number {
  const { h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl } = g;
  let sum = 0;
  if (op === 'forward') {
    const o = index % co;
    const pix = (index - o) / co;
    const [img, oy, ox] = [Math.floor(pix / (oh * ow)), Math.floor(pix / ow) % oh, pix % ow];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const [iy, ix] = [oy * sh + i - pt, ox * sw + j - pl];
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        for (let c = 0; c < ci; c++) sum += a[((img * h + iy) * w + ix) * ci + c]! * b[((i * kw + j) * ci + c) * co + o]!;
      }
  } else if (op === 'dx') {
    const c = index % ci;
    const pix = (index - c) / ci;
    const [img, iy, ix] = [Math.floor(pix / (h * w)), Math.floor(pix / w) % h, pix % w];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const [ny, nx] = [iy + pt - i, ix + pl - j];
        if (ny % sh !== 0 || nx % sw !== 0) continue;
        const [oy, ox] = [ny / sh, nx / sw];
        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
        for (let o = 0; o < co; o++) sum += a[((img * oh + oy) * ow + ox) * co + o]! * b[((i * kw + j) * ci + c) * co + o]!;
      }
  } else {
    const o = index % co;
    const c = Math.floor(index / co) % ci;
    const j = Math.floor(index / (co * ci)) % kw;
    const i = Math.floor(index / (co * ci * kw));
    for (let img = 0; img < g.n; img++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const [iy, ix] = [oy * sh + i - pt, ox * sw + j - pl];
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          sum += a[((img * h + iy) * w + ix) * ci + c]! * b[((img * oh + oy) * ow + ox) * co + o]!;
        }
  }
  return sum;
}
