import { describe, expect, it } from 'vitest';
import { comparisonKeyElements, comparisonLayout, dealComparisonKey, truncationMaskParts } from '../dealer/comparison-key.js';
import { FIXED20 } from '../encoding/fixed-point.js';
import { loadRingKernel } from '../ring/native-kernel.js';
import { randomTensor } from '../ring/random.js';
import { RingTensor, fromSigned, toSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { dreluSharedMaskParts } from './drelu-shared-mask.js';
import { leakyRelu, relu, scaledLeakyRelu } from './relu.js';
import { tanh } from './tanh.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';
import { topBitsWords } from '../ring/top-bits.js';

/** floor(z / 2^t) for a signed z. */
const floorShift = (z: bigint, t: number): bigint => z >> BigInt(t);

/**
 * Untruncated inputs z = v 2^t + low with |v| < 2^31 (the l = 32 comparison's range after
 * truncation): the edges around 0 (where the dropped bits decide the sign) and uniform values.
 */
function untruncated(name: string, count: number, t: number): bigint[] {
  const T = 1n << BigInt(t);
  const edges = [0n, 1n, -1n, T - 1n, -T, -T + 1n, T, 2n * T - 1n, -2n * T, ((1n << 31n) - 2n) * T, -((1n << 31n) - 2n) * T];
  const w = toSigned(randomTensor(testRandom(name), [count]));
  return [...edges, ...w.map((v, i) => (i % 3 === 0 ? v >> BigInt(64 - t - 4) : v >> BigInt(64 - t - 31)))];
}

describe('comparison keys with a truncation pair (protocol v5)', () => {
  it('deal rMsb and rHigh of the mask, the code and top bit of rHigh, rHigh s_v and rMsb s_v; the layout counts every word', () => {
    const shape = [3, 50];
    const mask = randomTensor(testRandom('key-mask'), shape);
    for (const product of [false, true]) {
      const options = { bits: 32, chunkBits: 8, product, fuseLastAnd: true, truncation: 24 };
      const [k0, k1] = dealComparisonKey(testRandom('key'), shape, options, mask);
      const layout = comparisonLayout(150, options);
      expect(comparisonKeyElements(k0)).toBe(layout.offlineWordsPerParty);
      const plainLayout = comparisonLayout(150, { ...options, truncation: undefined });
      expect(layout.offlineWordsPerParty - plainLayout.offlineWordsPerParty).toBe(2 * 150 + (product ? 4 * 150 : 0));
      const msb = reconstruct([k0.rMsb!, k1.rMsb!]).data;
      const high = reconstruct([k0.rHigh!, k1.rHigh!]).data;
      const s = reconstruct([k0.finalBits, k1.finalBits]).data;
      for (let e = 0; e < 150; e++) {
        const r = mask.data[e]!;
        expect(msb[e]).toBe(r >> 63n);
        expect(high[e]).toBe((r & ((1n << 63n) - 1n)) >> 24n);
      }
      if (product) {
        const p = reconstruct([k0.finalProducts!, k1.finalProducts!]).data;
        expect(p.length).toBe(8 * 150);
        for (let v = 0; v < 4; v++) {
          for (let e = 0; e < 150; e++) {
            expect(p[v * 150 + e]).toBe(BigInt.asUintN(64, s[v * 150 + e]! * high[e]!));
            expect(p[(4 + v) * 150 + e]).toBe(BigInt.asUintN(64, s[v * 150 + e]! * msb[e]!));
          }
        }
      }
      // the code is rHigh's: a key dealt without truncation for the mask rHigh has the same code and top bit
      const [plain0, plain1] = dealComparisonKey(testRandom('key'), shape, { ...options, truncation: undefined }, new RingTensor(shape, high));
      const xor = (a: RingTensor, b: RingTensor): bigint[] => Array.from(a.data, (w, i) => w ^ b.data[i]!);
      expect(xor(k0.code.words, k1.code.words)).toEqual(xor(plain0.code.words, plain1.code.words));
      expect(xor(k0.rTop.words, k1.rTop.words)).toEqual(xor(plain0.rTop.words, plain1.rTop.words));
    }
  });

  it('truncationMaskParts: floor(r / 2^63) and floor((r mod 2^63) / 2^f) for f in [0, 62]', () => {
    const r = RingTensor.fromBigInts([0n, 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 0x1234_5678_9abc_def0n], [6]);
    for (const f of [0, 1, 20, 24, 62]) {
      const { rMsb, rHigh } = truncationMaskParts(r, f);
      r.data.forEach((v, i) => {
        expect(rMsb.data[i]).toBe(v >> 63n);
        expect(rHigh.data[i]).toBe((v & ((1n << 63n) - 1n)) >> BigInt(f));
      });
    }
  });

  it('refuses a truncation with l + t > 62, naming both', () => {
    expect(() => comparisonLayout(4, { bits: 33, chunkBits: 8, product: false, fuseLastAnd: true, truncation: 30 })).toThrow(/truncation must be an integer in \[0, 29\].*l = 33, got 30/);
    expect(() => comparisonLayout(4, { bits: 32, chunkBits: 8, product: false, fuseLastAnd: true, truncation: -1 })).toThrow(/truncation/);
  });
});

describe.each(TEST_DEALERS)('activations that truncate their input in their opening (%s)', (_, makeDealer) => {
  for (const t of [20, 24]) {
    for (const chunkBits of [4, 8]) {
      it(`relu, t = ${t}, l = 32, d = ${chunkBits}: the input truncated within 1 ulp, ReLU and the bit exact on it, in relu's rounds and online bytes`, async () => {
        const { session, recording } = testSession(makeDealer, FIXED20);
        const zs = untruncated(`trunc-relu-${t}`, 400, t);
        const x = share(fromSigned(zs), testRandom('trunc-relu-share'));
        const options = { bits: 32, chunkBits, truncate: t, tag: 'relu' };
        const { results, cost } = await session.measure((ctx) => relu(ctx, x[ctx.party], options));
        const input = toSigned(reconstruct([results[0].input, results[1].input]));
        const y = toSigned(reconstruct([results[0].y, results[1].y]));
        const bit = reconstruct([results[0].bit, results[1].bit]).data;
        zs.forEach((z, i) => {
          const d = input[i]! - floorShift(z, t);
          expect(d === 0n || d === 1n, `element ${i}: z = ${z}, truncated ${input[i]}`).toBe(true);
          expect(bit[i]).toBe(input[i]! >= 0n ? 1n : 0n);
          expect(y[i]).toBe(input[i]! >= 0n ? input[i] : 0n);
        });
        const layout = comparisonLayout(zs.length, { bits: 32, chunkBits, product: true, fuseLastAnd: true, truncation: t });
        const plain = comparisonLayout(zs.length, { bits: 32, chunkBits, product: true, fuseLastAnd: true });
        expect(cost.rounds).toBe(plain.rounds);
        expect(layout.onlineWordsPerParty).toBe(plain.onlineWordsPerParty);
        expect(cost.onlineBytes).toEqual([8 * layout.onlineWordsPerParty, 8 * layout.onlineWordsPerParty]);
        expect(cost.offlineBytes).toEqual([8 * layout.offlineWordsPerParty, 8 * layout.offlineWordsPerParty]);
        expect(Object.keys(cost.byLabel)).toEqual(['relu/open', 'relu/and', 'relu/final']);
        expect(recording.report()).toMatchObject([{ tag: 'relu', kind: 'comparisonKey', requests: 1 }]);
      });
    }
  }

  // From 1,024 elements the comparison's last step runs in the native kernel when it is built.
  it('relu with truncation gives the same exact results through the native and the TypeScript last step', async () => {
    const { session } = testSession(makeDealer, FIXED20);
    const zs = untruncated('trunc-relu-native', 2000, 24);
    const x = share(fromSigned(zs), testRandom('trunc-native-share'));
    try {
      for (const forceTs of [false, true]) {
        loadRingKernel({ forceTs });
        const [r0, r1] = await session.run((ctx) => relu(ctx, x[ctx.party], { bits: 32, chunkBits: 8, truncate: 24 }));
        const input = toSigned(reconstruct([r0.input, r1.input]));
        const y = toSigned(reconstruct([r0.y, r1.y]));
        const bad = zs.filter((z, i) => input[i]! - floorShift(z, 24) > 1n || input[i]! < floorShift(z, 24) || y[i] !== (input[i]! >= 0n ? input[i] : 0n)).length;
        expect(bad, forceTs ? 'TypeScript' : 'native').toBe(0);
      }
    } finally {
      loadRingKernel();
    }
  });

  it('scaledLeakyRelu and leakyRelu with truncation: s LeakyReLU exactly, and LeakyReLU within 1 ulp, of the truncated input', async () => {
    const { session } = testSession(makeDealer, FIXED20);
    const zs = untruncated('trunc-leaky', 300, 24);
    const x = share(fromSigned(zs), testRandom('trunc-leaky-share'));
    const scaled = await session.run((ctx) => scaledLeakyRelu(ctx, x[ctx.party], { scale: 5, bits: 32, chunkBits: 8, truncate: 24, tag: 'lr' }));
    const input = toSigned(reconstruct([scaled[0].input, scaled[1].input]));
    const y = toSigned(reconstruct([scaled[0].y, scaled[1].y]));
    zs.forEach((z, i) => {
      expect(input[i]! - floorShift(z, 24) >= 0n && input[i]! - floorShift(z, 24) <= 1n).toBe(true);
      expect(y[i]).toBe(input[i]! >= 0n ? 5n * input[i]! : input[i]);
    });
    const leaky = await session.run((ctx) => leakyRelu(ctx, x[ctx.party], { alpha: 0.25, bits: 32, chunkBits: 8, truncate: 24, tag: 'lr2' }));
    const input2 = toSigned(reconstruct([leaky[0].input, leaky[1].input]));
    const y2 = toSigned(reconstruct([leaky[0].y, leaky[1].y]));
    zs.forEach((_z, i) => {
      const v = input2[i]!;
      const want = v >= 0n ? v : v >> 2n; // alpha = 1/4 is exact: floor(v / 4), and the dealer truncation adds 0 or 1
      expect(y2[i]! - want >= 0n && y2[i]! - want <= 1n, `element ${i}`).toBe(true);
    });
  });

  it('dreluSharedMaskParts with truncation: the K bits of the truncated input against every offset, one opening, the rounds and online bytes of no truncation', async () => {
    const n = 90;
    const zs = untruncated('trunc-shared', n - 11, 24);
    const offsets = Array.from({ length: 21 }, (_, k) => BigInt(k - 10) << 19n);
    const x = share(fromSigned(zs, [n]), testRandom('trunc-shared-share'));
    const { session } = testSession(makeDealer, FIXED20);
    const { results, cost } = await session.measure((ctx) => dreluSharedMaskParts(ctx, x[ctx.party], offsets, { bits: 33, chunkBits: 8, truncate: 24, tag: 'm' }));
    const input = toSigned(reconstruct([results[0].input, results[1].input]));
    const got = reconstruct([results[0].bit, results[1].bit]).data;
    zs.forEach((z, e) => expect(input[e]! - floorShift(z, 24) >= 0n && input[e]! - floorShift(z, 24) <= 1n).toBe(true));
    offsets.forEach((o, k) => input.forEach((v, e) => expect(got[k * n + e]).toBe(v - o >= 0n ? 1n : 0n)));
    const { session: plainSession } = testSession(makeDealer, FIXED20);
    const y = share(fromSigned(input, [n]), testRandom('plain-shared'));
    const { cost: plain } = await plainSession.measure((ctx) => dreluSharedMaskParts(ctx, y[ctx.party], offsets, { bits: 33, chunkBits: 8, tag: 'm' }));
    expect(cost.rounds).toBe(plain.rounds);
    expect(cost.onlineBytes).toEqual(plain.onlineBytes);
    // two more words per input element: rMsb and rHigh
    expect(cost.offlineBytes[0] - plain.offlineBytes[0]).toBe(8 * 2 * n);
  });

  it('tanh with truncation (shared opening): the same rounds as tanh of a truncated input, within its bound of tanh(z / 2^(f + t)); without the shared opening, 1 round more', async () => {
    const enc = FIXED20;
    const values = Array.from({ length: 64 }, (_, i) => -9 + (18 * i) / 63);
    const zs = values.map((v) => BigInt(Math.round(v * 2 ** 44)));
    const x = share(fromSigned(zs), testRandom('trunc-tanh'));
    const { session } = testSession(makeDealer, enc);
    const { results, cost } = await session.measure((ctx) => tanh(ctx, x[ctx.party], { bits: 33, chunkBits: 8, sharedOpening: true, truncate: 24, tag: 'tanh' }));
    const got = Array.from(toSigned(reconstruct(results)), (v) => Number(v) / 2 ** enc.fracBits);
    values.forEach((v, i) => expect(Math.abs(got[i]! - Math.tanh(v))).toBeLessThan(5e-7 + 4 * 2 ** -enc.fracBits + 1e-6));
    const { session: plainSession } = testSession(makeDealer, enc);
    const y = share(fromSigned(zs.map((z) => z >> 24n)), testRandom('trunc-tanh-plain'));
    const { cost: plain } = await plainSession.measure((ctx) => tanh(ctx, y[ctx.party], { bits: 33, chunkBits: 8, sharedOpening: true, tag: 'tanh' }));
    expect(cost.rounds).toBe(plain.rounds);
    expect(cost.onlineBytes).toEqual(plain.onlineBytes);
    const { session: separateSession } = testSession(makeDealer, enc);
    const { results: sep, cost: separate } = await separateSession.measure((ctx) => tanh(ctx, x[ctx.party], { bits: 33, chunkBits: 8, truncate: 24, tag: 'tanh' }));
    const sepValues = Array.from(toSigned(reconstruct(sep)), (v) => Number(v) / 2 ** enc.fracBits);
    values.forEach((v, i) => expect(Math.abs(sepValues[i]! - Math.tanh(v))).toBeLessThan(5e-7 + 4 * 2 ** -enc.fracBits + 1e-6));
    expect(separate.byLabel['tanh/input/truncate/open']).toBeDefined();
    expect(separate.rounds).toBe(plain.rounds + 1);
  });
});

describe.each(TEST_DEALERS)('truncating comparisons with compact openings, protocol v7 (%s)', (_, makeDealer) => {
  /** Per-party online bytes of a compact opening of n words dropping t bits, against the plain one. */
  const saved = (n: number, t: number): number => 8 * (n - topBitsWords(n, t));

  for (const t of [20, 24]) {
    it(`relu, t = ${t}: the input is floor(z / 2^t) + {-1, 0, 1, 2}, ReLU and the bit exact on it; relu's rounds, its online bytes less ${64 - t}/64 of the opening; native and TypeScript alike`, async () => {
      const zs = untruncated(`compact-relu-${t}`, 2000, t);
      const x = share(fromSigned(zs), testRandom('compact-relu-share'));
      const options = { bits: 32, chunkBits: 8, truncate: t, tag: 'relu' };
      try {
        for (const forceTs of [false, true]) {
          loadRingKernel({ forceTs });
          const { session } = testSession(makeDealer, FIXED20);
          const { results, cost } = await session.measure((ctx) => relu(ctx, x[ctx.party], { ...options, compactOpening: true }));
          const input = toSigned(reconstruct([results[0].input, results[1].input]));
          const y = toSigned(reconstruct([results[0].y, results[1].y]));
          const bit = reconstruct([results[0].bit, results[1].bit]).data;
          const offsets = zs.map((z, i) => input[i]! - floorShift(z, t));
          expect(offsets.filter((d) => d < -1n || d > 2n)).toEqual([]);
          expect(new Set(offsets).size).toBe(4);
          zs.forEach((_z, i) => {
            expect(bit[i]).toBe(input[i]! >= 0n ? 1n : 0n);
            expect(y[i]).toBe(input[i]! >= 0n ? input[i] : 0n);
          });
          const { session: plainSession } = testSession(makeDealer, FIXED20);
          const { cost: plain } = await plainSession.measure((ctx) => relu(ctx, x[ctx.party], options));
          expect(cost.rounds).toBe(plain.rounds);
          expect(cost.offlineBytes).toEqual(plain.offlineBytes);
          const less = saved(zs.length, t);
          expect(cost.onlineBytes).toEqual([plain.onlineBytes[0] - less, plain.onlineBytes[1] - less]);
          expect(cost.byLabel['relu/open']!.bytes).toEqual([8 * topBitsWords(zs.length, t), 8 * topBitsWords(zs.length, t)]);
        }
      } finally {
        loadRingKernel();
      }
    });
  }

  it('compactOpening without truncate changes nothing (the comparison opens c = x + r whole)', async () => {
    const zs = untruncated('compact-none', 200, 0).map((z) => z >> 1n);
    const x = share(fromSigned(zs), testRandom('compact-none-share'));
    const { session } = testSession(makeDealer, FIXED20);
    const { cost } = await session.measure((ctx) => relu(ctx, x[ctx.party], { bits: 32, chunkBits: 8, compactOpening: true }));
    const { session: plainSession } = testSession(makeDealer, FIXED20);
    const { cost: plain } = await plainSession.measure((ctx) => relu(ctx, x[ctx.party], { bits: 32, chunkBits: 8 }));
    expect(cost.onlineBytes).toEqual(plain.onlineBytes);
  });

  it('tanh with truncation, shared opening and compact openings: within its bound of tanh(z / 2^(f + t)), the same rounds, every truncating opening compact', async () => {
    const enc = FIXED20;
    const n = 64;
    const values = Array.from({ length: n }, (_, i) => -9 + (18 * i) / 63);
    const zs = values.map((v) => BigInt(Math.round(v * 2 ** 44)));
    const x = share(fromSigned(zs), testRandom('compact-tanh'));
    const options = { bits: 33, chunkBits: 8, sharedOpening: true, truncate: 24, tag: 'tanh' };
    const { session } = testSession(makeDealer, enc);
    const { results, cost } = await session.measure((ctx) => tanh(ctx, x[ctx.party], { ...options, compactOpening: true }));
    const got = Array.from(toSigned(reconstruct(results)), (v) => Number(v) / 2 ** enc.fracBits);
    // 2 units more per truncation than the plain bound (4 units)
    values.forEach((v, i) => expect(Math.abs(got[i]! - Math.tanh(v))).toBeLessThan(5e-7 + 8 * 2 ** -enc.fracBits + 1e-6));
    const { session: plainSession } = testSession(makeDealer, enc);
    const { cost: plain } = await plainSession.measure((ctx) => tanh(ctx, x[ctx.party], options));
    expect(cost.rounds).toBe(plain.rounds);
    expect(cost.offlineBytes).toEqual(plain.offlineBytes);
    // the pieces' opening drops 24 bits, u^2 and [u^3, u^4] 20, the sum 36 (TANH_COEFFICIENT_BITS)
    const less = saved(n, 24) + saved(n, 20) + saved(2 * n, 20) + saved(n, 36);
    expect(cost.onlineBytes).toEqual([plain.onlineBytes[0] - less, plain.onlineBytes[1] - less]);
    for (const label of ['tanh/pieces/open', 'tanh/square/truncate/open', 'tanh/powers/truncate/open', 'tanh/truncate/open']) expect(cost.byLabel[label]!.bytes[0], label).toBeLessThan(plain.byLabel[label]!.bytes[0]);
  });
});
