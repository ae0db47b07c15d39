import { ProtocolError } from '../../errors.js';
import { layerInputShape, patchesMatmulAsync, toMasked } from '../dealer/conv-material.js';
import { mul as mulRing } from '../ring/elementwise.js';
import { RingTensor, type Shape } from '../ring/ring-tensor.js';
import { addShares, reshapeShare, scaleShare, subShares } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import { addRowVector, convProductShare, openConvInput, prepareConv2d, type Conv2dQueryMaterial, type EnrolledConv2d } from './conv2d.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { normRescaleBits, normTruncationBits } from './instance-norm.js';
import { matmul } from './matmul.js';
import { SCALE_FRAC_BITS, normScale, normScaleTables } from './norm-scale.js';
import { normScaleV2, normScaleV2Tables } from './norm-scale-v2.js';
import { onlineContext } from './online-dealer.js';
import { parallel } from './parallel.js';
import { broadcastShare, sumShare } from './shared-vector.js';
import { truncate, truncateWithDealer } from './truncate.js';

/*
 * An InstanceNorm folded into the convolution that follows it (protocol v3, issue 18).
 *
 * The keras-contrib InstanceNorm of the reconstructor has ONE mean m, ONE standard deviation s
 * and scalar gamma, beta per sample, so with k = gamma / (s + eps) its output is k (x - m) + beta,
 * and the next (upsampled) convolution is linear:
 *
 *   conv(k (x - m) + beta) + b = k conv(x - m) + (beta conv(1) + b),
 *
 * where conv(1) = L(1) @ W is the convolution of an all-ones input (it varies near the borders
 * with 'same' padding). The last term is fixed per model: enrolment computes its shares J once
 * ({@link enrolNormFold}). A query then:
 * - opens x - m ONCE, masked by the convolution's own input mask A (the opening a convolution
 *   makes anyway), instead of opening it twice for a Beaver square, once for the product by k,
 *   once for that product's truncation, and once more (the normalised values) for the
 *   convolution: the sum of squares follows locally from the opening E = (x - m) - A and dealt
 *   shares of sum A^2 (`ConvQueryMask.aSquareSum`), since sum (E + A)^2 = sum E^2 + 2 sum E A +
 *   sum A^2;
 * - computes the scale k (the v1 or v2 scale step) WHILE the convolution product is truncated
 *   (parallel composition: the truncation's round hides in the scale chain);
 * - multiplies the convolution output by k (one Beaver product of M N elements by a scalar) and
 *   truncates it.
 * It pays where the convolution output is not much larger than its input (M N <= 2 n: strided
 * convolutions and the last one); `enrolReconstructor` folds only there.
 */

/** One party's fixed part of a folded norm: shares J [M, N] of beta conv(1) + b, scale 2^f. */
export interface NormFold {
  readonly bias: Share;
}

/**
 * Enrolment of a fold (once per model, after `enrolConv2d` of the conv): J = trunc(beta G, f) + b
 * with G_i = L(1) @ R_i (local: R is a sharing of W; the ones are integers, so G has W's scale
 * 2^f) and beta G one Beaver product of M N elements by the scalar beta.
 *
 * Cost: 2 rounds; online 8 (M N + 1) + 8 M N bytes per party (the product's openings, the
 * truncation); offline 8 (2 M N + 2) + 24 M N bytes per party.
 * @throws ProtocolError if beta is not one element or a share is not the caller's.
 */
export async function enrolNormFold(ctx: PartyContext, layer: EnrolledConv2d, beta: Share, tag: string): Promise<NormFold> {
  assertOwnShares(ctx, tag, beta);
  if (beta.size !== 1) throw new ProtocolError(tag, 'beta must be a scalar (one element)');
  const g = layer.map.geometry;
  const mn = g.rows * layer.outChannels;
  const inShape = layerInputShape(layer.map);
  const ones = toMasked(new RingTensor(inShape, new BigUint64Array(inputSize(layer)).fill(1n)), layer.map);
  const gShare = new Share(ctx.party, await patchesMatmulAsync(ones, layer.map, layer.right.ring));
  const product = await matmul(ctx, reshapeShare(gShare, [mn, 1]), reshapeShare(beta, [1, 1]), `${tag}/fold/beta`);
  const scaled = await truncateWithDealer(ctx, reshapeShare(product, [g.rows, layer.outChannels]), ctx.encoding.fracBits, `${tag}/fold/truncate`);
  return { bias: new Share(ctx.party, addRowVector(scaled.ring, layer.bias.ring)) };
}

/**
 * Offline phase of one folded query: the conv's material with shares of sum A^2 and a
 * truncation pair for f - h bits (h = `normTruncationBits(n, f)`, n the norm's input size).
 * Cost: as `prepareConv2d` with `dealer` truncation, plus 8 bytes per party.
 */
export async function prepareNormConv(ctx: PartyContext, layer: EnrolledConv2d, tag: string): Promise<Conv2dQueryMaterial> {
  const n = inputSize(layer);
  const h = normTruncationBits(n, ctx.encoding.fracBits);
  return prepareConv2d(ctx, { ...layer, truncation: 'dealer' }, tag, { squareSum: true, truncationBits: ctx.encoding.fracBits - h });
}

/** Options of {@link normConv}. */
export interface NormConvOptions {
  /** The norm's epsilon (added to the standard deviation). */
  readonly epsilon: number;
  /** The scale step: `normScale` (`v1`, 11 rounds) or `normScaleV2` (`v2`, 7 rounds). */
  readonly scale: 'v1' | 'v2';
  /** Names the messages and dealer requests. */
  readonly tag: string;
}

/**
 * One query through InstanceNorm(gamma, beta) then the enrolled conv `layer` (with its fold):
 * shares of `conv(upsample(norm(x)))` at scale 2^f, `[outH, outW, N]` (a leading 1 kept), before
 * the conv's activation. `material` from {@link prepareNormConv}.
 *
 * Steps (n = x.size; truncations dealer-assisted):
 * 1. mean = trunc(sum(x) round(2^(53-f)/n), 53 - f) (1 round, as `instanceNorm`);
 * 2. d = x - mean; dh = d locally truncated by h = `normTruncationBits(n, f)` bits (0 unless
 *    n 2^2f > 2^51), so that the sum of squares below stays under 2^61;
 * 3. open E = dh - A with the conv's input mask A (1 round, 8n bytes; the conv's own opening);
 *    q = sum dh^2 = [i = 0] sum E^2 + 2 sum E A_i + (sum A^2)_i, exact (local);
 *    Z2 = L(E) @ R_i + D_i = conv(dh) at scale 2^(2f - h) (local);
 * 4. in parallel: (a) if needed, q truncated by r = `normRescaleBits(n, f)` bits (1 round), then
 *    k = gamma / (std + eps) at scale 2^20 by the scale step; (b) Z = trunc(Z2, f - h) = conv(d)
 *    at scale 2^f (1 round, hidden in (a));
 * 5. P = Z k, one Beaver product [M N, 1] x [1, 1] (1 round, 8 (M N + 1) bytes), truncated by 20
 *    (1 round, 8 M N bytes), plus the fold's J.
 *
 * Accuracy: k and q as `instanceNorm` (q from dh, the same value; exact here, where
 * `instanceNorm` squares with a Beaver triple); the conv sees d with h fewer fractional bits
 * (1 ulp of 2^(h - f) on its input, e.g. h = 2 at FIXED20 for n = 2^14..2^15) and its output
 * one more ulp per truncation: within ulp (|k| |W|_1 2^h + 2) + 2e-6 |k conv(d)| of the float layers.
 *
 * Cost (r' = 1 if r > 0, else 0; S the scale step's rounds, 7 for `v2`, 11 for `v1`):
 * rounds 1 + 1 + r' + S + 2 (v2 scale: 11 + r', against 11 + r' for `instanceNormV2` plus 2 for
 * the conv after it); online bytes per party 8 + 8n + 8r' + scale step's bytes + 8 M N (Z's
 * truncation, merged) + 16 (r' + S) (the merged rounds' headers) + 8 (M N + 1) + 8 M N, against
 * 32n + 8r' + 16 + scale step's bytes + 8n + 8 M N for `instanceNormV2` then `conv2d`: fewer
 * bytes when M N < 2n (asserted in the tests, under both dealers). Offline: as `conv2d` with
 * dealer truncation, + 8 bytes (sum A^2); the norm's own material as `instanceNormV2` without
 * its Beaver square (8 (2n + 1)) and product (8 (n + 2)) and truncation (24n), the product by k
 * 8 (2 M N + 2) and its truncation 24 M N.
 * @throws ShapeError if `x` is not the conv's input shape; ProtocolError if `material` was not
 *   prepared by {@link prepareNormConv} for this layer or was used, or gamma is not a scalar.
 */
export async function normConv(ctx: PartyContext, x: Share, gamma: Share, layer: EnrolledConv2d, fold: NormFold, material: Conv2dQueryMaterial, options: NormConvOptions): Promise<Share> {
  const tag = options.tag;
  assertOwnShares(ctx, tag, x, gamma, fold.bias);
  if (gamma.size !== 1) throw new ProtocolError(tag, 'gamma must be a scalar (one element)');
  if (layer.map.placement !== 'input') throw new ProtocolError(tag, `a folded norm needs the conv masked at its input, not '${layer.map.placement}'`);
  const aSq = material.maskSquareSum;
  const pair = material.truncationPair;
  if (aSq === undefined || pair === undefined) throw new ProtocolError(tag, `query material of layer '${layer.layer}' was not prepared for a folded norm (prepareNormConv)`);
  const f = ctx.encoding.fracBits;
  const n = x.size;
  const flat = reshapeShare(x, [n]);

  const c1 = BigInt(Math.round(2 ** (53 - f) / n));
  const mean = await truncateWithDealer(ctx, scaleShare(sumShare(flat), c1), 53 - f, `${tag}/mean`);
  const d = subShares(flat, broadcastShare(mean, n));
  const h = normTruncationBits(n, f);
  const dh = h > 0 ? truncate(ctx, d, h) : d;

  const e = await openConvInput(ctx, layer, material, reshapeShare(dh, x.shape as Shape), tag);
  const z2 = await convProductShare(ctx, layer, material, e);
  const q0 = new Share(ctx.party, RingTensor.fromBigInts([squareSumShare(e, material.mask.ring, aSq.ring, ctx.party === 0)], [1]));

  const r = normRescaleBits(n, f);
  const g = layer.map.geometry;
  const mn = g.rows * layer.outChannels;
  const [k, z] = await parallel<[Share, Share]>(ctx, [
    async (c) => {
      const q = r > 0 ? await truncateWithDealer(c, q0, r, `${tag}/rescale`) : q0;
      const qScale = (n * 2 ** (2 * (f - h))) / 2 ** r;
      return options.scale === 'v2'
        ? normScaleV2(c, q, gamma, normScaleV2Tables(qScale, f, options.epsilon), `${tag}/scale`)
        : normScale(c, q, gamma, normScaleTables(qScale, f, options.epsilon), `${tag}/scale`);
    },
    async (c) => {
      const online = onlineContext(c, tag, [{ shape: [g.rows, layer.outChannels], tag: `${tag}/truncate`, fracBits: f - h, pair }]);
      return truncateWithDealer(online, z2, f - h, `${tag}/truncate`);
    },
  ]);
  const product = await matmul(ctx, reshapeShare(z, [mn, 1]), reshapeShare(k, [1, 1]), `${tag}/apply`);
  const scaled = await truncateWithDealer(ctx, reshapeShare(product, [g.rows, layer.outChannels]), SCALE_FRAC_BITS, `${tag}/apply/truncate`);
  const out = addShares(scaled, fold.bias);
  const shape = x.shape.length === 4 ? [1, g.outHeight, g.outWidth, layer.outChannels] : [g.outHeight, g.outWidth, layer.outChannels];
  return reshapeShare(out, shape);
}

/** Elements of the conv's (non-upsampled) input. */
function inputSize(layer: EnrolledConv2d): number {
  return layerInputShape(layer.map).reduce((p, s) => p * s, 1);
}

/** This party's share of sum (E + A)^2: [first] sum E^2 + 2 sum E A_i + (sum A^2)_i, modulo 2^64. */
function squareSumShare(e: RingTensor, a: RingTensor, aSquareSum: RingTensor, first: boolean): bigint {
  const ea = mulRing(e, a).data;
  let s = 0n;
  for (const v of ea) s += v;
  s = 2n * s + aSquareSum.data[0]!;
  if (first) {
    const ee = mulRing(e, e).data;
    for (const v of ee) s += v;
  }
  return BigInt.asUintN(64, s);
}
