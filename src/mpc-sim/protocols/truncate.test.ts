import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { loadRingKernel } from '../ring/native-kernel.js';
import { fromSigned, toSigned, type RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { mul } from './mul.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';
import { truncate, truncateWithDealer, truncationFailureBound, truncationOpening } from './truncate.js';
import { topBitsWords } from '../ring/top-bits.js';

const floorDiv = (v: bigint, f: number): bigint => v >> BigInt(f); // BigInt >> is floor division

/** Elements of `result` that are neither floor(x / 2^f) nor floor(x / 2^f) + 1. */
function failures(x: readonly bigint[], result: RingTensor, f: number): number {
  const got = toSigned(result);
  let bad = 0;
  x.forEach((v, i) => {
    const d = got[i]! - floorDiv(v, f);
    if (d !== 0n && d !== 1n) bad++;
  });
  return bad;
}

const EDGES = [0n, 1n, -1n, 65535n, -65535n, 65536n, -65536n, 65537n, -65537n, (1n << 40n) - 1n, -(1n << 40n)];

describe.each(TEST_DEALERS)('truncation (%s)', (_, makeDealer) => {
  it('local truncation is floor or floor + 1 for |x| < 2^40, at 0 rounds, 0 bytes, no material', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('trunc-local');
    const r = new BigInt64Array(500);
    random.fill(new BigUint64Array(r.buffer));
    const values = [...EDGES, ...Array.from(r, (w) => w >> 24n)]; // uniform in [-2^39, 2^39)
    for (const f of [16, 20]) {
      const x = share(fromSigned(values), random);
      const { results, cost } = await session.measure((ctx) => truncate(ctx, x[ctx.party], f));
      expect(failures(values, reconstruct(results), f)).toBe(0);
      expect(cost).toMatchObject({ rounds: 0, onlineBytesTotal: 0, offlineBytesTotal: 0, reveals: 0 });
    }
    expect(recording.report()).toEqual([]);
  });

  // Failure probability is exactly |x| / 2^64 for a uniform share: 1/8 at |x| = 2^61.
  // 4000 trials: expect 500 failures, sd = sqrt(4000 * 1/8 * 7/8) ~ 21; accept 5 sd.
  it('local truncation fails at the predicted rate on adversarially large values', async () => {
    const { session } = testSession(makeDealer);
    const n = 4000;
    for (const v of [1n << 61n, -(1n << 61n)]) {
      const values = new Array<bigint>(n).fill(v);
      const x = share(fromSigned(values), testRandom(`trunc-fail-${v}`));
      const [y0, y1] = await session.run((ctx) => truncate(ctx, x[ctx.party], 16));
      const bad = failures(values, reconstruct([y0, y1]), 16);
      expect(Math.abs(bad - n / 8)).toBeLessThan(5 * 21);
      expect(bad / n).toBeLessThanOrEqual(truncationFailureBound(62)); // |x| <= 2^61 < 2^62
    }
    // Small values: bound 2^(31 - 64); none of 4000 fails.
    const small = new Array<bigint>(n).fill(-(1n << 30n) + 12345n);
    const xs = share(fromSigned(small), testRandom('trunc-small'));
    const [s0, s1] = await session.run((ctx) => truncate(ctx, xs[ctx.party], 16));
    expect(failures(small, reconstruct([s0, s1]), 16)).toBe(0);
  });

  it('Beaver outputs (dealer randomness) fail at the same rate: product 2^31 * 2^30 = 2^61', async () => {
    const { session } = testSession(makeDealer);
    const n = 4000;
    const random = testRandom('trunc-beaver');
    const x = share(fromSigned(new Array<bigint>(n).fill(1n << 31n)), random);
    const y = share(fromSigned(new Array<bigint>(n).fill(1n << 30n)), random);
    const [z0, z1] = await session.run(async (ctx) => truncate(ctx, await mul(ctx, x[ctx.party], y[ctx.party]), 16));
    const bad = failures(new Array<bigint>(n).fill(1n << 61n), reconstruct([z0, z1]), 16);
    expect(Math.abs(bad - n / 8)).toBeLessThan(5 * 21);
  });

  it('dealer-assisted truncation never fails on |x| up to 2^62, at 1 round, 8n online and 24n offline per party', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('trunc-dealer');
    const big = [1n << 61n, -(1n << 61n), (1n << 62n) - 1n, -(1n << 62n), (1n << 62n) - 65536n];
    const values: bigint[] = [...EDGES];
    for (const v of big) for (let i = 0; i < 400; i++) values.push(v);
    const r = new BigInt64Array(1000);
    random.fill(new BigUint64Array(r.buffer));
    for (const w of r) values.push(w >> 1n); // uniform in [-2^62, 2^62)
    const n = values.length;
    // n > 1,024: the last two steps run in the native kernel when it is built (CI builds it),
    // then the same values go through the TypeScript steps.
    const fracBits = [0, 16, 20, 62];
    try {
      for (const forceTs of [false, true]) {
        loadRingKernel({ forceTs });
        for (const f of fracBits) {
          const x = share(fromSigned(values), random);
          const { results, cost } = await session.measure((ctx) => truncateWithDealer(ctx, x[ctx.party], f));
          expect(failures(values, reconstruct(results), f), `f = ${f}${forceTs ? ' (TypeScript)' : ''}`).toBe(0);
          expect(cost.rounds).toBe(1);
          expect(cost.onlineBytes).toEqual([8 * n, 8 * n]);
          expect(cost.offlineBytes).toEqual([24 * n, 24 * n]);
          expect(cost.reveals).toBe(0);
          expect(cost.byLabel).toEqual({ 'truncate/open': { rounds: 1, bytes: [8 * n, 8 * n] } });
        }
      }
    } finally {
      loadRingKernel();
    }
    const requests = 2 * fracBits.length;
    expect(recording.report()).toEqual([{ tag: 'truncate', kind: 'truncationPair', requests, elementsPerParty: 3 * requests * n, bytes: 48 * requests * n }]);
  });

  it('checks the number of bits to drop', async () => {
    const { session } = testSession(makeDealer);
    const x = share(fromSigned([1]), testRandom('trunc-bits'));
    await expect(session.run((ctx) => truncate(ctx, x[ctx.party], 64))).rejects.toThrow(ProtocolError);
    await expect(session.run((ctx) => truncateWithDealer(ctx, x[ctx.party], 63))).rejects.toThrow(/\[0, 62\]/);
  });
});

describe.each(TEST_DEALERS)('truncation in opened form (%s)', (_, makeDealer) => {
  it.each([
    ['3 elements (TypeScript path)', 3],
    ['5,000 elements (native path when the ring kernel is loaded)', 5000],
  ] as const)('%s: [i = 0] q - rHigh_i + sigma rMsb_i are the shares truncateWithDealer gives with the same pair', async (_label, n) => {
    const { session } = testSession(makeDealer);
    const values = Array.from({ length: n }, (_, i) => BigInt((i * 7919 + 13) % 200001) * 65536n * (i % 2 === 0 ? 1n : -1n));
    const x = share(fromSigned(values), testRandom(`opened-${n}`));
    const { results } = await session.measure(async (ctx) => {
      const pair = await ctx.dealer.truncationPair(x[ctx.party].shape, 'pair', { fracBits: 16 });
      const opened = await truncationOpening(ctx, x[ctx.party], pair, 16, 'a');
      const direct = await truncateWithDealer({ ...ctx, dealer: { ...ctx.dealer, truncationPair: async () => pair } }, x[ctx.party], 16, 'b');
      const mine = Array.from(opened.q.data, (q, j) => BigInt.asUintN(64, (ctx.party === 0 ? q : 0n) - pair.rHigh.ring.data[j]! + opened.sigma.data[j]! * pair.rMsb.ring.data[j]!));
      return { mine, direct: Array.from(direct.ring.data) };
    });
    expect(results[0].mine).toEqual(results[0].direct);
    expect(results[1].mine).toEqual(results[1].direct);
  });
});

describe.each(TEST_DEALERS)('truncation with compact openings, protocol v7 (%s)', (_, makeDealer) => {
  it('sends ceil(n (64 - f) / 64) words per party in 1 round; y - floor(x / 2^f) in {-1, 0, 1, 2} on [-2^62 + 2^f, 2^62 - 2^f), unbiased; native and TypeScript alike', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('trunc-compact');
    const fracBits = [0, 16, 20, 36];
    try {
      for (const forceTs of [false, true]) {
        loadRingKernel({ forceTs });
        for (const f of fracBits) {
          const edge = (1n << 62n) - (1n << BigInt(f)) - 1n; // the largest value allowed
          const values: bigint[] = [...EDGES, edge, -edge, -(1n << 62n) + (1n << BigInt(f))];
          const r = new BigInt64Array(4000);
          random.fill(new BigUint64Array(r.buffer));
          for (const w of r) values.push(w >> 24n); // uniform in [-2^39, 2^39)
          const n = values.length;
          const x = share(fromSigned(values), random);
          const { results, cost } = await session.measure((ctx) => truncateWithDealer(ctx, x[ctx.party], f, 'truncate', true));
          const got = toSigned(reconstruct(results));
          const where = `f = ${f}${forceTs ? ' (TypeScript)' : ''}`;
          const offsets = values.map((v, i) => got[i]! - floorDiv(v, f));
          expect(offsets.filter((d) => d < -1n || d > 2n), where).toEqual([]);
          if (f === 0) expect(offsets.every((d) => d === 0n), where).toBe(true);
          else expect(new Set(offsets).size, where).toBe(4); // every offset occurs
          // the error y - x / 2^f averages 0 (plain: 0 too; without S0's 2^(f - 1): -1/2)
          const errors = values.map((v, i) => Number(got[i]! - floorDiv(v, f)) - Number(v - (floorDiv(v, f) << BigInt(f))) / 2 ** f);
          const mean = errors.reduce((a, b) => a + b, 0) / n;
          expect(Math.abs(mean), where).toBeLessThan(0.05); // about 5 standard errors at n = 4,014
          const words = topBitsWords(n, f);
          expect(words).toBe(Math.ceil((n * (64 - f)) / 64));
          expect(cost.rounds).toBe(1);
          expect(cost.onlineBytes).toEqual([8 * words, 8 * words]);
          expect(cost.offlineBytes).toEqual([24 * n, 24 * n]);
          expect(cost.byLabel).toEqual({ 'truncate/open': { rounds: 1, bytes: [8 * words, 8 * words] } });
        }
      }
    } finally {
      loadRingKernel();
    }
    expect(recording.report()).toMatchObject([{ tag: 'truncate', kind: 'truncationPair', requests: 2 * fracBits.length }]);
  });

  it('in opened form: [i = 0] q - rHigh_i + sigma rMsb_i are the shares the compact truncateWithDealer gives with the same pair and masks', async () => {
    const { session } = testSession(makeDealer);
    const n = 3000;
    const values = Array.from({ length: n }, (_, i) => BigInt((i * 7919 + 13) % 200001) * 65536n * (i % 2 === 0 ? 1n : -1n));
    const x = share(fromSigned(values), testRandom('opened-compact'));
    const { results, cost } = await session.measure(async (ctx) => {
      const pair = await ctx.dealer.truncationPair(x[ctx.party].shape, 'pair', { fracBits: 16 });
      const opened = await truncationOpening(ctx, x[ctx.party], pair, 16, 'a', true);
      const direct = await truncateWithDealer({ ...ctx, dealer: { ...ctx.dealer, truncationPair: async () => pair } }, x[ctx.party], 16, 'b', true);
      const mine = Array.from(opened.q.data, (q, j) => BigInt.asUintN(64, (ctx.party === 0 ? q : 0n) - pair.rHigh.ring.data[j]! + opened.sigma.data[j]! * pair.rMsb.ring.data[j]!));
      return { mine, direct: Array.from(direct.ring.data) };
    });
    expect(results[0].mine).toEqual(results[0].direct);
    expect(results[1].mine).toEqual(results[1].direct);
    expect(cost.byLabel['a/open']!.bytes).toEqual([8 * topBitsWords(n, 16), 8 * topBitsWords(n, 16)]);
  });
});
