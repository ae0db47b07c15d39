import { add } from '../ring/elementwise.js';
import type { RingTensor } from '../ring/ring-tensor.js';
import type { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';

/**
 * Opens a shared tensor to both parties: the only way plaintext leaves a share, and it is
 * counted (as a reveal and in `revealedElements`).
 *
 * Steps (party i, n = x.size):
 * 1. send x_i, receive x_(1-i) in one round (message `${tag}/open`, flagged as a reveal);
 * 2. return x_0 + x_1.
 *
 * Cost: 1 round; online 8n bytes sent per party (16n total); no dealer material; 1 reveal of n
 * elements.
 */
export async function reveal(ctx: PartyContext, x: Share, tag = 'reveal'): Promise<RingTensor> {
  assertOwnShares(ctx, tag, x);
  const [other] = await ctx.channel.exchange(`${tag}/open`, [x.ring], { reveal: true });
  return add(x.ring, other!);
}
