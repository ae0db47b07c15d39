import { ProtocolError } from '../../errors.js';
import { encodeScalar } from '../encoding/fixed-point.js';
import { add, mulScalar } from '../ring/elementwise.js';
import { addShares, scaleShare, subShares } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import type { PartyContext } from './context.js';
import { dreluParts, type CompareOptions } from './drelu.js';
import type { TruncationMode } from './fixed.js';
import { truncate, truncateWithDealer } from './truncate.js';

/** An activation's output and the comparison bit it used, kept for reuse (e.g. the backward pass or a later max). */
export interface ActivationResult {
  /** Shares of the activation's output. */
  readonly y: Share;
  /** Shares of the input the activation was of: x, or with `truncate` the truncated x. */
  readonly input: Share;
  /** Shares of DReLU(x) = [x >= 0], 0 or 1 in Z_2^64. */
  readonly bit: Share;
}

/**
 * ReLU: shares of `max(x, 0)` = x * DReLU(x) and of the bit DReLU(x), elementwise. Exact in the
 * ring (no truncation: the bit is an integer) for every x in [-2^(l-1), 2^(l-1)).
 *
 * Steps: {@link dreluParts} with `product`: the final step of the comparison, which already
 * yields DReLU as a' + (1 - 2a') s from public bits a' and dealt shares of s, also yields
 * x * DReLU = (c - r)(a' + (1 - 2a') s) from the opened c = x + r and dealt shares of r and
 * r * s (for the four possible s). So no Beaver multiplication and no extra round.
 *
 * With `options.truncate` = t, x is 2^t times the input and the comparison's opening also
 * truncates it (`dreluParts`, protocol v5): the output is ReLU of the truncated input, returned
 * as `input`, for no round and no byte online beyond ReLU's own.
 *
 * Cost: as `drelu` (l = 64, d = 4: 5 rounds, about 14.6 bytes online per element per party)
 * plus 4n words of material: about 110.9 bytes per element per party offline. (DReLU followed by a
 * Beaver `mul` would cost 6 rounds, 16 more online and 24 more offline bytes per element.)
 */
export async function relu(ctx: PartyContext, x: Share, options: CompareOptions = {}): Promise<ActivationResult> {
  const { bit, product, input } = await dreluParts(ctx, x, options, true, 'relu');
  return { y: product!, bit, input };
}

/** Options of {@link leakyRelu}. */
export interface LeakyReluOptions extends CompareOptions {
  /** The slope for x < 0 (default 0.2); encoded as a_hat = round(alpha 2^f). */
  readonly alpha?: number;
  /** Truncation of a_hat * min(x, 0): `dealer` (default, never fails) or `local` (0 rounds). */
  readonly truncation?: TruncationMode;
}

/**
 * Leaky ReLU on fixed-point shares: alpha x + (1 - alpha) relu(x), computed as
 * relu(x) + alpha min(x, 0) with min(x, 0) = x - relu(x) exactly. Also returns the bit.
 *
 * Steps: {@link relu} (tag `${tag}/relu`); m = x - relu(x) and v = a_hat * m locally, with
 * a_hat = round(alpha 2^f) (the public constant times a share, scale 2^2f); truncate v by f
 * (`truncateWithDealer` with tag `${tag}/truncate`, or local `truncate`); y = relu(x) + trunc(v).
 *
 * Precision (in ulps of 2^-f): y = relu(x) + floor(a_hat m / 2^f) + delta with delta in {0, 1},
 * so y is within 1 ulp of relu(x) + a_hat m / 2^f (x >= 0: y = x, or x + 1 ulp with dealer
 * truncation); against the real alpha add |alpha - a_hat 2^-f| |m| <= 2^-(f+1) |m|.
 * Range: dealer truncation needs |a_hat m| < 2^62 (true for encodable x and |alpha| < 2^(31 - f));
 * local truncation instead fails (garbage) with probability |a_hat m| / 2^64 per element.
 *
 * Cost: relu, plus with `dealer` truncation 1 round, 8n bytes online and 24n bytes offline per
 * party (l = 64, d = 4: 6 rounds, about 22.6 bytes online and 134.9 bytes offline per element per
 * party); with `local`, relu's cost (5 rounds).
 * @throws ProtocolError if alpha is not encodable.
 */
export async function leakyRelu(ctx: PartyContext, x: Share, options: LeakyReluOptions = {}): Promise<ActivationResult> {
  const tag = options.tag ?? 'leakyRelu';
  const alpha = encodeScalar(ctx.encoding, options.alpha ?? 0.2);
  const { y: positive, bit, input } = await relu(ctx, x, { ...options, tag: `${tag}/relu` });
  const v = scaleShare(subShares(input, positive), alpha);
  const f = ctx.encoding.fracBits;
  const negative = (options.truncation ?? 'dealer') === 'local' ? truncate(ctx, v, f) : await truncateWithDealer(ctx, v, f, `${tag}/truncate`, options.compactOpening === true);
  return { y: addShares(positive, negative), bit, input };
}

/**
 * The integer factor s = 1/alpha when it is one (alpha = 0.2: 5), else undefined: then
 * {@link scaledLeakyRelu} computes s LeakyReLU(x) exactly.
 */
export function leakySlopeFactor(alpha: number): number | undefined {
  if (!(alpha > 0 && alpha < 1)) return undefined;
  const s = Math.round(1 / alpha);
  return Math.abs(1 / alpha - s) < 1e-9 && s >= 2 && s <= 2 ** 10 ? s : undefined;
}

/**
 * s times Leaky ReLU with slope alpha = 1/s (s = {@link leakySlopeFactor}(alpha), an integer):
 * s LeakyReLU(x) = x + (s - 1) relu(x), exact in the ring, with NO truncation. For a LeakyReLU
 * whose output feeds a scale-invariant step only (an InstanceNorm run with epsilon s eps, as
 * `normConv` does with `inputScale`), which divides the factor out exactly.
 *
 * Against {@link leakyRelu}: the truncation of alpha min(x, 0) (1 round, 8n bytes online and 24n
 * bytes of material per party) is gone, and the slope is exact (leakyRelu rounds it to
 * round(alpha 2^f) 2^-f). The output is s times larger: the next step must hold s |x|.
 *
 * Cost: {@link relu}'s (l = 32, d = 8: 3 rounds).
 * @throws ProtocolError if s is not an integer in [2, 2^10].
 */
export async function scaledLeakyRelu(ctx: PartyContext, x: Share, options: CompareOptions & { readonly scale: number }): Promise<ActivationResult> {
  const tag = options.tag ?? 'leakyRelu';
  if (!Number.isInteger(options.scale) || options.scale < 2 || options.scale > 2 ** 10) throw new ProtocolError(tag, `the scale of a scaled LeakyReLU must be an integer in [2, 1024], got ${options.scale}`);
  const { y: positive, bit, input } = await relu(ctx, x, { ...options, tag: `${tag}/relu` });
  // relu's output is this function's own: x + (s - 1) relu(x) in its words, no new tensor
  const y = mulScalar(positive.ring, BigInt(options.scale - 1), positive.ring);
  return { y: new Share(ctx.party, add(input.ring, y, y)), bit, input };
}
