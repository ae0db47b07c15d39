import { describe, expect, it } from 'vitest';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { FIXED16, FIXED20, decode, encode, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { instanceNorm, normRescaleBits, normTruncationBits } from './instance-norm.js';
import { instanceNormV2 } from './instance-norm-v2.js';
import { NORM_GRID_THRESHOLDS, NORM_VARIANCE_RANGE, SCALE_FRAC_BITS } from './norm-scale.js';
import { FOLDED_SCALE_FRAC_BITS, NORM_GRID_CHUNK_BITS, WIDE_MULTIPLIER_BITS, normScaleV2, normScaleV2FinalBits, normScaleV2Tables, normScaleV2Untruncated } from './norm-scale-v2.js';
import { truncateWithDealer } from './truncate.js';
import { TEST_DEALERS, testGaussian, testRandom, testSession } from '../../testing/protocol-support.js';

/** Online bytes per party of the grid comparison (385 elements, l = 64, d = 8): 4 rounds. */
const grid = comparisonLayout(NORM_GRID_THRESHOLDS, { bits: 64, chunkBits: NORM_GRID_CHUNK_BITS, product: false, fuseLastAnd: true });
const GRID_BYTES = 8 * grid.onlineWordsPerParty;

const gaussian = testGaussian;

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];

describe.each(TEST_DEALERS)('instance normalisation v2 (%s)', (_, makeDealer) => {
  it('normScaleV2 is within relative 2e-6 (+ 2^-20) of gamma / (sqrt(var) + eps) over [2^-14, 2^10], edges included, in 7 rounds and C + 10,072 bytes', async () => {
    expect(grid.rounds).toBe(4);
    for (const [Q, f] of [
      [2 ** 30, 16],
      [2 ** 38, 20],
      [2 ** 22, 20],
    ] as const) {
      const enc = f === 16 ? FIXED16 : FIXED20;
      const { session } = testSession(makeDealer, enc);
      const [lo, hi] = NORM_VARIANCE_RANGE;
      const tables = normScaleV2Tables(Q, f, 1e-3);
      expect(tables.fitError).toBeLessThan(1e-6);
      const vs = [lo, hi * 0.99999, 1e-4, 1e-2, 1, 2, 100, lo * 1.0001, 2 ** -7, 2 ** 0.5, ...Array.from({ length: 24 }, (_, i) => lo * (hi / lo) ** (i / 24 + 0.013))];
      let worst = 0;
      for (const [i, v] of vs.entries()) {
        const g = [1, -2.5, 7.9, 0.01][i % 4]!;
        const random = testRandom(`scale2-${v}`);
        const qi = BigInt(Math.round(v * Q));
        const q = share(RingTensor.fromBigInts([qi]), random);
        const gamma = share(encode(enc, [g]), random);
        const { results, cost } = await session.measure((ctx) => normScaleV2(ctx, q[ctx.party], gamma[ctx.party], tables));
        const got = Number(BigInt.asIntN(64, reconstruct(results).data[0]!)) / 2 ** SCALE_FRAC_BITS;
        const want = decode(enc, encode(enc, [g]))[0]! / (Math.sqrt(Number(qi) / Q) + 1e-3);
        worst = Math.max(worst, (Math.abs(got - want) - 2 ** -SCALE_FRAC_BITS) / Math.abs(want));
        expect(cost.rounds).toBe(7);
        expect(cost.onlineBytes).toEqual([GRID_BYTES + 10072, GRID_BYTES + 10072]);
        expect(cost.byLabel['normScale/grid/open & normScale/t/open']).toEqual({ rounds: 1, bytes: [8 * (2 + NORM_GRID_THRESHOLDS + 24), 8 * (2 + NORM_GRID_THRESHOLDS + 24)] });
        expect(cost.reveals).toBe(0);
      }
      expect(worst).toBeLessThan(2e-6);
    }
  });

  it('wide tables (K = 60, v4): a sum of squares at full scale (Q up to 2^51) and gain 1/5, within relative 2e-6 (+ 2^-24) of 1 / (5 (sqrt(var) + eps)), in 6 rounds without gamma', async () => {
    const { session } = testSession(makeDealer, FIXED20);
    const [lo, hi] = NORM_VARIANCE_RANGE;
    for (const Q of [2 ** 51, 2 ** 44, 2 ** 40]) {
      const tables = normScaleV2Tables(Q, 20, 1e-3, { gain: 1 / 5, multiplierBits: WIDE_MULTIPLIER_BITS });
      expect(tables.fitError).toBeLessThan(1e-6);
      expect(tables.multipliers.every((m) => m >= 1n)).toBe(true);
      let worst = 0;
      for (const v of [lo, hi * 0.99999, 1e-3, 0.3, 1, 7, 500, ...Array.from({ length: 12 }, (_, i) => lo * (hi / lo) ** (i / 12 + 0.031))]) {
        const random = testRandom(`wide-${Q}-${v}`);
        const qi = BigInt(Math.round(v * Q));
        const q = share(RingTensor.fromBigInts([qi]), random);
        // without gamma: k' at 2^30, truncated to 2^FOLDED_SCALE_FRAC_BITS (normScaleV2FinalBits(f, false))
        const { results, cost } = await session.measure(async (ctx) => truncateWithDealer(ctx, await normScaleV2Untruncated(ctx, q[ctx.party], undefined, tables), normScaleV2FinalBits(20, false)));
        const got = Number(BigInt.asIntN(64, reconstruct(results).data[0]!)) / 2 ** FOLDED_SCALE_FRAC_BITS;
        const want = 1 / (5 * (Math.sqrt(Number(qi) / Q) + 1e-3));
        worst = Math.max(worst, (Math.abs(got - want) - 2 ** -FOLDED_SCALE_FRAC_BITS) / want);
        expect(cost.rounds).toBe(6);
      }
      expect(worst).toBeLessThan(2e-6);
    }
    // the narrow tables keep their limit; the wide ones theirs
    expect(() => normScaleV2Tables(2 ** 39, 20, 1e-3)).toThrow(/outside \[1, 2\^38\]/);
    expect(() => normScaleV2Tables(2 ** 52, 20, 1e-3, { multiplierBits: WIDE_MULTIPLIER_BITS })).toThrow(/outside \[1, 2\^51\]/);
    // the same grid where both apply
    expect(normScaleV2Tables(2 ** 30, 20, 1e-3, { multiplierBits: WIDE_MULTIPLIER_BITS }).thresholds.data).toEqual(normScaleV2Tables(2 ** 30, 20, 1e-3).thresholds.data);
  });

  it('normScaleV2 gives exactly 0 outside the grid (a constant input, a huge variance)', async () => {
    const { session } = testSession(makeDealer);
    const tables = normScaleV2Tables(2 ** 20, 16, 1e-3);
    for (const v of [0, 2 ** -15, 2 ** 11]) {
      const random = testRandom(`outside2-${v}`);
      const q = share(RingTensor.fromBigInts([BigInt(Math.round(v * 2 ** 20))]), random);
      const gamma = share(encode(FIXED16, [1.5]), random);
      const { results } = await session.measure((ctx) => normScaleV2(ctx, q[ctx.party], gamma[ctx.party], tables));
      expect(reconstruct(results).data[0]).toBe(0n);
    }
  });

  describe.each(ENCODINGS)('%s', (_name, enc) => {
    it.each([
      ['[8,8,4], var ~ 1e-4', [8, 8, 4], 0.3, 0.01],
      ['[6,5,3], var ~ 1', [6, 5, 3], -0.5, 1],
      ['[4,4,2], var ~ 100', [4, 4, 2], 1, 10],
      ['[32,32,64], var ~ 0.04', [32, 32, 64], 0.2, 0.2],
    ] as const)('matches the float layer on %s (bound of the v1 test), with 4 fewer rounds than v1 and the stated bytes', async (_label, shape, mu, sd) => {
      const n = shape.reduce((p, q) => p * q, 1);
      const xs = encode(enc, gaussian(`in2-${n}-${sd}`, n, mu, sd), shape);
      const xv = decode(enc, xs);
      const [gv, bv] = [1.5, -0.25];
      const random = testRandom('in2-share');
      const x = share(xs, random);
      const gamma = share(encode(enc, [gv]), random);
      const beta = share(encode(enc, [bv]), random);
      const v1 = await testSession(makeDealer, enc).session.measure((ctx) => instanceNorm(ctx, x[ctx.party], gamma[ctx.party], beta[ctx.party]));
      const v2 = await testSession(makeDealer, enc).session.measure((ctx) => instanceNormV2(ctx, x[ctx.party], gamma[ctx.party], beta[ctx.party]));
      expect(reconstruct(v2.results).shape).toEqual(shape);
      const y = decode(enc, reconstruct(v2.results));
      const mean = xv.reduce((p, q) => p + q, 0) / n;
      const variance = xv.reduce((p, q) => p + (q - mean) ** 2, 0) / n;
      const scale = gv / (Math.sqrt(variance) + 1e-3);
      const ulp = 2 ** -enc.fracBits;
      const h = normTruncationBits(n, enc.fracBits);
      const varianceError = (2 * 2 ** (h - enc.fracBits)) / (Math.sqrt(variance) * Math.sqrt(n)) + 2 ** (2 * (h - enc.fracBits)) / variance;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = (xv[i]! - mean) * scale + bv;
        const dv = xv[i]! - mean;
        const bound = ulp * (2 * Math.max(1, scale) + 2) + Math.abs(dv) * 2 ** -19 + (3e-6 + varianceError / 2) * Math.abs(want - bv);
        worst = Math.max(worst, Math.abs(y[i]! - want) / bound);
      }
      expect(worst).toBeLessThanOrEqual(1);
      const rescale = normRescaleBits(n, enc.fracBits) > 0 ? 1 : 0;
      expect(v2.cost.rounds).toBe(11 + rescale);
      expect(v2.cost.rounds).toBe(v1.cost.rounds - 4);
      expect(v2.cost.onlineBytes).toEqual([32 * n + 10088 + 8 * rescale + GRID_BYTES, 32 * n + 10088 + 8 * rescale + GRID_BYTES]);
      expect(v2.cost.reveals).toBe(0);
    });
  });
});
