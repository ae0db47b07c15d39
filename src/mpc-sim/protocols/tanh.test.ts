import { describe, expect, it } from 'vitest';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { FIXED16, FIXED20, encodingBounds, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { fromSigned, toSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { TANH_MAX_ERROR, TANH_THRESHOLDS, tanh, tanhApproximation, tanhPieces } from './tanh.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

describe('tanh approximation (plaintext)', () => {
  it('is within 5.01e-7 of tanh on a 2^-14 grid over [-9, 9] and at the edges, with 21 thresholds', () => {
    let max = 0;
    for (let i = -9 * 2 ** 14; i <= 9 * 2 ** 14; i++) max = Math.max(max, Math.abs(tanhApproximation(i / 2 ** 14) - Math.tanh(i / 2 ** 14)));
    for (const x of [0, 2 ** -20, -(2 ** -20), 1e4, -1e4, 32767, -32767]) max = Math.max(max, Math.abs(tanhApproximation(x) - Math.tanh(x)));
    expect(TANH_THRESHOLDS).toBe(21);
    expect(max).toBeLessThanOrEqual(TANH_MAX_ERROR);
    expect(max).toBeGreaterThan(0.3e-7); // a real approximation, not tanh itself
    // Every piece is narrow enough for the fixed-point ranges: |u| < 1, |b_p| <= 1.
    for (const p of tanhPieces().slice(1, -1)) {
      expect(p.hi - p.lo).toBeLessThanOrEqual(2);
      for (const b of p.coefficients) expect(Math.abs(b)).toBeLessThanOrEqual(1);
    }
  });
});

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];

describe.each(TEST_DEALERS)('tanh (%s)', (_, makeDealer) => {
  // l = 64 (the default) and l = 33, the width the reconstructor uses (x - t_k for encodable x).
  // sharedOpening: x opened once for the 21 thresholds (`dreluSharedMask`), 160n bytes fewer.
  describe.each(ENCODINGS.flatMap(([name, enc]) => [64, 33].flatMap((bits) => [false, true].map((shared) => [`${name}, l = ${bits}, shared opening ${shared}`, enc, bits, shared] as const))))('%s', (_name, enc, bits, shared) => {
    it('is within 5e-7 + 3 ulp of tanh on a dense grid and the edges, at drelu + 6 rounds and drelu(21 n) + 144n (- 160n shared) bytes', async () => {
      const { session } = testSession(makeDealer, enc);
      const f = enc.fracBits;
      const { maxEncoded, ulp } = encodingBounds(enc);
      const grid: bigint[] = [];
      for (let i = -6 * 256; i <= 6 * 256; i++) grid.push(BigInt(i) << BigInt(f - 8));
      const edges = [0n, 1n, -1n, 2n, -2n, maxEncoded - 1n, -(maxEncoded - 1n), 1000n << BigInt(f), -(1000n << BigInt(f))];
      const xs = fromSigned([...edges, ...grid]);
      const x = share(xs, testRandom(`tanh-${f}`));
      const { results, cost } = await session.measure((ctx) => tanh(ctx, x[ctx.party], { bits, sharedOpening: shared }));
      const y = toSigned(reconstruct([results[0], results[1]]));
      let maxError = 0;
      let maxModel = 0;
      toSigned(xs).forEach((v, i) => {
        const real = Number(v) * ulp;
        const got = Number(y[i]!) * ulp;
        maxError = Math.max(maxError, Math.abs(got - Math.tanh(real)));
        maxModel = Math.max(maxModel, Math.abs(got - tanhApproximation(real)));
        expect(Math.abs(got)).toBeLessThanOrEqual(1);
      });
      console.log(`tanh ${_name}, l = ${bits}: max error ${maxError.toExponential(3)} (${(maxError / ulp).toFixed(2)} ulp), vs the real approximation ${maxModel.toExponential(3)}`);
      expect(maxModel).toBeLessThanOrEqual(3 * ulp);
      expect(maxError).toBeLessThanOrEqual(TANH_MAX_ERROR + 3 * ulp);
      const n = xs.size;
      const layout = comparisonLayout(TANH_THRESHOLDS * n, { bits, chunkBits: 4, product: false, fuseLastAnd: true });
      // drelu: 1 + ceil(log2 ceil((l - 1) / 4)) rounds (5 at l = 64, 4 at l = 33).
      expect(cost.rounds).toBe(bits === 64 ? 11 : 10);
      const bytes = 8 * layout.onlineWordsPerParty + 144 * n - (shared ? 160 * n : 0);
      expect(cost.onlineBytes).toEqual([bytes, bytes]);
      // with the shared opening the dealer deals masks, codes and top bits for n elements, not 21 n
      const dealt = shared ? comparisonLayout(TANH_THRESHOLDS * n, { bits, chunkBits: 4, product: false, fuseLastAnd: true, codeElements: n }) : layout;
      expect(cost.offlineBytes[0]).toBe(8 * dealt.offlineWordsPerParty + 24 * 11 * n); // 7n triples, 4n truncation pairs
      expect(cost.reveals).toBe(0);
    });
  });
});
