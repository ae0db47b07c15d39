import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { comparisonLayout, dealComparisonKey, type ComparisonKeyOptions } from '../dealer/comparison-key.js';
import { StreamDealer } from '../dealer/crypto-dealer.js';
import { loadRingKernel } from '../ring/native-kernel.js';
import { CryptoRandom, randomTensor, type RingRandom } from '../ring/random.js';
import { RingTensor, fromSigned, toSigned, type Shape } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { drelu } from './drelu.js';
import { relu } from './relu.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;
const EDGES = [0n, 1n, -1n, 2n, -2n, 15n, -16n, 65535n, -65536n, (1n << 31n) - 1n, -(1n << 31n), 1n << 32n, -(1n << 32n), 1n << 62n, -(1n << 62n), MAX, MIN, MAX - 1n, MIN + 1n];

/** Signed values uniform in [-2^(bits-1), 2^(bits-1)). */
function randomSigned(random: RingRandom, n: number, bits = 64): bigint[] {
  return Array.from(toSigned(randomTensor(random, [n])), (v) => BigInt.asIntN(bits, v));
}

/** Elements where the shared result differs from [x >= 0]. */
function wrongBits(values: readonly bigint[], result: RingTensor): number {
  return values.filter((v, i) => result.data[i] !== (v >= 0n ? 1n : 0n)).length;
}

/** A dealer whose comparison keys use the given masks, in order (to force wrap-around cases). */
class FixedMaskDealer extends StreamDealer {
  private readonly masks: RingTensor[];
  constructor(
    private readonly rng: RingRandom,
    masks: readonly RingTensor[],
  ) {
    super(rng, 'fixed-mask');
    this.masks = [...masks];
  }

  override comparisonKey(shape: Shape, _tag: string, options: ComparisonKeyOptions) {
    return dealComparisonKey(this.rng, shape, options, this.masks.shift());
  }
}

describe.each(TEST_DEALERS)('drelu (%s)', (_, makeDealer) => {
  it('is exact on edge and random values over the whole ring (l = 64), for several chunk widths', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('drelu-edges');
    const values = [...EDGES, ...randomSigned(random, 600), ...randomSigned(random, 200).map((v) => v >> 40n)];
    const x = share(fromSigned(values), random);
    for (const options of [{}, { fuseLastAnd: false }, { chunkBits: 1 }, { chunkBits: 3 }, { chunkBits: 8, fuseLastAnd: false }]) {
      const [b0, b1] = await session.run((ctx) => drelu(ctx, x[ctx.party], options));
      expect(wrongBits(values, reconstruct([b0, b1]))).toBe(0);
    }
  });

  // From 1,024 elements the leaves run in the native kernel when it is built (CI builds it);
  // the same values then go through the TypeScript leaves.
  it.each([64, 33])('is exact on 3,000 values at l = %i through the native and the TypeScript leaves', async (bits) => {
    const { session } = testSession(makeDealer);
    const random = testRandom(`drelu-leaves-${bits}`);
    const values = [...EDGES.map((v) => BigInt.asIntN(bits, v)), ...randomSigned(random, 2981, bits)];
    const x = share(fromSigned(values), random);
    try {
      for (const forceTs of [false, true]) {
        loadRingKernel({ forceTs });
        for (const options of [{ bits }, { bits, chunkBits: 1 }, { bits, chunkBits: 3 }, { bits, chunkBits: 8, fuseLastAnd: false }]) {
          const [b0, b1] = await session.run((ctx) => drelu(ctx, x[ctx.party], options));
          expect(wrongBits(values, reconstruct([b0, b1])), `${JSON.stringify(options)}${forceTs ? ' (TypeScript)' : ''}`).toBe(0);
        }
      }
    } finally {
      loadRingKernel();
    }
  });

  it('l = 33 is exact on the encodable range of both presets and beyond (|x| < 2^32)', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('drelu-33');
    const values = [0n, 1n, -1n, (1n << 31n) - 1n, -(1n << 31n) + 1n, -(1n << 31n), (1n << 32n) - 1n, -(1n << 32n), ...randomSigned(random, 500, 33)];
    const x = share(fromSigned(values), random);
    const { results, cost } = await session.measure((ctx) => drelu(ctx, x[ctx.party], { bits: 33 }));
    expect(wrongBits(values, reconstruct(results))).toBe(0);
    expect(cost.rounds).toBe(4);
  });

  it('costs 5 rounds, 8(n + W(2A + 3)) bytes online and the layout material per party, whatever n', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('drelu-cost');
    const x = share(randomTensor(random, [4, 25]), random);
    const { results, cost } = await session.measure((ctx) => drelu(ctx, x[ctx.party]));
    expect(results[0].shape).toEqual([4, 25]);
    // n = 100, W = 2, A = 15 + 7 + 3: 100 + 2 (50 + 3) = 206 words online, 1021 words of material.
    expect(cost.rounds).toBe(5);
    expect(cost.onlineBytes).toEqual([8 * 206, 8 * 206]);
    expect(cost.offlineBytes).toEqual([8 * 1021, 8 * 1021]);
    expect(cost.reveals).toBe(0);
    expect(cost.byLabel).toEqual({
      'drelu/open': { rounds: 1, bytes: [800, 800] },
      'drelu/and': { rounds: 3, bytes: [800, 800] },
      'drelu/final': { rounds: 1, bytes: [48, 48] },
    });
    expect(recording.report()).toEqual([{ tag: 'drelu', kind: 'comparisonKey', requests: 1, elementsPerParty: 1021, bytes: 16 * 1021 }]);

    // Per element at n = 6400 (W = n / 64): 14.625 bytes online, 78.875 offline; relu 110.875.
    for (const n of [1, 6400]) {
      const big = share(randomTensor(random, [n]), random);
      const d = await session.measure((ctx) => drelu(ctx, big[ctx.party]));
      const r = await session.measure((ctx) => relu(ctx, big[ctx.party]));
      const layout = comparisonLayout(n, { bits: 64, chunkBits: 4, product: false, fuseLastAnd: true });
      expect([d.cost.rounds, r.cost.rounds]).toEqual([5, 5]);
      expect(d.cost.onlineBytes[1]).toBe(8 * layout.onlineWordsPerParty);
      expect(r.cost.onlineBytes[1]).toBe(8 * layout.onlineWordsPerParty);
      expect(d.cost.offlineBytes[1]).toBe(8 * layout.offlineWordsPerParty);
      expect(r.cost.offlineBytes[1]).toBe(8 * (layout.offlineWordsPerParty + 4 * n));
      if (n === 6400) {
        expect([d.cost.onlineBytes[0] / n, d.cost.offlineBytes[0] / n, r.cost.offlineBytes[0] / n]).toEqual([14.625, 78.875, 110.875]);
      }
    }
  });

  it('the separate bit-to-arithmetic variant costs one round more and 3n words less', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('drelu-b2a');
    const n = 6400;
    const x = share(randomTensor(random, [n]), random);
    const { cost } = await session.measure((ctx) => drelu(ctx, x[ctx.party], { fuseLastAnd: false }));
    expect(cost.rounds).toBe(6);
    expect(cost.onlineBytes[0] / n).toBe(14.625);
    expect(cost.offlineBytes[0] / n).toBe(55);
    expect(cost.byLabel['drelu/and']!.rounds).toBe(4);
  });

  it('handles an empty tensor and rejects bad options and foreign shares', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('drelu-errors');
    const empty = share(RingTensor.zeros([0]), random);
    const [e0] = await session.run((ctx) => drelu(ctx, empty[ctx.party]));
    expect(e0.size).toBe(0);
    const x = share(fromSigned([1, -1]), random);
    await expect(session.run((ctx) => drelu(ctx, x[ctx.party], { bits: 1 }))).rejects.toThrow(ProtocolError);
    await expect(session.run((ctx) => drelu(ctx, x[ctx.party], { chunkBits: 9 }))).rejects.toThrow(/chunkBits/);
    await expect(session.run((ctx) => drelu(ctx, x[1 - ctx.party]!))).rejects.toThrow(/share of party/);
  });
});

describe.each([
  ['crypto', (): RingRandom => new CryptoRandom()],
  ['seeded', (): RingRandom => testRandom('fixed-mask-dealer')],
])('drelu with chosen masks (%s randomness)', (_, makeRandom) => {
  it('is exact when x + r wraps around 2^64 or borrows across every chunk boundary (l = 64)', async () => {
    const xs: bigint[] = [];
    const rs: bigint[] = [];
    const random = makeRandom();
    const extra = Array.from(randomTensor(random, [4]).data);
    for (const x of EDGES) {
      for (const r of [0n, 1n, -1n, 1n << 63n, MAX, MIN + 1n, -x, -x - 1n, -x + 1n, MIN - x, MIN - x - 1n, MIN - x + 1n, ...extra]) {
        xs.push(x);
        rs.push(r);
      }
    }
    const mask = fromSigned(rs);
    for (const options of [{}, { fuseLastAnd: false }, { chunkBits: 1 }, { chunkBits: 3 }, { chunkBits: 5, fuseLastAnd: false }, { chunkBits: 8 }]) {
      const { session } = testSession(() => new FixedMaskDealer(makeRandom(), [mask]));
      const x = share(fromSigned(xs), random);
      const [b0, b1] = await session.run((ctx) => drelu(ctx, x[ctx.party], options));
      expect(wrongBits(xs, reconstruct([b0, b1]))).toBe(0);
    }
  });

  // Every l-bit x against every value of the mask's low l bits (high bits random): exhaustive.
  it.each([2, 3, 5, 7])('is exact for every x and every mask mod 2^l at l = %i, for d = 1..8, fused or not', async (bits) => {
    const random = makeRandom();
    const size = 2 ** bits;
    const xs: bigint[] = [];
    const rs: bigint[] = [];
    for (let x = -size / 2; x < size / 2; x++) {
      for (let low = 0; low < size; low++) {
        xs.push(BigInt(x));
        rs.push(BigInt(low));
      }
    }
    const high = randomTensor(random, [rs.length]);
    const mask = RingTensor.fromBigInts(rs.map((low, i) => ((high.data[i]! >> BigInt(bits)) << BigInt(bits)) | low));
    for (const fuseLastAnd of [true, false]) {
      for (let chunkBits = 1; chunkBits <= 8; chunkBits++) {
        const { session } = testSession(() => new FixedMaskDealer(makeRandom(), [mask]));
        const x = share(fromSigned(xs), random);
        const [b0, b1] = await session.run((ctx) => drelu(ctx, x[ctx.party], { bits, chunkBits, fuseLastAnd }));
        expect(wrongBits(xs, reconstruct([b0, b1]))).toBe(0);
      }
    }
  });
});
