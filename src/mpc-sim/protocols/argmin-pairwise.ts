import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import type { ArgminOptions, ArgminResult } from './argmin.js';
import { notBit } from './compare.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { drelu, type CompareOptions } from './drelu.js';
import { reveal } from './reveal.js';

/** Chunk width d of the count comparison (one chunk pair for every N <= 2^15: 2 rounds). */
export const COUNT_CHUNK_BITS = 8;

/** Options of {@link argminPairwise}: those of `argmin`, for the pairwise comparisons. */
export type ArgminPairwiseOptions = ArgminOptions;

/** Comparison width l of {@link argminPairwise}'s count step for N columns: counts minus N - 1 and threshold sums minus 1 lie in [-(N - 1), N - 1]. */
export function countCompareBits(n: number): number {
  return Math.max(2, 1 + Math.ceil(Math.log2(Math.max(n, 2))));
}

/**
 * Row-wise argmin of a shared matrix `values` [Q, N] in constant rounds: all N (N - 1) / 2
 * pairwise comparisons of a row in one batch, then the winner from the bits. Same contract as
 * `argmin` (the tree): reveals only the Q indices (lowest column on ties) and, with a threshold,
 * the Q bits [min < threshold]; exact whenever every pairwise difference (and v - threshold)
 * fits `options.bits` (l) as a signed integer.
 *
 * Steps (per row; P = N (N - 1) / 2 pairs (i, j), i < j; comparisons as in `drelu.ts`):
 * 1. one batched `drelu` (tag `${tag}/pairs`, width l, chunk width d from `options`) of the
 *    Q P differences v_j - v_i and, with a threshold t, of the Q N differences v_i - t; then
 *    locally c_ij = [v_j < v_i] = 1 - DReLU(v_j - v_i) and b_i = [v_i < t];
 * 2. locally count_i = sum_(j > i) (1 - c_ij) + sum_(j < i) c_ji, the number of columns i beats
 *    (i beats j when v_i < v_j, or v_i = v_j and i < j: a strict total order, so exactly one
 *    column, the argmin, has count N - 1), and with a threshold s = sum_i b_i (min < t iff s >= 1);
 * 3. one batched `drelu` (tag `${tag}/count`, width L = 1 + ceil(log2 N), d = 8: 2 rounds for
 *    N <= 2^15) of count_i - (N - 1) and s - 1: w_i = [count_i = N - 1] (one-hot) and
 *    below = [s >= 1];
 * 4. locally the index sum_i i w_i; one counted `reveal` of the Q indices (and Q bits: 2Q elements).
 * N = 1: no comparison of pairs and no count step (the index is 0; below = b_0).
 *
 * Security: only step 4 opens anything beyond the comparisons' masked values (uniform, see
 * `drelu.ts`): the index and the bit, which the result discloses anyway.
 *
 * Cost (C(k, l, d) = one `drelu` of k elements: 2 + tree levels rounds, 8 * comparisonLayout(k).online
 * bytes per party; N >= 2):
 * - rounds: C_rounds(l, d) + C_rounds(L, 8) + 1 (l = 33, d = 8: 3 + 2 + 1 = 6; l = 64, d = 4:
 *   5 + 2 + 1 = 8), independent of N and of the threshold; N = 1: 1, or C_rounds + 1 with a threshold;
 * - online bytes per party: C_bytes(Q P [+ Q N]) + C_bytes(Q N [+ Q]) + 8Q [16Q with threshold];
 * - offline: the two comparison keys (no Beaver triples).
 * @throws ProtocolError if values is not [Q, N] with N >= 1, or a share is not the caller's.
 */
export async function argminPairwise(ctx: PartyContext, values: Share, options: ArgminPairwiseOptions = {}): Promise<ArgminResult> {
  const tag = options.tag ?? 'argmin';
  assertOwnShares(ctx, tag, values);
  if (values.shape.length !== 2 || values.shape[1]! < 1) throw new ProtocolError(tag, `values must be [Q, N] with N >= 1, got [${values.shape.join(', ')}]`);
  const [rows, cols] = values.shape as [number, number];
  const pairs = (cols * (cols - 1)) / 2;
  const hasThreshold = options.threshold !== undefined;
  const first = ctx.party === 0;
  const v = values.ring.data;

  // Step 1: differences [pairs of row 0, pairs of row 1, ..., then v - t of all rows].
  const pairCount = rows * pairs;
  const diff = new BigUint64Array(pairCount + (hasThreshold ? rows * cols : 0));
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let i = 0; i < cols; i++) for (let j = i + 1; j < cols; j++) diff[at++] = BigInt.asUintN(64, v[row + j]! - v[row + i]!);
  }
  if (hasThreshold) {
    const t = first ? options.threshold! : 0n;
    for (let e = 0; e < rows * cols; e++) diff[at++] = BigInt.asUintN(64, v[e]! - t);
  }
  const pairOptions: CompareOptions = { ...(options.bits === undefined ? {} : { bits: options.bits }), ...(options.chunkBits === undefined ? {} : { chunkBits: options.chunkBits }), tag: `${tag}/pairs` };
  const bits = diff.length === 0 ? new BigUint64Array(0) : notBit(await drelu(ctx, new Share(ctx.party, new RingTensor([diff.length], diff)), pairOptions)).ring.data;

  // Step 2: counts (and threshold sums), shifted so that DReLU gives the wanted bit.
  let onehot: BigUint64Array;
  let below: BigUint64Array | undefined;
  if (cols === 1) {
    onehot = new BigUint64Array(rows).fill(first ? 1n : 0n);
    below = hasThreshold ? bits.slice(pairCount) : undefined;
  } else {
    const shifted = new BigUint64Array(rows * cols + (hasThreshold ? rows : 0));
    at = 0;
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      for (let i = 0; i < cols; i++) {
        for (let j = i + 1; j < cols; j++) {
          const c = bits[at++]!; // [v_j < v_i]: j beats i
          shifted[row + j] = shifted[row + j]! + c;
          shifted[row + i] = shifted[row + i]! + (first ? 1n : 0n) - c;
        }
      }
    }
    const target = first ? BigInt(cols - 1) : 0n;
    for (let e = 0; e < rows * cols; e++) shifted[e] = BigInt.asUintN(64, shifted[e]! - target);
    if (hasThreshold) {
      for (let r = 0; r < rows; r++) {
        let s = first ? -1n : 0n;
        for (let i = 0; i < cols; i++) s += bits[pairCount + r * cols + i]!;
        shifted[rows * cols + r] = BigInt.asUintN(64, s);
      }
    }
    // Step 3.
    const won = (await drelu(ctx, new Share(ctx.party, new RingTensor([shifted.length], shifted)), { bits: countCompareBits(cols), chunkBits: COUNT_CHUNK_BITS, tag: `${tag}/count` })).ring.data;
    onehot = won.subarray(0, rows * cols);
    below = hasThreshold ? won.slice(rows * cols) : undefined;
  }

  // Step 4.
  const opened = new BigUint64Array(rows + (below === undefined ? 0 : rows));
  for (let r = 0; r < rows; r++) {
    let s = 0n;
    if (cols > 1) for (let i = 1; i < cols; i++) s += BigInt(i) * onehot[r * cols + i]!;
    opened[r] = BigInt.asUintN(64, s);
  }
  if (below !== undefined) opened.set(below, rows);
  const plain = await reveal(ctx, new Share(ctx.party, new RingTensor([opened.length], opened)), `${tag}/reveal`);
  const indices = Array.from(plain.data.subarray(0, rows), (w) => Number(w));
  const belowThreshold = below === undefined ? undefined : Array.from(plain.data.subarray(rows, 2 * rows), (w) => w === 1n);
  return { indices, belowThreshold };
}
