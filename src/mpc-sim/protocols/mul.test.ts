import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { mul as ringMul } from '../ring/elementwise.js';
import { randomTensor } from '../ring/random.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { mul } from './mul.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

const M = 1n << 64n;

describe.each(TEST_DEALERS)('Beaver mul (%s)', (_, makeDealer) => {
  it('computes x * y mod 2^64 exactly, at 1 round, 16n bytes online and 24n offline per party', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('mul');
    const edges = [0n, 1n, M - 1n, 1n << 63n, (1n << 32n) + 1n, 1n << 32n];
    const xs = RingTensor.fromBigInts([...edges, ...randomTensor(random, [30]).data], [4, 9]);
    const ys = RingTensor.fromBigInts([...edges.slice().reverse(), ...randomTensor(random, [30]).data], [4, 9]);
    const x = share(xs, random);
    const y = share(ys, random);
    const { results, cost } = await session.measure((ctx) => mul(ctx, x[ctx.party], y[ctx.party]));
    expect(reconstruct(results).data).toEqual(ringMul(xs, ys).data);
    xs.data.forEach((u, i) => expect(reconstruct(results).data[i]).toBe((u * ys.data[i]!) % M));

    const n = 36;
    expect(cost.rounds).toBe(1);
    expect(cost.onlineBytes).toEqual([16 * n, 16 * n]);
    expect(cost.offlineBytes).toEqual([24 * n, 24 * n]);
    expect(cost.reveals).toBe(0);
    expect(cost.byLabel).toEqual({ 'mul/open': { rounds: 1, bytes: [16 * n, 16 * n] } });
    expect(recording.report()).toEqual([{ tag: 'mul', kind: 'mulTriple', requests: 1, elementsPerParty: 3 * n, bytes: 48 * n }]);
  });

  it('runs independent multiplications concurrently (one round each, paired in order)', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('mul-batch');
    const a = randomTensor(random, [5]);
    const b = randomTensor(random, [5]);
    const x = share(a, random);
    const y = share(b, random);
    const { results, cost } = await session.measure((ctx) =>
      Promise.all([mul(ctx, x[ctx.party], y[ctx.party], 'first'), mul(ctx, y[ctx.party], y[ctx.party], 'second')]),
    );
    expect(reconstruct([results[0][0], results[1][0]]).data).toEqual(ringMul(a, b).data);
    expect(reconstruct([results[0][1], results[1][1]]).data).toEqual(ringMul(b, b).data);
    expect(cost.rounds).toBe(2);
  });

  it('rejects mismatched shapes', async () => {
    const { session } = testSession(makeDealer);
    const random = testRandom('mul-shape');
    const x = share(RingTensor.zeros([2, 3]), random);
    const y = share(RingTensor.zeros([3, 2]), random);
    await expect(session.run((ctx) => mul(ctx, x[ctx.party], y[ctx.party]))).rejects.toThrow(ShapeError);
  });
});
