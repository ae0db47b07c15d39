import { describe, expect, it } from 'vitest';
import { FIXED16, decode, encode } from '../encoding/fixed-point.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { lessThanPublic } from './compare.js';
import { mul } from './mul.js';
import { parallel } from './parallel.js';
import { reveal } from './reveal.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';
import { truncateWithDealer } from './truncate.js';

describe.each(TEST_DEALERS)('parallel (%s)', (_, makeDealer) => {
  it('runs a comparison (4 rounds) and a mul then two truncations (3 rounds) in max = 4 rounds, same results as one after the other, bytes summed plus a 2-word header per round', async () => {
    const values = [-3, -0.5, 0, 0.25, 7];
    const x = share(encode(FIXED16, values), testRandom('par-x'));
    const y = share(encode(FIXED16, [2, 2, 2, 2, 2]), testRandom('par-y'));
    const sequential = testSession(makeDealer).session;
    const { results: s, cost: sc } = await sequential.measure(async (ctx) => [
      await lessThanPublic(ctx, x[ctx.party], 0n, { bits: 33, chunkBits: 4, tag: 'cmp' }),
      await truncateWithDealer(ctx, await truncateWithDealer(ctx, await mul(ctx, x[ctx.party], y[ctx.party], 'm'), 16, 't1'), 1, 't2'),
    ]);
    const merged = testSession(makeDealer).session;
    const { results: p, cost: pc } = await merged.measure((ctx) =>
      parallel(ctx, [
        (c) => lessThanPublic(c, x[c.party], 0n, { bits: 33, chunkBits: 4, tag: 'cmp' }),
        async (c) => truncateWithDealer(c, await truncateWithDealer(c, await mul(c, x[c.party], y[c.party], 'm'), 16, 't1'), 1, 't2'),
      ] as const),
    );
    expect(Array.from(reconstruct([p[0][0], p[1][0]]).data)).toEqual([1n, 1n, 0n, 0n, 0n]);
    expect(Array.from(reconstruct([s[0][0]!, s[1][0]!]).data)).toEqual([1n, 1n, 0n, 0n, 0n]);
    const prod = decode(FIXED16, reconstruct([p[0][1], p[1][1]]));
    values.forEach((v, i) => expect(Math.abs(prod[i]! - v)).toBeLessThanOrEqual(2 ** -15));
    expect(sc.rounds).toBe(4 + 3);
    expect(pc.rounds).toBe(4);
    expect(pc.onlineBytes[0]).toBe(sc.onlineBytes[0] + 4 * 16);
    expect(pc.offlineBytes).toEqual(sc.offlineBytes);
    expect(Object.keys(pc.byLabel)).toContain('cmp/open & m/open');
    expect(Object.keys(pc.byLabel)).toContain('cmp/final');
  });

  it('refuses a reveal inside a branch and propagates the first error', async () => {
    const { session } = testSession(makeDealer);
    const x = share(new RingTensor([2]), testRandom('par-r'));
    await expect(session.run((ctx) => parallel(ctx, [(c) => reveal(c, x[c.party], 'r'), (c) => mul(c, x[c.party], x[c.party], 'm')] as const))).rejects.toThrow(/reveal/);
  });
});
