import { add, mul as ringMul, sub } from '../ring/elementwise.js';
import { assertSameShape } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';

/**
 * Beaver multiplication: shares of `x * y` (elementwise, modulo 2^64) from shares of `x` and `y`.
 * No truncation: for fixed-point values the product carries 2f fractional bits (see `mulFixed`).
 *
 * Steps (party i, n = x.size):
 * 1. take an elementwise triple (a_i, b_i, c_i), c = a * b, from the dealer;
 * 2. mask: e_i = x_i - a_i, f_i = y_i - b_i;
 * 3. open e = x - a and f = y - b in one round (message `${tag}/open`, [e_i, f_i]);
 * 4. z_i = c_i + e * b_i + f * a_i, and S0 adds e * f.
 * Then z_0 + z_1 = ab + (x - a) b + (y - b) a + (x - a)(y - b) = xy.
 *
 * Cost: 1 round; online 16n bytes sent per party (32n total); offline 3n elements = 24n bytes
 * per party (48n total).
 * @throws ShapeError if the shapes differ; ProtocolError if a share is not the caller's.
 */
export async function mul(ctx: PartyContext, x: Share, y: Share, tag = 'mul'): Promise<Share> {
  assertOwnShares(ctx, tag, x, y);
  assertSameShape(tag, x.shape, y.shape);
  const { a, b, c } = await ctx.dealer.mulTriple(x.shape, tag);
  const e0 = sub(x.ring, a.ring);
  const f0 = sub(y.ring, b.ring);
  const [e1, f1] = await ctx.channel.exchange(`${tag}/open`, [e0, f0]);
  const e = add(e0, e1!);
  const f = add(f0, f1!);
  let z = add(add(c.ring, ringMul(e, b.ring)), ringMul(f, a.ring));
  if (ctx.party === 0) z = add(z, ringMul(e, f));
  return new Share(ctx.party, z);
}
