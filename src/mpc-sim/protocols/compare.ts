import { addScalar, neg, sub } from '../ring/elementwise.js';
import { assertSameShape, type RingTensor } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { drelu, type CompareOptions } from './drelu.js';

/*
 * Comparisons built on DReLU: [a < b] = 1 - DReLU(a - b). They cost exactly one `drelu` of the
 * operands' size (the subtraction and the 1 - b are local): at l = 64, d = 4, 5 rounds, about
 * 14.6 bytes online and 78.9 bytes of material per element per party (see `drelu.ts`).
 */

/** Shares of `1 - b` for shares of a bit b. 0 rounds, 0 bytes. */
export function notBit(b: Share): Share {
  return new Share(b.party, b.party === 0 ? addScalar(neg(b.ring), 1n) : neg(b.ring));
}

/**
 * Shares of `[a < b]` (0 or 1 in Z_2^64), elementwise. Exact whenever a - b, read as signed,
 * lies in [-2^(l-1), 2^(l-1)) (with the default l = 64: whenever a - b does not overflow the
 * ring, e.g. for all encodable fixed-point values, |a|, |b| < 2^31).
 *
 * Steps: d = a - b locally; return 1 - DReLU(d). Cost: one {@link drelu} of `a.size` elements.
 * @throws ShapeError if the shapes differ; ProtocolError if a share is not the caller's.
 */
export async function lessThan(ctx: PartyContext, a: Share, b: Share, options: CompareOptions = {}): Promise<Share> {
  const tag = options.tag ?? 'lessThan';
  assertOwnShares(ctx, tag, a, b);
  assertSameShape(tag, a.shape, b.shape);
  const diff = new Share(ctx.party, sub(a.ring, b.ring));
  return notBit(await drelu(ctx, diff, { ...options, tag }));
}

/** The two-operand comparison argmin needs: shares of `[a < b]` (same as {@link lessThan}). */
export const compare = lessThan;

/**
 * Shares of `[a < p]` for a public tensor `p` of a's shape or a public ring scalar (a signed
 * BigInt, e.g. an encoded fixed-point constant), elementwise. Exact under the same condition as
 * {@link lessThan} on a - p. Cost: one {@link drelu}.
 */
export async function lessThanPublic(ctx: PartyContext, a: Share, p: RingTensor | bigint, options: CompareOptions = {}): Promise<Share> {
  const tag = options.tag ?? 'lessThanPublic';
  assertOwnShares(ctx, tag, a);
  if (typeof p !== 'bigint') assertSameShape(tag, a.shape, p.shape);
  let diff = a.ring;
  if (ctx.party === 0) diff = typeof p === 'bigint' ? addScalar(diff, -p) : sub(diff, p);
  return notBit(await drelu(ctx, new Share(ctx.party, diff), { ...options, tag }));
}
