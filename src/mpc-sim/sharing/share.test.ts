import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ProtocolError, ShapeError } from '../../errors.js';
import { matmul } from '../ring/matmul.js';
import { CryptoRandom, SeededRandom, randomTensor } from '../ring/random.js';
import { RingTensor, fromSigned } from '../ring/ring-tensor.js';
import { addPublic, addShares, matmulPublicShare, matmulSharePublic, mulPublic, negShare, scaleShare, subShares } from './linear.js';
import { Share, reconstruct, share } from './share.js';

const flag = { insecureDeterministic: true } as const;
const M = 1n << 64n;

describe('additive sharing over Z_2^64', () => {
  it('reconstructs what was shared, including wrap-around values', () => {
    const value = RingTensor.fromBigInts([0n, 1n, M - 1n, 1n << 63n, 123456789n], [5]);
    const [s0, s1] = share(value, new CryptoRandom());
    expect(s0.party).toBe(0);
    expect(s1.party).toBe(1);
    expect(reconstruct([s0, s1]).data).toEqual(value.data);
    expect(() => reconstruct([s1, s0])).toThrow(ProtocolError);
  });

  it('cannot be converted to a string, number or JSON by accident', () => {
    const [s0] = share(fromSigned([42]), new CryptoRandom());
    expect(() => String(s0)).toThrow(ProtocolError);
    expect(() => `${s0}`).toThrow(/cannot be converted/);
    expect(() => JSON.stringify(s0)).toThrow(/JSON/);
    expect(() => JSON.stringify({ nested: [s0] })).toThrow(ProtocolError);
    expect(() => +(s0 as unknown as number)).toThrow(ProtocolError);
    expect(() => (s0 as unknown as number) + 1).toThrow(ProtocolError);
    expect(() => s0.valueOf()).toThrow(ProtocolError);
    expect(() => s0.toString()).toThrow(ProtocolError);
    // console.log shows the party and shape only.
    expect(inspect(s0)).toBe('Share { party: 0, shape: [1] }');
    expect(Object.keys(s0)).toEqual(['party']);
  });

  // 20000 sharings of one secret; top bit of a share ~ Binomial(20000, 1/2): sd ~ 71.
  it('S0 and S1 shares of a fixed secret have their top bit set about half the time', () => {
    const n = 20000;
    const secret = RingTensor.fromBigInts(new Array<bigint>(n).fill((1n << 63n) + 5n));
    const [s0, s1] = share(secret, new SeededRandom('share-stats', flag));
    for (const s of [s0, s1]) {
      let ones = 0;
      for (const w of s.ring.data) ones += Number(w >> 63n);
      expect(Math.abs(ones - n / 2)).toBeLessThan(5 * 71);
    }
  });

  it("one server's share has the same distribution whatever the secret (two-sample chi-square)", () => {
    const n = 16000;
    const bins = 16;
    const histogram = (secret: bigint, party: 0 | 1, seed: string): number[] => {
      const pair = share(RingTensor.fromBigInts(new Array<bigint>(n).fill(secret)), new SeededRandom(seed, flag));
      const h = new Array<number>(bins).fill(0);
      for (const w of pair[party].ring.data) h[Number(w >> 60n)]!++;
      return h;
    };
    for (const party of [0, 1] as const) {
      const h0 = histogram(0n, party, 'secret-a');
      const h1 = histogram(M - 12345n, party, 'secret-b');
      // Equal sample sizes: chi2 = sum (a - b)^2 / (a + b), 15 degrees of freedom; 0.1% critical value 37.7.
      const chi2 = h0.reduce((s, a, i) => s + (a - h1[i]!) ** 2 / (a + h1[i]!), 0);
      expect(chi2).toBeLessThan(37.7);
    }
  });
});

describe('local linear operations on shares', () => {
  const random = new SeededRandom('linear', flag);
  const x = randomTensor(random, [2, 3]);
  const y = randomTensor(random, [2, 3]);
  const [x0, x1] = share(x, random);
  const [y0, y1] = share(y, random);
  const both = (f: (a: Share, b: Share) => Share): RingTensor => reconstruct([f(x0, y0), f(x1, y1)]);

  it('add, sub, neg and public operands reconstruct to the plaintext result', () => {
    const expectWords = (t: RingTensor, f: (u: bigint, v: bigint) => bigint) =>
      t.data.forEach((w, i) => expect(w).toBe(((f(x.data[i]!, y.data[i]!) % M) + M) % M));
    expectWords(both(addShares), (u, v) => u + v);
    expectWords(both(subShares), (u, v) => u - v);
    expectWords(both((a) => negShare(a)), (u) => -u);
    expectWords(both((a) => addPublic(a, y)), (u, v) => u + v);
    expectWords(both((a) => mulPublic(a, y)), (u, v) => u * v);
    expectWords(both((a) => scaleShare(a, -3n)), (u) => -3n * u);
    const w = randomTensor(random, [3, 4]);
    const left = reconstruct([matmulSharePublic(x0, w), matmulSharePublic(x1, w)]);
    expect(left.data).toEqual(matmul(x, w).data);
    const v = randomTensor(random, [4, 2]);
    const [v0, v1] = share(v, random);
    const right = reconstruct([matmulPublicShare(w, v0), matmulPublicShare(w, v1)]);
    expect(right.data).toEqual(matmul(w, v).data);
  });

  it('refuses to mix parties or shapes', () => {
    expect(() => addShares(x0, y1)).toThrow(ProtocolError);
    expect(() => addPublic(x1, RingTensor.zeros([3, 2]))).toThrow(ShapeError);
  });
});
