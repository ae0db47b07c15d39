import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { otherParty } from '../party.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { share } from '../sharing/share.js';
import { reveal } from './reveal.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

describe.each(TEST_DEALERS)('reveal (%s)', (_, makeDealer) => {
  it('opens the secret to both parties at 1 round, 8n bytes per party, one counted reveal', async () => {
    const { session, recording } = testSession(makeDealer);
    const n = 6;
    const secret = RingTensor.fromBigInts([0n, 1n, (1n << 64n) - 1n, 1n << 63n, 42n, 7n], [2, 3]);
    const x = share(secret, testRandom('reveal'));
    const { results, cost } = await session.measure((ctx) => reveal(ctx, x[ctx.party]));
    for (const r of results) {
      expect(r.shape).toEqual([2, 3]);
      expect(r.data).toEqual(secret.data);
    }
    expect(cost.rounds).toBe(1);
    expect(cost.onlineBytes).toEqual([8 * n, 8 * n]);
    expect(cost.offlineBytesTotal).toBe(0);
    expect(cost.reveals).toBe(1);
    expect(cost.revealedElements).toBe(n);
    expect(cost.byLabel).toEqual({ 'reveal/open': { rounds: 1, bytes: [8 * n, 8 * n] } });
    expect(recording.report()).toEqual([]);
  });

  it("refuses the other party's share", async () => {
    const { session } = testSession(makeDealer);
    const x = share(RingTensor.zeros([1]), testRandom('reveal'));
    await expect(session.run((ctx) => reveal(ctx, x[otherParty(ctx.party)]))).rejects.toThrow(ProtocolError);
  });
});
