import { describe, expect, it } from 'vitest';
import { FIXED16, FIXED20, decode, encode, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { lessThanPublic } from './compare.js';
import { RSQRT_FRAC_BITS, RSQRT_RANGE, RSQRT_THRESHOLDS, VARIANCE_FRAC_BITS, instanceNorm, inverseSqrt } from './instance-norm.js';
import { TEST_DEALERS, testRandom, testSession } from './test-support.js';

function gaussian(name: string, n: number, mean: number, sd: number): Float64Array {
  const r = testRandom(name);
  const u = (): number => {
    const w = new BigUint64Array(1);
    r.fill(w);
    return (Number(w[0]! >> 11n) + 0.5) / 2 ** 53;
  };
  return Float64Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** Online cost of one lessThanPublic on the 43 thresholds (the comparison part). */
async function comparisonCost(makeDealer: Parameters<typeof testSession>[0]): Promise<{ rounds: number; bytes: number }> {
  const { session } = testSession(makeDealer);
  const x = share(new RingTensor([RSQRT_THRESHOLDS]), testRandom('cmp'));
  const { cost } = await session.measure((ctx) => lessThanPublic(ctx, x[ctx.party], new RingTensor([RSQRT_THRESHOLDS])));
  return { rounds: cost.rounds, bytes: cost.onlineBytes[0] };
}

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];

describe.each(TEST_DEALERS)('instance normalisation (%s)', (_, makeDealer) => {
  it('inverseSqrt is within relative 5e-5 of 1/sqrt(v) over [2^-14, 2^7], edges included, and 3 iterations cost C + 12 rounds', async () => {
    const { session } = testSession(makeDealer);
    const [lo, hi] = RSQRT_RANGE;
    const vs = [lo, hi, 1e-4, 1e-2, 1, 2, 100, lo * 1.0001, 2 ** -7, 2 ** 0.5, ...Array.from({ length: 30 }, (_, i) => lo * (hi / lo) ** (i / 29 + 0.013))];
    const cmp = await comparisonCost(makeDealer);
    let worst = 0;
    for (const v of vs) {
      const enc = RingTensor.fromBigInts([BigInt(Math.round(v * 2 ** VARIANCE_FRAC_BITS))]);
      const x = share(enc, testRandom(`rsqrt-${v}`));
      const { results, cost } = await session.measure((ctx) => inverseSqrt(ctx, x[ctx.party], 3));
      const got = Number(BigInt.asIntN(64, reconstruct(results).data[0]!)) / 2 ** RSQRT_FRAC_BITS;
      worst = Math.max(worst, Math.abs(got * Math.sqrt(v) - 1));
      expect(cost.rounds).toBe(cmp.rounds + 12);
      expect(cost.onlineBytes).toEqual([cmp.bytes + 72 * 3, cmp.bytes + 72 * 3]);
    }
    expect(worst).toBeLessThan(5e-5);
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
      for (let i = 0; i < n; i++) {
        const want = (xv[i]! - mean) * scale + bv;
        const dv = xv[i]! - mean;
        // 1 ulp in d (times the scale); in a = gamma k: k's own 1-ulp quantisation times |gamma| plus
        // 1 ulp of the product's truncation, times |d|; 1 ulp of truncation; rel 5e-5 in k.
        expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(ulp * (2 * Math.max(1, scale) + (Math.abs(gv) + 1) * Math.abs(dv) + 2) + 5e-5 * Math.abs(want - bv));
      }
      const cmp = await comparisonCost(makeDealer);
      expect(cost.rounds).toBe(15 + cmp.rounds + 12);
      expect(cost.onlineBytes[1]).toBe(32 * n + 184 + 72 * 3 + cmp.bytes);
      expect(cost.reveals).toBe(0);
    });
  });

  it('a constant input gives beta; local truncation saves one round and 8n bytes', async () => {
    const { session } = testSession(makeDealer);
    const n = 24;
    const random = testRandom('in-const');
    const x = share(encode(FIXED16, new Array<number>(n).fill(0.75)), random);
    const gamma = share(encode(FIXED16, [2]), random);
    const beta = share(encode(FIXED16, [0.5]), random);
    const { results, cost } = await session.measure((ctx) => instanceNorm(ctx, x[ctx.party], gamma[ctx.party], beta[ctx.party], { truncation: 'local' }));
    for (const v of decode(FIXED16, reconstruct(results))) expect(Math.abs(v - 0.5)).toBeLessThan(0.05);
    const cmp = await comparisonCost(makeDealer);
    expect(cost.rounds).toBe(14 + cmp.rounds + 12);
    expect(cost.onlineBytes[0]).toBe(24 * n + 184 + 72 * 3 + cmp.bytes);
  });
});
