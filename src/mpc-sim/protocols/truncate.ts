import { ProtocolError } from '../../errors.js';
import { add, addScalar, mul, mulScalar, neg, shiftRightLogical, sub } from '../ring/elementwise.js';
import { truncationFinishNative } from '../ring/native-kernel.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { addTopBitsInto, packTopBits, topBitsWords } from '../ring/top-bits.js';
import type { TruncationPair } from '../dealer/dealer.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';

/**
 * SecureML's local probabilistic truncation (Mohassel & Zhang 2017): shares of about
 * `x / 2^f` from shares of `x`, with no communication.
 *
 * Steps (party i):
 * - S0: y_0 = floor(x_0 / 2^f), reading x_0 as unsigned (logical shift);
 * - S1: y_1 = 2^64 - floor((2^64 - x_1) / 2^f), computed in the ring as -((-x_1) >> f) (so
 *   x_1 = 0 gives 0).
 *
 * Error bound: if it does not fail, y = y_0 + y_1 is floor(x / 2^f) or floor(x / 2^f) + 1
 * (x read as signed), so |y - x / 2^f| < 1: at most 1 ulp off.
 * Failure probability: when x_0 is uniform and independent of x (a fresh sharing or any Beaver
 * output), it fails exactly when the shares wrap the wrong way (x >= 0 and x_0 < x, or x < 0 and
 * x_0 >= 2^64 - |x|), i.e. with probability |x| / 2^64; for |x| < 2^l_x that is below
 * 2^(l_x - 64), within SecureML's stated bound 2^(l_x + 1 - 64) ({@link truncationFailureBound}).
 * A failure is off by about 2^(64 - f): garbage, not a small error. E.g. f = 16 and a product of
 * magnitude 2^8 (l_x = 8 + 2f = 40) fails with probability below 2^-23 per element.
 *
 * Cost: 0 rounds, 0 bytes, no dealer material.
 * @param fracBits - bits to drop; defaults to the encoding's f.
 */
export function truncate(ctx: PartyContext, x: Share, fracBits = ctx.encoding.fracBits): Share {
  assertOwnShares(ctx, 'truncate', x);
  checkFracBits('truncate', fracBits, 63);
  if (ctx.party === 0) return new Share(0, shiftRightLogical(x.ring, fracBits));
  const y = neg(x.ring); // -floor(-x_1 / 2^f), in one tensor
  return new Share(1, neg(shiftRightLogical(y, fracBits, y), y));
}

/** SecureML's bound on the failure probability of {@link truncate} for |x| < 2^l_x: 2^(l_x + 1 - 64). */
export function truncationFailureBound(boundBits: number): number {
  return Math.min(1, 2 ** (boundBits + 1 - 64));
}

/** Largest |x| exponent {@link truncateWithDealer} accepts: x in [-2^62, 2^62). */
export const DEALER_TRUNCATION_BOUND_BITS = 62;

/**
 * Dealer-assisted truncation that cannot fail (the probabilistic truncation of Escudero et al.,
 * CRYPTO 2020, with the dealer supplying the mask's top bit): shares of floor(x / 2^f) or
 * floor(x / 2^f) + 1 (at most 1 ulp off, as {@link truncate}) for every x in [-2^62, 2^62),
 * with failure probability 0 instead of |x| / 2^64. It is not exact: removing the last ulp of
 * error needs a secure comparison of the low f bits (later work).
 *
 * Steps (party i, n = x.size; all arithmetic modulo 2^64):
 * 1. take a truncation pair (r_i, rMsb_i, rHigh_i) from the dealer: r uniform,
 *    rMsb = floor(r / 2^63), rHigh = floor((r mod 2^63) / 2^f);
 * 2. c_i = x_i + r_i, and S0 adds 2^62, so c = x' + r with x' = x + 2^62 in [0, 2^63);
 * 3. open c in one round (message `${tag}/open`); c is uniform whatever x (perfectly hiding);
 * 4. with c' = c mod 2^63 and c63 = floor(c / 2^63): the carry w = c63 XOR rMsb into bit 63 of
 *    x' + (r mod 2^63) is linear in the shares, w_i = [i = 0] c63 + rMsb_i (1 - 2 c63), and
 *    x' = c' - (r mod 2^63) + 2^63 w exactly;
 * 5. y_i = [i = 0] (floor(c' / 2^f) - 2^(62 - f)) - rHigh_i + 2^(63 - f) w_i.
 * Then y = floor(x' / 2^f) + [c' mod 2^f < r mod 2^f] - 2^(62 - f).
 *
 * Steps 4 and 5 run as one native pass when the ring kernel is loaded (`truncationFinishNative`,
 * the same words).
 *
 * Cost: 1 round; online 8n bytes sent per party (16n total), or with `compact` 8 ceil(n (64 - f)
 * / 64) ({@link openTruncationMask}); offline 3n elements = 24n bytes per party (48n total).
 * @param fracBits - bits to drop, in [0, 62]; defaults to the encoding's f.
 * @param compact - open only the bits step 5 reads ({@link openTruncationMask}, protocol v7): y is
 *   then floor(x / 2^f) + {-1, 0, 1, 2}, unbiased, for x in [-2^62 + 2^f, 2^62 - 2^f).
 */
export async function truncateWithDealer(ctx: PartyContext, x: Share, fracBits = ctx.encoding.fracBits, tag = 'truncate', compact = false): Promise<Share> {
  assertOwnShares(ctx, tag, x);
  const f = checkFracBits(tag, fracBits, DEALER_TRUNCATION_BOUND_BITS);
  const { r, rMsb, rHigh } = await ctx.dealer.truncationPair(x.shape, tag, { fracBits: f });
  const masked = add(x.ring, r.ring);
  if (ctx.party === 0) addScalar(masked, 1n << 62n, masked);
  const c = await openTruncationMask(ctx, masked, f, tag, compact);
  const fused = truncationFinishNative(c, RingTensor.fromBigInts([0n]), rMsb.ring, rHigh.ring, ctx.party === 0, f);
  if (fused !== undefined) return new Share(ctx.party, fused);
  const c63 = shiftRightLogical(c, 63);
  const sign = addScalar(mulScalar(c63, -2n), 1n); // 1 - 2 c63
  let w = mul(rMsb.ring, sign);
  if (ctx.party === 0) w = add(w, c63);
  let y = sub(mulScalar(w, 1n << BigInt(63 - f)), rHigh.ring);
  if (ctx.party === 0) {
    const cLow = sub(c, mulScalar(c63, 1n << 63n));
    y = add(y, addScalar(shiftRightLogical(cLow, f), -(1n << BigInt(62 - f))));
  }
  return new Share(ctx.party, y);
}

/**
 * The opened form of {@link truncateWithDealer} with a given pair: the same exchange (1 round,
 * 8n bytes per party, message `${tag}/open`), but instead of shares of y = trunc(x, f) it returns
 * the public tensors q and sigma such that party i's share of y would be
 * y_i = [i = 0] q - rHigh_i + sigma rMsb_i (elementwise): q = floor(c' / 2^f) - 2^(62 - f) +
 * 2^(63 - f) c63 and sigma = 2^(63 - f) (1 - 2 c63), in the notation of `truncateWithDealer`.
 * A product of two such outputs is then linear in the dealer's products of their pairs'
 * (rHigh, rMsb) (`PairedTruncation`), so it needs no further opening.
 * @param fracBits - bits to drop, in [0, 62]; must be the pair's.
 * @param compact - open only the top 64 - f bits (`truncateWithDealer`'s `compact`).
 */
export async function truncationOpening(ctx: PartyContext, x: Share, pair: TruncationPair, fracBits: number, tag: string, compact = false): Promise<{ readonly q: RingTensor; readonly sigma: RingTensor }> {
  return truncationOpeningWithShare(ctx, x, pair, fracBits, tag, false, compact);
}

/**
 * {@link truncationOpening}, also returning this party's share y_i = [i = 0] q - rHigh_i +
 * sigma rMsb_i of the truncation when `withShare` (one more native pass, as `truncateWithDealer`'s).
 */
export async function truncationOpeningWithShare(
  ctx: PartyContext,
  x: Share,
  pair: TruncationPair,
  fracBits: number,
  tag: string,
  withShare = true,
  compact = false,
): Promise<{ readonly q: RingTensor; readonly sigma: RingTensor; readonly share?: RingTensor }> {
  assertOwnShares(ctx, tag, x, pair.r);
  const f = checkFracBits(tag, fracBits, DEALER_TRUNCATION_BOUND_BITS);
  const masked = add(x.ring, pair.r.ring);
  if (ctx.party === 0) addScalar(masked, 1n << 62n, masked);
  const c = await openTruncationMask(ctx, masked, f, tag, compact);
  // Natively: q is party 0's share of the truncation with a pair of zeros, sigma party 1's with
  // rMsb = 1 and rHigh = 0 (see truncateWithDealer's step 5), as one-word constants; the opened c
  // is the first operand, with a one-word zero as the other half.
  const zero = RingTensor.fromBigInts([0n]);
  const q = truncationFinishNative(c, zero, zero, zero, true, f);
  const sigma = q === undefined ? undefined : truncationFinishNative(c, zero, RingTensor.fromBigInts([1n]), zero, false, f);
  const share = withShare && sigma !== undefined ? truncationFinishNative(c, zero, pair.rMsb.ring, pair.rHigh.ring, ctx.party === 0, f) : undefined;
  if (q !== undefined && sigma !== undefined && (share !== undefined || !withShare)) return { q, sigma, ...(share === undefined ? {} : { share }) };
  const c63 = shiftRightLogical(c, 63);
  const cLow = sub(c, mulScalar(c63, 1n << 63n));
  const qTs = add(addScalar(shiftRightLogical(cLow, f), -(1n << BigInt(62 - f))), mulScalar(c63, 1n << BigInt(63 - f)));
  const sigmaTs = mulScalar(addScalar(mulScalar(c63, -2n), 1n), 1n << BigInt(63 - f));
  if (!withShare) return { q: qTs, sigma: sigmaTs };
  let y = sub(mul(sigmaTs, pair.rMsb.ring), pair.rHigh.ring);
  if (ctx.party === 0) y = add(y, qTs);
  return { q: qTs, sigma: sigmaTs, share: y };
}

/**
 * The opening of a truncation's masked value c = c_0 + c_1 (message `${tag}/open`, 1 round):
 * returns the opened c, computed in place in the received words (plain) or in `masked` (this
 * party's c_i, consumed; compact, where the message sent is a packed copy).
 *
 * Plain: each party sends its whole c_i (8n bytes). With `compact` (protocol v7) S0 first adds
 * 2^(f - 1) to its c_0 (so that the truncation rounds, see below), then each party sends only
 * floor(c_i / 2^f), its top 64 - f bits packed densely (`ring/top-bits.ts`: 8 ceil(n (64 - f) /
 * 64) bytes), and the receiver adds them as (floor(c_0 / 2^f) + floor(c_1 / 2^f)) 2^f, which is
 * c~ = c + 2^(f - 1) - k 2^f with k = [c_0 mod 2^f + c_1 mod 2^f >= 2^f] the carry the dropped
 * low parts would have sent into bit f. It is the same on both sides, and the truncation steps
 * read only floor(c~ / 2^f) and its top bit, so they compute exactly what they would for the input
 * x + 2^(f - 1) - k 2^f:
 * - error: y - floor(x / 2^f) is -1, 0, 1 or 2 (plain: 0 or 1), so |y - x / 2^f| < 2 units, and
 *   the truncation cannot fail for x in [-2^62 + 2^f, 2^62 - 2^f);
 * - bias: c_0 mod 2^f is uniform (a mask share), so k is 1 with probability (2^f - 1 - (c mod
 *   2^f)) / 2^f, 1/2 - 2^-(f + 1) on average over the uniform c: the 2^(f - 1) cancels it, and y is
 *   unbiased within 2^-(f + 1) units like the plain truncation (without it, -1/2 unit).
 * What a party sends is a function of what it would send in full, so it reveals nothing more.
 */
export async function openTruncationMask(ctx: PartyContext, masked: RingTensor, f: number, tag: string, compact: boolean): Promise<RingTensor> {
  if (!compact) {
    const [other] = await ctx.channel.exchange(`${tag}/open`, [masked]);
    // into the received words: a transport may still be writing `masked` to its socket
    return add(masked, other!, other!);
  }
  if (ctx.party === 0 && f > 0) addScalar(masked, 1n << BigInt(f - 1), masked);
  const [other] = await ctx.channel.exchange(`${tag}/open`, [packTopBits(masked, f)]);
  if (other!.size !== topBitsWords(masked.size, f)) throw new ProtocolError(tag, `the other party sent ${other!.size} words of top bits, expected ${topBitsWords(masked.size, f)} for ${masked.size} values`);
  return addTopBitsInto(other!, f, masked);
}

function checkFracBits(step: string, fracBits: number, max: number): number {
  if (!Number.isInteger(fracBits) || fracBits < 0 || fracBits > max) {
    throw new ProtocolError(step, `fracBits must be an integer in [0, ${max}], got ${fracBits}`);
  }
  return fracBits;
}

