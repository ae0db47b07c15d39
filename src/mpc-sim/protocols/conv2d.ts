import { ProtocolError, ShapeError } from '../../errors.js';
import { layerInputShape, maskedShape, patchMap, patchesMatmulAsync, toMasked, type ConvQueryMaskOptions, type MaskPlacement, type MeanMaterial, type PatchMap } from '../dealer/conv-material.js';
import type { TruncationPair } from '../dealer/dealer.js';
import { add, mulScalar, sub } from '../ring/elementwise.js';
import { assertImage, type ConvGeometry } from '../ring/im2col.js';
import { reshape } from '../ring/layout.js';
import { RingTensor, sameShape } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import type { TruncationMode } from './fixed.js';
import { onlineContext } from './online-dealer.js';
import { truncate, truncateWithDealer } from './truncate.js';

/*
 * Secret-shared Conv2D with secret weights that stay fixed across queries (PrivEdge's
 * reconstructor: each user secret-shares its weights with the two servers once).
 *
 * Notation: X the layer input [h, w, cin]; L = im2col . upsample (nearest, factor u; u = 1 for a
 * plain conv) the public linear map to the patch matrix [M, K], M = outH outW, K = kh kw cin;
 * W the kernel [K, N] (a TF kernel [kh, kw, cin, N] reshaped); bias b [N]; f fractional bits.
 * The layer computes L(X) @ W / 2^f + b. A query masks T: T = X (placement `input`, S = h w cin
 * words) or T = L(X) (`patches`, S = M K words, k^2 u^2 / s^2 times more).
 *
 * Correctness: with T = E + A and W = E_W + B, the shares Z_0 = L(E) @ (E_W + B_0) + D_0 and
 * Z_1 = L(E) @ B_1 + D_1, D_i = L(A_i) @ E_W + C_i, C = L(A) @ B, sum to
 * L(E) @ W + L(A) @ E_W + L(A) @ B = L(E + A) @ W = L(X) @ W (L is linear).
 *
 * Security (semi-honest servers; the dealer trusted and non-colluding, as in every protocol here):
 * - enrolment opens E_W = W - B with B uniform and drawn for this layer only. Server i holds
 *   B_i; B_(1-i) is uniform and independent of its view, so E_W is a one-time pad of W. The
 *   dealer refuses a second mask for the same layer id, so B never pads two weight tensors
 *   (that would open W - W'); new or retrained weights are enrolled under a new id;
 * - a query opens E = T - A with A fresh and uniform (a new dealer request per query; query
 *   material can be used once), again a one-time pad: no two inputs share a mask;
 * - B is reused across queries but never leaves a server after enrolment: it only enters the
 *   local products L(E) @ B_i, and each output share contains the dealer's fresh sharing C_i of
 *   L(A) @ B, so the outputs are a fresh uniform sharing of L(X) @ W;
 * - the dealer sees neither E_W nor E. That is why A @ E_W is not dealt: the parties compute
 *   L(A_i) @ E_W themselves (E_W is public to both). A dealer handing out shares of
 *   A @ E_W + A @ B = A @ W would have to know E_W, hence W = E_W + B.
 */

/** Truncation after the product: `local` and `dealer` as in `fixed.ts`; `none` keeps scale 2^2f (exact ring result). */
export type ConvTruncation = TruncationMode | 'none';

/** Options of {@link enrolConv2d}. */
export interface Conv2dOptions {
  /** The dealer's key for this weight tensor, unique for the dealer's lifetime (e.g. `user3/up4_conv`). */
  readonly layer: string;
  /** The convolution proper, on the (upsampled) input. */
  readonly geometry: ConvGeometry;
  /** Nearest upsampling (UpSampling2D) fused in front of the convolution; default 1 (none). */
  readonly upsample?: number;
  /** Where queries are masked; default `input` (fewest bytes, see `MaskPlacement`). */
  readonly mask?: MaskPlacement;
  /** Default `local` (0 rounds; fails with probability |z| / 2^64 per output, see `truncate.ts`). */
  readonly truncation?: ConvTruncation;
}

/** One party's state of an enrolled layer, kept for all its queries. */
export interface EnrolledConv2d {
  readonly layer: string;
  readonly map: PatchMap;
  readonly truncation: ConvTruncation;
  readonly outChannels: number;
  /** E_W = W - B [K, N], public to both servers. */
  readonly maskedWeights: RingTensor;
  /** This party's share B_i of the weight mask [K, N]. */
  readonly weightMask: Share;
  /** R_i = B_i + [i = 0] E_W, a sharing of W: the online right factor. */
  readonly right: Share;
  /** This party's share of the bias [N] (scale 2^f). */
  readonly bias: Share;
}

/**
 * One party's per-query material, produced offline by {@link prepareConv2d} and usable for one
 * query only (a reused input mask would open the difference of two inputs).
 */
export class Conv2dQueryMaterial {
  #used = false;

  /**
   * @param layer - the enrolled layer it belongs to.
   * @param mask - A_i, of `maskedShape(map)`.
   * @param offset - D_i = L(A_i) @ E_W + C_i [M, N]: D_0 + D_1 = L(A) @ W.
   * @param truncationPair - prefetched for `dealer` truncation.
   * @param maskSquareSum - shares of sum A^2 (one element), when prepared with `squareSum`.
   * @param mean - the mean's material, when prepared with `meanPair` (protocol v6).
   */
  constructor(
    readonly layer: string,
    readonly mask: Share,
    readonly offset: Share,
    readonly truncationPair: TruncationPair | undefined,
    readonly maskSquareSum?: Share,
    readonly mean?: MeanMaterial,
  ) {}

  /** Whether a query has used it. */
  get used(): boolean {
    return this.#used;
  }

  /** Marks it used. @throws ProtocolError if it was used before. */
  consume(step: string): void {
    if (this.#used) throw new ProtocolError(step, `query material of layer '${this.layer}' was already used: masks are one-time pads`);
    this.#used = true;
  }
}

/**
 * Enrolment of one layer's weights (once per layer, before any query).
 *
 * Steps (party i):
 * 1. take a weight mask B_i [K, N] from the dealer (kept by the dealer under `options.layer`);
 * 2. open E_W = W - B in one round (message `${tag}/enrol/open`);
 * 3. keep E_W, B_i, R_i = B_i + [i = 0] E_W and the bias share.
 *
 * Cost: 1 round; online 8 K N bytes per party; offline K N elements = 8 K N bytes per party.
 * @param weights - shares of the kernel `[kh, kw, cin, N]` (TF layout) or `[K, N]`, scale 2^f.
 * @param bias - shares of the bias `[N]`, scale 2^f.
 * @throws ShapeError if the shapes do not fit `options.geometry`; ProtocolError if a share is not the caller's.
 */
export async function enrolConv2d(ctx: PartyContext, weights: Share, bias: Share, options: Conv2dOptions, tag = 'conv2d'): Promise<EnrolledConv2d> {
  assertOwnShares(ctx, tag, weights, bias);
  const g = options.geometry;
  const map = patchMap(g, options.upsample ?? 1, options.mask ?? 'input');
  const n = weights.shape[weights.shape.length - 1] ?? 0;
  const kernelShapes = [
    [g.kernelHeight, g.kernelWidth, g.inChannels, n],
    [g.cols, n],
  ];
  if (n < 1 || !kernelShapes.some((s) => sameShape(weights.shape, s))) {
    throw new ShapeError(tag, `kernel must be [${g.kernelHeight}, ${g.kernelWidth}, ${g.inChannels}, N] or [${g.cols}, N], got [${weights.shape.join(', ')}]`);
  }
  if (!sameShape(bias.shape, [n])) throw new ShapeError(tag, `bias must be [${n}], got [${bias.shape.join(', ')}]`);
  const w = reshape(weights.ring, [g.cols, n]);
  const b = await ctx.dealer.weightMask(options.layer, g.cols, n, `${tag}/enrol`);
  const mine = sub(w, b.ring);
  const [other] = await ctx.channel.exchange(`${tag}/enrol/open`, [mine]);
  const maskedWeights = add(mine, other!);
  return {
    layer: options.layer,
    map,
    truncation: options.truncation ?? 'local',
    outChannels: n,
    maskedWeights,
    weightMask: b,
    right: new Share(ctx.party, ctx.party === 0 ? add(b.ring, maskedWeights) : b.ring),
    bias,
  };
}

/**
 * Offline phase of one query (before its input exists).
 *
 * Steps (party i):
 * 1. take A_i (of `maskedShape`) and C_i, C = L(A) @ B, from the dealer; with `dealer`
 *    truncation also the truncation pair for the [M, N] product;
 * 2. D_i = L(A_i) @ E_W + C_i (one local M x K x N product).
 *
 * Cost: 0 rounds, 0 bytes online; offline S + M N elements = 8(S + M N) bytes per party, plus
 * 24 M N with `dealer` truncation (S = h w cin for `input`, M K for `patches`), plus 8 with
 * `options.squareSum` (shares of sum A^2, for `protocols/norm-conv.ts`), plus 8 (7 + 3 M N) with
 * `options.meanPair` (the mean's material, protocol v6).
 */
export async function prepareConv2d(ctx: PartyContext, layer: EnrolledConv2d, tag = 'conv2d', options: ConvQueryMaskOptions = {}): Promise<Conv2dQueryMaterial> {
  const { a, c, aSquareSum, mean } = await ctx.dealer.convQueryMask(layer.layer, layer.map, tag, {
    ...(options.squareSum === true ? { squareSum: true } : {}),
    ...(options.meanPair === undefined ? {} : { meanPair: options.meanPair }),
  });
  const offset = add(await patchesMatmulAsync(a.ring, layer.map, layer.maskedWeights), c.ring);
  const pair =
    layer.truncation === 'dealer'
      ? await ctx.dealer.truncationPair([layer.map.geometry.rows, layer.outChannels], `${tag}/truncate`, { fracBits: ctx.encoding.fracBits })
      : undefined;
  return new Conv2dQueryMaterial(layer.layer, a, new Share(ctx.party, offset), pair, aSquareSum, mean);
}

/**
 * Online phase of one query: shares of `conv(upsample(X), W) / 2^f + b`, `[outH, outW, N]`
 * (with a leading 1 if `x` has one). Asks the dealer for nothing.
 *
 * Steps (party i):
 * 1. E_i = T_i - A_i (T_i = X_i or L(X_i));
 * 2. open E = T - A in one round (message `${tag}/open`);
 * 3. Z_i = L(E) @ R_i + D_i (one local M x K x N product, `patchesMatmulAsync`: with the native
 *    kernel it runs on the libuv thread pool, so the two servers' products use two cores, and
 *    the patch matrix L(E) is generated inside the product, never stored); Z_0 + Z_1 =
 *    L(X) @ W at scale 2^2f;
 * 4. truncate Z by f (`local`: 0 rounds; `dealer`: 1 round, message `${tag}/truncate/open`;
 *    `none`: no truncation, the output stays at scale 2^2f, for a next step that truncates it,
 *    as protocol v5's activations do in their opening);
 * 5. add the bias share to every output pixel (times 2^f with `none`).
 *
 * Cost: 1 round and 8 S bytes per party (S = h w cin for `input`, M K for `patches`); with
 * `dealer` truncation 2 rounds and 8(S + M N) bytes per party. No dealer material.
 * Result: within 1 ulp of the exact convolution of the encoded values (floor or floor + 1).
 * @throws ShapeError if `x` is not the layer's input shape; ProtocolError if `material` was
 *   used before or belongs to another layer, or a share is not the caller's.
 */
export async function conv2dOnline(ctx: PartyContext, layer: EnrolledConv2d, material: Conv2dQueryMaterial, x: Share, tag = 'conv2d'): Promise<Share> {
  const g = layer.map.geometry;
  const n = layer.outChannels;
  const e = await openConvInput(ctx, layer, material, x, tag);
  const z = await convProductShare(ctx, layer, material, e);

  const online = onlineContext(
    ctx,
    tag,
    material.truncationPair === undefined ? [] : [{ shape: [g.rows, n], tag: `${tag}/truncate`, fracBits: ctx.encoding.fracBits, pair: material.truncationPair }],
  );
  let y: Share;
  if (layer.truncation === 'none') y = z;
  else if (layer.truncation === 'local') y = truncate(online, z);
  else y = await truncateWithDealer(online, z, ctx.encoding.fracBits, `${tag}/truncate`);

  // untruncated ('none'): the output stays at scale 2^2f, so the bias is lifted to it
  const bias = layer.truncation === 'none' ? mulScalar(layer.bias.ring, 1n << BigInt(ctx.encoding.fracBits)) : layer.bias.ring;
  const out = addRowVector(y.ring, bias);
  const shape = x.shape.length === 4 ? [1, g.outHeight, g.outWidth, n] : [g.outHeight, g.outWidth, n];
  return new Share(ctx.party, reshape(out, shape));
}

/**
 * Steps 1 and 2 of {@link conv2dOnline}: checks `x` and `material`, marks `material` used and
 * opens E = T - A (1 round, 8 S bytes per party, message `${tag}/open`). Returns E, public.
 * @throws as {@link conv2dOnline}.
 */
export async function openConvInput(ctx: PartyContext, layer: EnrolledConv2d, material: Conv2dQueryMaterial, x: Share, tag: string): Promise<RingTensor> {
  assertOwnShares(ctx, tag, x, material.mask);
  const [h, w, c] = layerInputShape(layer.map) as [number, number, number];
  assertImage(tag, x, h, w, c);
  if (material.layer !== layer.layer) throw new ProtocolError(tag, `query material of layer '${material.layer}' used for layer '${layer.layer}'`);
  material.consume(tag);
  const t = toMasked(reshape(x.ring, [h, w, c]), layer.map);
  const mine = sub(t, material.mask.ring);
  const [other] = await ctx.channel.exchange(`${tag}/open`, [mine]);
  return add(mine, other!);
}

/**
 * Step 3 of {@link conv2dOnline}: shares Z_i = L(E) @ R_i + D_i [M, N] of L(X) @ W at scale 2^2f
 * (before truncation and bias), from the opened E. Local.
 */
export async function convProductShare(ctx: PartyContext, layer: EnrolledConv2d, material: Conv2dQueryMaterial, e: RingTensor): Promise<Share> {
  const product = await patchesMatmulAsync(e, layer.map, layer.right.ring); // fresh: the sum goes into it
  return new Share(ctx.party, add(product, material.offset.ring, product));
}

/**
 * Offline and online phase of one query back to back: {@link prepareConv2d} then
 * {@link conv2dOnline}; costs add up.
 */
export async function conv2d(ctx: PartyContext, layer: EnrolledConv2d, x: Share, tag = 'conv2d'): Promise<Share> {
  const material = await prepareConv2d(ctx, layer, tag);
  return conv2dOnline(ctx, layer, material, x, tag);
}

/** Words the online phase opens per party (S) and the product sizes, for cost accounting. */
export function conv2dSizes(layer: Pick<EnrolledConv2d, 'map' | 'outChannels'>): { masked: number; m: number; k: number; n: number } {
  const masked = maskedShape(layer.map).reduce((p, d) => p * d, 1);
  return { masked, m: layer.map.geometry.rows, k: layer.map.geometry.cols, n: layer.outChannels };
}

/** `z [M, N] + v [N]` on every row, modulo 2^64. */
export function addRowVector(z: RingTensor, v: RingTensor): RingTensor {
  const n = v.size;
  const out = new RingTensor(z.shape);
  const x = z.data;
  const y = v.data;
  const o = out.data;
  for (let r = 0; r < x.length; r += n) {
    for (let j = 0; j < n; j++) o[r + j] = BigInt.asUintN(64, x[r + j]! + y[j]!);
  }
  return out;
}
