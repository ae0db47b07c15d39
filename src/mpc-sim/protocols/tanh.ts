import { ProtocolError } from '../../errors.js';
import { RingTensor, type Shape } from '../ring/ring-tensor.js';
import { add, addScalar, mulScalar, sub } from '../ring/elementwise.js';
import { matmul } from '../ring/matmul.js';
import { reshapeShare } from '../sharing/linear.js';
import { Share } from '../sharing/share.js';
import { assertOwnShares, type PartyContext } from './context.js';
import { drelu, type CompareOptions } from './drelu.js';
import { dreluSharedMaskParts } from './drelu-shared-mask.js';
import { mul } from './mul.js';
import { concatShares } from './shared-vector.js';
import { truncateWithDealer } from './truncate.js';

/**
 * Positive piece ends of the tanh approximation, in units of 2^-10 (exactly encodable for f >= 11
 * together with the piece midpoints); the thresholds are these, their negatives and 0 (21 in all).
 *
 * Obtained offline by a greedy fit (a 20-line script, numpy): from a = 0, take the largest step h
 * (a multiple of 2^-10) such that the degree-4 polynomial interpolating tanh at the 5 Chebyshev
 * nodes of [a, a + h] stays within 5e-7 of tanh (checked on 400 points); a += h; repeat until
 * 1 - tanh(a) <= 5e-7 (a = 7.6). Beyond the last end the output is the constant tanh(+-7.6).
 */
export const TANH_PIECE_ENDS_1024: readonly number[] = [301, 694, 1035, 1438, 2047, 2637, 3348, 4305, 5804, 7783];
/** Degree of the per-piece polynomials. */
export const TANH_DEGREE = 4;
/** Number of thresholds K (21): one comparison per threshold and element. */
export const TANH_THRESHOLDS = 2 * TANH_PIECE_ENDS_1024.length + 1;
/** Fractional bits of the polynomial coefficients. */
export const TANH_COEFFICIENT_BITS = 36;
/**
 * Max |P(x) - tanh(x)| of the real piecewise polynomial P over all x (5.003e-7, attained beyond
 * the last piece: 1 - tanh(7.6)), measured in `tanh.test.ts`
 * (a 2^-14 grid on [-9, 9] plus large values); the protocol adds a few ulps of truncation.
 */
export const TANH_MAX_ERROR = 5.01e-7;

/** One piece: [lo, hi) with centre c and coefficients b_p of sum_p b_p (x - c)^p. */
export interface TanhPiece {
  readonly lo: number;
  readonly hi: number;
  readonly centre: number;
  readonly coefficients: readonly number[];
}

let cachedPieces: readonly TanhPiece[] | undefined;

/**
 * The pieces of the approximation, ascending: (-inf, -7.6) constant, 20 polynomial pieces between
 * the thresholds, [7.6, inf) constant. Each polynomial interpolates tanh at the 5 Chebyshev nodes
 * of its piece (computed here in float64, deterministic).
 */
export function tanhPieces(): readonly TanhPiece[] {
  if (cachedPieces !== undefined) return cachedPieces;
  const ends = TANH_PIECE_ENDS_1024.map((b) => b / 1024);
  const t = [...ends.map((v) => -v).reverse(), 0, ...ends];
  const last = t[t.length - 1]!;
  const pieces: TanhPiece[] = [{ lo: -Infinity, hi: t[0]!, centre: t[0]!, coefficients: [Math.tanh(t[0]!), 0, 0, 0, 0] }];
  for (let j = 0; j + 1 < t.length; j++) {
    const lo = t[j]!;
    const hi = t[j + 1]!;
    const centre = (lo + hi) / 2;
    const nodes = Array.from({ length: TANH_DEGREE + 1 }, (_, k) => centre + ((hi - lo) / 2) * Math.cos(((2 * k + 1) * Math.PI) / (2 * (TANH_DEGREE + 1))));
    pieces.push({ lo, hi, centre, coefficients: interpolate(nodes.map((x) => x - centre), nodes.map(Math.tanh)) });
  }
  pieces.push({ lo: last, hi: Infinity, centre: last, coefficients: [Math.tanh(last), 0, 0, 0, 0] });
  cachedPieces = pieces;
  return pieces;
}

/** The real piecewise polynomial the protocol evaluates (before quantisation and truncation). */
export function tanhApproximation(x: number): number {
  const piece = tanhPieces().find((p) => x < p.hi) ?? tanhPieces()[tanhPieces().length - 1]!;
  const u = x - piece.centre;
  return piece.coefficients.reduceRight((acc, b) => acc * u + b, 0);
}

/** Monomial coefficients of the polynomial through (xs[i], ys[i]): Gaussian elimination on the Vandermonde system. */
function interpolate(xs: readonly number[], ys: readonly number[]): number[] {
  const n = xs.length;
  const a = xs.map((x, i) => [...Array.from({ length: n }, (_, p) => x ** p), ys[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = a[r]![c]! / a[c]![c]!;
      for (let q = c; q <= n; q++) a[r]![q]! -= k * a[c]![q]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

/** Options of {@link tanh}. */
export interface TanhOptions extends CompareOptions {
  /**
   * Open x once for all 21 thresholds (`dreluSharedMask`): same rounds and material, 8 x 20 = 160
   * fewer online bytes per element per party. Default false (one opening per threshold).
   */
  readonly sharedOpening?: boolean;
}

/**
 * tanh on fixed-point shares by a piecewise degree-4 polynomial ({@link tanhPieces}): the piece is
 * found by one batched comparison, its centre and coefficients are selected linearly from the
 * comparison bits, and the polynomial in u = x - centre (|u| < 1 inside the pieces) is
 * evaluated with three rounds of Beaver products.
 *
 * Steps (n = x.size, K = 21 thresholds t_k, Fc = 36 coefficient bits, f = `ctx.encoding.fracBits`):
 * 1. b_k = DReLU(x - t_k) = [x >= t_k]: one `drelu` of K n elements; the one-hot piece indicator
 *    d_j = b_(j-1) - b_j (b_(-1) = 1, b_K = 0) is linear;
 * 2. locally u = x - sum_j d_j c_j and A_p = sum_j d_j round(b_jp 2^Fc) (shares, linear in d),
 *    as one ring matrix product of the public [6, K] differences with the [K, n] bits;
 * 3. u2 = trunc(u u, f) (1 `mul`, 1 dealer truncation);
 * 4. [u3, u4] = trunc([u2 u, u2 u2], f) (1 `mul` of 2n, 1 truncation);
 * 5. y = trunc(A_0 2^f + sum_(p>=1) A_p u^p, Fc) (1 `mul` of 4n, 1 truncation).
 * For x outside [-7.6, 7.6) the selected A_p (p >= 1) are exactly 0, so whatever u^p is (it may
 * wrap for |x| > 1,000), y = A_0 = tanh(+-7.6) exactly.
 *
 * Accuracy: |y - tanh(x)| <= 5e-7 (approximation, {@link TANH_MAX_ERROR}) + about 3 ulp
 * (truncations of u^p, scaled by |b_p| <= 1, and of y) for every encodable x; measured in
 * `tanh.test.ts`.
 *
 * Cost: `drelu` of 21 n elements (d = 4; l = 64: 5 rounds, about 14.6 x 21 = 307 bytes per element
 * per party; l = 33, enough for x - t_k with x encodable and what the reconstructor uses: 4 rounds,
 * 10.9 x 21 = 228 bytes; with `sharedOpening`, 68 bytes) + 6 rounds and 144 n bytes per party: 11
 * rounds (10 at l = 33).
 * With `truncate` = t (protocol v5), x is 2^t times the input: with `sharedOpening` the one
 * opening of step 1 also truncates it (`dreluSharedMaskParts`; no round more), otherwise a
 * `truncateWithDealer` runs first (1 round). With `compactOpening` (protocol v7) every truncating
 * opening here (the pieces' with `truncate`, and the three of steps 3 to 5) sends only the top
 * bits the receiver reads (`truncate.ts` `openTruncationMask`), each truncation then
 * floor + {-1, 0, 1, 2} units instead of floor + {0, 1}.
 * @throws ProtocolError if f < 11 or f > 24, or a share is not the caller's.
 */
export async function tanh(ctx: PartyContext, x0: Share, options: TanhOptions = {}): Promise<Share> {
  const tag = options.tag ?? 'tanh';
  assertOwnShares(ctx, tag, x0);
  let x = x0;
  const f = ctx.encoding.fracBits;
  if (f < 11 || f > 24) throw new ProtocolError(tag, `needs 11 <= fracBits <= 24, got ${f}`);
  const pieces = tanhPieces();
  const k = pieces.length - 1; // thresholds: the lower ends of pieces 1..K
  const n = x.size;
  const offsets = Array.from({ length: k }, (_, j) => BigInt(Math.round(pieces[j + 1]!.lo * 1024)) << BigInt(f - 10));
  const { sharedOpening, truncate, ...compareOptions } = options;
  const compact = options.compactOpening === true;
  let b: BigUint64Array;
  if (sharedOpening === true) {
    const parts = await dreluSharedMaskParts(ctx, x0, offsets, { ...compareOptions, tag: `${tag}/pieces`, ...(truncate === undefined ? {} : { truncate }) });
    b = parts.bit.ring.data;
    x = parts.input;
  } else {
    if (truncate !== undefined) x = await truncateWithDealer(ctx, x0, truncate, `${tag}/input/truncate`, compact);
    const z = new BigUint64Array(k * n);
    for (let j = 0; j < k; j++) {
      const shift = ctx.party === 0 ? offsets[j]! : 0n;
      for (let i = 0; i < n; i++) z[j * n + i] = BigInt.asUintN(64, x.ring.data[i]! - shift);
    }
    b = (await drelu(ctx, new Share(ctx.party, new RingTensor([k * n], z)), { ...compareOptions, tag: `${tag}/pieces` })).ring.data;
  }

  // Selection as one ring matrix product (step 2): with d_j = b_(j-1) - b_j, sum_j d_j v_j =
  // [party 0] v_0 + sum_(j<K) b_j (v_(j+1) - v_j), for v = the centres and each coefficient.
  const centres = pieces.map((p) => BigInt(Math.round(p.centre * 2048)) << BigInt(f - 11));
  const coeffs = pieces.map((p) => p.coefficients.map((c) => BigInt(Math.round(c * 2 ** TANH_COEFFICIENT_BITS))));
  const rows = [centres, ...Array.from({ length: TANH_DEGREE + 1 }, (_, p) => coeffs.map((c) => c[p]!))];
  const weights = new RingTensor([rows.length, k]);
  rows.forEach((v, r) => {
    for (let j = 0; j < k; j++) weights.data[r * k + j] = BigInt.asUintN(64, v[j + 1]! - v[j]!);
  });
  const selected = matmul(weights, new RingTensor([k, n], b)).data;
  const row = (r: number): RingTensor => new RingTensor([n], selected.subarray(r * n, (r + 1) * n));
  const base = rows.map((v) => (ctx.party === 0 ? v[0]! : 0n));
  const u = sub(new RingTensor([n], x.ring.data), row(0));
  addScalar(u, -base[0]!, u);
  const a = Array.from({ length: TANH_DEGREE + 1 }, (_, p) => addScalar(row(p + 1), base[p + 1]!));
  const us = new Share(ctx.party, u);
  const u2 = await truncateWithDealer(ctx, await mul(ctx, us, us, `${tag}/square`), f, `${tag}/square/truncate`, compact);
  const u34 = await truncateWithDealer(ctx, await mul(ctx, concatShares(u2, u2), concatShares(us, u2), `${tag}/powers`), f, `${tag}/powers/truncate`, compact);
  const powers = concatShares(us, u2, u34);
  const [a0, ...rest] = a.map((t) => new Share(ctx.party, t)) as [Share, ...Share[]];
  const terms = await mul(ctx, concatShares(...rest), powers, `${tag}/terms`);
  const sum = mulScalar(a0.ring, 1n << BigInt(f));
  for (let p = 0; p < TANH_DEGREE; p++) add(sum, new RingTensor([n], terms.ring.data.subarray(p * n, (p + 1) * n)), sum);
  const y = await truncateWithDealer(ctx, new Share(ctx.party, sum), TANH_COEFFICIENT_BITS, `${tag}/truncate`, compact);
  return reshapeShare(y, x.shape as Shape);
}
