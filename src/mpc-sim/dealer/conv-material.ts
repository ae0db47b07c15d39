import { ProtocolError, ShapeError } from '../../errors.js';
import { geometryKey, im2colUpsampled, type ConvGeometry } from '../ring/im2col.js';
import { matmul, matmulAsync } from '../ring/matmul.js';
import { convMatmulAsync, convMatmulFast } from '../ring/native-kernel.js';
import { mulScalar, sumWords } from '../ring/elementwise.js';
import { randomTensor, type RingRandom } from '../ring/random.js';
import { truncationMaskParts } from './comparison-key.js';
import { RingTensor, sizeOf, type Shape } from '../ring/ring-tensor.js';
import { share, type Share } from '../sharing/share.js';

/**
 * Where a convolution query is masked (see `protocols/conv2d.ts`):
 * - `input`: the layer's input image (before upsampling), so the servers open one word per
 *   input element; the patch matrix of the opened value is computed locally;
 * - `patches`: the patch matrix im2col(upsample(x)) itself, one word per patch entry
 *   (k^2 / s^2 times more for a k x k kernel with stride s, times the upsampling factor squared).
 */
export type MaskPlacement = 'input' | 'patches';

/**
 * The public linear map L from the tensor a query masks to the convolution's patch matrix
 * `[geometry.rows, geometry.cols]`: L = im2col . upsample for `input`, the identity for `patches`.
 */
export interface PatchMap {
  /** The convolution proper, on the upsampled input. */
  readonly geometry: ConvGeometry;
  /** Nearest upsampling factor in front of the convolution; 1 for none. */
  readonly upsample: number;
  readonly placement: MaskPlacement;
}

/**
 * Validates and freezes a patch map.
 * @throws ShapeError unless `upsample` is a positive integer dividing the convolution's input size.
 */
export function patchMap(geometry: ConvGeometry, upsample: number, placement: MaskPlacement): PatchMap {
  if (!Number.isSafeInteger(upsample) || upsample < 1) throw new ShapeError('patch map', `upsample must be a positive integer, got ${upsample}`);
  if (geometry.inHeight % upsample !== 0 || geometry.inWidth % upsample !== 0) {
    throw new ShapeError('patch map', `upsampling by ${upsample} cannot produce a ${geometry.inHeight} x ${geometry.inWidth} input`);
  }
  if (placement !== 'input' && placement !== 'patches') throw new ShapeError('patch map', `unknown mask placement '${String(placement)}'`);
  return Object.freeze({ geometry, upsample, placement });
}

/** The layer's input image (before upsampling): `[H / upsample, W / upsample, C]`. */
export function layerInputShape(map: PatchMap): Shape {
  const g = map.geometry;
  return [g.inHeight / map.upsample, g.inWidth / map.upsample, g.inChannels];
}

/** Shape of the tensor a query masks and opens: the layer input (`input`) or `[M, K]` (`patches`). */
export function maskedShape(map: PatchMap): Shape {
  return map.placement === 'input' ? layerInputShape(map) : [map.geometry.rows, map.geometry.cols];
}

/** im2col(upsample(x)) for a layer input `x` (exact and linear). */
export function layerPatches(x: RingTensor, map: PatchMap): RingTensor {
  return im2colUpsampled(x, map.geometry, map.upsample);
}

/** The tensor a query masks, from the layer input `x`: `x` itself (`input`) or its patch matrix (`patches`). */
export function toMasked(x: RingTensor, map: PatchMap): RingTensor {
  return map.placement === 'input' ? x : layerPatches(x, map);
}

/** L(t): the patch matrix `[M, K]` of a tensor of {@link maskedShape}. */
export function toPatches(t: RingTensor, map: PatchMap): RingTensor {
  return map.placement === 'input' ? layerPatches(t, map) : t;
}

/**
 * `L(t) @ b`: the patch matrix of `t` (of {@link maskedShape}) times `b [K, n]`, without storing
 * the patch matrix when `t` is the layer input (the native kernel lowers it block by block).
 * Exact; equal to `matmul(toPatches(t, map), b)`.
 * @throws ShapeError unless `t` and `b` fit `map`.
 */
export function patchesMatmul(t: RingTensor, map: PatchMap, b: RingTensor): RingTensor {
  return map.placement === 'input' ? convMatmulFast(t, map.geometry, map.upsample, b) : matmul(t, b);
}

/** {@link patchesMatmul} on the libuv thread pool (see `matmulAsync`). */
export async function patchesMatmulAsync(t: RingTensor, map: PatchMap, b: RingTensor): Promise<RingTensor> {
  return map.placement === 'input' ? convMatmulAsync(t, map.geometry, map.upsample, b) : matmulAsync(t, b);
}

/** A description for request matching, e.g. `input up2 16x16x256 k4x4 s1x1 same`. */
export function patchMapKey(map: PatchMap): string {
  return `${map.placement} up${map.upsample} ${geometryKey(map.geometry)}`;
}

/**
 * One party's per-query material of a convolution with enrolled weights: shares of a fresh
 * uniform mask `a` of {@link maskedShape} and of `c = L(a) @ B [M, N]`, with B the mask the
 * weights were enrolled under.
 */
export interface ConvQueryMask {
  readonly a: Share;
  readonly c: Share;
  /**
   * With {@link ConvQueryMaskOptions.squareSum}: shares of sum_j a_j^2 (one element, modulo
   * 2^64), so that the sum of squares of the opened input follows locally from its opening
   * (`protocols/norm-conv.ts`).
   */
  readonly aSquareSum?: Share;
  /** With {@link ConvQueryMaskOptions.meanPair}: the mean's truncation pair and its dealt products. */
  readonly mean?: MeanMaterial;
}

/**
 * One party's material for a folded norm's mean truncated in the round of the conv's opening
 * (`protocols/norm-conv.ts`, protocol v6): a scalar truncation pair (r, rMsb, rHigh) of t bits
 * and, with A the query's input mask and B the layer's weight mask, shares of the products the
 * query needs to subtract the mean without another opening: rHigh sum A, rMsb sum A, rHigh^2,
 * rHigh rMsb (scalars), L(1) @ B, rHigh L(1) @ B and rMsb L(1) @ B ([M, N]), all modulo 2^64.
 */
export interface MeanMaterial {
  readonly r: Share;
  readonly rMsb: Share;
  readonly rHigh: Share;
  readonly highSumA: Share;
  readonly msbSumA: Share;
  readonly highHigh: Share;
  readonly highMsb: Share;
  readonly ones: Share;
  readonly highOnes: Share;
  readonly msbOnes: Share;
}

/** Options of a conv query's material. */
export interface ConvQueryMaskOptions {
  /** Also deal shares of the sum of the mask's squares (1 element per party). */
  readonly squareSum?: boolean;
  /** t: also deal {@link MeanMaterial} for a mean truncated by t bits (7 + 3 M N elements per party; `input` placement only). */
  readonly meanPair?: number;
}

/** Words of material in one party's {@link ConvQueryMask}: size(a) + M N (+ 1 with the square sum, + 7 + 3 M N with the mean's). */
export function convQueryMaskElements(m: ConvQueryMask): number {
  const mean = m.mean === undefined ? 0 : Object.values(m.mean).reduce((sum: number, s: Share) => sum + s.size, 0);
  return m.a.size + m.c.size + (m.aSquareSum?.size ?? 0) + mean;
}

/** The dealer key suffix of {@link ConvQueryMaskOptions} ('' for the default). */
export function convQueryMaskOptionsKey(options: ConvQueryMaskOptions | undefined): string {
  return `${options?.squareSum === true ? ' squareSum' : ''}${options?.meanPair === undefined ? '' : ` meanPair=${options.meanPair}`}`;
}

/**
 * A fresh uniform weight mask B `[k, n]` and its sharing, drawing everything from `random`.
 * @throws ShapeError unless k and n are positive integers.
 */
export function dealWeightMask(random: RingRandom, k: number, n: number): { readonly mask: RingTensor; readonly shares: readonly [Share, Share] } {
  if (sizeOf([k, n], 'weightMask') === 0) throw new ShapeError('weightMask', `needs a non-empty [${k}, ${n}] mask`);
  const mask = randomTensor(random, [k, n]);
  return { mask, shares: share(mask, random) };
}

/**
 * Deals both parties' query material for a layer enrolled under weight mask `b [K, N]`: a fresh
 * uniform `a` and `c = L(a) @ b` (one M x K x N product, the dealer's work per query).
 * @throws ProtocolError if `b` does not have K = `map.geometry.cols` rows.
 */
export function dealConvQueryMask(random: RingRandom, b: RingTensor, map: PatchMap, options: ConvQueryMaskOptions = {}): readonly [ConvQueryMask, ConvQueryMask] {
  if (b.shape[0] !== map.geometry.cols) {
    throw new ProtocolError('convQueryMask', `the layer was enrolled with ${String(b.shape[0])} kernel rows but the query needs ${map.geometry.cols}`);
  }
  const t = options.meanPair;
  if (t !== undefined && (!Number.isInteger(t) || t < 0 || t > 62)) throw new ProtocolError('convQueryMask', `meanPair must be an integer in [0, 62], got ${t}`);
  if (t !== undefined && map.placement !== 'input') throw new ProtocolError('convQueryMask', `meanPair needs the mask at the conv's input, not '${map.placement}'`);
  const a = randomTensor(random, maskedShape(map));
  const c = patchesMatmul(a, map, b);
  const [a0, a1] = share(a, random);
  const [c0, c1] = share(c, random);
  const out: [ConvQueryMask, ConvQueryMask] = [
    { a: a0, c: c0 },
    { a: a1, c: c1 },
  ];
  if (options.squareSum === true) {
    let sum = 0n;
    for (const v of a.data) sum += v * v;
    const [s0, s1] = share(RingTensor.fromBigInts([BigInt.asUintN(64, sum)], [1]), random);
    out[0] = { ...out[0], aSquareSum: s0 };
    out[1] = { ...out[1], aSquareSum: s1 };
  }
  if (t !== undefined) {
    const [m0, m1] = dealMeanMaterial(random, a, b, map, t);
    out[0] = { ...out[0], mean: m0 };
    out[1] = { ...out[1], mean: m1 };
  }
  return out;
}

/** The {@link MeanMaterial} of a query with input mask `a` on a layer with weight mask `b`, for a mean truncated by t bits. */
function dealMeanMaterial(random: RingRandom, a: RingTensor, b: RingTensor, map: PatchMap, t: number): readonly [MeanMaterial, MeanMaterial] {
  const r = randomTensor(random, [1]);
  const { rMsb, rHigh } = truncationMaskParts(r, t);
  const high = rHigh.data[0]!;
  const msb = rMsb.data[0]!;
  const sumA = sumWords(a);
  const scalar = (v: bigint): RingTensor => RingTensor.fromBigInts([BigInt.asUintN(64, v)], [1]);
  const ones = patchesMatmul(new RingTensor(a.shape, new BigUint64Array(a.size).fill(1n)), map, b);
  const values: Record<keyof MeanMaterial, RingTensor> = {
    r,
    rMsb,
    rHigh,
    highSumA: scalar(high * sumA),
    msbSumA: scalar(msb * sumA),
    highHigh: scalar(high * high),
    highMsb: scalar(high * msb),
    ones,
    highOnes: mulScalar(ones, high),
    msbOnes: mulScalar(ones, msb),
  };
  const shares = Object.entries(values).map(([k, v]) => [k, share(v, random)] as const);
  const party = (p: 0 | 1): MeanMaterial => Object.fromEntries(shares.map(([k, v]) => [k, v[p]])) as unknown as MeanMaterial;
  return [party(0), party(1)];
}
