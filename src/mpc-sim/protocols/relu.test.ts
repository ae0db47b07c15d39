import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { FIXED16, FIXED20, decode, encode, encodeScalar, encodingBounds, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { loadRingKernel } from '../ring/native-kernel.js';
import { randomTensor } from '../ring/random.js';
import { fromSigned, toSigned, type RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { leakyRelu, leakySlopeFactor, relu, scaledLeakyRelu } from './relu.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];

/**
 * Encoded test inputs with |x| < limit: the edges (0, +-1 ulp, +-1, +-largest encodable when
 * limit is the encoding's bound) and uniform values.
 */
function inputs(enc: FixedPointEncoding, name: string, count: number, limit: number): RingTensor {
  const { maxEncoded } = encodingBounds(enc);
  const random = testRandom(name);
  const scale = BigInt(Math.round(limit * 2 ** enc.fracBits));
  const edges = [0n, 1n, -1n, 2n, -2n, maxEncoded - 1n, -(maxEncoded - 1n), 1n << BigInt(enc.fracBits), -(1n << BigInt(enc.fracBits))].filter(
    (v) => v < scale && v > -scale,
  );
  const uniform = Array.from(randomTensor(random, [count]).data, (w) => (w % (2n * scale)) - scale);
  return fromSigned([...edges, ...uniform]);
}

describe.each(TEST_DEALERS)('relu and leakyRelu (%s)', (_, makeDealer) => {
  it('relu is exact on the whole ring and returns the comparison bit, at 5 rounds and no extra online bytes', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('relu');
    const xs = fromSigned([0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n), (1n << 31n) - 1n, -(1n << 31n), ...toSigned(randomTensor(random, [300]))]);
    const x = share(xs, random);
    const { results, cost } = await session.measure((ctx) => relu(ctx, x[ctx.party]));
    const y = toSigned(reconstruct([results[0].y, results[1].y]));
    const bit = reconstruct([results[0].bit, results[1].bit]);
    let bad = 0;
    toSigned(xs).forEach((v, i) => {
      if (y[i] !== (v >= 0n ? v : 0n) || bit.data[i] !== (v >= 0n ? 1n : 0n)) bad++;
    });
    expect(bad).toBe(0);
    const n = xs.size;
    const layout = comparisonLayout(n, { bits: 64, chunkBits: 4, product: true, fuseLastAnd: true });
    expect(cost.rounds).toBe(5);
    expect(cost.onlineBytes).toEqual([8 * layout.onlineWordsPerParty, 8 * layout.onlineWordsPerParty]);
    expect(cost.offlineBytes).toEqual([8 * layout.offlineWordsPerParty, 8 * layout.offlineWordsPerParty]);
    expect(Object.keys(cost.byLabel)).toEqual(['relu/open', 'relu/and', 'relu/final']);
    expect(recording.report()).toMatchObject([{ tag: 'relu', kind: 'comparisonKey', requests: 1 }]);
  });

  // From 1,024 elements the comparison's last step runs in the native kernel when it is built
  // (CI builds it); the same values then go through the TypeScript loops.
  it('relu is exact on 2,000 values through the native and the TypeScript last step, fused or not, l = 64 and 32', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('relu-finish');
    const values = [0n, 1n, -1n, (1n << 31n) - 1n, -(1n << 31n), ...toSigned(randomTensor(random, [1995])).map((v) => v >> 33n)];
    const x = share(fromSigned(values), random);
    try {
      for (const forceTs of [false, true]) {
        loadRingKernel({ forceTs });
        for (const options of [{}, { fuseLastAnd: false }, { bits: 32 }, { bits: 32, fuseLastAnd: false }]) {
          const [r0, r1] = await session.run((ctx) => relu(ctx, x[ctx.party], options));
          const y = toSigned(reconstruct([r0.y, r1.y]));
          const bit = reconstruct([r0.bit, r1.bit]);
          const bad = values.filter((v, i) => y[i] !== (v >= 0n ? v : 0n) || bit.data[i] !== (v >= 0n ? 1n : 0n)).length;
          expect(bad, `${JSON.stringify(options)}${forceTs ? ' (TypeScript)' : ''}`).toBe(0);
        }
      }
    } finally {
      loadRingKernel();
    }
  });

  describe.each(ENCODINGS)('%s', (_name, enc) => {
    const f = BigInt(enc.fracBits);
    const { ulp, maxAbs } = encodingBounds(enc);

    /** Checks y against relu(x) + floor(a_hat min(x, 0) / 2^f) (+ 0 or 1) and the float leaky ReLU. */
    function check(xs: RingTensor, y: RingTensor, bit: RingTensor, alpha: number): number {
      const aHat = toSigned(fromSigned([encodeScalar(enc, alpha)]))[0]!;
      const alphaError = Math.abs(Number(aHat) * ulp - alpha);
      const got = toSigned(y);
      const decodedX = decode(enc, xs);
      const decodedY = decode(enc, y);
      let bad = 0;
      toSigned(xs).forEach((v, i) => {
        const m = v < 0n ? v : 0n;
        const d = got[i]! - ((v - m) + ((aHat * m) >> f));
        const real = decodedX[i]! >= 0 ? decodedX[i]! : alpha * decodedX[i]!;
        const tolerance = ulp + alphaError * Math.abs(Math.min(decodedX[i]!, 0)) + 1e-12 * Math.abs(real);
        if ((d !== 0n && d !== 1n) || Math.abs(decodedY[i]! - real) > tolerance || bit.data[i] !== (v >= 0n ? 1n : 0n)) bad++;
      });
      return bad;
    }

    // l = 64 is the default; l = 63 - f - g + 1 = 32, the reconstructor's width, covers every
    // encodable value exactly with one round less.
    it.each([
      { bits: undefined, layoutBits: 64, rounds: 6, seed: 'leaky-dealer' },
      { bits: 32, layoutBits: 32, rounds: 5, seed: 'leaky-l32' },
    ])('leakyRelu with dealer truncation at l = $layoutBits is within 1 ulp on the whole encodable range, at $rounds rounds', async ({ bits, layoutBits, rounds, seed }) => {
      const { session } = testSession(makeDealer, enc);
      const xs = inputs(enc, seed, 400, maxAbs);
      const x = share(xs, testRandom(`${seed}-share`));
      const { results, cost } = await session.measure((ctx) => leakyRelu(ctx, x[ctx.party], bits === undefined ? {} : { bits }));
      expect(check(xs, reconstruct([results[0].y, results[1].y]), reconstruct([results[0].bit, results[1].bit]), 0.2)).toBe(0);
      const n = xs.size;
      const layout = comparisonLayout(n, { bits: layoutBits, chunkBits: 4, product: true, fuseLastAnd: true });
      expect(cost.rounds).toBe(rounds);
      expect(cost.onlineBytes[0]).toBe(8 * (layout.onlineWordsPerParty + n));
      expect(cost.offlineBytes[1]).toBe(8 * (layout.offlineWordsPerParty + 3 * n));
      expect(Object.keys(cost.byLabel)).toEqual(['leakyRelu/relu/open', 'leakyRelu/relu/and', 'leakyRelu/relu/final', 'leakyRelu/truncate/open']);
    });

    // Local truncation fails with probability |a_hat m| / 2^64 < 2^(f + (f - 1) - 64) <= 2^-25 per
    // element for |x| < 1 and |alpha| <= 1/2: below 2^-14 over this test's 4 x 400 products with
    // the CryptoDealer (the deterministic dealer's draw is fixed and passes).
    it('leakyRelu with local truncation is within 1 ulp for |x| < 1, at relu cost; other slopes', async () => {
      const { session } = testSession(makeDealer, enc);
      const t = inputs(enc, 'leaky-local', 400, 1);
      const x = share(t, testRandom('leaky-local-share'));
      for (const alpha of [0.2, 0.01, 0.5, -0.25]) {
        const { results, cost } = await session.measure((ctx) => leakyRelu(ctx, x[ctx.party], { alpha, truncation: 'local' }));
        expect(check(t, reconstruct([results[0].y, results[1].y]), reconstruct([results[0].bit, results[1].bit]), alpha)).toBe(0);
        expect(cost.rounds).toBe(5);
      }
    });
  });

  it('leakyRelu rejects a slope that cannot be encoded', async () => {
    const { session } = testSession(makeDealer);
    const x = share(encode(FIXED16, [1, -1]), testRandom('leaky-alpha'));
    await expect(session.run((ctx) => leakyRelu(ctx, x[ctx.party], { alpha: Number.NaN }))).rejects.toThrow(ProtocolError);
    await expect(session.run((ctx) => leakyRelu(ctx, x[ctx.party], { alpha: 1e9 }))).rejects.toThrow(/encodable/);
  });

  it('scaledLeakyRelu is exactly s LeakyReLU(x) = s max(x, x / s) at l = 32, d = 8, in relu\'s 3 rounds with no truncation', async () => {
    const { session } = testSession(makeDealer, FIXED20);
    const random = testRandom('scaled-leaky');
    // |x| < 2^31 (the l = 32 comparison), so s x stays far inside the ring for s = 5 and 1024
    const values = [0n, 1n, -1n, (1n << 31n) - 1n, -(1n << 31n) + 1n, ...toSigned(randomTensor(random, [500])).map((v) => v >> 33n)];
    const x = share(fromSigned(values), random);
    for (const scale of [5, 1024]) {
      const { results, cost } = await session.measure((ctx) => scaledLeakyRelu(ctx, x[ctx.party], { scale, bits: 32, chunkBits: 8, tag: 'lrelu' }));
      const y = toSigned(reconstruct([results[0].y, results[1].y]));
      const s = BigInt(scale);
      // s max(x, x / s): x s for x >= 0, x for x < 0
      expect(y.filter((v, i) => v !== (values[i]! >= 0n ? s * values[i]! : values[i]!)).length).toBe(0);
      expect(cost.rounds).toBe(3);
      expect(Object.keys(cost.byLabel)).toEqual(['lrelu/relu/open', 'lrelu/relu/and', 'lrelu/relu/final']);
    }
  });

  it('leakySlopeFactor: 1/alpha when it is an integer in [2, 1024], else undefined; scaledLeakyRelu refuses other scales', async () => {
    expect(leakySlopeFactor(0.2)).toBe(5);
    expect(leakySlopeFactor(0.5)).toBe(2);
    expect(leakySlopeFactor(1 / 1024)).toBe(1024);
    for (const alpha of [0.3, 0.01 * 3, 1, 0, -0.2, 1 / 2048, Number.NaN]) expect(leakySlopeFactor(alpha)).toBeUndefined();
    const { session } = testSession(makeDealer);
    const x = share(encode(FIXED16, [1, -1]), testRandom('scaled-leaky-bad'));
    await expect(session.run((ctx) => scaledLeakyRelu(ctx, x[ctx.party], { scale: 2.5, tag: 'lr' }))).rejects.toThrow(/lr: .*integer in \[2, 1024\], got 2.5/);
  });
});
