import { describe, expect, it } from 'vitest';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { FIXED16, encode, encodeScalar } from '../encoding/fixed-point.js';
import { fromSigned, toSigned } from '../ring/ring-tensor.js';
import { share } from '../sharing/share.js';
import { COUNT_CHUNK_BITS, argminPairwise, countCompareBits } from './argmin-pairwise.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

/** Online bytes and rounds of one comparison of k elements (no product, fused). */
const layout = (k: number, bits: number, chunkBits: number) => comparisonLayout(k, { bits, chunkBits, product: false, fuseLastAnd: true });

/** Plaintext argmin, lowest index on ties. */
function plainArgmin(v: readonly bigint[], rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let j = 1; j < cols; j++) if (v[r * cols + j]! < v[r * cols + best]!) best = j;
    return best;
  });
}

/** Small signed values (many ties) mixed with values up to 2^31 in magnitude (differences fit l = 33). */
function matrix(name: string, rows: number, cols: number): bigint[] {
  const random = testRandom(name);
  const w = new BigUint64Array(rows * cols);
  random.fill(w);
  return Array.from(w, (x, i) => (i % 3 === 0 ? BigInt(Number(x % 5n) - 2) : BigInt.asIntN(64, x) >> 33n));
}

describe.each(TEST_DEALERS)('argminPairwise (%s)', (_, makeDealer) => {
  for (const [bits, chunkBits] of [
    [64, 4],
    [33, 8],
  ] as const) {
    for (const rows of [1, 3]) {
      for (const cols of [1, 2, 3, 8, 33]) {
        it(`${rows} x ${cols} at l = ${bits}, d = ${chunkBits}: plaintext indices and threshold bits, exact rounds, bytes and reveals`, async () => {
          const { session } = testSession(makeDealer);
          const v = matrix(`pairwise-${rows}-${cols}`, rows, cols);
          const x = share(fromSigned(v, [rows, cols]), testRandom(`pairwise-share-${rows}-${cols}`));
          const threshold = encodeScalar(FIXED16, 0);
          const { results, cost } = await session.measure((ctx) => argminPairwise(ctx, x[ctx.party], { threshold, bits, chunkBits }));
          const expected = plainArgmin(v, rows, cols);
          expect(results[0].indices).toEqual(expected);
          expect(results[1].indices).toEqual(expected);
          expect(results[0].belowThreshold).toEqual(expected.map((j, r) => v[r * cols + j]! < threshold));

          const pairs = (rows * cols * (cols - 1)) / 2;
          const first = layout(pairs + rows * cols, bits, chunkBits);
          expect(cost.byLabel['argmin/pairs/open']).toEqual({ rounds: 1, bytes: [8 * (pairs + rows * cols), 8 * (pairs + rows * cols)] });
          let bytes = 8 * first.onlineWordsPerParty + 16 * rows;
          let rounds = first.rounds + 1;
          if (cols > 1) {
            const count = layout(rows * cols + rows, countCompareBits(cols), COUNT_CHUNK_BITS);
            expect(count.rounds).toBe(2);
            bytes += 8 * count.onlineWordsPerParty;
            rounds += count.rounds;
          } else {
            expect(cost.byLabel['argmin/count/open']).toBeUndefined();
          }
          expect(cost.rounds).toBe(rounds);
          expect(cost.rounds).toBe(cols === 1 ? (bits === 64 ? 6 : 4) : bits === 64 ? 8 : 6);
          expect(cost.onlineBytes).toEqual([bytes, bytes]);
          expect(cost.reveals).toBe(1);
          expect(cost.revealedElements).toBe(2 * rows);
          expect(cost.byLabel['argmin/reveal/open']).toEqual({ rounds: 1, bytes: [16 * rows, 16 * rows] });
        });
      }
    }
  }

  it('without threshold: ties and negatives, lowest index wins; 6 rounds at l = 33, d = 8 and only Q indices revealed', async () => {
    const { session } = testSession(makeDealer);
    const rows = 5;
    const cols = 8;
    const v = [
      [3, 3, 3, 3, 3, 3, 3, 3],
      [-1, 5, -1, -2, 7, -2, 0, -2],
      [9, 8, 7, 6, 5, 4, 3, -3],
      [0, 0, -0.5, 1, -0.5, 2, 2, -0.25],
      [-100, -100.5, 50, -100.5, -100.5, 0, 0, 0],
    ].flat();
    const enc = encode(FIXED16, v, [rows, cols]);
    const x = share(enc, testRandom('pairwise-ties'));
    const { results, cost } = await session.measure((ctx) => argminPairwise(ctx, x[ctx.party], { bits: 33, chunkBits: 8 }));
    expect(results[0].indices).toEqual([0, 3, 7, 2, 1]);
    expect(results[0].indices).toEqual(plainArgmin(Array.from(toSigned(enc)), rows, cols));
    expect(results[0].belowThreshold).toBeUndefined();
    expect(cost.rounds).toBe(6);
    const pairs = rows * 28;
    expect(cost.onlineBytes[0]).toBe(8 * (layout(pairs, 33, 8).onlineWordsPerParty + layout(rows * cols, 4, 8).onlineWordsPerParty + rows));
    expect(cost.reveals).toBe(1);
    expect(cost.revealedElements).toBe(rows);
  });

  it('count widths: L = 1 + ceil(log2 N), at least 2', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 33].map(countCompareBits)).toEqual([2, 2, 3, 3, 4, 4, 5, 7]);
  });
});
