import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import { lessThanPublic } from './compare.js';
import type { PartyContext } from './context.js';
import { mul } from './mul.js';
import { NORM_GRID_PER_OCTAVE, NORM_GRID_THRESHOLDS, NORM_VARIANCE_RANGE, SCALE_FRAC_BITS, normScaleTables } from './norm-scale.js';
import { parallel } from './parallel.js';
import { broadcastShare, concatShares } from './shared-vector.js';
import { truncateWithDealer } from './truncate.js';

/*
 * gamma / (sqrt(var) + eps) in 7 rounds instead of `normScale`'s 11: the grid comparison runs in
 * parallel with the evaluation of EVERY interval's polynomial (public coefficients, so the
 * evaluation is linear in shares of t and t^2), and the comparison bits only select at the end.
 */

/** Default scale 2^K of q m_o before the first truncation (as in `normScale`). */
const K = 52;
/** K for a sum of squares read at its full scale (`NormScaleV2TableOptions.multiplierBits`). */
export const WIDE_MULTIPLIER_BITS = 60;
/** Fractional bits of t and t^2. */
const FS = 24;
/** Scale of every interval's polynomial before its truncation (|P| < 2^9, so |P 2^52| < 2^61). */
const FP = 52;
/** Fractional bits of the selected 1 / (std + eps) before the product with gamma. */
const FK = 30;
/** Chunk width of the grid comparison: 4 rounds at l = 64 (d = 4: 5). */
export const NORM_GRID_CHUNK_BITS = 8;

/** The public tables of {@link normScaleV2} (depend on Q, f and eps only). */
export interface NormScaleV2Tables {
  /** Integer thresholds on q, increasing (as `normScaleTables`). */
  readonly thresholds: RingTensor;
  /** m_o per octave o: t_o = q m_o / 2^K, in about [1, 2) on octave o. */
  readonly multipliers: readonly bigint[];
  /** K of the multipliers (52, or {@link WIDE_MULTIPLIER_BITS}). */
  readonly multiplierBits: number;
  /** Per interval j: [a0 2^FP, a1 2^(FP - FS), a2 2^(FP - FS)], P_j(t) = a0 + a1 t + a2 t^2 ~ 1/(sqrt(var) + eps), t = t_o of j's octave. */
  readonly coefficients: readonly (readonly [bigint, bigint, bigint])[];
  /** Worst relative error of the real quadratics on their intervals (64 points each). */
  readonly fitError: number;
}

const cache = new Map<string, NormScaleV2Tables>();

/**
 * Builds (and caches) the tables for q = var Q, f, eps and `gain` g (default 1): the thresholds of `normScaleTables`
 * (interval j covers var in [T_j / Q, T_(j+1) / Q), 16 per octave); per octave o, m_o =
 * round(2^K / T_(16 o)), so var = c_o t with c_o = 2^K / (m_o Q); per interval, the quadratic in t
 * interpolating F(c_o t) = g / (sqrt(c_o t) + eps) at the three Chebyshev nodes of its t range.
 * A gain g = 1/s serves an input s times the real one (`normConv`'s `inputScale`): then
 * g / (std + eps) = 1 / (s std + s eps), the scale of the scaled input with epsilon s eps.
 *
 * With `multiplierBits` K = {@link WIDE_MULTIPLIER_BITS} (60) instead of 52, Q may be as large as
 * 2^51 (the top octave's lowest threshold 2^9 Q at most 2^60): the multipliers of the upper
 * octaves are then small integers (down to 1), so t_o spans about [0.7, 1.4) instead of [1, 2)
 * there, which the per-interval fits absorb; on q's own octave q m_o < 2^61 + 2^60, inside the
 * dealer truncation's range. This lets `normConv` read the sum of squares at its full scale
 * (below 2^61 by `normTruncationBits`), with no rescaling truncation.
 * @throws ProtocolError if Q is outside [1, 2^38] (K = 52) or [1, 2^(K - 9)], K is neither 52 nor 60, or g is not in [2^-10, 1].
 */
export function normScaleV2Tables(q: number, fracBits: number, epsilon: number, options: NormScaleV2TableOptions = {}): NormScaleV2Tables {
  const gain = options.gain ?? 1;
  const bits = options.multiplierBits ?? K;
  if (!(gain >= 2 ** -10 && gain <= 1)) throw new ProtocolError('normScale', `gain ${gain} outside [2^-10, 1]`);
  if (bits !== K && bits !== WIDE_MULTIPLIER_BITS) throw new ProtocolError('normScale', `multiplierBits must be ${K} or ${WIDE_MULTIPLIER_BITS}, got ${bits}`);
  const key = `${q}/${fracBits}/${epsilon}/${gain}/${bits}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const thresholds = bits === K ? normScaleTables(q, fracBits, epsilon).thresholds : wideThresholds(q, bits);
  const T = Array.from(thresholds.data, Number);
  const intervals = T.length - 1;
  const F = (v: number): number => gain / (Math.sqrt(v) + epsilon);
  const multipliers: bigint[] = [];
  for (let o = 0; o * NORM_GRID_PER_OCTAVE < intervals; o++) multipliers.push(BigInt(Math.max(1, Math.round(2 ** bits / T[o * NORM_GRID_PER_OCTAVE]!))));
  const coefficients: [bigint, bigint, bigint][] = [];
  let fitError = 0;
  for (let j = 0; j < intervals; j++) {
    const m = Number(multipliers[Math.floor(j / NORM_GRID_PER_OCTAVE)]!);
    const c = 2 ** bits / m / q;
    const t0 = (T[j]! * m) / 2 ** bits;
    const t1 = (T[j + 1]! * m) / 2 ** bits;
    const nodes = [0, 1, 2].map((i) => (t0 + t1) / 2 + ((t1 - t0) / 2) * Math.cos(((2 * i + 1) * Math.PI) / 6));
    const [a0, a1, a2] = quadraticThrough(nodes.map((t) => [t, F(c * t)] as const));
    coefficients.push([BigInt(Math.round(a0 * 2 ** FP)), BigInt(Math.round(a1 * 2 ** (FP - FS))), BigInt(Math.round(a2 * 2 ** (FP - FS)))]);
    for (let i = 0; i <= 64; i++) {
      const t = t0 + ((t1 - t0) * i) / 64;
      const want = F(c * t);
      fitError = Math.max(fitError, Math.abs(a0 + a1 * t + a2 * t * t - want) / want);
    }
  }
  const tables: NormScaleV2Tables = { thresholds, multipliers, multiplierBits: bits, coefficients, fitError };
  cache.set(key, tables);
  return tables;
}

/** Options of {@link normScaleV2Tables}. */
export interface NormScaleV2TableOptions {
  /** g: the tables compute g / (std + eps); default 1. */
  readonly gain?: number;
  /** K: 52 (default) or {@link WIDE_MULTIPLIER_BITS} for Q up to 2^51. */
  readonly multiplierBits?: number;
}

/** The grid of `normScaleTables` (same formula) for a Q up to 2^(K - 9), without its 2^38 limit. */
function wideThresholds(q: number, bits: number): RingTensor {
  // the octaves' lowest thresholds (the multipliers' divisors) reach 2^9 Q
  if (!(q >= 1 && (q * NORM_VARIANCE_RANGE[1]) / 2 <= 2 ** bits)) throw new ProtocolError('normScale', `variance scale Q = ${q} outside [1, 2^${bits - 9}]`);
  const values: bigint[] = [];
  for (let j = 0; j < NORM_GRID_THRESHOLDS; j++) values.push(BigInt(Math.ceil(NORM_VARIANCE_RANGE[0] * 2 ** (j / NORM_GRID_PER_OCTAVE) * q)));
  return RingTensor.fromBigInts(values);
}

/** Monomial coefficients [a0, a1, a2] of the quadratic through three points (Newton form, expanded). */
function quadraticThrough(p: readonly (readonly [number, number])[]): [number, number, number] {
  const [[x0, y0], [x1, y1], [x2, y2]] = p as [[number, number], [number, number], [number, number]];
  const d1 = (y1 - y0) / (x1 - x0);
  const d2 = ((y2 - y1) / (x2 - x1) - d1) / (x2 - x0);
  // y0 + d1 (x - x0) + d2 (x - x0)(x - x1)
  return [y0 - d1 * x0 + d2 * x0 * x1, d1 - d2 * (x0 + x1), d2];
}

/**
 * Shares of k = gamma / (sqrt(var) + eps) at scale 2^20 from shares of q = var Q (an integer,
 * Q <= 2^38, as `normScale`) and of gamma (scale 2^f, |gamma| < 8). Same contract and grid as
 * `normScale`; 7 rounds instead of 11.
 *
 * Steps (J = 385 thresholds, 384 intervals, 24 octaves; K = 52, FS = 24, FP = 52, FK = 30):
 * in parallel (`parallel`: the k-th rounds of both branches travel together):
 *   A. b = [q < T_j] for all j: one `lessThanPublic` of J elements at l = 64, d = 8 (4 rounds);
 *      the one-hot interval indicator d_j = b_(j+1) - b_j is linear;
 *   B. (4 rounds) t_o = trunc(q m_o, K - FS) for the 24 octaves (1 truncation); t_o^2 (1 `mul`);
 *      trunc(t_o^2, FS); then every interval's P_j = a0 + a1 t + a2 t^2 (public coefficients:
 *      local) at scale 2^FP, truncated by FP - FK (1 truncation of 384 values);
 * 1. k' = sum_j d_j P_j: one `mul` of 384 elements (exact: d_j is 0 or 1, so the polynomials of
 *    other octaves, whose t may have wrapped, contribute exactly 0), scale 2^FK;
 * 2. gamma k' (one `mul` of 1 element, scale 2^(f + FK)); one truncation by f + FK - 20.
 *
 * Accuracy: the quadratics are within `fitError` (about 8e-7, relative) of F on their
 * intervals; t and t^2 carry one unit of 2^-24 each (relative error below 2^-22 of k: |a1|,
 * |a2| are at most a few times F), the coefficients' rounding 2^-29 relative to F >= 2^-5, the
 * truncation of P_j 2^-30 absolute (below 2^-25 relative), and the last truncation one unit of
 * 2^-20 in k. So |k - gamma F(var)| <= |gamma F| (fitError + 5e-7) + 2^-20 + 2^-30 |gamma|.
 * A variance outside the grid selects no interval: k = 0 (as `normScale`).
 *
 * Cost: 7 rounds: 4 merged rounds (C = `lessThanPublic` of 385 elements at l = 64, d = 8, plus
 * branch B: 24 + 48 + 24 + 384 words, and a 2-word header per round), then 16 (384) + 16 + 8;
 * online per party C_bytes + 8 (24 + 48 + 24 + 384) + 4 * 16 + 6,144 + 16 + 8 = C_bytes + 10,072 bytes.
 * @throws ProtocolError if q or gamma is not one element.
 */
export async function normScaleV2(ctx: PartyContext, q: Share, gamma: Share, tables: NormScaleV2Tables, tag = 'normScale'): Promise<Share> {
  const scaled = await normScaleV2Untruncated(ctx, q, gamma, tables, tag);
  return truncateWithDealer(ctx, scaled, normScaleV2FinalBits(ctx.encoding.fracBits), `${tag}/truncate`);
}

/**
 * Fractional bits of the scale k when gamma is folded into the next conv's weights (`normConv`):
 * 4 more than `SCALE_FRAC_BITS`, since k = 1 / (std + eps) is then below 1 for a variance above
 * 1 (and 1/s of that for an input scaled by s), where 2^-20 would be a coarse relative step.
 */
export const FOLDED_SCALE_FRAC_BITS = 24;

/**
 * Bits of {@link normScaleV2}'s last truncation: gamma (2^f) times the selected 1 / (std + eps)
 * (2^FK) down to 2^20; without gamma (`withGamma` false: gamma folded into the next conv's
 * weights, `normConv`) the selected value alone, from 2^FK down to 2^{@link FOLDED_SCALE_FRAC_BITS}.
 */
export function normScaleV2FinalBits(fracBits: number, withGamma = true): number {
  return withGamma ? fracBits + FK - SCALE_FRAC_BITS : FK - FOLDED_SCALE_FRAC_BITS;
}

/**
 * {@link normScaleV2} without its last truncation: shares of gamma k' at scale 2^(f + FK), to be
 * truncated by {@link normScaleV2FinalBits} (e.g. in opened form, `truncationOpening`). 6 rounds.
 * With `gamma` undefined (folded into the next conv's weights), k' alone at scale 2^FK: 5 rounds,
 * 16 bytes fewer online per party (the product by gamma).
 */
export async function normScaleV2Untruncated(ctx: PartyContext, q: Share, gamma: Share | undefined, tables: NormScaleV2Tables, tag = 'normScale'): Promise<Share> {
  if (q.size !== 1 || (gamma !== undefined && gamma.size !== 1)) throw new ProtocolError(tag, 'q and gamma must be scalars');
  const J = tables.thresholds.size;
  const intervals = J - 1;
  const octaves = tables.multipliers.length;
  const [bits, poly] = await parallel<[BigUint64Array, BigUint64Array]>(ctx, [
    async (c) => (await lessThanPublic(c, broadcastShare(q, J), tables.thresholds, { chunkBits: NORM_GRID_CHUNK_BITS, tag: `${tag}/grid` })).ring.data,
    async (c) => {
      const qm = new RingTensor([octaves]);
      for (let o = 0; o < octaves; o++) qm.data[o] = BigInt.asUintN(64, q.ring.data[0]! * tables.multipliers[o]!);
      const t = await truncateWithDealer(c, new Share(c.party, qm), tables.multiplierBits - FS, `${tag}/t`);
      const t2 = await truncateWithDealer(c, await mul(c, t, t, `${tag}/square`), FS, `${tag}/square/truncate`);
      const p = new RingTensor([intervals]);
      const first = c.party === 0;
      for (let j = 0; j < intervals; j++) {
        const [a0, a1, a2] = tables.coefficients[j]!;
        const o = Math.floor(j / NORM_GRID_PER_OCTAVE);
        p.data[j] = BigInt.asUintN(64, (first ? a0 : 0n) + a1 * t.ring.data[o]! + a2 * t2.ring.data[o]!);
      }
      return (await truncateWithDealer(c, new Share(c.party, p), FP - FK, `${tag}/poly`)).ring.data;
    },
  ]);
  const delta = new RingTensor([intervals]);
  for (let j = 0; j < intervals; j++) delta.data[j] = BigInt.asUintN(64, bits[j + 1]! - bits[j]!);
  const picked = await mul(ctx, new Share(ctx.party, delta), new Share(ctx.party, new RingTensor([intervals], poly)), `${tag}/select`);
  let sum = 0n;
  for (const w of picked.ring.data) sum += w;
  const k = new Share(ctx.party, RingTensor.fromBigInts([BigInt.asUintN(64, sum)]));
  if (gamma === undefined) return k;
  return mul(ctx, concatShares(k), gamma, `${tag}/gamma`);
}
