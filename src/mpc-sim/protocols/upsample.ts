import { upsampleNearest } from '../ring/upsample.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';

/**
 * Nearest-neighbour upsampling (TF `UpSampling2D(size, 'nearest')`) of a shared image
 * `[H, W, C]` or `[1, H, W, C]`: each party upsamples its own share, which is exact since the
 * map only copies words (linear). A following convolution can instead fuse it
 * (`Conv2dOptions.upsample`) and open the smaller, not upsampled, input.
 *
 * Cost: 0 rounds, 0 bytes, no dealer material.
 * @throws ShapeError unless `x` is an image and `factor` a positive integer.
 */
export function upsample(ctx: PartyContext, x: Share, factor = 2): Share {
  assertOwnShares(ctx, 'upsample', x);
  return new Share(ctx.party, upsampleNearest(x.ring, factor));
}
