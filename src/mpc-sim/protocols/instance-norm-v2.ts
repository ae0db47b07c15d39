import type { Share } from '../sharing/share.js';
import type { PartyContext } from './context.js';
import { instanceNormWith, type InstanceNormOptions } from './instance-norm.js';
import { normScaleV2, normScaleV2Tables } from './norm-scale-v2.js';

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
  return instanceNormWith(ctx, x, gamma, beta, options, (q, qScale, f, epsilon, tag) => normScaleV2(ctx, q, gamma, normScaleV2Tables(qScale, f, epsilon), tag));
}
