import { ProtocolError } from '../../errors.js';
import { addScalar } from '../ring/elementwise.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { lessThanPublic } from './compare.js';
import type { PartyContext } from './context.js';
import { mul } from './mul.js';
import { broadcastShare, concatShares, sliceShare } from './shared-vector.js';
import { truncateWithDealer } from './truncate.js';

/*
 * gamma / (sqrt(var) + eps), the scale of an instance normalisation, from shares of a scaled
 * variance, by one batched comparison against a fine geometric grid and a per-interval
 * quadratic (a piecewise polynomial selected by the comparison bits).
 */

/** Fractional bits of the returned scale k = gamma / (std + eps). */
export const SCALE_FRAC_BITS = 20;
/** Variance range over which the stated accuracy holds: [2^-14, 2^10] (std in [0.0078, 32]). */
export const NORM_VARIANCE_RANGE: readonly [number, number] = [2 ** -14, 2 ** 10];
/** Grid points per octave of the variance (the intervals have ratio 2^(1/16)). */
export const NORM_GRID_PER_OCTAVE = 16;
/** Number of grid thresholds: 24 octaves x 16 + 1 = 385 (one batched comparison). */
export const NORM_GRID_THRESHOLDS = Math.round(Math.log2(NORM_VARIANCE_RANGE[1] / NORM_VARIANCE_RANGE[0])) * NORM_GRID_PER_OCTAVE + 1;
/** Largest |gamma| the fixed-point ranges allow (|gamma| < 8). */
export const NORM_GAMMA_BOUND = 8;
/** Largest variance scale Q (q = var Q) the protocol accepts: 2^38, so that m_j >= 16 (see {@link normScale}). */
export const NORM_MAX_Q_BITS = 38;
const K = 52; // scale of t = var / c_j before the first truncation
const FS = 24; // fractional bits of s and of the selected coefficients
const DEGREE = 2;

/** The public per-layer tables of {@link normScale} (depend on Q, f and eps only). */
export interface NormScaleTables {
  /** Integer thresholds on q, increasing: [q < thresholds[j]] are the comparison bits. */
  readonly thresholds: RingTensor;
  /** m_j: t_j = q m_j / 2^K, t_j ~ 1 on interval j. */
  readonly multipliers: readonly bigint[];
  /** coefficients[j][p]: P_j(s) = sum_p a_jp s^p ~ 1/(sqrt(var) + eps), s = t_j - 1, at scale 2^(K - f). */
  readonly coefficients: readonly (readonly bigint[])[];
  /** Worst relative error of the quadratics on their intervals (measured on 64 points each). */
  readonly fitError: number;
}

const tableCache = new Map<string, NormScaleTables>();

/**
 * Builds (and caches) the public tables for q = var * Q, encoding fractional bits f and eps.
 * Interval j covers var in [T_j / Q, T_(j+1) / Q), T_j = ceil(2^(-14 + j/16) Q); on it var = c_j t
 * with c_j = 2^K / (m_j Q), and P_j is the quadratic interpolating F(var) = 1/(sqrt(var) + eps)
 * at the three Chebyshev nodes of the interval's s range.
 * @throws ProtocolError if Q is outside [1, 2^38].
 */
export function normScaleTables(q: number, fracBits: number, epsilon: number): NormScaleTables {
  const key = `${q}/${fracBits}/${epsilon}`;
  const cached = tableCache.get(key);
  if (cached !== undefined) return cached;
  if (!(q >= 1 && q <= 2 ** NORM_MAX_Q_BITS)) throw new ProtocolError('normScale', `variance scale Q = ${q} outside [1, 2^${NORM_MAX_Q_BITS}]`);
  const [lo] = NORM_VARIANCE_RANGE;
  const J = NORM_GRID_THRESHOLDS;
  const thresholdValues: bigint[] = [];
  for (let j = 0; j < J; j++) thresholdValues.push(BigInt(Math.ceil(lo * 2 ** (j / NORM_GRID_PER_OCTAVE) * q)));
  const fa = K - fracBits;
  const F = (v: number): number => 1 / (Math.sqrt(v) + epsilon);
  const multipliers: bigint[] = [];
  const coefficients: bigint[][] = [];
  let fitError = 0;
  for (let j = 0; j + 1 < J; j++) {
    const t0 = Number(thresholdValues[j]!);
    const t1 = Number(thresholdValues[j + 1]!);
    const m = BigInt(Math.round(2 ** K / t0));
    multipliers.push(m);
    const c = 2 ** K / Number(m) / q; // var = c t
    const s0 = t0 / q / c - 1;
    const s1 = t1 / q / c - 1;
    const nodes = [0, 1, 2].map((i) => (s0 + s1) / 2 + ((s1 - s0) / 2) * Math.cos(((2 * i + 1) * Math.PI) / 6));
    const a = quadraticThrough(nodes.map((s) => [s, F(c * (1 + s))] as const));
    coefficients.push(a.map((x) => BigInt(Math.round(x * 2 ** fa))));
    for (let i = 0; i <= 64; i++) {
      const s = s0 + ((s1 - s0) * i) / 64;
      const want = F(c * (1 + s));
      fitError = Math.max(fitError, Math.abs(a[0]! + a[1]! * s + a[2]! * s * s - want) / want);
    }
  }
  const tables: NormScaleTables = { thresholds: RingTensor.fromBigInts(thresholdValues), multipliers, coefficients, fitError };
  tableCache.set(key, tables);
  return tables;
}

/** Monomial coefficients [a0, a1, a2] of the quadratic through three points (Lagrange, expanded). */
function quadraticThrough(points: readonly (readonly [number, number])[]): number[] {
  const out = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const [xi, yi] = points[i]!;
    const others = points.filter((_, k) => k !== i).map(([x]) => x);
    const [u, w] = others as [number, number];
    const d = (xi - u) * (xi - w);
    out[0]! += (yi * u * w) / d;
    out[1]! += (-yi * (u + w)) / d;
    out[2]! += yi / d;
  }
  return out;
}

/**
 * Shares of k = gamma / (sqrt(var) + eps) at scale 2^20 from shares of q = var Q (an integer, Q a
 * public scale up to 2^38; see `instanceNorm`) and of gamma (scale 2^f, |gamma| < 8).
 *
 * Steps (J = 385 thresholds T_j, 384 intervals; Fs = 24, K = 52):
 * 1. b = [q < T_j] for all j: one batched `lessThanPublic` of J elements; the one-hot
 *    interval indicator d_j = b_(j+1) - b_j is linear;
 * 2. one Beaver `mul` of [d_0..d_335, A_0, A_1, A_2] with [q, ..., q, gamma, gamma, gamma], where
 *    A_p = sum_j d_j a_jp are the selected coefficients (linear): d_j q is exact (d_j is 0 or 1),
 *    so sum_j (d_j q) m_j = t 2^K exactly, t = q m_j / 2^K in [1, 1.06) on the selected interval;
 *    gamma A_p has scale 2^(f + K - f) = 2^K;
 * 3. one dealer truncation of [t 2^K, gamma A_0, gamma A_1, gamma A_2] by K - Fs; s = t - 1;
 * 4. one `mul` of [gamma A_1, gamma A_2] with [s, s] (scale 2^2Fs);
 * 5. one dealer truncation of gamma A_2 s by Fs;
 * 6. one `mul` (gamma A_2 s) s; then k 2^2Fs = gamma A_0 2^Fs + gamma A_1 s + gamma A_2 s^2;
 * 7. one dealer truncation by 2 Fs - 20.
 *
 * Accuracy: the quadratics interpolate F at Chebyshev nodes with relative error below
 * `fitError` (about 8e-7); each truncation adds one unit of its scale (2^-24 on s, relative
 * 2^-24 |a| on the coefficients) and the last one 2^-20 absolute. A variance outside the grid
 * (below 2^-14, e.g. a constant input, or at least 2^10) selects no interval: k = 0.
 *
 * Cost: C + 6 rounds (C = `lessThanPublic` of 385 elements: 5 rounds, at l = 64, d = 4); online
 * per party C_bytes + 16 (384 + 3) + 8 * 4 + 16 * 2 + 8 + 16 + 8 = C_bytes + 6,288 bytes.
 * @throws ProtocolError if q or gamma is not one element.
 */
export async function normScale(ctx: PartyContext, q: Share, gamma: Share, tables: NormScaleTables, tag = 'normScale'): Promise<Share> {
  if (q.size !== 1 || gamma.size !== 1) throw new ProtocolError(tag, 'q and gamma must be scalars');
  const J = tables.thresholds.size;
  const b = await lessThanPublic(ctx, broadcastShare(q, J), tables.thresholds, { tag: `${tag}/grid` });
  const bits = b.ring.data;
  const intervals = J - 1;
  const delta = new RingTensor([intervals]);
  const selected = [0n, 0n, 0n];
  for (let j = 0; j < intervals; j++) {
    const d = BigInt.asUintN(64, bits[j + 1]! - bits[j]!);
    delta.data[j] = d;
    const a = tables.coefficients[j]!;
    for (let p = 0; p <= DEGREE; p++) selected[p] = selected[p]! + d * a[p]!;
  }
  const coeffs = new Share(ctx.party, RingTensor.fromBigInts(selected.map((x) => BigInt.asUintN(64, x))));
  const left = concatShares(new Share(ctx.party, delta), coeffs);
  const right = concatShares(broadcastShare(q, intervals), broadcastShare(gamma, DEGREE + 1));
  const products = await mul(ctx, left, right, `${tag}/select`);
  let t = 0n;
  for (let j = 0; j < intervals; j++) t += products.ring.data[j]! * tables.multipliers[j]!;
  const tAndCoeffs = concatShares(new Share(ctx.party, RingTensor.fromBigInts([BigInt.asUintN(64, t)])), sliceShare(products, intervals, intervals + DEGREE + 1));
  const first = await truncateWithDealer(ctx, tAndCoeffs, K - FS, `${tag}/truncate1`);
  const one = 1n << BigInt(FS);
  const sVec = new Share(ctx.party, addScalar(sliceShare(first, 0, 1).ring, ctx.party === 0 ? -one : 0n));
  const [ga0, ga1, ga2] = [1, 2, 3].map((i) => sliceShare(first, i, i + 1)) as [Share, Share, Share];
  const linear = await mul(ctx, concatShares(ga1, ga2), concatShares(sVec, sVec), `${tag}/linear`);
  const a2s = await truncateWithDealer(ctx, sliceShare(linear, 1, 2), FS, `${tag}/truncate2`);
  const a2s2 = await mul(ctx, a2s, sVec, `${tag}/quadratic`);
  const sum = new Share(ctx.party, RingTensor.fromBigInts([BigInt.asUintN(64, ga0.ring.data[0]! * one + linear.ring.data[0]! + a2s2.ring.data[0]!)]));
  return truncateWithDealer(ctx, sum, 2 * FS - SCALE_FRAC_BITS, `${tag}/truncate3`);
}
