import { describe, expect, it } from 'vitest';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { FIXED16, FIXED20, decode, encode, encodeScalar, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { RingTensor, fromSigned, toSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { argmin, argminLevels, fineMse, fineMseUnit, mse } from './argmin.js';
import { decodeDissimilarities, dissimilarityThreshold, versionDissimilarity } from './versions.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

/** Online bytes per party of one comparison (l = 64, d = 4, no product) of k elements. */
const compareBytes = (k: number): number => 8 * comparisonLayout(k, { bits: 64, chunkBits: 4, product: false, fuseLastAnd: true }).onlineWordsPerParty;

/** Plaintext argmin, lowest index on ties. */
function plainArgmin(v: readonly bigint[], rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let j = 1; j < cols; j++) if (v[r * cols + j]! < v[r * cols + best]!) best = j;
    return best;
  });
}

/** Test matrix: small signed values (many ties and negatives) mixed with full-range fixed point. */
function matrix(name: string, rows: number, cols: number): bigint[] {
  const random = testRandom(name);
  const w = new BigUint64Array(rows * cols);
  random.fill(w);
  return Array.from(w, (x, i) => (i % 3 === 0 ? BigInt(Number(x % 7n) - 3) : BigInt.asIntN(64, x) >> 34n));
}

/**
 * Shares of two encoded vectors of n values uniform in [-scale, scale) (seeded streams named after
 * `name`), and the exact mean of their encoded squared difference, computed here in float64.
 */
function msePair(enc: FixedPointEncoding, name: string, n: number, scale: number) {
  const w = new BigUint64Array(2 * n);
  testRandom(`${name}-${n}`).fill(w);
  const u = Array.from(w, (v) => (Number(v >> 11n) / 2 ** 53 - 0.5) * 2 * scale);
  const a = encode(enc, u.slice(0, n), [n]);
  const b = encode(enc, u.slice(n), [n]);
  const da = decode(enc, a);
  const db = decode(enc, b);
  let exact = 0;
  for (let i = 0; i < n; i++) exact += (da[i]! - db[i]!) ** 2;
  return { x: share(a, testRandom(`${name}-a`)), r: share(b, testRandom(`${name}-b`)), exact: exact / n };
}

describe.each(TEST_DEALERS)('argmin and mse (%s)', (_, makeDealer) => {
  for (const rows of [1, 5]) {
    for (const cols of [1, 2, 3, 8, 33]) {
      it(`argmin of ${rows} x ${cols}: plaintext indices, ceil(log2 N) levels, exact rounds, bytes and reveals`, async () => {
        const { session } = testSession(makeDealer);
        const v = matrix(`argmin-${rows}-${cols}`, rows, cols);
        const x = share(fromSigned(v, [rows, cols]), testRandom(`argmin-share-${rows}-${cols}`));
        const threshold = encodeScalar(FIXED16, 0);
        const { results, cost } = await session.measure((ctx) => argmin(ctx, x[ctx.party], { threshold }));
        const expected = plainArgmin(v, rows, cols);
        expect(results[0].indices).toEqual(expected);
        expect(results[1].indices).toEqual(expected);
        expect(results[0].belowThreshold).toEqual(expected.map((j, r) => v[r * cols + j]! < threshold));

        const levels = argminLevels(cols);
        expect(levels).toBe(cols === 1 ? 0 : Math.ceil(Math.log2(cols)));
        let bytes = 0;
        let m = cols;
        for (let level = 0; level < levels; level++) {
          const p = Math.floor(m / 2);
          expect(cost.byLabel[`argmin/level${level}/select/open`]).toEqual({ rounds: 1, bytes: [32 * rows * p, 32 * rows * p] });
          bytes += compareBytes(rows * p) + 32 * rows * p;
          m = Math.ceil(m / 2);
        }
        expect(m).toBe(1);
        expect(cost.byLabel[`argmin/level${levels}/select/open`]).toBeUndefined();
        bytes += compareBytes(rows) + 16 * rows;
        expect(cost.rounds).toBe(6 * levels + 5 + 1);
        expect(cost.onlineBytes).toEqual([bytes, bytes]);
        expect(cost.reveals).toBe(1);
        expect(cost.revealedElements).toBe(2 * rows);
      });
    }
  }

  it('argmin without threshold: ties and negatives, lowest index wins; reveals only Q indices', async () => {
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
    const signed = Array.from(toSigned(enc));
    const x = share(enc, testRandom('argmin-ties'));
    const { results, cost } = await session.measure((ctx) => argmin(ctx, x[ctx.party]));
    expect(results[0].indices).toEqual([0, 3, 7, 2, 1]);
    expect(results[0].indices).toEqual(plainArgmin(signed, rows, cols));
    expect(results[0].belowThreshold).toBeUndefined();
    expect(cost.rounds).toBe(6 * 3 + 1);
    expect(cost.reveals).toBe(1);
    expect(cost.revealedElements).toBe(rows);
    expect(cost.byLabel['argmin/reveal/open']).toEqual({ rounds: 1, bytes: [8 * rows, 8 * rows] });
  });

  for (const [encName, enc] of [
    ['FIXED16', FIXED16],
    ['FIXED20', FIXED20],
  ] as const) {
    it(`mse (${encName}) is within 1.01 ulp + 2.4e-7 M of the exact mean, at 3 rounds and 16n + 16 bytes`, async () => {
      const { session } = testSession(makeDealer, enc);
      for (const [n, scale] of [
        [1, 3],
        [7, 0.01],
        [64, 1],
        [1000, 4],
      ] as const) {
        const { x, r, exact } = msePair(enc, 'mse', n, scale);
        const { results, cost } = await session.measure((ctx) => mse(ctx, x[ctx.party], r[ctx.party]));
        const got = decode(enc, reconstruct([results[0], results[1]]))[0]!;
        const ulp = 2 ** -enc.fracBits;
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(1.01 * ulp + 2.4e-7 * exact);
        expect(cost.rounds).toBe(3);
        expect(cost.onlineBytes).toEqual([16 * n + 16, 16 * n + 16]);
        expect(cost.offlineBytes).toEqual([8 * (2 * n + 1) + 48, 8 * (2 * n + 1) + 48]);
        expect(cost.reveals).toBe(0);
      }
    });
  }

  for (const [encName, enc] of [
    ['FIXED16', FIXED16],
    ['FIXED20', FIXED20],
  ] as const) {
    it(`fineMse (${encName}) is within one of its units (2^(s-f-8) / n) of the exact mean, 256 times finer than mse, at 2 rounds and 16n + 8 bytes`, async () => {
      const { session } = testSession(makeDealer, enc);
      for (const n of [1, 7, 64, 784, 1000]) {
        const { x, r, exact } = msePair(enc, 'fine-mse', n, 1); // values in [-1, 1)
        const { results, cost } = await session.measure((ctx) => fineMse(ctx, x[ctx.party], r[ctx.party]));
        const unit = fineMseUnit(enc.fracBits, n);
        expect(unit).toBe(2 ** (Math.ceil(Math.log2(n)) - enc.fracBits - 8) / n);
        expect(unit).toBeLessThan(2 ** (1 - enc.fracBits - 8));
        const raw = toSigned(reconstruct([results[0], results[1]]))[0]!;
        expect(Math.abs(Number(raw) * unit - exact)).toBeLessThanOrEqual(unit);
        expect(raw).toBeLessThan(2n ** 31n); // the range condition of the l = 33 argmin for values in [-1, 1]
        expect(cost.rounds).toBe(2);
        expect(cost.onlineBytes).toEqual([16 * n + 8, 16 * n + 8]);
        expect(cost.offlineBytes).toEqual([8 * (2 * n + 1) + 24, 8 * (2 * n + 1) + 24]);
        // the versions' view: v8's dissimilarity is fineMse, decoded as an MSE; v7's is mse
        const revealed = reconstruct([results[0], results[1]]);
        expect(decodeDissimilarities('v8', enc, n, revealed)[0]).toBe(Number(raw) * unit);
        expect(decodeDissimilarities('v7', enc, n, revealed)[0]).toBe(Number(raw) / 2 ** enc.fracBits);
      }
    });
  }

  it('versionDissimilarity: v8 tells apart two MSEs 0.3 units of mse apart (below the resolution of mse) by at least 60 of its units', async () => {
    const { session } = testSession(makeDealer, FIXED20);
    const n = 4;
    // x = 0; r0 = 2^-10 everywhere (M = 2^-20, one unit) and r1 with M = 1.3 units
    const r0 = encode(FIXED20, [2 ** -10, 2 ** -10, 2 ** -10, 2 ** -10], [n]);
    const r1 = encode(FIXED20, [2 ** -10, 2 ** -10, 2 ** -10, Math.sqrt(2.2) * 2 ** -10], [n]);
    const x = share(encode(FIXED20, [0, 0, 0, 0], [n]), testRandom('order-x'));
    const run = async (version: 'v7' | 'v8', r: RingTensor): Promise<bigint> => {
      const rs = share(r, testRandom(`order-${version}`));
      const { results } = await session.measure((ctx) => versionDissimilarity(ctx, x[ctx.party], rs[ctx.party], version));
      return toSigned(reconstruct([results[0], results[1]]))[0]!;
    };
    const [f0, f1] = [await run('v8', r0), await run('v8', r1)];
    expect(f1 - f0).toBeGreaterThanOrEqual(60n); // 0.3 x 256 units apart, each within 1
    expect(Number(f0) * fineMseUnit(20, n)).toBeCloseTo(2 ** -20, 8);
  });

  it('dissimilarityThreshold scales an MSE threshold encoded at f to the fine MSE of n elements (t 2^8 n / 2^s, rounded); v1 to v7 keep it', () => {
    const t = encodeScalar(FIXED20, 0.0123);
    for (const n of [1, 3, 784, 3072]) {
      const s = Math.ceil(Math.log2(n));
      const scaled = dissimilarityThreshold('v8', n, t);
      expect(Math.abs(Number(scaled) - (Number(t) * 256 * n) / 2 ** s)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(Number(scaled) * fineMseUnit(20, n) - 0.0123)).toBeLessThan(2 ** -20);
      for (const version of ['v1', 'v2', 'v7'] as const) expect(dissimilarityThreshold(version, n, t)).toBe(t);
    }
  });

  it('mse of a [2, 3] pair keeps working for any shape (identical inputs give 0)', async () => {
    const { session } = testSession(makeDealer);
    const a = encode(FIXED16, [1, -2, 3, 0.5, 0, -7], [2, 3]);
    const x = share(a, testRandom('mse-same-a'));
    const r = share(new RingTensor([2, 3], a.data.slice()), testRandom('mse-same-b'));
    const { results } = await session.measure((ctx) => mse(ctx, x[ctx.party], r[ctx.party]));
    expect(Math.abs(decode(FIXED16, reconstruct([results[0], results[1]]))[0]!)).toBeLessThanOrEqual(2 ** -16);
  });
});
