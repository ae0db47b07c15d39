import { ProtocolError } from '../../errors.js';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { add, addScalar } from '../ring/elementwise.js';
import { planeWords } from '../ring/packed-bits.js';
import { RingTensor, words } from '../ring/ring-tensor.js';
import { BinaryShare } from '../sharing/binary-share.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { DEFAULT_CHUNK_BITS, DEFAULT_COMPARE_BITS, combineLevels, finish, leaves, truncatingOpening, type CompareOptions } from './drelu.js';

/**
 * DReLU of x - o_k for K public offsets o_k (e.g. tanh's thresholds) with ONE opening of x:
 * shares (0 or 1 in Z_2^64) of [x - o_k >= 0], shape [K n], offset-major (element k n + e is
 * offset k, element e). Exact whenever every x - o_k lies in [-2^(l-1), 2^(l-1)).
 *
 * Why one opening suffices: `drelu` opens c = y + r and compares c with its mask r chunk by
 * chunk. With the same mask r for every offset, c_k = (x - o_k) + r = c - o_k is public once
 * c = x + r is: so the thermometer code of r and its bit l - 1 (the leaves' material) serve all
 * K comparisons, and only the tree's ANDs and the final AND, which need fresh triples and masks
 * per comparison, stay per (k, e).
 *
 * Steps (party i; as `drelu` on K n elements except step 2):
 * 1. take a comparison key of K n elements with r, its code and its bit l - 1 dealt for the
 *    first n elements only (`codeElements` n), used for all K blocks, and AND triples and final
 *    material for all K n;
 * 2. open c = x + r (message `${tag}/open`, n words per party); c_k = c - o_k, locally;
 * 3. to 5. as `drelu` on the K n values c_k, the leaves reading element e's code for every c_k
 *    (`leaves` with period n; the code is not copied) and the finish the top bit tiled K times.
 *
 * Security: the only opening that depends on x is c, uniform since r is; the tree and final
 * openings are masked by fresh per-comparison triples and masks, as in `drelu`.
 *
 * Cost: the rounds of `drelu` on K n elements (l = 33, d = 4: 4); online per party
 * 8 (n + W (2A + F)) bytes with W = ceil(K n / 64), i.e. `drelu`'s minus 8 (K - 1) n (l = 33, d = 4, K = 21:
 * 68.4 instead of 228.4 bytes per input element); dealer material as `drelu` on K n elements
 * less (K - 1) n masks, codes and top bits (per input element and party, K = 21, l = 33: 782
 * instead of 1,244 bytes at d = 4, 839 instead of 3,552 at d = 8).
 * @throws ProtocolError if no offset is given or a share is not the caller's.
 */
export async function dreluSharedMask(ctx: PartyContext, x: Share, offsets: readonly bigint[], options: CompareOptions = {}): Promise<Share> {
  return (await dreluSharedMaskParts(ctx, x, offsets, options)).bit;
}

/**
 * {@link dreluSharedMask}, also returning the input its comparisons were of: x, or with
 * `options.truncate` = t (protocol v5) the truncation of x by t that the one opening also
 * computes (`truncatingOpening`: the key's mask is a truncation pair's for the n inputs, and
 * c_k = q - o_k with the opening's public q, whose low l bits are those of the truncated input
 * plus rHigh). Same rounds and online bytes as without `truncate`; 2n more words of material.
 * With `truncate` and `compactOpening` (protocol v7) the opening carries 64 - t bits per element.
 */
export async function dreluSharedMaskParts(ctx: PartyContext, x: Share, offsets: readonly bigint[], options: CompareOptions = {}): Promise<{ readonly bit: Share; readonly input: Share }> {
  const tag = options.tag ?? 'dreluSharedMask';
  assertOwnShares(ctx, tag, x);
  const K = offsets.length;
  if (K < 1) throw new ProtocolError(tag, 'needs at least one offset');
  const n = x.size;
  const total = K * n;
  const t = options.truncate;
  const keyOptions = {
    bits: options.bits ?? DEFAULT_COMPARE_BITS,
    chunkBits: options.chunkBits ?? DEFAULT_CHUNK_BITS,
    product: false,
    fuseLastAnd: options.fuseLastAnd ?? true,
    ...(t === undefined ? {} : { truncation: t }),
  };
  const layout = comparisonLayout(total, keyOptions);
  // only the first n masks, codes and top bits are used: the dealer deals no more
  const key = await ctx.dealer.comparisonKey([total], tag, { ...keyOptions, codeElements: n });

  let c: BigUint64Array;
  let input = x;
  if (t === undefined) {
    const cMine = add(new RingTensor([n], x.ring.data), new RingTensor([n], key.r.ring.data.slice(0, n))); // x of any shape, flat
    const [cOther] = await ctx.channel.exchange(`${tag}/open`, [cMine]);
    c = add(cMine, cOther!).data;
  } else {
    const opened = await truncatingOpening(ctx, tag, new Share(ctx.party, new RingTensor([n], x.ring.data)), key, t, options.compactOpening === true);
    c = opened.q.data;
    input = new Share(ctx.party, new RingTensor(x.shape, opened.input.ring.data));
  }
  const all = RingTensor.uninitialized([total]);
  const cTensor = new RingTensor([n], c);
  for (let k = 0; k < K; k++) addScalar(cTensor, -offsets[k]!, new RingTensor([n], all.data.subarray(k * n, (k + 1) * n))); // c_k = c - o_k
  const rTop = tileBits(words(key.rTop.words.data), n, K, 2 * planeWords(total));
  const leaf = leaves(ctx.party, layout, all, words(key.code.words.data), n);
  const groups = await combineLevels(ctx, tag, layout, leaf.groups, words(key.andTriples.words.data));
  const tiledKey = { ...key, rTop: new BinaryShare(ctx.party, new RingTensor([rTop.length / 2], new BigUint64Array(rTop.buffer))) };
  return { bit: (await finish(ctx, tag, layout, tiledKey, all, groups, leaf.topFlip)).bit, input };
}

/** The first `bits` bits of `src` (32-bit words, bit i at word i >> 5, bit i & 31) repeated `copies` times, in `destWords` words. */
export function tileBits(src: Uint32Array, bits: number, copies: number, destWords: number): Uint32Array {
  const dest = new Uint32Array(destWords);
  const full = bits >>> 5;
  const rest = bits & 31;
  const count = full + (rest > 0 ? 1 : 0);
  for (let k = 0; k < copies; k++) {
    const offset = k * bits;
    const base = offset >>> 5;
    const s = offset & 31;
    for (let i = 0; i < count; i++) {
      const w = i === full ? src[i]! & ((1 << rest) - 1) >>> 0 : src[i]!;
      dest[base + i] = dest[base + i]! | (w << s);
      if (s > 0 && base + i + 1 < destWords) dest[base + i + 1] = dest[base + i + 1]! | (w >>> (32 - s));
    }
  }
  return dest;
}
