import { ProtocolError } from '../../errors.js';
import { layerInputShape, patchesMatmulAsync, toMasked } from '../dealer/conv-material.js';
import { add, dotWords, mul as mulRing, mulScalar, sub, sumWords } from '../ring/elementwise.js';
import { pairedProductNative } from '../ring/native-kernel.js';
import { RingTensor, type Shape } from '../ring/ring-tensor.js';
import { addShares, reshapeShare, scaleShare } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import type { PairedTruncation } from '../dealer/dealer.js';
import { addRowVector, convProductShare, openConvInput, prepareConv2d, type Conv2dQueryMaterial, type EnrolledConv2d } from './conv2d.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { centreForNorm, normRescaleBits, normTruncationBits } from './instance-norm.js';
import { matmul } from './matmul.js';
import { SCALE_FRAC_BITS } from './norm-scale.js';
import { FOLDED_SCALE_FRAC_BITS, WIDE_MULTIPLIER_BITS, normScaleV2FinalBits, normScaleV2Tables, normScaleV2Untruncated } from './norm-scale-v2.js';
import { reshape } from '../ring/layout.js';
import { parallel } from './parallel.js';
import { sumShare } from './shared-vector.js';
import { truncate, truncateWithDealer, truncationOpening } from './truncate.js';

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
  /**
   * P1 = L(1) @ E_W [M, N], public (the conv of an all-ones input with the masked weights the
   * conv was enrolled with): with it and dealt shares of L(1) @ B, a query subtracts the mean
   * after the conv (protocol v6, `NormConvSettings.meanInOpening`). Set by {@link enrolMeanInOpening}.
   */
  readonly onesProduct?: RingTensor;
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
export async function enrolNormFold(ctx: PartyContext, layer: EnrolledConv2d, beta: Share, tag: string, weights?: Share): Promise<NormFold> {
  assertOwnShares(ctx, tag, beta);
  if (beta.size !== 1) throw new ProtocolError(tag, 'beta must be a scalar (one element)');
  const g = layer.map.geometry;
  const mn = g.rows * layer.outChannels;
  const inShape = layerInputShape(layer.map);
  const ones = toMasked(new RingTensor(inShape, new BigUint64Array(inputSize(layer)).fill(1n)), layer.map);
  const right = weights === undefined ? layer.right.ring : reshape(weights.ring, layer.right.shape);
  const gShare = new Share(ctx.party, await patchesMatmulAsync(ones, layer.map, right));
  const product = await matmul(ctx, reshapeShare(gShare, [mn, 1]), reshapeShare(beta, [1, 1]), `${tag}/fold/beta`);
  const scaled = await truncateWithDealer(ctx, reshapeShare(product, [g.rows, layer.outChannels]), ctx.encoding.fracBits, `${tag}/fold/truncate`);
  return { bias: new Share(ctx.party, addRowVector(scaled.ring, layer.bias.ring)) };
}

/**
 * Enrolment of a folded norm's gamma into the weights of the conv after it (protocol v4): shares
 * of W' = trunc(gamma W, f), the kernel the conv is then enrolled with, so that a query computes
 * k' conv'(x - m) with k' = 1 / (std + eps) and needs no product by gamma (1 round and 16 bytes
 * per party fewer per query, plus the round's header). The fold's J still uses W (pass the unscaled `weights` to
 * {@link enrolNormFold}). Each weight of W' is within one ulp (2^-f) of gamma W.
 *
 * Cost: 2 rounds; online 8 (K N + 1) + 8 K N bytes per party; offline 8 (2 K N + 2) + 24 K N.
 * @throws ProtocolError if gamma is not one element or a share is not the caller's.
 */
/**
 * The public part of a fold that protocol v6 needs (`NormFold.onesProduct`): P1 = L(1) @ E_W for
 * the enrolled conv `layer` (its masked weights, so with gamma folded the conv of gamma W). Local,
 * once per model: both servers compute the same P1 from the public E_W.
 */
export async function enrolMeanInOpening(layer: EnrolledConv2d, fold: NormFold): Promise<NormFold> {
  const ones = toMasked(new RingTensor(layerInputShape(layer.map), new BigUint64Array(inputSize(layer)).fill(1n)), layer.map);
  return { ...fold, onesProduct: await patchesMatmulAsync(ones, layer.map, layer.maskedWeights) };
}

export async function enrolGammaFold(ctx: PartyContext, weights: Share, gamma: Share, tag: string): Promise<Share> {
  assertOwnShares(ctx, tag, weights, gamma);
  if (gamma.size !== 1) throw new ProtocolError(tag, 'gamma must be a scalar (one element)');
  const product = await matmul(ctx, reshapeShare(weights, [weights.size, 1]), reshapeShare(gamma, [1, 1]), `${tag}/fold/gamma`);
  const scaled = await truncateWithDealer(ctx, product, ctx.encoding.fracBits, `${tag}/fold/gamma/truncate`);
  return reshapeShare(scaled, weights.shape as Shape);
}

/** How a folded norm was enrolled: what {@link prepareNormConv} and {@link normConv} must agree on. */
export interface NormConvSettings {
  /** gamma was multiplied into the conv's weights ({@link enrolGammaFold}); default false. */
  readonly gammaFolded?: boolean;
  /** s: the norm's input is s times the layer's real input (`scaledLeakyRelu`); default 1. */
  readonly inputScale?: number;
  /**
   * false: the scale step reads the sum of squares at its full scale (tables with K = 60,
   * `WIDE_MULTIPLIER_BITS`) instead of truncating it by `normRescaleBits` first: 1 round and 8
   * bytes fewer per query (protocol v4); default true.
   */
  readonly rescale?: boolean;
  /**
   * true: the mean's truncation is opened in the round of the conv's opening, which then opens
   * the uncentred input; the query subtracts the mean from the sum of squares and from the conv
   * product with dealt products (`MeanMaterial`) and the fold's `onesProduct`: 1 round fewer
   * (protocol v6); default false.
   */
  readonly meanInOpening?: boolean;
}

/** The truncation widths of a folded norm with `settings`: the tensor pair's, the scalar pair's, and the product's. */
function normConvBits(n: number, fracBits: number, settings: NormConvSettings): { readonly tensor: number; readonly scalar: number; readonly apply: number; readonly mean: number } {
  const h = normTruncationBits(n, fracBits, settings.inputScale ?? 1);
  return { tensor: fracBits - h, scalar: normScaleV2FinalBits(fracBits, settings.gammaFolded !== true), apply: normConvOutputBits(settings), mean: MEAN_BITS - fracBits + h };
}

/** The mean is trunc(sum(x) round(2^(MEAN_BITS - f) / n), MEAN_BITS - f) at scale 2^f (`centreForNorm`), or by h more bits at scale 2^(f - h) (v6). */
const MEAN_BITS = 53;

/**
 * The bits the last truncation of a folded norm with `settings` drops: the product k Z is at
 * scale 2^(f + these) (24 with gamma folded, `FOLDED_SCALE_FRAC_BITS`; else `SCALE_FRAC_BITS`).
 * With `NormConvOptions.deferTruncation` the output stays at that scale.
 */
export function normConvOutputBits(settings: NormConvSettings): number {
  return settings.gammaFolded === true ? FOLDED_SCALE_FRAC_BITS : SCALE_FRAC_BITS;
}

/** One party's offline material of a folded query: the conv's, and the paired truncation. */
export interface NormConvMaterial {
  readonly kind: 'normConv';
  /** The settings it was prepared for (defaults filled in). */
  readonly settings: Required<NormConvSettings>;
  /** The conv's input mask and offset, with shares of sum A^2 (no truncation pair of its own). */
  readonly conv: Conv2dQueryMaterial;
  /** The truncation pairs of the scale k (scalar) and of the conv product Z (tensor [M, N]), dealt together. */
  readonly paired: PairedTruncation;
}

/**
 * Offline phase of one folded query: the conv's material with shares of sum A^2 and, instead of
 * the conv's own truncation pair, a paired truncation (`Dealer.pairedTruncation`): the tensor
 * pair drops f - h bits of the conv product (h = `normTruncationBits(n, f)`, n the norm's input
 * size), the scalar pair the last `normScaleV2FinalBits(f)` bits of the scale (with `settings`
 * from a v4 enrolment: h for the scaled input, and `normScaleV2FinalBits(f, false)` when gamma is
 * folded).
 * Cost: 0 rounds; offline per party 8 (S + M N + 1) (the conv's, with sum A^2) + 8 (3 + 7 M N).
 */
export async function prepareNormConv(ctx: PartyContext, layer: EnrolledConv2d, tag: string, settings: NormConvSettings = {}): Promise<NormConvMaterial> {
  const bits = normConvBits(inputSize(layer), ctx.encoding.fracBits, settings);
  const meanInOpening = settings.meanInOpening === true;
  const conv = await prepareConv2d(ctx, { ...layer, truncation: 'none' }, tag, { squareSum: true, ...(meanInOpening ? { meanPair: bits.mean } : {}) });
  const paired = await ctx.dealer.pairedTruncation([layer.map.geometry.rows, layer.outChannels], `${tag}/truncate`, { fracBits: bits.tensor, scalarFracBits: bits.scalar });
  return { kind: 'normConv', settings: { gammaFolded: settings.gammaFolded === true, inputScale: settings.inputScale ?? 1, rescale: settings.rescale ?? true, meanInOpening }, conv, paired };
}

/** Options of {@link normConv}. */
export interface NormConvOptions {
  /** s: `x` is s times the norm's real input (`scaledLeakyRelu`); default 1. */
  readonly inputScale?: number;
  /** As `NormConvSettings.rescale`; default true. */
  readonly rescale?: boolean;
  /** The norm's epsilon (added to the standard deviation of the real input). */
  readonly epsilon: number;
  /** Names the messages and dealer requests. */
  readonly tag: string;
  /**
   * Leave the last truncation to the next step (protocol v5: the activation's comparison opening
   * truncates, `CompareOptions.truncate`): the output is k Z + J 2^t at scale 2^(f + t),
   * t = {@link normConvOutputBits}, with no truncation round. Default false.
   */
  readonly deferTruncation?: boolean;
  /** As `NormConvSettings.meanInOpening` (the fold must carry `onesProduct`); default false. */
  readonly meanInOpening?: boolean;
  /**
   * Every truncating opening here (the mean's, the scale's, Z's and the last truncation's) sends
   * only the top bits its receiver reads (protocol v7, `truncate.ts` `openTruncationMask`): Z's
   * opening 8 ceil(M N (64 - (f - h)) / 64) bytes per party instead of 8 M N, each truncation
   * floor + {-1, 0, 1, 2} units instead of floor + {0, 1}. Default false.
   */
  readonly compactOpenings?: boolean;
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
 *    the scale chain of `normScaleV2` up to gamma k' (6 rounds), whose last truncation is only
 *    OPENED with the scalar pair (`truncationOpening`, 1 round); (b) the truncation of Z2 by
 *    f - h, opened with the tensor pair in the same way (1 round, merged with (a)'s first);
 * 5. with k = [i = 0] q' - r'High + s' r'Msb and Z = [i = 0] Q - rHigh + S rMsb (public q', s',
 *    Q, S from the openings), the product P = k Z is local: [i = 0] q' Q + q' (S rMsb - rHigh)_i
 *    + Q (s' r'Msb - r'High)_i + (hh - S hm - s' mh + s' S mm)_i, exact modulo 2^64 (the dealt
 *    products of the two pairs' masks); P at scale 2^(20 + f) truncated by 20 (1 round, 8 M N
 *    bytes), plus the fold's J.
 *
 * Accuracy: k and q as `instanceNorm` (q from dh, the same value; exact here, where
 * `instanceNorm` squares with a Beaver triple); k Z is the exact product of the two truncated
 * values; the conv sees d with h fewer fractional bits (1 ulp of 2^(h - f) on its input, e.g.
 * h = 2 at FIXED20 for n = 2^14..2^15) and its output one more ulp per truncation: within
 * ulp (|k| |W|_1 2^h + 2) + 2e-6 |k conv(d)| of the float layers.
 *
 * Security: every opening is of a value plus a fresh uniform mask (E; the truncations' c, each
 * pair used once); the dealt products only enter local sums, and each is a fresh sharing.
 *
 * Cost (r' = 1 if r > 0, else 0): rounds 1 + 1 + r' + 7 + 1 = 10 + r', against 11 + r' for
 * `instanceNormV2` plus 2 for the conv after it; online bytes per party 8 + 8n + 8r' + the scale
 * chain's bytes (`normScaleV2`'s) + 8 M N (Z's opening, merged) + 16 (r' + 7) (the merged rounds'
 * headers) + 8 M N, against 32n + 8r' + the same chain + 8n + 8 M N for `instanceNormV2` then
 * `conv2d`: fewer bytes when M N < 4n, equal at M N = 4n. Offline: see {@link prepareNormConv}
 * (the norm's Beaver square, product and truncation material, 8 (3n + 3) + 24n, are not needed).
 * Protocol v4 (`options`, matching the material's settings): with `gamma` undefined (folded into
 * the conv's weights at enrolment, {@link enrolGammaFold}) the scale chain stops at k' = 1 / (std +
 * eps), opened-truncated to 2^24, and the product k' Z is truncated by 24 (1 round fewer); with
 * `inputScale` s, x is s times the real input: h allows for the s^2 larger variance and the tables
 * compute 1 / (s (std + eps)) of the real variance; with `rescale` false, step 4 (a) skips the
 * rescaling truncation and reads q at full scale (K = 60 tables; 1 round fewer). 9 rounds.
 * Protocol v5: with `deferTruncation` the last truncation moves into the next activation's
 * opening (8 rounds, 8 M N bytes per party fewer here).
 * Protocol v7: with `compactOpenings`, Z's opening (and the scalars') carries only the bits read.
 * @throws ShapeError if `x` is not the conv's input shape; ProtocolError if `material` was not
 *   prepared by {@link prepareNormConv} for this layer with the same settings or was used, or gamma
 *   is not a scalar.
 */
export async function normConv(ctx: PartyContext, x: Share, gamma: Share | undefined, layer: EnrolledConv2d, fold: NormFold, material: NormConvMaterial, options: NormConvOptions): Promise<Share> {
  const tag = options.tag;
  assertOwnShares(ctx, tag, x, fold.bias, ...(gamma === undefined ? [] : [gamma]));
  if (gamma !== undefined && gamma.size !== 1) throw new ProtocolError(tag, 'gamma must be a scalar (one element)');
  const s = options.inputScale ?? 1;
  if (!Number.isInteger(s) || s < 1 || s > 2 ** 10) throw new ProtocolError(tag, `inputScale must be an integer in [1, 1024], got ${s}`);
  const rescale = options.rescale ?? true;
  const ms = material.settings;
  const meanInOpening = options.meanInOpening === true;
  if (ms.gammaFolded !== (gamma === undefined) || ms.inputScale !== s || ms.rescale !== rescale || ms.meanInOpening !== meanInOpening) {
    throw new ProtocolError(
      tag,
      `query material of layer '${layer.layer}' was prepared for gammaFolded=${String(ms.gammaFolded)}, inputScale=${ms.inputScale}, rescale=${String(ms.rescale)}, meanInOpening=${String(ms.meanInOpening)}; the query has gammaFolded=${String(gamma === undefined)}, inputScale=${s}, rescale=${String(rescale)}, meanInOpening=${String(meanInOpening)}`,
    );
  }
  if (layer.map.placement !== 'input') throw new ProtocolError(tag, `a folded norm needs the conv masked at its input, not '${layer.map.placement}'`);
  const aSq = material.conv.maskSquareSum;
  if (aSq === undefined) throw new ProtocolError(tag, `query material of layer '${layer.layer}' was not prepared for a folded norm (prepareNormConv)`);
  const f = ctx.encoding.fracBits;
  const n = x.size;
  const bits = normConvBits(n, f, material.settings);
  const compact = options.compactOpenings === true;
  const { q0, z2, h } = meanInOpening ? await centreAfterOpening(ctx, x, layer, fold, material.conv, s, bits.mean, tag, compact) : await centreBeforeOpening(ctx, x, layer, material.conv, s, tag);

  const r = rescale ? normRescaleBits(n, f, s) : 0;
  const g = layer.map.geometry;
  const { paired } = material;
  const [kOpen, zOpen] = await parallel<[{ q: RingTensor; sigma: RingTensor }, { q: RingTensor; sigma: RingTensor }]>(ctx, [
    async (c) => {
      const q = r > 0 ? await truncateWithDealer(c, q0, r, `${tag}/rescale`) : q0;
      // q = var_x n 2^(2(f-h)) / 2^r = var s^2 n 2^(2(f-h)) / 2^r for the real input's variance var
      const tables = normScaleV2Tables((s * s * n * 2 ** (2 * (f - h))) / 2 ** r, f, options.epsilon, { gain: 1 / s, ...(rescale ? {} : { multiplierBits: WIDE_MULTIPLIER_BITS }) });
      const scaled = await normScaleV2Untruncated(c, q, gamma, tables, `${tag}/scale`);
      return truncationOpening(c, scaled, paired.scalar, bits.scalar, `${tag}/scale/truncate`, compact);
    },
    async (c) => truncationOpening(c, z2, paired.tensor, bits.tensor, `${tag}/truncate`, compact),
  ]);
  const product = new Share(ctx.party, pairedProduct(kOpen, zOpen, paired, ctx.party === 0));
  // deferred: J 2^t has no bits below 2^t, so trunc(P + J 2^t, t) = trunc(P, t) + J exactly
  const out =
    options.deferTruncation === true
      ? addShares(product, scaleShare(fold.bias, 1n << BigInt(bits.apply)))
      : addShares(await truncateWithDealer(ctx, product, bits.apply, `${tag}/apply/truncate`, compact), fold.bias);
  const shape = x.shape.length === 4 ? [1, g.outHeight, g.outWidth, layer.outChannels] : [g.outHeight, g.outWidth, layer.outChannels];
  return reshapeShare(out, shape);
}

/** Shares of the sum of squares q0 = sum dh^2 and of Z2 = conv(dh) at scale 2^(2f - h), with h the truncation of the centred input. */
interface CentredOpening {
  readonly q0: Share;
  readonly z2: Share;
  readonly h: number;
}

/** Steps 1 to 3 of {@link normConv} (v3 to v5): the mean (1 round), then the conv's opening of the centred input (1 round). */
async function centreBeforeOpening(ctx: PartyContext, x: Share, layer: EnrolledConv2d, conv: Conv2dQueryMaterial, s: number, tag: string): Promise<CentredOpening> {
  const { dh, h } = await centreForNorm(ctx, x, tag, s);
  const e = await openConvInput(ctx, layer, conv, reshapeShare(dh, x.shape as Shape), tag);
  const z2 = await convProductShare(ctx, layer, conv, e);
  const q0 = new Share(ctx.party, RingTensor.fromBigInts([squareSumShare(e, conv.mask.ring, conv.maskSquareSum!.ring, ctx.party === 0)], [1]));
  return { q0, z2, h };
}

/**
 * Steps 1 to 3 of {@link normConv} in ONE round (protocol v6, `meanInOpening`), with n = x.size,
 * h = `normTruncationBits(n, f, s)`, xh = x locally truncated by h bits, t = 53 - f + h:
 * 1. in the same round, open E = xh - A (the conv's opening, of the uncentred input) and the
 *    mean's truncation m = trunc(sum(x) round(2^(53 - f) / n), t) in opened form
 *    (`truncationOpening` with the dealt scalar pair): m = [i = 0] q_m - rho, rho = rHigh -
 *    sigma rMsb, scale 2^(f - h);
 * 2. the centred sum of squares, q0 = sum (xh - m)^2 = sum xh^2 - 2 m S + n m^2 with
 *    S = sum xh = sum E + sum A: sum xh^2 from E and sum A^2 as in v3; m S = q_m S - rho sum E -
 *    (rHigh sum A - sigma rMsb sum A); m^2 = q_m^2 - 2 q_m rho + rHigh^2 - 2 sigma rHigh rMsb +
 *    sigma^2 rMsb (rMsb is a bit); the products of rHigh and rMsb are dealt (`MeanMaterial`);
 * 3. the centred conv, Z2 = conv(xh) - m conv(1) with conv(1) = L(1) @ W = P1 + L(1) @ B (P1 the
 *    fold's public `onesProduct`): m conv(1) = q_m conv(1) - rho P1 - (rHigh L(1)B - sigma rMsb
 *    L(1)B), all local.
 * Everything after the opening is exact modulo 2^64, so q0 and Z2 are right whenever their TRUE
 * values fit (as in v3: q0 < 2^61), however large sum xh^2 or conv(xh) are. Against v3's
 * centring, xh - m differs from trunc(x - m, h) by at most one unit of 2^(h - f).
 * Cost: 1 round (the mean's 8-byte opening rides on the conv's; the merged round's 16-byte header
 * makes it 16 bytes per party more than v5's two rounds); material `MeanMaterial`, 7 + 3 M N
 * words per party.
 */
async function centreAfterOpening(ctx: PartyContext, x: Share, layer: EnrolledConv2d, fold: NormFold, conv: Conv2dQueryMaterial, s: number, t: number, tag: string, compact: boolean): Promise<CentredOpening> {
  const mean = conv.mean;
  if (mean === undefined) throw new ProtocolError(tag, `query material of layer '${layer.layer}' has no mean material (prepareNormConv with meanInOpening)`);
  const p1 = fold.onesProduct;
  if (p1 === undefined) throw new ProtocolError(tag, `the fold of layer '${layer.layer}' has no onesProduct: enrol it with meanInOpening (enrolMeanInOpening)`);
  const f = ctx.encoding.fracBits;
  const first = ctx.party === 0;
  const n = x.size;
  const h = normTruncationBits(n, f, s);
  const flat = reshapeShare(x, [n]);
  const xh = h > 0 ? truncate(ctx, flat, h) : flat;
  const c1 = BigInt(Math.round(2 ** (MEAN_BITS - f) / n));
  const [e, m] = await parallel<[RingTensor, { q: RingTensor; sigma: RingTensor }]>(ctx, [
    (c) => openConvInput(c, layer, conv, reshapeShare(xh, x.shape as Shape), tag),
    (c) => truncationOpening(c, scaleShare(sumShare(flat), c1), { r: mean.r, rMsb: mean.rMsb, rHigh: mean.rHigh }, t, `${tag}/mean`, compact),
  ]);
  const word = (v: Share): bigint => v.ring.data[0]!;
  const qm = m.q.data[0]!;
  const sigma = m.sigma.data[0]!;
  const rho = word(mean.rHigh) - sigma * word(mean.rMsb); // this party's share of rho
  const sumE = sumWords(e);
  const sumA = sumWords(conv.mask.ring);
  const sh = (first ? sumE : 0n) + sumA; // share of S = sum xh
  const rhoS = rho * sumE + word(mean.highSumA) - sigma * word(mean.msbSumA); // share of rho S
  const mS = qm * sh - rhoS;
  const rho2 = word(mean.highHigh) - 2n * sigma * word(mean.highMsb) + sigma * sigma * word(mean.rMsb);
  const m2 = (first ? qm * qm : 0n) - 2n * qm * rho + rho2;
  const q0 = BigInt.asUintN(64, squareSumShare(e, conv.mask.ring, conv.maskSquareSum!.ring, first) - 2n * mS + BigInt(n) * m2);
  // m conv(1) = q_m conv(1) - rho P1 - (rHigh L(1)B - sigma rMsb L(1)B), conv(1)_i = [i = 0] P1 + L(1)B_i
  const rhoOnes = mulScalar(p1, rho);
  add(rhoOnes, mean.highOnes.ring, rhoOnes);
  const meanConv = mulScalar(mean.msbOnes.ring, sigma);
  sub(rhoOnes, meanConv, rhoOnes);
  if (first) mulScalar(add(p1, mean.ones.ring, meanConv), qm, meanConv); // conv(1) = P1 + L(1)B_0
  else mulScalar(mean.ones.ring, qm, meanConv);
  sub(meanConv, rhoOnes, meanConv);
  const product = (await convProductShare(ctx, layer, conv, e)).ring; // a fresh tensor
  const z2 = new Share(ctx.party, sub(product, meanConv, product));
  return { q0: new Share(ctx.party, RingTensor.fromBigInts([q0], [1])), z2, h };
}

/**
 * This party's share of k Z from the opened forms of k (scalar) and Z (tensor) and the paired
 * truncation's masks (step 5 of {@link normConv}); modulo 2^64. One native pass
 * (`pairedProductNative`) when the ring kernel is loaded, else the TypeScript steps below, which
 * compute the same words.
 */
export function pairedProduct(k: { q: RingTensor; sigma: RingTensor }, z: { q: RingTensor; sigma: RingTensor }, p: PairedTruncation, first: boolean): RingTensor {
  const kq = k.q.data[0]!;
  const ks = k.sigma.data[0]!;
  // u_i = s' r'Msb_i - r'High_i (this party's share of k - [i = 0] q')
  const u = BigInt.asUintN(64, ks * p.scalar.rMsb.ring.data[0]! - p.scalar.rHigh.ring.data[0]!);
  const S = z.sigma;
  const fused = pairedProductNative({ q: z.q.data, sigma: S.data, rMsb: p.tensor.rMsb.ring.data, rHigh: p.tensor.rHigh.ring.data, hm: p.hm.ring.data, hh: p.hh.ring.data, mm: p.mm.ring.data, mh: p.mh.ring.data, kq, ks, u, first });
  if (fused !== undefined) return new RingTensor(S.shape, fused);
  // v_i = S rMsb_i - rHigh_i; (u v)_i = hh_i - S hm_i - s' mh_i + s' S mm_i (elementwise, native
  // when loaded); three buffers, every other step in place
  const out = mulRing(S, p.tensor.rMsb.ring);
  sub(out, p.tensor.rHigh.ring, out); // v
  mulScalar(out, kq, out); // kq v
  const uv = mulRing(S, p.hm.ring);
  sub(p.hh.ring, uv, uv);
  const t = mulRing(S, p.mm.ring);
  sub(t, p.mh.ring, t);
  add(uv, mulScalar(t, ks, t), uv);
  add(out, mulScalar(z.q, u, t), out);
  add(out, uv, out);
  if (first) add(out, mulScalar(z.q, kq, t), out);
  return out;
}

/** Elements of the conv's (non-upsampled) input. */
function inputSize(layer: EnrolledConv2d): number {
  return layerInputShape(layer.map).reduce((p, s) => p * s, 1);
}

/** This party's share of sum (E + A)^2: [first] sum E^2 + 2 sum E A_i + (sum A^2)_i, modulo 2^64. */
function squareSumShare(e: RingTensor, a: RingTensor, aSquareSum: RingTensor, first: boolean): bigint {
  const s = 2n * dotWords(e, a) + aSquareSum.data[0]! + (first ? dotWords(e, e) : 0n);
  return BigInt.asUintN(64, s);
}
