import { ProtocolError } from '../../errors.js';
import { RingTensor, assertSameShape } from '../ring/ring-tensor.js';
import { reshapeShare, scaleShare, subShares } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import { lessThan, lessThanPublic } from './compare.js';
import { assertOwnShares, type PartyContext } from './context.js';
import type { CompareOptions } from './drelu.js';
import { matmul } from './matmul.js';
import { mul } from './mul.js';
import { reveal } from './reveal.js';
import { concatShares, sliceShare } from './shared-vector.js';
import { truncateWithDealer } from './truncate.js';

/** Guard bits kept above the encoding's f between the two truncations of {@link mse}. */
export const MSE_GUARD_BITS = 8;
/** Bits of the public constant 2^s / n in {@link mse} (relative error at most 2^-22). */
export const MSE_SCALE_BITS = 22;

/**
 * Mean squared error mean((x - r)^2) of two shared fixed-point tensors of the same shape (any
 * shape, n elements, f = `ctx.encoding.fracBits`), as a shared fixed-point scalar of shape [1].
 *
 * Steps (s = ceil(log2 n), G = 8 guard bits, T = 22 bits):
 * 1. to 3. v1 = {@link fineMse}: the sum of squares at scale 2^(f+G), divided by 2^s;
 * 4. m = trunc(v1 * round(2^(T+s)/n), T + G) (dealer truncation): scale 2^f.
 *
 * Precision: with M the exact mean of the encoded d^2, |m - M| <= 2^-f (the last truncation) +
 * 2^(1-f-G) (the first one, scaled by 2^s/n < 2) + M 2^-T (rounding of the constant), i.e.
 * within 1.01 ulp + 2.4e-7 M. Range: n M 2^2f < 2^62 (q itself) and M < 2^(32-f)
 * (the product of step 4 stays below 2^62): FIXED16 M < 65536, FIXED20 M < 4096.
 *
 * Cost: 3 rounds; online 16n + 16 bytes per party; offline 8(2n + 1) + 48 bytes per party.
 * @throws ShapeError if the shapes differ; ProtocolError if a share is not the caller's.
 */
export async function mse(ctx: PartyContext, x: Share, reconstruction: Share, tag = 'mse'): Promise<Share> {
  const n = x.size;
  const s = mseSumShift(n);
  const v1 = await fineMse(ctx, x, reconstruction, tag);
  const c = BigInt(Math.round(2 ** (MSE_SCALE_BITS + s) / n));
  return truncateWithDealer(ctx, scaleShare(v1, c), MSE_SCALE_BITS + MSE_GUARD_BITS, `${tag}/mean`);
}

/**
 * The mean squared error of `x` and `reconstruction` (as {@link mse}) at 2^G = 256 times its
 * resolution, times the public factor n / 2^s (s = ceil(log2 n)), as a shared scalar of shape [1]:
 * D = trunc(d . d, s + f - G) with d = x - r, so that D ~ M (n / 2^s) 2^(f+G) for the exact mean M.
 * The factor is the same for every reconstruction of one query, so D orders users as M does
 * (an argmin needs no division by n); {@link fineMseUnit} converts D to M.
 *
 * Steps: 1. d = x - r locally; 2. q = d . d (scale 2^2f), a Beaver square summed inside one
 * [1,n] x [n,1] `matmul`; 3. D = trunc(q, s + f - G) (dealer truncation).
 *
 * Precision: |D - M (n / 2^s) 2^(f+G)| <= 1 unit, that is 2^(s-f-G) / n < 2^(1-f-G) in M:
 * 7.5e-9 at FIXED20 (an `mse` unit is 9.5e-7). Range: n M 2^2f < 2^62 (q itself); D < 2^31
 * (so that a comparison at l = 33 orders two of them, or one and a threshold) when
 * M < 2^(31-f-G): FIXED20 M < 8, which holds for x and r in [-1, 1] (M <= 4).
 *
 * Cost: 2 rounds; online 16n + 8 bytes per party; offline 8(2n + 1) + 24 bytes per party.
 * @throws ShapeError if the shapes differ; ProtocolError if a share is not the caller's.
 */
export async function fineMse(ctx: PartyContext, x: Share, reconstruction: Share, tag = 'mse'): Promise<Share> {
  assertOwnShares(ctx, tag, x, reconstruction);
  assertSameShape(tag, x.shape, reconstruction.shape);
  const n = x.size;
  const d = reshapeShare(subShares(x, reconstruction), [n]);
  const f = ctx.encoding.fracBits;
  const s = mseSumShift(n);
  const q = await matmul(ctx, reshapeShare(d, [1, n]), reshapeShare(d, [n, 1]), `${tag}/square`);
  return truncateWithDealer(ctx, reshapeShare(q, [1]), s + f - MSE_GUARD_BITS, `${tag}/sum`);
}

/** The mean squared error per unit of {@link fineMse} over n elements at f fractional bits: 2^(s-f-G) / n. */
export function fineMseUnit(fracBits: number, n: number): number {
  return 2 ** (mseSumShift(n) - fracBits - MSE_GUARD_BITS) / n;
}

/** s = ceil(log2 n): the power of two {@link fineMse} divides the sum of n squares by (n / 2^s is in (1/2, 1]). */
export function mseSumShift(n: number): number {
  return Math.ceil(Math.log2(n));
}

/** Options of {@link argmin}. */
export interface ArgminOptions extends CompareOptions {
  /** Encoded public threshold: also reveal, per row, the bit [min < threshold]. */
  readonly threshold?: bigint;
}

/** What {@link argmin} reveals (to both parties): nothing else leaves the shares. */
export interface ArgminResult {
  /** Per row, the column of the minimum (lowest column on ties). */
  readonly indices: number[];
  /** Per row, [min < threshold], when a threshold was given. */
  readonly belowThreshold: boolean[] | undefined;
}

/** Number of tree levels of {@link argmin} over n columns: ceil(log2 n) (0 for n = 1). */
export function argminLevels(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/**
 * Row-wise argmin of a shared matrix `values` [Q, N] (fixed point, or any signed ring values whose
 * pairwise differences do not overflow), revealing only the Q indices (and Q threshold bits).
 *
 * Steps (tree over the columns; m candidates per row, initially N, with shared values and
 * shared integer indices, index j initially the public j held by S0):
 * 1. per level, pair candidates (2j, 2j+1) for j < p = floor(m/2); an odd last candidate passes
 *    through; one batched `lessThan` b = [B < A] over the Q p pairs of all rows (strict, so ties
 *    keep the lower column A);
 *    one batched Beaver `mul` of [b, b] with [B - A, iB - iA] (2Qp elements): the winner's value
 *    A + b (B - A) and index iA + b (iB - iA), exact integers (no truncation);
 *    m becomes ceil(m/2); L = ceil(log2 N) levels;
 * 2. with a threshold t: one `lessThanPublic` of the Q minima against t;
 * 3. one counted `reveal` of the Q indices (and the Q bits, in the same round: 2Q elements).
 *
 * Cost (C(k) = one comparison of k elements, 5 rounds at l = 64, 8 * comparisonLayout(k).online
 * bytes per party; p_i = floor(m_i / 2) pairs per row at level i):
 * - rounds: L (C_rounds + 1) + [threshold] C_rounds + 1 (l = 64: 6L + 1, or 6L + 6);
 * - online bytes per party: sum_i (C_bytes(Q p_i) + 32 Q p_i) + [threshold] C_bytes(Q) + 8Q (16Q with
 *   threshold);
 * - reveals: 1 of Q elements (2Q with threshold).
 * @throws ProtocolError if values is not [Q, N] with N >= 1, or a share is not the caller's.
 */
export async function argmin(ctx: PartyContext, values: Share, options: ArgminOptions = {}): Promise<ArgminResult> {
  const tag = options.tag ?? 'argmin';
  assertOwnShares(ctx, tag, values);
  if (values.shape.length !== 2 || values.shape[1]! < 1) throw new ProtocolError(tag, `values must be [Q, N] with N >= 1, got [${values.shape.join(', ')}]`);
  const [rows, cols] = values.shape as [number, number];
  const compareOptions: CompareOptions = { ...(options.bits === undefined ? {} : { bits: options.bits }), ...(options.chunkBits === undefined ? {} : { chunkBits: options.chunkBits }) };

  // Row-major candidates: val[r * m + j], idx[r * m + j].
  let m = cols;
  let val = values.ring.data.slice();
  let idx = new BigUint64Array(rows * cols);
  if (ctx.party === 0) for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) idx[r * cols + j] = BigInt(j);

  for (let level = 0; m > 1; level++) {
    const p = Math.floor(m / 2);
    const next = Math.ceil(m / 2);
    const a = new BigUint64Array(rows * p);
    const b = new BigUint64Array(rows * p);
    const ia = new BigUint64Array(rows * p);
    const ib = new BigUint64Array(rows * p);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < p; j++) {
        a[r * p + j] = val[r * m + 2 * j]!;
        b[r * p + j] = val[r * m + 2 * j + 1]!;
        ia[r * p + j] = idx[r * m + 2 * j]!;
        ib[r * p + j] = idx[r * m + 2 * j + 1]!;
      }
    }
    const share = (data: BigUint64Array): Share => new Share(ctx.party, new RingTensor([data.length], data));
    const A = share(a);
    const IA = share(ia);
    const bit = await lessThan(ctx, share(b), A, { ...compareOptions, tag: `${tag}/level${level}/compare` });
    const prod = await mul(ctx, concatShares(bit, bit), concatShares(subShares(share(b), A), subShares(share(ib), IA)), `${tag}/level${level}/select`);
    const n = rows * p;
    const winVal = sliceShare(prod, 0, n).ring.data;
    const winIdx = sliceShare(prod, n, 2 * n).ring.data;
    const nextVal = new BigUint64Array(rows * next);
    const nextIdx = new BigUint64Array(rows * next);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < p; j++) {
        nextVal[r * next + j] = BigInt.asUintN(64, a[r * p + j]! + winVal[r * p + j]!);
        nextIdx[r * next + j] = BigInt.asUintN(64, ia[r * p + j]! + winIdx[r * p + j]!);
      }
      if (m % 2 === 1) {
        nextVal[r * next + p] = val[r * m + m - 1]!;
        nextIdx[r * next + p] = idx[r * m + m - 1]!;
      }
    }
    val = nextVal;
    idx = nextIdx;
    m = next;
  }

  const indexShare = new Share(ctx.party, new RingTensor([rows], idx));
  let opened: Share = indexShare;
  if (options.threshold !== undefined) {
    const below = await lessThanPublic(ctx, new Share(ctx.party, new RingTensor([rows], val)), options.threshold, { ...compareOptions, tag: `${tag}/threshold` });
    opened = concatShares(indexShare, below);
  }
  const plain = await reveal(ctx, opened, `${tag}/reveal`);
  const indices = Array.from(plain.data.subarray(0, rows), (w) => Number(w));
  const belowThreshold = options.threshold === undefined ? undefined : Array.from(plain.data.subarray(rows, 2 * rows), (w) => w === 1n);
  return { indices, belowThreshold };
}
