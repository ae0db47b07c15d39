import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { matmul as ringMatmul } from '../ring/matmul.js';
import { randomTensor } from '../ring/random.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { matmul } from './matmul.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

describe.each(TEST_DEALERS)('Beaver matmul (%s)', (_, makeDealer) => {
  it.each([
    [3, 5, 4],
    [1, 7, 1],
    [6, 1, 2],
  ])('[%i x %i] @ [. x %i] is exact, 1 round, 8(mk + kn) online and 8(mk + kn + mn) offline per party', async (m, k, n) => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom(`matmul-${m}-${k}-${n}`);
    const a = randomTensor(random, [m, k]);
    const b = randomTensor(random, [k, n]);
    const x = share(a, random);
    const y = share(b, random);
    const { results, cost } = await session.measure((ctx) => matmul(ctx, x[ctx.party], y[ctx.party]));
    const z = reconstruct(results);
    expect(z.shape).toEqual([m, n]);
    expect(z.data).toEqual(ringMatmul(a, b).data);

    expect(cost.rounds).toBe(1);
    expect(cost.onlineBytes).toEqual([8 * (m * k + k * n), 8 * (m * k + k * n)]);
    expect(cost.offlineBytes).toEqual([8 * (m * k + k * n + m * n), 8 * (m * k + k * n + m * n)]);
    expect(cost.reveals).toBe(0);
    expect(recording.report()).toEqual([
      { tag: 'matmul', kind: 'matmulTriple', requests: 1, elementsPerParty: m * k + k * n + m * n, bytes: 16 * (m * k + k * n + m * n) },
    ]);
  });

  it('wraps around modulo 2^64 ((-1) @ (-1) summed over k)', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('matmul-wrap');
    const minusOne = (r: number, c: number) => RingTensor.fromBigInts(new Array<bigint>(r * c).fill(-1n), [r, c]);
    const x = share(minusOne(2, 3), random);
    const y = share(minusOne(3, 2), random);
    const [z0, z1] = await session.run((ctx) => matmul(ctx, x[ctx.party], y[ctx.party]));
    expect(Array.from(reconstruct([z0, z1]).data)).toEqual([3n, 3n, 3n, 3n]);
  });

  it('rejects mismatched inner dimensions', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('matmul-shape');
    const x = share(RingTensor.zeros([2, 3]), random);
    await expect(session.run((ctx) => matmul(ctx, x[ctx.party], x[ctx.party]))).rejects.toThrow(ShapeError);
  });
});
