import { ProtocolError } from '../../errors.js';
import { comparisonLayout, type ComparisonKey, type ComparisonLayout } from '../dealer/comparison-key.js';
import { add } from '../ring/elementwise.js';
import { comparisonFinishNative, comparisonLeavesNative, type ComparisonFinishOperands } from '../ring/native-kernel.js';
import { bitField, getBit, packedBuffer } from '../ring/packed-bits.js';
import { RingTensor, words } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { truncationOpeningWithShare } from './truncate.js';

/** Options of the comparison protocols ({@link drelu}, `relu`, `lessThan`, ...). */
export interface CompareOptions {
  /**
   * l, in [2, 64]: inputs are read as l-bit two's complement integers, so the result is exact
   * for every x in [-2^(l-1), 2^(l-1)) (default 64: every ring word, read as signed).
   * Smaller l is cheaper: l = 32 covers the encodable range of both presets (|x 2^f| < 2^31)
   * and l = 33 the difference of two encodable values (for `lessThan`), both with 4 rounds
   * instead of 5 and 10.9 instead of 14.6 bytes online per element.
   */
  readonly bits?: number;
  /** d, in [1, 8]: chunk width of the mask's thermometer code (default 4, see {@link drelu}). */
  readonly chunkBits?: number;
  /**
   * `true` (default): the last AND of the tree has an arithmetic output (5 rounds at l = 64,
   * d = 4). `false`: a binary last AND and a separate bit-to-arithmetic round (one round more,
   * 3 (drelu) or 6 (relu) fewer words of material per element). See {@link drelu}.
   */
  readonly fuseLastAnd?: boolean;
  /** Names the messages and dealer requests (default the protocol's name). */
  readonly tag?: string;
  /**
   * t: the input is 2^t times the value to compare, still to be truncated (a conv product,
   * protocol v5), and the comparison's opening also truncates it: see {@link dreluParts}. The
   * truncated input (the `truncateWithDealer` of x by t, within 1 ulp of x / 2^t) is returned as
   * `DreluParts.input` and the comparison is of it. Needs l + t <= 62 and x in [-2^62, 2^62).
   */
  readonly truncate?: number;
  /**
   * With `truncate`: the opening carries only the top 64 - t bits of each masked word (protocol
   * v7, `truncate.ts` `openTruncationMask`): 8 ceil(n (64 - t) / 64) bytes per party instead of
   * 8n, and the truncated input floor(x / 2^t) + {-1, 0, 1, 2} instead of + {0, 1} (unbiased
   * either way). Ignored without `truncate`.
   */
  readonly compactOpening?: boolean;
}

/** Default l: the whole ring. */
export const DEFAULT_COMPARE_BITS = 64;
/** Default d: the cheapest chunk width with 5 rounds at l = 64 (measured in `bench-compare.ts`). */
export const DEFAULT_CHUNK_BITS = 4;

/** Shares of DReLU(x) and, when asked for, of x * DReLU(x). */
export interface DreluParts {
  readonly bit: Share;
  readonly product: Share | undefined;
  /** With `truncate`: shares of the truncated input y that `bit` and `product` are of (else x itself). */
  readonly input: Share;
}

/**
 * DReLU: arithmetic shares (in Z_2^64, values 0 or 1) of `[x >= 0]` = 1 - MSB_l(x) for a whole
 * tensor at once, by a dealer-assisted comparison of the opened `c = x + r` against the
 * dealer's mask r. Exact (no failure probability) for every x in [-2^(l-1), 2^(l-1)).
 *
 * Why it is exact despite wrap-around: with c = x + r mod 2^64, x mod 2^l = (c - r) mod 2^l and,
 * writing c_lo, r_lo for the low l - 1 bits and c_t, r_t for bit l - 1,
 * MSB_l(x) = c_t XOR r_t XOR [c_lo < r_lo] (the borrow out of the low bits). The comparison of
 * the public c_lo with the secret r_lo is computed exactly, so overflow of x + r never matters.
 *
 * Steps (party i; n = x.size; k = ceil((l-1)/d) chunks; bits XOR-shared and packed in planes
 * of W = ceil(n/64) words):
 * 1. take a comparison key (see `dealer/comparison-key.ts`): r, the thermometer code
 *    T_v = [r_j > v] of each d-bit chunk r_j of r_lo, r_t, binary triples, final material;
 * 2. open c = x + r (message `${tag}/open`, n words per party); c is uniform whatever x;
 * 3. locally per chunk: G_j = [c_j < r_j] = T_(c_j) and E_j = [c_j = r_j] = T_(c_j - 1) XOR T_(c_j)
 *    (T_(-1) = 1, T_(2^w - 1) = 0): shares of the leaves, with no communication;
 * 4. combine neighbouring groups (lo, hi) level by level, one round per level (message
 *    `${tag}/and`): G = G_hi XOR (E_hi AND G_lo), E = E_hi AND E_lo (E of the lowest group is
 *    never needed, so a level of p pairs costs 2p - 1 ANDs), until two groups remain;
 * 5. final AND with arithmetic output (message `${tag}/final`): with a = 1 XOR c_t XOR r_t
 *    XOR G_hi, open p = E_hi XOR alpha, q = G_lo XOR beta and a' = a XOR t; then
 *    DReLU = a' XOR s_(2p+q), where s_v are dealer bits given as arithmetic shares, so
 *    DReLU_i = [i = 0] a' + (1 - 2a') s_(2p+q),i. With `product`, x * DReLU =
 *    (c - r)(a' + (1 - 2a') s) is linear in the dealt shares of r, s and r * s: ReLU costs no
 *    extra round.
 *    Without `fuseLastAnd` the tree goes on to one group (its last level is a binary AND) and
 *    this round opens only a' = a XOR t, with s_0 = t (a bit-to-arithmetic conversion).
 *
 * Cost (A = tree ANDs = sum over levels of 2p - 1; F = 3 final planes and V = 4 final values when
 * fused, else F = V = 1; all in `comparisonLayout`):
 * - rounds: 1 + ceil(log2 k) fused, 2 + ceil(log2 k) otherwise, for k >= 2 (l = 64, d = 4:
 *   k = 16, 5 rounds; l = 32 or 33: k = 8, 4 rounds); never dependent on n;
 * - online per party: 8 (n + W (2A + F)) bytes (l = 64, d = 4: A = 25, 14.625 bytes per element
 *   for n a multiple of 64; unfused A = 26, F = 1, the same);
 * - offline per party: 8 (n + ceil(n T / 64) + W + 3AW + FW + Vn) bytes, T = sum (2^w - 1)
 *   thermometer bits, plus 8Vn with `product` (l = 64, d = 4: T = 232, 78.875 bytes per element,
 *   ReLU 110.875; unfused 55 and 63).
 *
 * Choice, measured by `bench-compare.ts` at l = 64 (rounds; online / offline bytes per element
 * per party; elements/s of 1e5-element DReLU with both parties and the dealer on one thread):
 * - d = 1, the classic bitwise comparison of c against r's bits with binary triples in log
 *   depth: 7 rounds; 37.6 / 92.3 B; about 0.4 M/s;
 * - d = 2: 6 rounds; 22.4 / 73.3 B; about 0.8 M/s;
 * - d = 4 (default): 5 rounds; 14.6 / 78.9 B (ReLU: 14.6 / 110.9 B); about 1.5 M/s;
 * - d = 4 without the fused last AND: 6 rounds; 14.6 / 55.0 B (ReLU: 63.0 B offline);
 * - d = 8: 4 rounds; 10.9 / 283.3 B.
 * The thermometer code costs (2^d - 1) / d bits per bit of r and the tree has about
 * log2((l - 1) / d) levels: d = 4 is the cheapest choice with 5 rounds, with 2.6x fewer online
 * bytes and 2 rounds fewer than the bitwise comparison, while d = 8 saves one more round for 3.6x
 * the material. The fused last AND saves a round at no online cost for 3 (ReLU: 6) more words of
 * material per element; material comes from the dealer before the computation, rounds do not.
 * Computed, not implemented: bit decomposition with a Kogge-Stone adder (CrypTen's A2B) takes
 * about 670 ANDs (168 B online per party) and 8 rounds with the bit-to-arithmetic step; a DCF
 * (function secret sharing, Boyle et al. 2021) opens only c (1 round, 8 B) but needs a key of
 * about 63 (128 + 2 + 64) bits = 1.5 KB per element and about 126 AES calls per element per party.
 */
export async function drelu(ctx: PartyContext, x: Share, options: CompareOptions = {}): Promise<Share> {
  return (await dreluParts(ctx, x, options, false, 'drelu')).bit;
}

/**
 * {@link drelu}, also returning shares of x * DReLU(x) when `product` is set (see `relu`).
 * Same rounds and online bytes; 4n more words of material per party with `product`.
 *
 * With `options.truncate` = t (protocol v5: the truncation of the producer's output fused into
 * the comparison's opening), x is 2^t times the value y to compare and one opening serves both:
 * 1. the key's mask r is a truncation pair's (`ComparisonKeyOptions.truncation`); open
 *    c = x + 2^62 + r as `truncateWithDealer` does (message `${tag}/open`, n words per party);
 * 2. `truncationOpening`'s public q and sigma give party i's share of y = trunc(x, t) as
 *    [i = 0] q - R_i with R = rHigh - sigma rMsb (elementwise): the same y, within 1 ulp of
 *    x / 2^t, that `truncateWithDealer` would return;
 * 3. y mod 2^l = (q - rHigh) mod 2^l, because q and rHigh - R differ by multiples of 2^(62 - t)
 *    and l + t <= 62; so the leaves compare q's low l bits with rHigh's, whose code the key holds,
 *    exactly as `drelu` compares c with r;
 * 4. the final AND as `drelu`; with `product`, y b = (q - rHigh) b + sigma rMsb b: the last
 *    local step (`finish`) with c := q, r := rHigh and the dealt rHigh s_v, minus sigma times the
 *    same step with c := 0, r := rMsb and the dealt rMsb s_v, in one pass (native:
 *    `comparisonFinishTruncated`).
 * Against `truncateWithDealer` then `drelu`: 1 round and 8n bytes per party fewer online; the
 * material is the key's plus 2n words (rMsb, rHigh) and, with `product`, Vn more products,
 * against the truncation pair's 3n.
 * @throws ProtocolError if l + t > 62 (from the key's layout).
 */
export async function dreluParts(ctx: PartyContext, x: Share, options: CompareOptions, product: boolean, defaultTag: string): Promise<DreluParts> {
  const tag = options.tag ?? defaultTag;
  assertOwnShares(ctx, tag, x);
  const keyOptions = {
    bits: options.bits ?? DEFAULT_COMPARE_BITS,
    chunkBits: options.chunkBits ?? DEFAULT_CHUNK_BITS,
    product,
    fuseLastAnd: options.fuseLastAnd ?? true,
    ...(options.truncate === undefined ? {} : { truncation: options.truncate }),
  };
  const layout = comparisonLayout(x.size, keyOptions);
  const key = await ctx.dealer.comparisonKey(x.shape, tag, keyOptions);
  if (options.truncate !== undefined) return truncatingDreluParts(ctx, tag, x, layout, key, options.truncate, options.compactOpening === true);

  const cMine = add(x.ring, key.r.ring);
  const [cOther] = await ctx.channel.exchange(`${tag}/open`, [cMine]);
  const c = add(cMine, cOther!);

  const leaf = leaves(ctx.party, layout, c, words(key.code.words.data));
  const groups = await combineLevels(ctx, tag, layout, leaf.groups, words(key.andTriples.words.data));
  return { ...(await finish(ctx, tag, layout, key, c, groups, leaf.topFlip)), input: x };
}

/** {@link dreluParts} with `truncate` = t (steps 1 to 4 there), given the key. */
async function truncatingDreluParts(ctx: PartyContext, tag: string, x: Share, layout: ComparisonLayout, key: ComparisonKey, t: number, compact: boolean): Promise<DreluParts> {
  const opened = await truncatingOpening(ctx, tag, x, key, t, compact);
  const leaf = leaves(ctx.party, layout, opened.q, words(key.code.words.data));
  const groups = await combineLevels(ctx, tag, layout, leaf.groups, words(key.andTriples.words.data));
  const parts = await finish(ctx, tag, layout, key, opened.q, groups, leaf.topFlip, opened);
  return { ...parts, input: opened.input };
}

/** What a truncating comparison's opening yields (`truncatingOpening`). */
export interface TruncatingOpening {
  /** Public: q = floor((c mod 2^63) / 2^t) - 2^(62 - t) + 2^(63 - t) c63, whose low l bits are those of y + rHigh. */
  readonly q: RingTensor;
  /** Public: sigma = 2^(63 - t) (1 - 2 c63). */
  readonly sigma: RingTensor;
  /** This party's shares of the pair's rMsb and rHigh (the first n of the key's). */
  readonly rMsb: Share;
  readonly rHigh: Share;
  /** This party's share of the truncated input y = [i = 0] q - rHigh + sigma rMsb. */
  readonly input: Share;
}

/**
 * Step 1 and 2 of a truncating comparison (`CompareOptions.truncate`): opens x + 2^62 + r with
 * the key's truncation pair and returns the public q and sigma (`truncationOpening`) and this
 * party's share of the truncated input, [i = 0] q - rHigh_i + sigma rMsb_i. The key's r, rMsb
 * and rHigh may cover more elements than x (their first x.size are used). With `compact`, only
 * the top 64 - t bits of each masked word are sent (`CompareOptions.compactOpening`).
 */
export async function truncatingOpening(ctx: PartyContext, tag: string, x: Share, key: ComparisonKey, t: number, compact = false): Promise<TruncatingOpening> {
  if (key.rMsb === undefined || key.rHigh === undefined) throw new ProtocolError(tag, 'the comparison key was dealt without a truncation pair (ComparisonKeyOptions.truncation)');
  const n = x.size;
  const head = (s: Share): Share => new Share(ctx.party, new RingTensor(x.shape, s.ring.data.subarray(0, n)));
  const pair = { r: head(key.r), rMsb: head(key.rMsb), rHigh: head(key.rHigh) };
  const { q, sigma, share } = await truncationOpeningWithShare(ctx, x, pair, t, tag, true, compact);
  return { q, sigma, rMsb: pair.rMsb, rHigh: pair.rHigh, input: new Share(ctx.party, share!) };
}

/** A group of chunks: shares of G = [c < r] and E = [c = r] over its bits, one plane each. */
export interface Group {
  readonly g: Uint32Array;
  readonly e: Uint32Array;
}

/**
 * Step 3: the leaves, and the public plane 1 XOR c_t that S0 folds into a. With `codePeriod` p,
 * `code` holds the thermometer codes of p elements only and element e reads the code of e mod p
 * (`dreluSharedMask`: one mask, so one code, serves all K offsets of an element); default: one
 * code per element.
 */
export function leaves(party: 0 | 1, layout: ComparisonLayout, c: RingTensor, code: Uint32Array, codePeriod?: number): { groups: Group[]; topFlip: Uint32Array } {
  const { size: n, codeBits, chunks } = layout;
  const w2 = 2 * layout.planeWords;
  const k = chunks.length;
  const g = new Uint32Array(k * w2);
  const eq = new Uint32Array(k * w2);
  const topFlip = new Uint32Array(w2);
  const one = party === 0 ? 1 : 0;
  const topBit = layout.options.bits - 1;
  const perElement = Math.max(n, 1); // the default period: one code per element
  const period = codePeriod ?? perElement;
  if (!Number.isInteger(period) || period < 1 || period > perElement) throw new ProtocolError('leaves', `codePeriod must be an integer in [1, ${perElement}], got ${period}`);
  const params = Int32Array.from([n, codeBits, topBit, one, w2, k, ...chunks.map((ch) => ch.start), ...chunks.map((ch) => ch.width), ...chunks.map((ch) => ch.offset), ...(period === perElement ? [] : [period])]);
  if (!comparisonLeavesNative(c.data, code, params, g, eq, topFlip)) leavesTs(words(c.data), code, params, g, eq, topFlip);
  const groups: Group[] = [];
  for (let j = 0; j < k; j++) groups.push({ g: g.subarray(j * w2, (j + 1) * w2), e: eq.subarray(j * w2, (j + 1) * w2) });
  return { groups, topFlip };
}

/**
 * Step 3 in TypeScript, with the native kernel's arguments (`comparisonLeavesNative`; it computes
 * the same bits): `params` = [n, codeBits, topBit, one, w2, k, starts[k], widths[k], offsets[k]
 * (, period)] (element e reads the code of e mod period, default n; the period is passed only when
 * it is not n, so an addon built before it still serves the default),
 * `cw` the 32-bit halves of c; the output planes `g`, `eq` and `topFlip` start at zero.
 */
function leavesTs(cw: Uint32Array, code: Uint32Array, params: Int32Array, g: Uint32Array, eq: Uint32Array, topFlip: Uint32Array): void {
  const [n = 0, codeBits = 0, topBit = 0, one = 0, w2 = 0, k = 0] = params;
  const starts = params.subarray(6, 6 + k);
  const widths = params.subarray(6 + k, 6 + 2 * k);
  const offsets = params.subarray(6 + 2 * k, 6 + 3 * k);
  const maxima = widths.map((w) => (1 << w) - 1);
  const period = params[6 + 3 * k] ?? Math.max(n, 1);
  for (let e = 0, m = 0; e < n; e++, m = m + 1 === period ? 0 : m + 1) {
    const lo = cw[2 * e]!;
    const hi = cw[2 * e + 1]!;
    const base = m * codeBits;
    const word = e >>> 5;
    const shift = e & 31;
    for (let j = 0; j < k; j++) {
      const v = bitField(lo, hi, starts[j]!, widths[j]!);
      const at = base + offsets[j]!;
      const greater = v === maxima[j]! ? 0 : getBit(code, at + v);
      const below = v === 0 ? one : getBit(code, at + v - 1);
      const i = j * w2 + word;
      g[i] = g[i]! | (greater << shift);
      eq[i] = eq[i]! | ((below ^ greater) << shift);
    }
    topFlip[word] = topFlip[word]! | ((1 ^ bitField(lo, hi, topBit, 1)) << shift);
  }
}

/** Step 4: every level of the tree in turn, one round each, taking the dealer's AND triples in order. */
export async function combineLevels(ctx: PartyContext, tag: string, layout: ComparisonLayout, leafGroups: Group[], triples: Uint32Array): Promise<Group[]> {
  let groups = leafGroups;
  let at = 0;
  for (const count of layout.andsPerLevel) {
    const block = triples.subarray(at, at + 6 * count * layout.planeWords);
    groups = await combineLevel(ctx, tag, groups, block, 2 * layout.planeWords);
    at += block.length;
  }
  return groups;
}

/** Step 4, one level: pairs (2p, 2p + 1) merged with 2p - 1 ANDs in one round. */
export async function combineLevel(ctx: PartyContext, tag: string, groups: Group[], triples: Uint32Array, w2: number): Promise<Group[]> {
  const pairs = Math.floor(groups.length / 2);
  const xs: Uint32Array[] = [];
  const ys: Uint32Array[] = [];
  for (let p = 0; p < pairs; p++) {
    const lo = groups[2 * p]!;
    const hi = groups[2 * p + 1]!;
    xs.push(hi.e), ys.push(lo.g);
    if (p > 0) xs.push(hi.e), ys.push(lo.e);
  }
  const z = await andPlanes(ctx, `${tag}/and`, xs, ys, triples, w2);
  const next: Group[] = [];
  const plane = (j: number): Uint32Array => z.subarray(j * w2, (j + 1) * w2);
  for (let p = 0; p < pairs; p++) {
    const hi = groups[2 * p + 1]!;
    const gz = plane(p === 0 ? 0 : 2 * p - 1); // ANDs in order: E_hi G_lo of pair 0, then E_hi G_lo, E_hi E_lo
    const g = new Uint32Array(w2);
    for (let t = 0; t < w2; t++) g[t] = hi.g[t]! ^ gz[t]!;
    next.push({ g, e: p === 0 ? new Uint32Array(w2) : plane(2 * p) }); // the lowest group's E is never used
  }
  if (groups.length % 2 === 1) next.push(groups[groups.length - 1]!);
  return next;
}

/**
 * Shares of x_j AND y_j for XOR-shared planes, with the binary triples `triples` = a | b | c:
 * open d = x XOR a and e = y XOR b in one round, then z = c XOR (d AND b) XOR (e AND a), and S0
 * also XORs d AND e.
 */
async function andPlanes(ctx: PartyContext, label: string, xs: Uint32Array[], ys: Uint32Array[], triples: Uint32Array, w2: number): Promise<Uint32Array> {
  const len = xs.length * w2;
  const send = packedBuffer(len);
  const out = send.bits;
  for (let j = 0; j < xs.length; j++) {
    const x = xs[j]!;
    const y = ys[j]!;
    const base = j * w2;
    for (let t = 0; t < w2; t++) {
      out[base + t] = x[t]! ^ triples[base + t]!;
      out[len + base + t] = y[t]! ^ triples[len + base + t]!;
    }
  }
  const [other] = await ctx.channel.exchange(label, [send.tensor]);
  const got = words(other!.data);
  const z = new Uint32Array(len);
  const first = ctx.party === 0;
  for (let t = 0; t < len; t++) {
    const d = out[t]! ^ got[t]!;
    const e = out[len + t]! ^ got[len + t]!;
    const a = triples[t]!;
    const b = triples[len + t]!;
    z[t] = triples[2 * len + t]! ^ (d & b) ^ (e & a) ^ (first ? d & e : 0);
  }
  return z;
}

/**
 * Step 5: the last AND with its output as arithmetic shares (and the product with x). Fused:
 * open p = E_hi ^ alpha, q = G_lo ^ beta, a' = a ^ t; otherwise (one group left) only a'.
 */
export async function finish(
  ctx: PartyContext,
  tag: string,
  layout: ComparisonLayout,
  key: ComparisonKey,
  c: RingTensor,
  groups: Group[],
  topFlip: Uint32Array,
  truncated?: TruncatingOpening,
): Promise<Omit<DreluParts, 'input'>> {
  const n = layout.size;
  const w = layout.planeWords;
  const w2 = 2 * w;
  const fused = layout.finalValues === 4;
  const zero = new Uint32Array(w2);
  const [lo, hi] = groups.length === 2 ? [groups[0]!, groups[1]!] : [{ g: zero, e: zero }, { g: groups[0]!.g, e: zero }];
  const masks = words(key.finalMasks.words.data);
  const rTop = words(key.rTop.words.data);
  const send = packedBuffer(layout.finalPlanes * w);
  const out = send.bits;
  const first = ctx.party === 0;
  const aAt = (layout.finalPlanes - 1) * w2; // a' is the last plane
  for (let t = 0; t < w2; t++) {
    if (fused) {
      out[t] = hi.e[t]! ^ masks[t]!;
      out[w2 + t] = lo.g[t]! ^ masks[w2 + t]!;
    }
    out[aAt + t] = hi.g[t]! ^ rTop[t]! ^ (first ? topFlip[t]! : 0) ^ masks[aAt + t]!;
  }
  const [other] = await ctx.channel.exchange(`${tag}/final`, [send.tensor]);
  const got = words(other!.data);
  const opened = new Uint32Array(out.length);
  for (let t = 0; t < opened.length; t++) opened[t] = out[t]! ^ got[t]!;
  const s = key.finalBits.ring.data;
  const bit = RingTensor.uninitialized(c.shape); // both paths write every element
  const products = key.finalProducts;
  const y = products === undefined ? undefined : RingTensor.uninitialized(c.shape);
  const params = Int32Array.from([n, fused ? 1 : 0, first ? 1 : 0, 64 * w, 32 * aAt]); // bit offsets of q and a'
  const run = (operands: ComparisonFinishOperands): void => {
    if (!comparisonFinishNative(operands)) finishTs(operands);
  };
  if (truncated === undefined || products === undefined || y === undefined) {
    run({ opened, params, s, bit: bit.data, ...(products === undefined || y === undefined ? {} : { product: { c: c.data, rs: products.ring.data, r: key.r.ring.data, y: y.data } }) });
    return { bit: new Share(ctx.party, bit), product: y === undefined ? undefined : new Share(ctx.party, y) };
  }
  // Truncating (`truncatingDreluParts`): y b = (q - rHigh) b + sigma rMsb b. The first term is the
  // usual product with c := q, r := rHigh and the dealt rHigh s_v; the second is minus sigma times
  // the same step with c := 0, r := rMsb and the dealt rMsb s_v, in the same pass.
  const values = layout.finalValues;
  const rs = products.ring.data;
  const truncation = { sigma: truncated.sigma.data, rsMsb: rs.subarray(values * n, 2 * values * n), rMsb: truncated.rMsb.ring.data };
  run({ opened, params, s, bit: bit.data, product: { c: c.data, rs: rs.subarray(0, values * n), r: truncated.rHigh.ring.data, y: y.data, truncated: truncation } });
  return { bit: new Share(ctx.party, bit), product: new Share(ctx.party, y) };
}

/** The loops of step 5 in TypeScript (the native kernel's `comparisonFinish` computes the same words). */
function finishTs(o: ComparisonFinishOperands): void {
  const [n = 0, fused = 0, first = 0, qAt = 0, aAt = 0] = o.params;
  const { opened, s } = o;
  const variant = (e: number): number => (fused === 1 ? 2 * getBit(opened, e) + getBit(opened, qAt + e) : 0);
  const aBit = (e: number): number => getBit(opened, aAt + e);
  const bits = o.bit;
  const firstWord = BigInt(first);
  for (let e = 0; e < n; e++) {
    const si = s[variant(e) * n + e]!;
    bits[e] = aBit(e) === 0 ? si : BigInt.asUintN(64, firstWord - si);
  }
  if (o.product === undefined) return;
  const { c: cs, rs, r, y: ys, truncated } = o.product;
  for (let e = 0; e < n; e++) {
    const v = variant(e);
    const ce = cs[e]!;
    const cTimesS = ce * s[v * n + e]!;
    const rTimesS = rs[v * n + e]!;
    // x * b = (c - r)(a' + (1 - 2a') s): a' = 0 gives c s - r s; a' = 1 gives c - c s - r + r s.
    ys[e] = aBit(e) === 0 ? BigInt.asUintN(64, cTimesS - rTimesS) : BigInt.asUintN(64, (first === 1 ? ce : 0n) - cTimesS - r[e]! + rTimesS);
    if (truncated !== undefined) {
      // minus sigma times (0 - rMsb) b: -rMsb s (a' = 0) or rMsb s - rMsb (a' = 1)
      const m = truncated.rsMsb[v * n + e]!;
      const y2 = aBit(e) === 0 ? -m : m - truncated.rMsb[e]!;
      ys[e] = BigInt.asUintN(64, ys[e]! - truncated.sigma[e]! * y2);
    }
  }
}
