import { ProtocolError, ShapeError } from '../../errors.js';
import { bitField, getBit, packedBuffer, planeWords, setRun } from '../ring/packed-bits.js';
import { mulScalar, shiftRightLogical, sub } from '../ring/elementwise.js';
import { randomTensor, type RingRandom } from '../ring/random.js';
import { RingTensor, sameShape, sizeOf, words, type Shape } from '../ring/ring-tensor.js';
import { xorShare, type BinaryShare } from '../sharing/binary-share.js';
import { share, type Share } from '../sharing/share.js';

/** Parameters of a comparison key (see `protocols/compare.ts`). */
export interface ComparisonKeyOptions {
  /** l: inputs are read as l-bit two's complement integers; an integer in [2, 64]. */
  readonly bits: number;
  /** d: width of the chunks of the mask's thermometer code; an integer in [1, 8]. */
  readonly chunkBits: number;
  /** Also deal the products r * s_v that let ReLU multiply by the result bit for free. */
  readonly product: boolean;
  /**
   * `true`: the tree stops at two groups and the last AND has an arithmetic output (one round
   * fewer; 4 values s_v per element; ignored when there is a single chunk). `false`: the tree goes down to one group and a separate
   * bit-to-arithmetic round follows (1 value s_0 = t per element).
   */
  readonly fuseLastAnd: boolean;
  /**
   * Deal the mask r, its code and its bit l - 1 for the first m elements only (default: all).
   * For comparisons whose blocks share one masked opening (`dreluSharedMask`: K offsets of n
   * inputs use r, code and top bit of the first n elements), where the rest would never be
   * used. The tree and final material stay per element. Not with `product` (it needs every r).
   */
  readonly codeElements?: number;
  /**
   * t: the key also truncates (protocol v5's fused truncation, `CompareOptions.truncate`). The
   * mask r is then a truncation pair's (`truncateWithDealer`): the key also deals rMsb =
   * floor(r / 2^63) and rHigh = floor((r mod 2^63) / 2^t), and the code and bit l - 1 are those of
   * rHigh, not r, because the comparison reads the truncated opening floor((c mod 2^63) / 2^t).
   * With `product`, the products are rHigh s_v and rMsb s_v (2V values per element) instead of
   * r s_v. Needs l + t <= 62 (the dropped carries 2^(62 - t) and 2^(63 - t) vanish modulo 2^l).
   */
  readonly truncation?: number;
}

/** One chunk of the low l - 1 bits: bits [start, start + width) at `offset` in an element's code. */
export interface CodeChunk {
  readonly start: number;
  readonly width: number;
  readonly offset: number;
}

/** Sizes of a comparison of `size` elements: what the dealer deals and the protocol sends. */
export interface ComparisonLayout {
  readonly size: number;
  readonly options: ComparisonKeyOptions;
  /** W = ceil(n / 64): words of one bit plane. */
  readonly planeWords: number;
  /** k = ceil((l - 1) / d) chunks, least significant first. */
  readonly chunks: readonly CodeChunk[];
  /** T = sum over chunks of (2^width - 1): thermometer bits per element. */
  readonly codeBits: number;
  /** m = `codeElements` (default n): elements with a dealt mask, code and top bit. */
  readonly codeElements: number;
  /** ceil(m T / 64). */
  readonly codeWords: number;
  /** Binary ANDs per element in each tree level (2p - 1 for p pairs), lowest level first. */
  readonly andsPerLevel: readonly number[];
  /** A: all tree ANDs per element. */
  readonly ands: number;
  /** 2 + number of tree levels: open, levels, final. */
  readonly rounds: number;
  /** F: planes opened in the final round, 3 (alpha, beta, t) when fused (and k >= 2), else 1 (t). */
  readonly finalPlanes: number;
  /** V: final values s_v per element, 4 when fused, else 1. */
  readonly finalValues: number;
  /** Words each party sends: n + W (2A + F). */
  readonly onlineWordsPerParty: number;
  /**
   * Words of material per party: m + ceil(mT/64) + ceil(m/64) + 3AW + FW + Vn (+ Vn with
   * `product`); m = n by default. With `truncation`: 2m more (rMsb, rHigh), and with `product`
   * 2Vn instead of Vn products.
   */
  readonly offlineWordsPerParty: number;
}

/**
 * One party's share of a comparison key for an n-element tensor (all bits XOR-shared, packed):
 * - `r`: arithmetic share of the mask r, uniform in Z_2^64 (shape of the input);
 * - `code`: thermometer code of r's low l - 1 bits, chunk by chunk: for chunk value r_j of
 *   width w, bits T_v = [r_j > v] for v in [0, 2^w - 2]; element e's code starts at bit e T;
 * - `rTop`: bit l - 1 of r (one plane);
 * - `andTriples`: binary Beaver triples for the tree, per level [a planes | b planes | c planes],
 *   c = a AND b;
 * - `finalMasks`: planes alpha | beta | t of the last AND, whose output is arithmetic (only t
 *   without `fuseLastAnd`);
 * - `finalBits` [4, n]: arithmetic shares of s_v = t ^ (alpha & beta) ^ (p & beta) ^ (q & alpha)
 *   ^ (p & q) for v = 2p + q, p, q in {0, 1} ([1, n]: s_0 = t, without `fuseLastAnd`);
 * - `finalProducts` [4, n] or [1, n] (only with `product`): arithmetic shares of r * s_v;
 *   with `truncation`, [2V, n]: rHigh * s_v for v < V, then rMsb * s_v;
 * - `rMsb`, `rHigh` (only with `truncation`, shape of r): arithmetic shares of floor(r / 2^63)
 *   and floor((r mod 2^63) / 2^t), the truncation pair of r; the code and `rTop` are then rHigh's.
 */
export interface ComparisonKey {
  readonly r: Share;
  readonly code: BinaryShare;
  readonly rTop: BinaryShare;
  readonly andTriples: BinaryShare;
  readonly finalMasks: BinaryShare;
  readonly finalBits: Share;
  readonly finalProducts?: Share;
  readonly rMsb?: Share;
  readonly rHigh?: Share;
}

/**
 * The sizes of a comparison of `size` elements with `options`.
 * @throws ProtocolError if `bits` is not an integer in [2, 64] or `chunkBits` not in [1, 8].
 */
export function comparisonLayout(size: number, options: ComparisonKeyOptions): ComparisonLayout {
  const { bits, chunkBits } = options;
  if (!Number.isInteger(bits) || bits < 2 || bits > 64) throw new ProtocolError('comparison', `bits must be an integer in [2, 64], got ${bits}`);
  if (!Number.isInteger(chunkBits) || chunkBits < 1 || chunkBits > 8) {
    throw new ProtocolError('comparison', `chunkBits must be an integer in [1, 8], got ${chunkBits}`);
  }
  const chunks: CodeChunk[] = [];
  let codeBits = 0;
  for (let start = 0; start < bits - 1; start += chunkBits) {
    const width = Math.min(chunkBits, bits - 1 - start);
    chunks.push({ start, width, offset: codeBits });
    codeBits += 2 ** width - 1;
  }
  const andsPerLevel: number[] = [];
  const fuse = options.fuseLastAnd && chunks.length >= 2; // with one chunk there is no last AND to fuse
  const stop = fuse ? 2 : 1;
  for (let m = chunks.length; m > stop; m = Math.ceil(m / 2)) andsPerLevel.push(2 * Math.floor(m / 2) - 1);
  const ands = andsPerLevel.reduce((s, a) => s + a, 0);
  const n = size;
  const w = planeWords(n);
  const t = options.truncation;
  if (t !== undefined && (!Number.isInteger(t) || t < 0 || bits + t > 62)) {
    throw new ProtocolError('comparison', `truncation must be an integer in [0, ${62 - bits}] (l + t <= 62) at l = ${bits}, got ${t}`);
  }
  const m = options.codeElements ?? n;
  if (!Number.isInteger(m) || m < 0 || m > n) throw new ProtocolError('comparison', `codeElements must be an integer in [0, ${n}], got ${m}`);
  if (options.product && m !== n) throw new ProtocolError('comparison', 'codeElements below the size needs product false (the products need every mask)');
  const codeWords = Math.ceil((m * codeBits) / 64);
  const finalPlanes = fuse ? 3 : 1;
  const finalValues = fuse ? 4 : 1;
  return {
    size,
    options,
    planeWords: w,
    chunks,
    codeBits,
    codeElements: m,
    codeWords,
    andsPerLevel,
    ands,
    rounds: 2 + andsPerLevel.length,
    finalPlanes,
    finalValues,
    onlineWordsPerParty: n + w * (2 * ands + finalPlanes),
    offlineWordsPerParty:
      (t === undefined ? m : 3 * m) + codeWords + planeWords(m) + 3 * ands * w + finalPlanes * w + (options.product ? (t === undefined ? 2 : 3) : 1) * finalValues * n,
  };
}

/** Words of material in one party's key (what `connectDealer` counts). */
export function comparisonKeyElements(key: ComparisonKey): number {
  return key.r.size + key.code.size + key.rTop.size + key.andTriples.size + key.finalMasks.size + key.finalBits.size + (key.finalProducts?.size ?? 0) + (key.rMsb?.size ?? 0) + (key.rHigh?.size ?? 0);
}

/**
 * Deals both parties' comparison keys for inputs of `shape`, drawing everything from `random`.
 * @param mask - the mask r (default uniform from `random`); fixing it is for tests only.
 * @throws ProtocolError on bad options; ShapeError if `mask` does not have `shape`.
 */
export function dealComparisonKey(
  random: RingRandom,
  shape: Shape,
  options: ComparisonKeyOptions,
  mask?: RingTensor,
): readonly [ComparisonKey, ComparisonKey] {
  const layout = comparisonLayout(sizeOf(shape, 'comparisonKey'), options);
  const { size: n, planeWords: w, codeBits, codeElements: m } = layout;
  // with codeElements, r is dealt for the first m elements only, flat
  const rShape = m === n ? shape : [m];
  if (mask !== undefined && !sameShape(mask.shape, rShape)) throw new ShapeError('comparisonKey', `the mask must have shape [${rShape.join(', ')}]`);
  const r = mask ?? randomTensor(random, rShape);
  const t = options.truncation;
  // with truncation, the comparison's mask is rHigh = floor((r mod 2^63) / 2^t)
  const pair = t === undefined ? undefined : truncationMaskParts(r, t);
  const rw = words((pair?.rHigh ?? r).data);

  const code = packedBuffer(layout.codeWords);
  const top = packedBuffer(planeWords(m));
  const topBit = options.bits - 1;
  const { chunks } = layout;
  for (let e = 0; e < m; e++) {
    const lo = rw[2 * e]!;
    const hi = rw[2 * e + 1]!;
    const base = e * codeBits;
    for (let j = 0; j < chunks.length; j++) {
      const chunk = chunks[j]!;
      setRun(code.bits, base + chunk.offset, bitField(lo, hi, chunk.start, chunk.width));
    }
    if (bitField(lo, hi, topBit, 1) === 1) setRun(top.bits, e, 1);
  }

  // Tree triples: per level, a | b | c with c = a AND b.
  const triples = randomTensor(random, [3 * layout.ands * w]);
  const t32 = words(triples.data);
  let at = 0;
  for (const count of layout.andsPerLevel) {
    const len = 2 * count * w; // 32-bit halves per block
    for (let i = 0; i < len; i++) t32[at + 2 * len + i] = t32[at + i]! & t32[at + len + i]!;
    at += 3 * len;
  }

  // Last AND with arithmetic output: s_v for the four public (p, q); or just s_0 = t.
  const values = layout.finalValues;
  const masks = randomTensor(random, [layout.finalPlanes * w]);
  const m32 = words(masks.data);
  const s = new RingTensor([values, n]);
  const products = options.product ? new RingTensor([pair === undefined ? values : 2 * values, n]) : undefined;
  for (let e = 0; e < n; e++) {
    const fused = values === 4;
    const alpha = fused ? getBit(m32, e) : 0;
    const beta = fused ? getBit(m32, 64 * w + e) : 0;
    const t = getBit(m32, (fused ? 128 * w : 0) + e);
    for (let v = 0; v < values; v++) {
      const p = v >> 1;
      const q = v & 1;
      const bit = t ^ (alpha & beta) ^ (p & beta) ^ (q & alpha) ^ (p & q);
      s.data[v * n + e] = bit === 1 ? 1n : 0n;
      if (products === undefined || bit === 0) continue;
      if (pair === undefined) products.data[v * n + e] = r.data[e]!;
      else {
        products.data[v * n + e] = pair.rHigh.data[e]!;
        products.data[(values + v) * n + e] = pair.rMsb.data[e]!;
      }
    }
  }

  const rShares = share(r, random);
  const codeShares = xorShare(code.tensor, random);
  const topShares = xorShare(top.tensor, random);
  const tripleShares = xorShare(triples, random);
  const maskShares = xorShare(masks, random);
  const sShares = share(s, random);
  const productShares = products === undefined ? undefined : share(products, random);
  const msbShares = pair === undefined ? undefined : share(pair.rMsb, random);
  const highShares = pair === undefined ? undefined : share(pair.rHigh, random);
  const key = (p: 0 | 1): ComparisonKey => ({
    r: rShares[p],
    code: codeShares[p],
    rTop: topShares[p],
    andTriples: tripleShares[p],
    finalMasks: maskShares[p],
    finalBits: sShares[p],
    ...(productShares === undefined ? {} : { finalProducts: productShares[p] }),
    ...(msbShares === undefined || highShares === undefined ? {} : { rMsb: msbShares[p], rHigh: highShares[p] }),
  });
  return [key(0), key(1)];
}

/**
 * The parts of a truncation mask r that a truncation pair deals (`truncateWithDealer`),
 * elementwise: rMsb = floor(r / 2^63) and rHigh = floor((r mod 2^63) / 2^f), f in [0, 62].
 */
export function truncationMaskParts(r: RingTensor, f: number): { readonly rMsb: RingTensor; readonly rHigh: RingTensor } {
  const rMsb = shiftRightLogical(r, 63);
  // floor((r mod 2^63) / 2^f) = floor(r / 2^f) - rMsb 2^(63 - f)
  return { rMsb, rHigh: sub(shiftRightLogical(r, f), mulScalar(rMsb, 1n << BigInt(63 - f))) };
}
