import { ProtocolError } from '../../errors.js';
import { addScalar, mulScalar } from '../ring/elementwise.js';
import { RingTensor, type Shape } from '../ring/ring-tensor.js';
import { addShares, reshapeShare, scaleShare, subShares } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import { lessThanPublic } from './compare.js';
import { assertOwnShares, type PartyContext } from './context.js';
import type { TruncationMode } from './fixed.js';
import { matmul } from './matmul.js';
import { mul } from './mul.js';
import { broadcastShare, concatShares, mulTrunc, sliceShare, sumShare } from './shared-vector.js';
import { truncate, truncateWithDealer } from './truncate.js';

/** Fractional bits of the internal variance word (independent of the encoding). */
export const VARIANCE_FRAC_BITS = 33;
/** Fractional bits of the internal inverse square root and scale words. */
export const RSQRT_FRAC_BITS = 20;
/** Thresholds 2^(j/2) of the exponent estimate, j in [-28, 14]: 43 comparisons on one scalar. */
export const RSQRT_THRESHOLDS = 43;
/** Variance range over which the stated accuracy holds: [2^-14, 2^7] (about [6.1e-5, 128]). */
export const RSQRT_RANGE: readonly [number, number] = [2 ** -14, 2 ** 7];
const J_MIN = -28;
const J_MAX = 14;
const T_VAR = 19;

/** Options of {@link instanceNorm}. */
export interface InstanceNormOptions {
  /** Added to the standard deviation (keras-contrib default 1e-3). */
  readonly epsilon?: number;
  /** Newton-Raphson iterations of the inverse square root (default 3). */
  readonly iterations?: number;
  /** Truncation of the final elementwise product: `dealer` (default) or `local` (0 rounds). */
  readonly truncation?: TruncationMode;
  /** Names the messages and dealer requests (default `instanceNorm`). */
  readonly tag?: string;
}

/**
 * keras-contrib `InstanceNormalization(axis=None)` on one sample: every element of `x` (any
 * shape, fixed point at f = `ctx.encoding.fracBits`) becomes (x - mean) / (std + eps) * gamma +
 * beta, with mean and (population) variance over all n elements and scalar shared gamma, beta
 * (shape [1], fixed point). Output has x's shape.
 *
 * Steps (s = ceil(log2 n), Fv = 33, Fy = 20 internal fractional bits; all truncations dealer):
 * 1. mean = trunc(sum(x) * round(2^(53-f)/n), 53 - f) (local sum, 1 truncation);
 * 2. d = x - mean; dh = d locally truncated by h = max(0, ceil((s + 2f - 53)/2)) bits (so the sum
 *    of squares fits; h = 2 only for FIXED20 with n > 2^13);
 * 3. q = dh . dh, a Beaver square summed inside one [1,n] x [n,1] `matmul`;
 * 4. v = trunc(trunc(q, s) * round(2^(52 - 2(f-h) + s)/n), 19): the variance at scale 2^33;
 * 5. exponent estimate: one batched `lessThanPublic` of v against 2^(j/2), j = -28..14; the
 *    bits select (linearly, no multiplication) y0 = 2^(-(j+0.5)/4) for v in [2^(j/2), 2^((j+1)/2)),
 *    so |1 - v y0^2| < 0.19;
 * 6. Newton-Raphson for 1/sqrt(v), `iterations` times: [v y, y^2] (one batched mul + trunc),
 *    then y <- (3y - (v y)(y^2)) / 2 (mul, and the difference truncated by Fv + 1);
 *    the error e = 1 - v y^2 maps to 3e^2/4 + e^3/4: 0.19 -> 0.025 -> 5e-4 -> 2e-7;
 * 7. with r ~ 1/std and u = eps r (u <= 0.13 on the range): k = r / (1 + u) =
 *    r (1 - u)(1 + u^2)(1 + u^4) (error u^8 < 1e-7) in three mul + trunc steps, [u^2, r(1-u)],
 *    [u^4, .(1+u^2)], .(1+u^4);
 * 8. a = gamma k (mul + trunc, scale f); y = d a as an [n,1] x [1,1] `matmul`, truncated by f,
 *    plus beta.
 *
 * Accuracy (tested, 3 iterations): 1/sqrt(v) within relative 5e-5 for var in [2^-14, 2^7]
 * (Newton error ~2e-7; the rest is the 2^-20 resolution of y, worst at var = 2^7 where
 * 1/sqrt(v) ~ 0.088); y within ulp (2 max(1, gamma k) + (|gamma| + 1) |d| + 2) + 5e-5 |y - beta| of the float
 * layer (d itself is only known to ~1 ulp). Inputs need |mean| < 2^8, var < 2^8 and |y| within the encodable range. A constant x
 * (var = 0) gives y = beta up to a ulp-level d. Outside the range the exponent estimate clamps
 * and accuracy is not claimed.
 *
 * Cost (C = one `lessThanPublic` of 43 elements, see `drelu.ts`: 5 rounds at l = 64; I = iterations):
 * rounds 15 + C_rounds + 4I with dealer truncation (32 for I = 3), one fewer with local;
 * online bytes per party 32n + 184 + 72I + C_bytes (local: 24n + ...).
 * @throws ProtocolError if gamma or beta is not one element or a share is not the caller's.
 */
export async function instanceNorm(ctx: PartyContext, x: Share, gamma: Share, beta: Share, options: InstanceNormOptions = {}): Promise<Share> {
  const tag = options.tag ?? 'instanceNorm';
  assertOwnShares(ctx, tag, x, gamma, beta);
  if (gamma.size !== 1 || beta.size !== 1) throw new ProtocolError(tag, 'gamma and beta must be scalars (one element each)');
  const iterations = options.iterations ?? 3;
  const f = ctx.encoding.fracBits;
  const n = x.size;
  const s = Math.ceil(Math.log2(n));
  const flat = reshapeShare(x, [n]);

  const c1 = BigInt(Math.round(2 ** (53 - f) / n));
  const mean = await truncateWithDealer(ctx, scaleShare(sumShare(flat), c1), 53 - f, `${tag}/mean`);
  const d = subShares(flat, broadcastShare(mean, n));
  const h = Math.max(0, Math.ceil((s + 2 * f - 53) / 2));
  const dh = h > 0 ? truncate(ctx, d, h) : d;
  const q = await matmul(ctx, reshapeShare(dh, [1, n]), reshapeShare(dh, [n, 1]), `${tag}/square`);
  const v1 = await truncateWithDealer(ctx, reshapeShare(q, [1]), s, `${tag}/var1`);
  const c2 = BigInt(Math.round(2 ** (T_VAR + VARIANCE_FRAC_BITS - 2 * (f - h) + s) / n));
  const v = await truncateWithDealer(ctx, scaleShare(v1, c2), T_VAR, `${tag}/var2`);

  const r = await inverseSqrt(ctx, v, iterations, `${tag}/rsqrt`);
  const k = await inverseOnePlusEps(ctx, r, options.epsilon ?? 1e-3, `${tag}/recip`);
  const a = await mulTrunc(ctx, gamma, k, RSQRT_FRAC_BITS, `${tag}/gamma`);
  const prod = reshapeShare(await matmul(ctx, reshapeShare(d, [n, 1]), reshapeShare(a, [1, 1]), `${tag}/scale`), [n]);
  const scaled = (options.truncation ?? 'dealer') === 'local' ? truncate(ctx, prod, f) : await truncateWithDealer(ctx, prod, f, `${tag}/truncate`);
  return reshapeShare(addShares(scaled, broadcastShare(beta, n)), x.shape as Shape);
}

/**
 * Shares of about 1/sqrt(v) at scale 2^20 from shares of v at scale 2^33 (shape [1]), by the
 * comparison-based initial guess and `iterations` Newton steps of {@link instanceNorm} (steps
 * 5 and 6). Cost: C + 4I rounds; C_bytes + 72I online bytes per party.
 */
export async function inverseSqrt(ctx: PartyContext, v: Share, iterations: number, tag = 'rsqrt'): Promise<Share> {
  const fy = RSQRT_FRAC_BITS;
  const fv = VARIANCE_FRAC_BITS;
  const thresholds = new RingTensor([RSQRT_THRESHOLDS]);
  for (let j = J_MIN; j <= J_MAX; j++) thresholds.data[j - J_MIN] = BigInt(Math.round(2 ** (j / 2 + fv)));
  const lt = await lessThanPublic(ctx, broadcastShare(v, RSQRT_THRESHOLDS), thresholds, { tag: `${tag}/exponent` });
  const g = (j: number): bigint => BigInt(Math.round(2 ** (-(j + 0.5) / 4 + fy)));
  // y0 = g(J_MAX) - sum_j [v < 2^(j/2)] (g(j) - g(j - 1)): telescopes to g(interval of v).
  let y0 = 0n;
  for (let j = J_MIN; j <= J_MAX; j++) y0 -= lt.ring.data[j - J_MIN]! * (g(j) - g(j - 1));
  if (ctx.party === 0) y0 += g(J_MAX);
  let y = new Share(ctx.party, RingTensor.fromBigInts([y0]));
  for (let i = 0; i < iterations; i++) {
    const vyYy = await mulTrunc(ctx, concatShares(v, y), concatShares(y, y), fy, `${tag}/it${i}a`);
    const vy3 = await mul(ctx, sliceShare(vyYy, 0, 1), sliceShare(vyYy, 1, 2), `${tag}/it${i}b/mul`);
    const z = subShares(scaleShare(y, 3n << BigInt(fv)), vy3);
    y = await truncateWithDealer(ctx, z, fv + 1, `${tag}/it${i}b/truncate`);
  }
  return y;
}

/** Shares of r / (1 + eps r) at scale 2^20 (step 7 of {@link instanceNorm}). 7 rounds; 128 bytes per party. */
async function inverseOnePlusEps(ctx: PartyContext, r: Share, eps: number, tag: string): Promise<Share> {
  const fy = RSQRT_FRAC_BITS;
  const one = 1n << BigInt(fy);
  const plusOne = (t: Share, sign: bigint): Share => new Share(ctx.party, addScalar(mulScalar(t.ring, sign), ctx.party === 0 ? one : 0n));
  const u = await truncateWithDealer(ctx, scaleShare(r, BigInt(Math.round(eps * 2 ** fy))), fy, `${tag}/u`);
  const a = await mulTrunc(ctx, concatShares(u, r), concatShares(u, plusOne(u, -1n)), fy, `${tag}/a`);
  const u2 = sliceShare(a, 0, 1);
  const b = await mulTrunc(ctx, concatShares(u2, sliceShare(a, 1, 2)), concatShares(u2, plusOne(u2, 1n)), fy, `${tag}/b`);
  return mulTrunc(ctx, sliceShare(b, 1, 2), plusOne(sliceShare(b, 0, 1), 1n), fy, `${tag}/c`);
}
