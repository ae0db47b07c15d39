import { ProtocolError } from '../../errors.js';
import type { Shape } from '../ring/ring-tensor.js';
import { addShares, reshapeShare, scaleShare, subShares } from '../sharing/linear.js';
import type { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { normRescaleBits, normTruncationBits, type InstanceNormOptions } from './instance-norm.js';
import { matmul } from './matmul.js';
import { SCALE_FRAC_BITS } from './norm-scale.js';
import { normScaleV2, normScaleV2Tables } from './norm-scale-v2.js';
import { broadcastShare, sumShare } from './shared-vector.js';
import { truncate, truncateWithDealer } from './truncate.js';

/**
 * `instanceNorm` with the scale from {@link normScaleV2} (7 rounds instead of `normScale`'s 11):
 * same steps, inputs, outputs and element-wise cost otherwise.
 *
 * Steps: as `instanceNorm` (mean by 1 truncation; d = x - mean, truncated locally by h bits when
 * n 2^2f > 2^51; Beaver sum of squares; a truncation of the scalar by r bits when its scale
 * exceeds 2^38), then k = gamma / (std + eps) by `normScaleV2`, y = trunc(d k, 20) + beta.
 *
 * Accuracy: as `instanceNorm`, with k's error from `normScaleV2` (relative fitError + 5e-7,
 * plus 2^-20 absolute).
 *
 * Cost (`normScaleV2`: 7 rounds, C_bytes + 10,072 bytes per party, C = `lessThanPublic` of 385
 * elements at l = 64, d = 8): rounds 4 + 7 = 11, + 1 when r > 0, one fewer with local final
 * truncation; online bytes per party 32n + 10,088 + C_bytes, + 8 when r > 0 (local: 8n fewer).
 * @throws ProtocolError if gamma or beta is not one element or a share is not the caller's.
 */
export async function instanceNormV2(ctx: PartyContext, x: Share, gamma: Share, beta: Share, options: InstanceNormOptions = {}): Promise<Share> {
  const tag = options.tag ?? 'instanceNorm';
  assertOwnShares(ctx, tag, x, gamma, beta);
  if (gamma.size !== 1 || beta.size !== 1) throw new ProtocolError(tag, 'gamma and beta must be scalars (one element each)');
  const f = ctx.encoding.fracBits;
  const n = x.size;
  const flat = reshapeShare(x, [n]);

  const c1 = BigInt(Math.round(2 ** (53 - f) / n));
  const mean = await truncateWithDealer(ctx, scaleShare(sumShare(flat), c1), 53 - f, `${tag}/mean`);
  const d = subShares(flat, broadcastShare(mean, n));
  const h = normTruncationBits(n, f);
  const dh = h > 0 ? truncate(ctx, d, h) : d;
  const q0 = reshapeShare(await matmul(ctx, reshapeShare(dh, [1, n]), reshapeShare(dh, [n, 1]), `${tag}/square`), [1]);
  const r = normRescaleBits(n, f);
  const q = r > 0 ? await truncateWithDealer(ctx, q0, r, `${tag}/rescale`) : q0;
  const tables = normScaleV2Tables((n * 2 ** (2 * (f - h))) / 2 ** r, f, options.epsilon ?? 1e-3);
  const k = await normScaleV2(ctx, q, gamma, tables, `${tag}/scale`);
  const prod = reshapeShare(await matmul(ctx, reshapeShare(d, [n, 1]), reshapeShare(k, [1, 1]), `${tag}/apply`), [n]);
  const scaled = (options.truncation ?? 'dealer') === 'local' ? truncate(ctx, prod, SCALE_FRAC_BITS) : await truncateWithDealer(ctx, prod, SCALE_FRAC_BITS, `${tag}/truncate`);
  return reshapeShare(addShares(scaled, broadcastShare(beta, n)), x.shape as Shape);
}
