import { add, sub } from '../ring/elementwise.js';
import { matmul as ringMatmul, matmulDims } from '../ring/matmul.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';

/**
 * Beaver matrix product: shares of `x @ y` for shared `x [m, k]`, `y [k, n]` (modulo 2^64, no
 * truncation; see `matmulFixed`).
 *
 * Steps (party i):
 * 1. take a matrix triple A_i [m, k], B_i [k, n], C_i [m, n], C = A @ B, from the dealer;
 * 2. mask: E_i = X_i - A_i, F_i = Y_i - B_i;
 * 3. open E = X - A and F = Y - B in one round (message `${tag}/open`, [E_i, F_i]);
 * 4. S0: Z_0 = C_0 + E @ (B_0 + F) + A_0 @ F;  S1: Z_1 = C_1 + E @ B_1 + A_1 @ F
 *    (two local matrix products each). Then Z_0 + Z_1 = AB + EB + EF + AF = X (B + F) = XY.
 *
 * Cost: 1 round; online 8(mk + kn) bytes sent per party (16(mk + kn) total); offline
 * mk + kn + mn elements = 8(mk + kn + mn) bytes per party.
 * @throws ShapeError on mismatched shapes; ProtocolError if a share is not the caller's.
 */
export async function matmul(ctx: PartyContext, x: Share, y: Share, tag = 'matmul'): Promise<Share> {
  assertOwnShares(ctx, tag, x, y);
  const [m, k, n] = matmulDims(x.ring, y.ring, tag);
  const { a, b, c } = await ctx.dealer.matmulTriple(m, k, n, tag);
  const e0 = sub(x.ring, a.ring);
  const f0 = sub(y.ring, b.ring);
  const [e1, f1] = await ctx.channel.exchange(`${tag}/open`, [e0, f0]);
  const e = add(e0, e1!);
  const f = add(f0, f1!);
  const right = ctx.party === 0 ? add(b.ring, f) : b.ring;
  const z = add(add(c.ring, ringMatmul(e, right)), ringMatmul(a.ring, f));
  return new Share(ctx.party, z);
}
