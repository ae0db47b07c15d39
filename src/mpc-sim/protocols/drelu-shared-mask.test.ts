import { describe, expect, it } from 'vitest';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { fromSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { loadRingKernel } from '../ring/native-kernel.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { drelu, leaves } from './drelu.js';
import { dreluSharedMask, tileBits } from './drelu-shared-mask.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

describe('tileBits', () => {
  it('repeats the first `bits` bits at every offset, ignoring bits beyond them', () => {
    const src = Uint32Array.of(0xffffffff, 0b1011 | 0xfffffff0 << 4);
    for (const bits of [1, 5, 31, 32, 36]) {
      const out = tileBits(src, bits, 3, 4);
      for (let i = 0; i < 128; i++) {
        const want = i < 3 * bits ? (src[(i % bits) >>> 5]! >>> (i % bits & 31)) & 1 : 0;
        expect(((out[i >>> 5]! >>> (i & 31)) & 1) === want).toBe(true);
      }
    }
  });
});

describe('leaves with a code period', () => {
  // One code of p elements read by every block of p (period p) gives the bits of the code tiled
  // K times (the copy dreluSharedMask made before), in the native kernel (from 1,024 elements)
  // and in TypeScript; p need not divide n.
  it.each([
    [33, 4, 70, 21],
    [64, 8, 130, 21],
    [33, 8, 97, 11],
  ] as const)('l = %i, d = %i, p = %i, K = %i: the same planes as the tiled code', (bits, chunkBits, p, K) => {
    const random = testRandom(`leaves-period-${bits}-${p}`);
    const n = p * K - 3;
    const layout = comparisonLayout(n, { bits, chunkBits, product: false, fuseLastAnd: true });
    const c = new BigUint64Array(n);
    random.fill(c);
    const codeWords = Math.ceil((p * layout.codeBits) / 32);
    const code = new Uint32Array(codeWords);
    random.fill(new BigUint64Array(code.buffer, 0, codeWords >>> 1));
    const tiled = tileBits(code, p * layout.codeBits, K, 2 * layout.codeWords);
    try {
      for (const forceTs of [false, true]) {
        loadRingKernel({ forceTs });
        const want = leaves(0, layout, new RingTensor([n], c), tiled);
        const got = leaves(0, layout, new RingTensor([n], c), code, p);
        expect(got.topFlip, forceTs ? 'TypeScript' : 'native').toEqual(want.topFlip);
        got.groups.forEach((g, j) => {
          expect(g.g).toEqual(want.groups[j]!.g);
          expect(g.e).toEqual(want.groups[j]!.e);
        });
      }
    } finally {
      loadRingKernel();
    }
  });

  it('refuses a period outside [1, n]', () => {
    const layout = comparisonLayout(8, { bits: 33, chunkBits: 4, product: false, fuseLastAnd: true });
    const code = new Uint32Array(2 * layout.codeWords);
    expect(() => leaves(0, layout, RingTensor.zeros([8]), code, 0)).toThrow(/codePeriod must be an integer in \[1, 8\], got 0/);
    expect(() => leaves(0, layout, RingTensor.zeros([8]), code, 9)).toThrow(/codePeriod/);
  });
});

describe.each(TEST_DEALERS)('dreluSharedMask (%s)', (_, makeDealer) => {
  for (const [bits, chunkBits] of [
    [33, 4],
    [64, 4],
    [33, 8],
  ] as const) {
    for (const n of [1, 7, 64, 130]) {
      it(`K = 21 offsets, n = ${n}, l = ${bits}, d = ${chunkBits}: the bits of 21 separate DReLUs, with one opening of x`, async () => {
        const random = testRandom(`shared-${n}-${bits}`);
        const w = new BigUint64Array(n);
        random.fill(w);
        const xs = Array.from(w, (v, i) => (i % 4 === 0 ? BigInt(i % 9) - 4n : BigInt.asIntN(64, v) >> 34n));
        const offsets = Array.from({ length: 21 }, (_, k) => BigInt(k - 10) * 3n + (k % 2 === 0 ? 0n : 1n << 20n));
        const x = share(fromSigned(xs, n === 130 ? [1, 2, 65] : [n]), testRandom(`shared-share-${n}`)); // any shape
        const { session } = testSession(makeDealer);
        const { results, cost } = await session.measure((ctx) => dreluSharedMask(ctx, x[ctx.party], offsets, { bits, chunkBits, tag: 'm' }));
        const got = reconstruct(results).data;
        offsets.forEach((o, k) => xs.forEach((v, e) => expect(got[k * n + e]).toBe(v - o >= 0n ? 1n : 0n)));
        const layout = comparisonLayout(21 * n, { bits, chunkBits, product: false, fuseLastAnd: true });
        expect(cost.rounds).toBe(layout.rounds);
        expect(cost.onlineBytes).toEqual([8 * (layout.onlineWordsPerParty - 20 * n), 8 * (layout.onlineWordsPerParty - 20 * n)]);
        expect(cost.byLabel['m/open']).toEqual({ rounds: 1, bytes: [8 * n, 8 * n] });
        // The dealer deals masks, codes and top bits for the first n elements only.
        const dealt = comparisonLayout(21 * n, { bits, chunkBits, product: false, fuseLastAnd: true, codeElements: n });
        expect(cost.offlineBytes).toEqual([8 * dealt.offlineWordsPerParty, 8 * dealt.offlineWordsPerParty]);
        // The same rounds as the separate comparisons, 8 (K - 1) n bytes fewer online, and their
        // material less 20 n masks, 20 n codes and 20 n top bits.
        const separate = testSession(makeDealer).session;
        const z = share(fromSigned(offsets.flatMap((o) => xs.map((v) => v - o)), [21 * n]), testRandom('sep'));
        const { cost: sep } = await separate.measure((ctx) => drelu(ctx, z[ctx.party], { bits, chunkBits }));
        expect(sep.onlineBytes[0] - cost.onlineBytes[0]).toBe(8 * 20 * n);
        expect(sep.offlineBytes[0]).toBe(8 * layout.offlineWordsPerParty);
        const codeWords = (m: number): number => m + Math.ceil((m * layout.codeBits) / 64) + Math.ceil(m / 64);
        expect(sep.offlineBytes[0] - cost.offlineBytes[0]).toBe(8 * (codeWords(21 * n) - codeWords(n)));
        expect(sep.rounds).toBe(cost.rounds);
      });
    }
  }
});
