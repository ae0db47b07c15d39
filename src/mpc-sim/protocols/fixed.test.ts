import { describe, expect, it } from 'vitest';
import { FIXED16, FIXED20, decode, encode, encodingBounds, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { toSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { matmulFixed, mulFixed, type TruncationMode } from './fixed.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];
const MODES: TruncationMode[] = ['local', 'dealer'];

function uniform(name: string, n: number, lo: number, hi: number): Float64Array {
  const r = testRandom(name);
  return Float64Array.from({ length: n }, () => {
    const w = new BigUint64Array(1);
    r.fill(w);
    return lo + (hi - lo) * (Number(w[0]! >> 11n) / 2 ** 53);
  });
}

describe.each(TEST_DEALERS)('fixed-point products (%s)', (_, makeDealer) => {
  describe.each(ENCODINGS)('%s', (_name, enc) => {
    const f = BigInt(enc.fracBits);
    const { ulp } = encodingBounds(enc);

    it.each(MODES)('mulFixed with %s truncation is within 1 ulp of the encoded product, 2 of the float product', async (mode) => {
      const { session } = testSession(makeDealer, enc);
      const n = 256;
      const xs = uniform('mf-x', n, -1, 1);
      const ys = uniform('mf-y', n, -1, 1);
      xs[0] = 1, ys[0] = -1, xs[1] = 0, ys[1] = 0.75, xs[2] = ulp, ys[2] = ulp; // edges
      const ex = encode(enc, xs);
      const ey = encode(enc, ys);
      const random = testRandom('mf-share');
      const x = share(ex, random);
      const y = share(ey, random);
      const { results, cost } = await session.measure((ctx) => mulFixed(ctx, x[ctx.party], y[ctx.party], mode));
      const z = reconstruct(results);
      const got = toSigned(z);
      const sx = toSigned(ex);
      const sy = toSigned(ey);
      const decoded = decode(enc, z);
      for (let i = 0; i < n; i++) {
        const d = got[i]! - ((sx[i]! * sy[i]!) >> f); // 0 or 1 ulp above the floor
        expect(d === 0n || d === 1n).toBe(true);
        expect(Math.abs(decoded[i]! - xs[i]! * ys[i]!)).toBeLessThanOrEqual(2 * ulp);
      }
      expect(cost.rounds).toBe(mode === 'local' ? 1 : 2);
      expect(cost.onlineBytes).toEqual(mode === 'local' ? [16 * n, 16 * n] : [24 * n, 24 * n]);
      expect(cost.offlineBytes).toEqual(mode === 'local' ? [24 * n, 24 * n] : [48 * n, 48 * n]);
    });

    it.each(MODES)('matmulFixed with %s truncation is within 1 ulp of the encoded product', async (mode) => {
      const { session } = testSession(makeDealer, enc);
      const [m, k, n] = [4, 9, 3];
      const xs = uniform('mm-x', m * k, -1, 1);
      const ws = uniform('mm-w', k * n, -1, 1);
      const ex = encode(enc, xs, [m, k]);
      const ew = encode(enc, ws, [k, n]);
      const random = testRandom('mm-share');
      const x = share(ex, random);
      const w = share(ew, random);
      const { results, cost } = await session.measure((ctx) => matmulFixed(ctx, x[ctx.party], w[ctx.party], mode));
      const z = reconstruct(results);
      const got = toSigned(z);
      const decoded = decode(enc, z);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let exact = 0n;
          let float = 0;
          for (let p = 0; p < k; p++) {
            exact += toSigned(ex)[i * k + p]! * toSigned(ew)[p * n + j]!;
            float += xs[i * k + p]! * ws[p * n + j]!;
          }
          const d = got[i * n + j]! - (exact >> f);
          expect(d === 0n || d === 1n).toBe(true);
          // Encoding error <= 1 ulp per term for |x|, |w| <= 1, plus 1 ulp of truncation.
          expect(Math.abs(decoded[i * n + j]! - float)).toBeLessThanOrEqual((k + 1) * ulp);
        }
      }
      const linear = 8 * (m * k + k * n);
      expect(cost.rounds).toBe(mode === 'local' ? 1 : 2);
      expect(cost.onlineBytes[0]).toBe(mode === 'local' ? linear : linear + 8 * m * n);
      expect(cost.offlineBytes[1]).toBe(8 * (m * k + k * n + m * n) + (mode === 'local' ? 0 : 24 * m * n));
    });
  });
});
