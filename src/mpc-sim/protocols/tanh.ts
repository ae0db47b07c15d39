import { ProtocolError } from '../../errors.js';
import { addScalar, mulScalar } from '../ring/elementwise.js';
import { RingTensor, type Shape } from '../ring/ring-tensor.js';
import { reshapeShare } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import type { CompareOptions } from './drelu.js';
import { relu } from './relu.js';
import { truncateWithDealer } from './truncate.js';

/**
 * Positive breakpoints of the tanh interpolant, in units of 2^-10 (so exactly encodable for
 * f >= 10); the breakpoints are these, their negatives and 0 (39 in all).
 *
 * Obtained offline by a greedy fit (a 10-line Node script, eps = 1e-3): from a = 0, take the
 * largest step h (a multiple of 2^-10) such that the chord of tanh on [a, a + h] stays within
 * eps of tanh (checked on 200 points per segment); a += h; repeat until 1 - tanh(a) <= eps.
 * The last breakpoint 5494/1024 = 5.365 has 1 - tanh = 4.4e-5; beyond it the output is constant.
 */
export const TANH_BREAKPOINTS_1024: readonly number[] = [204, 336, 451, 558, 662, 766, 872, 981, 1096, 1218, 1351, 1497, 1662, 1853, 2083, 2374, 2776, 3436, 5494];
/** Number of breakpoints K (39): one ReLU per breakpoint and element. */
export const TANH_PIECES = 2 * TANH_BREAKPOINTS_1024.length + 1;
/** Bits of the quantised slopes (slope error 2^-31, negligible over the 10.7-wide span). */
export const TANH_SLOPE_BITS = 30;
/**
 * Max |tanh(x) - y| over all encodable x, measured in `tanh.test.ts` (dense grid of step 2^-12 on
 * [-6, 6] plus 0, +-1 ulp, +-largest): the interpolation error 1e-3 plus at most 1 ulp of truncation.
 */
export const TANH_MAX_ERROR = 1.0e-3;

/** The breakpoints as reals, ascending: -t_18..-t_0, 0, t_0..t_18. */
function breakpoints(): number[] {
  const pos = TANH_BREAKPOINTS_1024.map((b) => b / 1024);
  return [...pos.map((t) => -t).reverse(), 0, ...pos];
}

/**
 * tanh on fixed-point shares, by the continuous piecewise-linear interpolant P of tanh at the
 * 39 breakpoints t_0 < ... < t_38 (odd, {@link TANH_BREAKPOINTS_1024}), constant tanh(t_0) below
 * t_0 and tanh(t_38) above t_38:
 * P(x) = tanh(t_0) + sum_k (s_k - s_(k-1)) relu(x - t_k), with s_k the chord slope on
 * [t_k, t_(k+1)] and s_(-1) = s_38 = 0.
 *
 * Steps (n = x.size, K = 39, S = 30 slope bits, f = `ctx.encoding.fracBits` >= 10):
 * 1. z = [x - t_0, ..., x - t_38] (K n elements, local: S0 subtracts the encoded t_k);
 * 2. one batched {@link relu} of z (exact in the ring);
 * 3. locally u = round(tanh(t_0) 2^(f+S)) + sum_k dq_k relu_k, with the quantised slopes
 *    q_k = round(s_k 2^S) and dq_k = q_k - q_(k-1) (sum dq_k = 0 exactly, so P is exactly constant
 *    beyond t_38 whatever |x|);
 * 4. y = trunc(u, S) (dealer truncation): scale 2^f.
 *
 * Accuracy: |y - tanh(x)| <= 1e-3 (interpolation) + 1 ulp (truncation) + 5e-9 (slope rounding) for
 * every encodable x, measured ({@link TANH_MAX_ERROR}); y is odd up to 1 ulp and within [-1, 1].
 *
 * Cost: relu of K n elements (l = 64, d = 4: 5 rounds, 8 * comparisonLayout(K n, product).online
 * bytes per party, about 14.6 K = 570 bytes per element) plus the truncation (1 round, 8n bytes):
 * 6 rounds; online bytes per party 8 * onlineWords(39 n) + 8n.
 * @throws ProtocolError if f < 10 or f + 30 > 60, or a share is not the caller's.
 */
export async function tanh(ctx: PartyContext, x: Share, options: CompareOptions = {}): Promise<Share> {
  const tag = options.tag ?? 'tanh';
  assertOwnShares(ctx, tag, x);
  const f = ctx.encoding.fracBits;
  if (f < 10 || f + TANH_SLOPE_BITS > 60) throw new ProtocolError(tag, `needs 10 <= fracBits <= 30, got ${f}`);
  const t = breakpoints();
  const k = t.length;
  const n = x.size;
  const z = new BigUint64Array(k * n);
  for (let j = 0; j < k; j++) {
    const shift = ctx.party === 0 ? BigInt(Math.round(t[j]! * 1024)) << BigInt(f - 10) : 0n;
    for (let i = 0; i < n; i++) z[j * n + i] = BigInt.asUintN(64, x.ring.data[i]! - shift);
  }
  const { y: r } = await relu(ctx, new Share(ctx.party, new RingTensor([k * n], z)), { ...options, tag: `${tag}/relu` });

  const S = 2 ** TANH_SLOPE_BITS;
  const q = t.map((tk, j) => (j + 1 < k ? BigInt(Math.round(((Math.tanh(t[j + 1]!) - Math.tanh(tk)) / (t[j + 1]! - tk)) * S)) : 0n));
  let u = new RingTensor([n]);
  for (let j = 0; j < k; j++) {
    const dq = q[j]! - (j > 0 ? q[j - 1]! : 0n);
    const part = mulScalar(new RingTensor([n], r.ring.data.slice(j * n, (j + 1) * n)), dq);
    for (let i = 0; i < n; i++) u.data[i] = BigInt.asUintN(64, u.data[i]! + part.data[i]!);
  }
  if (ctx.party === 0) u = addScalar(u, BigInt(Math.round(Math.tanh(t[0]!) * 2 ** (f + TANH_SLOPE_BITS))));
  const y = await truncateWithDealer(ctx, new Share(ctx.party, u), TANH_SLOPE_BITS, `${tag}/truncate`);
  return reshapeShare(y, x.shape as Shape);
}
