import { ProtocolError } from '../../errors.js';
import type { Shape } from '../ring/ring-tensor.js';
import { addShares, reshapeShare, scaleShare, subShares } from '../sharing/linear.js';
import type { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import type { TruncationMode } from './fixed.js';
import { matmul } from './matmul.js';
import { NORM_MAX_Q_BITS, NORM_VARIANCE_RANGE, SCALE_FRAC_BITS, normScale, normScaleTables } from './norm-scale.js';
import { broadcastShare, sumShare } from './shared-vector.js';
import { truncate, truncateWithDealer } from './truncate.js';

/** Options of {@link instanceNorm}. */
export interface InstanceNormOptions {
  /** Added to the standard deviation (keras-contrib default 1e-3). */
  readonly epsilon?: number;
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
 * Steps (all truncations dealer-assisted unless stated):
 * 1. mean = trunc(sum(x) * round(2^(53-f)/n), 53 - f) (local sum, 1 truncation);
 * 2. d = x - mean; dh = d locally truncated by h = `normTruncationBits(n, f)` bits (0 unless
 *    n 2^2f > 2^51, e.g. FIXED20 with n > 2^11), so that q below cannot overflow;
 * 3. q = dh . dh, a Beaver square summed inside one [1,n] x [n,1] `matmul`: q = var n 2^(2(f-h));
 *    then, if that scale exceeds 2^38, one dealer truncation of the scalar q by
 *    r = `normRescaleBits(n, f)` bits (1 round, 8 bytes): q = var Q with Q <= 2^38;
 * 4. k = gamma / (std + eps) at scale 2^20 by `normScale` (a 385-point geometric grid on the
 *    variance, one batched comparison, a per-interval quadratic; 11 rounds);
 * 5. y = d k as an [n,1] x [1,1] `matmul`, truncated by 20 (or locally), plus beta.
 *
 * Accuracy: k within relative ~1e-6 (`normScale`: interpolation error below 1e-6, measured in
 * `NormScaleTables.fitError`, plus truncation units) for var in [2^-14, 2^10] and |gamma| < 8;
 * var itself is computed from d truncated by h bits (h = 0 unless n 2^2f > 2^51), a relative
 * error of about 0.6 2^(h-f) / (std sqrt n). y is within
 * ulp (2 max(1, k) + |d| 2^-20 2^f + 2) + 2e-6 |y - beta| of the float layer. Inputs need
 * |mean| < 2^8 and |y| within the encodable range. A variance outside [2^-14, 2^10) (e.g. a constant
 * input) gives k = 0: y = beta exactly.
 *
 * Cost (C = one `lessThanPublic` of 385 elements, see `drelu.ts`: 5 rounds at l = 64):
 * rounds 10 + C_rounds (15), + 1 when r > 0, one fewer with local final truncation;
 * online bytes per party 32n + 6,304 + C_bytes, + 8 when r > 0 (local: 8n fewer).
 * @throws ProtocolError if gamma or beta is not one element or a share is not the caller's.
 */
export async function instanceNorm(ctx: PartyContext, x: Share, gamma: Share, beta: Share, options: InstanceNormOptions = {}): Promise<Share> {
  return instanceNormWith(ctx, x, gamma, beta, options, (q, qScale, f, epsilon, tag) => normScale(ctx, q, gamma, normScaleTables(qScale, f, epsilon), tag));
}

/**
 * The scale step of an instance norm: k = gamma / (std + eps) from the rescaled sum of squares `q`
 * (a real value of `qScale` times the variance), as `normScale` or `normScaleV2` compute it.
 */
export type NormScaleStep = (q: Share, qScale: number, fracBits: number, epsilon: number, tag: string) => Promise<Share>;

/**
 * The steps of {@link instanceNorm} with the scale step `scale` (`instanceNorm` and
 * `instanceNormV2` differ only there).
 * @throws ProtocolError if gamma or beta is not one element or a share is not the caller's.
 */
export async function instanceNormWith(ctx: PartyContext, x: Share, gamma: Share, beta: Share, options: InstanceNormOptions, scale: NormScaleStep): Promise<Share> {
  const tag = options.tag ?? 'instanceNorm';
  assertOwnShares(ctx, tag, x, gamma, beta);
  if (gamma.size !== 1 || beta.size !== 1) throw new ProtocolError(tag, 'gamma and beta must be scalars (one element each)');
  const f = ctx.encoding.fracBits;
  const { n, d, dh, h } = await centreForNorm(ctx, x, tag);
  const q0 = reshapeShare(await matmul(ctx, reshapeShare(dh, [1, n]), reshapeShare(dh, [n, 1]), `${tag}/square`), [1]);
  const r = normRescaleBits(n, f);
  const q = r > 0 ? await truncateWithDealer(ctx, q0, r, `${tag}/rescale`) : q0;
  const k = await scale(q, (n * 2 ** (2 * (f - h))) / 2 ** r, f, options.epsilon ?? 1e-3, `${tag}/scale`);
  const prod = reshapeShare(await matmul(ctx, reshapeShare(d, [n, 1]), reshapeShare(k, [1, 1]), `${tag}/apply`), [n]);
  const scaled = (options.truncation ?? 'dealer') === 'local' ? truncate(ctx, prod, SCALE_FRAC_BITS) : await truncateWithDealer(ctx, prod, SCALE_FRAC_BITS, `${tag}/truncate`);
  return reshapeShare(addShares(scaled, broadcastShare(beta, n)), x.shape as Shape);
}

/**
 * Steps 1 and 2 of {@link instanceNorm}, shared with `normConv`: the mean by one dealer
 * truncation (1 round, 8 bytes per party, message `${tag}/mean/open`), d = x - mean (flat [n]),
 * and dh = d locally truncated by h = {@link normTruncationBits} bits (d itself when h = 0).
 * `inputScale` s: x is s times the layer's real input (`scaledLeakyRelu`), so its variance may
 * reach s^2 2^10 and h allows for that.
 */
export async function centreForNorm(ctx: PartyContext, x: Share, tag: string, inputScale = 1): Promise<{ readonly n: number; readonly d: Share; readonly dh: Share; readonly h: number }> {
  const f = ctx.encoding.fracBits;
  const n = x.size;
  const flat = reshapeShare(x, [n]);
  const c1 = BigInt(Math.round(2 ** (53 - f) / n));
  const mean = await truncateWithDealer(ctx, scaleShare(sumShare(flat), c1), 53 - f, `${tag}/mean`);
  const d = subShares(flat, broadcastShare(mean, n));
  const h = normTruncationBits(n, f, inputScale);
  return { n, d, dh: h > 0 ? truncate(ctx, d, h) : d, h };
}

/** Largest variance {@link instanceNorm} must hold without overflow: the grid's top, 2^10. */
const VARIANCE_BOUND_BITS = Math.log2(NORM_VARIANCE_RANGE[1]);

/**
 * Bits h by which {@link instanceNorm} truncates x - mean before squaring: the fewest that keep
 * the sum of squares q = var n 2^(2(f-h)) below 2^61 for var < 2^10 (0 unless n 2^2f > 2^51);
 * for an input s = `inputScale` times the real one, var < s^2 2^10.
 */
export function normTruncationBits(n: number, fracBits: number, inputScale = 1): number {
  return Math.max(0, Math.ceil((Math.log2(n) + 2 * fracBits + VARIANCE_BOUND_BITS + 2 * Math.log2(inputScale) - 61) / 2));
}

/**
 * Bits r by which {@link instanceNorm} truncates the sum of squares so that its scale Q <= 2^38
 * (`normScale`); for an input s = `inputScale` times the real one, so that s^2 Q <= 2^38 (the
 * scale of the real variance in the truncated sum).
 */
export function normRescaleBits(n: number, fracBits: number, inputScale = 1): number {
  const h = normTruncationBits(n, fracBits, inputScale);
  return Math.max(0, Math.ceil(Math.log2(n) + 2 * (fracBits - h) + 2 * Math.log2(inputScale) - NORM_MAX_Q_BITS));
}
