import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { FIXED16, encode, encodeScalar, encodingBounds } from '../encoding/fixed-point.js';
import { randomTensor } from '../ring/random.js';
import { fromSigned, toSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { compare, lessThan, lessThanPublic } from './compare.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

const { maxEncoded } = encodingBounds(FIXED16);
const LARGEST = maxEncoded - 1n;

/** Uniform encodable words. */
function encodable(name: string, n: number): bigint[] {
  return Array.from(randomTensor(testRandom(name), [n]).data, (w) => (w % (2n * LARGEST + 1n)) - LARGEST);
}

describe.each(TEST_DEALERS)('comparisons (%s)', (_, makeDealer) => {
  it('lessThan / compare give [a < b] exactly on encodable values, ties and 1-ulp gaps, at drelu cost', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('lt');
    const rand = encodable('lt-a', 300);
    const as = [0n, 0n, 1n, -1n, LARGEST, -LARGEST, LARGEST, 5n, ...rand, ...rand.slice(0, 50)];
    const bs = [0n, 1n, 0n, 0n, -LARGEST, LARGEST, LARGEST - 1n, 5n, ...encodable('lt-b', 300), ...rand.slice(0, 50).map((v) => v + 1n)];
    const a = share(fromSigned(as), random);
    const b = share(fromSigned(bs), random);
    for (const [name, fn] of [
      ['lessThan', lessThan],
      ['compare', compare],
    ] as const) {
      for (const options of [{}, { bits: 33 }]) {
        const { results, cost } = await session.measure((ctx) => fn(ctx, a[ctx.party], b[ctx.party], options));
        const got = reconstruct(results);
        expect(as.filter((v, i) => got.data[i] !== (v < bs[i]! ? 1n : 0n)).length, name).toBe(0);
        expect(cost.rounds).toBe(options.bits === 33 ? 4 : 5);
        expect(Object.keys(cost.byLabel)).toEqual(['lessThan/open', 'lessThan/and', 'lessThan/final']);
      }
    }
  });

  it('lessThanPublic compares with a public tensor or an encoded constant', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('ltp');
    const values = [-1, -0.5, -(2 ** -16), 0, 2 ** -16, 0.5 - 2 ** -16, 0.5, 0.5 + 2 ** -16, 3, -32767];
    const xs = encode(FIXED16, values);
    const x = share(xs, random);
    const half = encodeScalar(FIXED16, 0.5);
    const [s0, s1] = await session.run((ctx) => lessThanPublic(ctx, x[ctx.party], BigInt.asIntN(64, half)));
    expect(Array.from(reconstruct([s0, s1]).data)).toEqual(values.map((v) => (v < 0.5 ? 1n : 0n)));

    const ps = encode(FIXED16, [0, 0, 0, 0, 0, 1, 1, 1, -4, -32767]);
    const [t0, t1] = await session.run((ctx) => lessThanPublic(ctx, x[ctx.party], ps));
    const p = toSigned(ps);
    expect(Array.from(reconstruct([t0, t1]).data)).toEqual(Array.from(toSigned(xs), (v, i) => (v < p[i]! ? 1n : 0n)));
    await expect(session.run((ctx) => lessThanPublic(ctx, x[ctx.party], encode(FIXED16, [1])))).rejects.toThrow(ShapeError);
  });

  it('rejects operands of different shapes', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('lt-shape');
    const a = share(fromSigned([1, 2]), random);
    const b = share(fromSigned([1, 2, 3]), random);
    await expect(session.run((ctx) => lessThan(ctx, a[ctx.party], b[ctx.party]))).rejects.toThrow(ShapeError);
  });
});
