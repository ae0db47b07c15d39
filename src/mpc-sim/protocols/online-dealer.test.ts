import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { fromSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { onlineContext } from './online-dealer.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';
import { truncateWithDealer } from './truncate.js';

describe.each(TEST_DEALERS)('onlineContext (%s)', (_, makeDealer) => {
  it('serves a prefetched truncation pair once and refuses every other request', async () => {
    const { session } = testSession(makeDealer);
    const x = share(fromSigned([3 << 16, -(5 << 16)]), testRandom('online-dealer'));
    const pairs = await session.run((ctx) => ctx.dealer.truncationPair([2], 'trunc', { fracBits: 16 }));
    const { results, cost } = await session.measure(async (ctx) => {
      const online = onlineContext(ctx, 'test', [{ shape: [2], tag: 'trunc', fracBits: 16, pair: pairs[ctx.party] }]);
      const y = await truncateWithDealer(online, x[ctx.party], 16, 'trunc');
      await expect(truncateWithDealer(online, x[ctx.party], 16, 'trunc')).rejects.toThrow(/not fetched offline/);
      await expect(online.dealer.mulTriple([1], 'mul')).rejects.toThrow(ProtocolError);
      await expect(online.dealer.convQueryMask('l', undefined as never, 'q')).rejects.toThrow(/offline phase/);
      return y;
    });
    expect(Array.from(reconstruct(results).data)).toEqual([3n, BigInt.asUintN(64, -5n)]);
    expect(cost).toMatchObject({ rounds: 1, offlineBytes: [0, 0] });
  });
});
