import { describe, expect, it } from 'vitest';
import { FIXED16, FIXED20, decode, encode, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { lessThanPublic } from './compare.js';
import { instanceNorm, normRescaleBits, normTruncationBits } from './instance-norm.js';
import { NORM_GRID_THRESHOLDS, NORM_VARIANCE_RANGE, SCALE_FRAC_BITS, normScale, normScaleTables } from './norm-scale.js';
import { TEST_DEALERS, testGaussian, testRandom, testSession } from '../../testing/protocol-support.js';

const gaussian = testGaussian;

/** Online cost of one lessThanPublic on the grid's thresholds (the comparison part). */
async function comparisonCost(makeDealer: Parameters<typeof testSession>[0]): Promise<{ rounds: number; bytes: number }> {
  const { session } = testSession(makeDealer);
  const x = share(new RingTensor([NORM_GRID_THRESHOLDS]), testRandom('cmp'));
  const { cost } = await session.measure((ctx) => lessThanPublic(ctx, x[ctx.party], new RingTensor([NORM_GRID_THRESHOLDS])));
  return { rounds: cost.rounds, bytes: cost.onlineBytes[0] };
}

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];

describe.each(TEST_DEALERS)('instance normalisation (%s)', (_, makeDealer) => {
  it('normScale is within relative 3e-6 (+ 2^-20) of gamma / (sqrt(var) + eps) over [2^-14, 2^10], edges included, in C + 6 rounds', async () => {
    const { session } = testSession(makeDealer);
    const [lo, hi] = NORM_VARIANCE_RANGE;
    const Q = 2 ** 30;
    const tables = normScaleTables(Q, 16, 1e-3);
    expect(tables.fitError).toBeLessThan(1e-6);
    const vs = [lo, hi * 0.99999, 1e-4, 1e-2, 1, 2, 100, lo * 1.0001, 2 ** -7, 2 ** 0.5, ...Array.from({ length: 24 }, (_, i) => lo * (hi / lo) ** (i / 24 + 0.013))];
    const cmp = await comparisonCost(makeDealer);
    let worst = 0;
    for (const [i, v] of vs.entries()) {
      const g = [1, -2.5, 7.9, 0.01][i % 4]!;
      const random = testRandom(`scale-${v}`);
      const q = share(RingTensor.fromBigInts([BigInt(Math.round(v * Q))]), random);
      const gamma = share(encode(FIXED16, [g]), random);
      const { results, cost } = await session.measure((ctx) => normScale(ctx, q[ctx.party], gamma[ctx.party], tables));
      const got = Number(BigInt.asIntN(64, reconstruct(results).data[0]!)) / 2 ** SCALE_FRAC_BITS;
      const want = decode(FIXED16, encode(FIXED16, [g]))[0]! / (Math.sqrt(Math.round(v * Q) / Q) + 1e-3);
      worst = Math.max(worst, (Math.abs(got - want) - 2 ** -SCALE_FRAC_BITS) / Math.abs(want));
      expect(cost.rounds).toBe(cmp.rounds + 6);
      expect(cost.onlineBytes).toEqual([cmp.bytes + 6288, cmp.bytes + 6288]);
    }
    expect(worst).toBeLessThan(3e-6);
  });

  it('normScale gives exactly 0 outside the grid (a constant input, a huge variance)', async () => {
    const { session } = testSession(makeDealer);
    const tables = normScaleTables(2 ** 20, 16, 1e-3);
    for (const v of [0, 2 ** -15, 2 ** 11]) {
      const random = testRandom(`outside-${v}`);
      const q = share(RingTensor.fromBigInts([BigInt(Math.round(v * 2 ** 20))]), random);
      const gamma = share(encode(FIXED16, [1.5]), random);
      const { results } = await session.measure((ctx) => normScale(ctx, q[ctx.party], gamma[ctx.party], tables));
      expect(reconstruct(results).data[0]).toBe(0n);
    }
  });

  describe.each(ENCODINGS)('%s', (_name, enc) => {
    it.each([
      ['[8,8,4], var ~ 1e-4', [8, 8, 4], 0.3, 0.01],
      ['[6,5,3], var ~ 1', [6, 5, 3], -0.5, 1],
      ['[4,4,2], var ~ 100', [4, 4, 2], 1, 10],
      ['[32,32,64], var ~ 0.04', [32, 32, 64], 0.2, 0.2],
    ] as const)('matches the float layer on %s, with the stated rounds and bytes', async (_label, shape, mu, sd) => {
      const { session } = testSession(makeDealer, enc);
      const n = shape.reduce((p, q) => p * q, 1);
      const xs = encode(enc, gaussian(`in-${n}-${sd}`, n, mu, sd), shape);
      const xv = decode(enc, xs);
      const [gv, bv] = [1.5, -0.25];
      const random = testRandom('in-share');
      const x = share(xs, random);
      const gamma = share(encode(enc, [gv]), random);
      const beta = share(encode(enc, [bv]), random);
      const { results, cost } = await session.measure((ctx) => instanceNorm(ctx, x[ctx.party], gamma[ctx.party], beta[ctx.party]));
      const out = reconstruct(results);
      expect(out.shape).toEqual(shape);
      const y = decode(enc, out);
      const mean = xv.reduce((p, q) => p + q, 0) / n;
      const variance = xv.reduce((p, q) => p + (q - mean) ** 2, 0) / n;
      const scale = gv / (Math.sqrt(variance) + 1e-3);
      const ulp = 2 ** -enc.fracBits;
      // The variance is computed from d truncated by h bits: relative error about 0.6 2^(h-f) / (std sqrt n).
      const h = normTruncationBits(n, enc.fracBits);
      const varianceError = (2 * 2 ** (h - enc.fracBits)) / (Math.sqrt(variance) * Math.sqrt(n)) + 2 ** (2 * (h - enc.fracBits)) / variance;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = (xv[i]! - mean) * scale + bv;
        const dv = xv[i]! - mean;
        // 1 ulp in d (times the scale); k's 2^-20 quantisation times |d|; 1 ulp of truncation;
        // relative 3e-6 in k plus half the variance's relative error.
        const bound = ulp * (2 * Math.max(1, scale) + 2) + Math.abs(dv) * 2 ** -19 + (3e-6 + varianceError / 2) * Math.abs(want - bv);
        worst = Math.max(worst, Math.abs(y[i]! - want) / bound);
      }
      expect(worst).toBeLessThanOrEqual(1);
      const cmp = await comparisonCost(makeDealer);
      const rescale = normRescaleBits(n, enc.fracBits) > 0 ? 1 : 0;
      expect(cost.rounds).toBe(10 + rescale + cmp.rounds);
      expect(cost.onlineBytes[1]).toBe(32 * n + 6304 + 8 * rescale + cmp.bytes);
      expect(cost.reveals).toBe(0);
    });
  });

  it('a constant input gives exactly beta; local truncation saves one round and 8n bytes', async () => {
    const { session } = testSession(makeDealer);
    const n = 24;
    const random = testRandom('in-const');
    const x = share(encode(FIXED16, new Array<number>(n).fill(0.75)), random);
    const gamma = share(encode(FIXED16, [2]), random);
    const beta = share(encode(FIXED16, [0.5]), random);
    const { results, cost } = await session.measure((ctx) => instanceNorm(ctx, x[ctx.party], gamma[ctx.party], beta[ctx.party], { truncation: 'local' }));
    for (const v of decode(FIXED16, reconstruct(results))) expect(v).toBe(0.5);
    const cmp = await comparisonCost(makeDealer);
    const rescale = normRescaleBits(n, 16) > 0 ? 1 : 0;
    expect(cost.rounds).toBe(9 + rescale + cmp.rounds);
    expect(cost.onlineBytes[0]).toBe(24 * n + 6304 + 8 * rescale + cmp.bytes);
  });
});
