import { ProtocolError, ShapeError } from '../../errors.js';
import { RingTensor, sizeOf, toSigned, type Shape } from '../ring/ring-tensor.js';
import type { FixedPointBits } from './fixed-point-bits.js';

/**
 * A fixed-point encoding of reals in Z_2^64: `x` is stored as the two's complement word
 * `round(x * 2^fracBits)`. Passed explicitly (in the protocol context); nothing is global.
 *
 * Bounds, with f = `fracBits` and g = `guardBits`:
 * - encodable values: `|round(x 2^f)| < 2^(63 - f - g)`, i.e. `|x| < 2^(63 - 2f - g)`;
 *   {@link encode} throws beyond that instead of wrapping;
 * - headroom for one product before truncation: for an encodable `u` and any `v` with
 *   `|v| <= 2^(f + g)` (a real factor of magnitude at most 2^g), `|u v| < 2^63`, so the product is
 *   exact in Z_2^64; since the presets have f + g = 32, the product of two encodable values is
 *   below 2^62. A sum of products fits while the sum of `|v|` stays within 2^(f + g).
 * - resolution: one unit in the last place (ulp) is 2^-f.
 * How likely probabilistic truncation fails depends on the actual magnitude of the product, not
 * on these bounds: see `protocols/truncate.ts`.
 */
export interface FixedPointEncoding {
  /** Fractional bits f: the scale is 2^f. */
  readonly fracBits: number;
  /** Guard bits g kept free above the encodable range, for the integer part of one factor. */
  readonly guardBits: number;
}

/** Options of {@link fixedPoint}. */
export interface FixedPointOptions {
  /** Fractional bits f, an integer in [1, 31]. */
  readonly fracBits: number;
  /** Guard bits g; default `32 - fracBits` (so two encodable values multiply below 2^62). */
  readonly guardBits?: number;
}

/** The bounds of an encoding (see {@link FixedPointEncoding}). */
export interface EncodingBounds {
  /** Exclusive bound on `|round(x 2^f)|`: 2^(63 - f - g). */
  readonly maxEncoded: bigint;
  /** Exclusive bound on `|x|`: 2^(63 - 2f - g). */
  readonly maxAbs: number;
  /** One unit in the last place, 2^-f. */
  readonly ulp: number;
}

/**
 * Validates and freezes an encoding.
 * @throws ProtocolError if f is not an integer in [1, 31], g is not a non-negative integer,
 *   f + g < 32 (two encodable values could overflow when multiplied) or 2f + g > 63 (not even
 *   |x| < 1 would be encodable).
 */
export function fixedPoint(options: FixedPointOptions): FixedPointEncoding {
  const f = options.fracBits;
  const g = options.guardBits ?? 32 - f;
  if (!Number.isInteger(f) || f < 1 || f > 31) throw new ProtocolError('encoding', `fracBits must be an integer in [1, 31], got ${f}`);
  if (!Number.isInteger(g) || g < 0) throw new ProtocolError('encoding', `guardBits must be a non-negative integer, got ${g}`);
  if (f + g < 32) {
    throw new ProtocolError('encoding', `fracBits + guardBits = ${f + g} < 32 leaves no headroom for a product of two encodable values`);
  }
  if (2 * f + g > 63) throw new ProtocolError('encoding', `2 * fracBits + guardBits = ${2 * f + g} > 63 leaves no encodable range`);
  return Object.freeze({ fracBits: f, guardBits: g });
}

/** 16 fractional bits, 16 guard bits: |x| < 2^15 = 32768, ulp 2^-16 ~ 1.5e-5. */
export const FIXED16: FixedPointEncoding = fixedPoint({ fracBits: 16 });
/** 20 fractional bits, 12 guard bits: |x| < 2^11 = 2048, ulp 2^-20 ~ 9.5e-7. */
export const FIXED20: FixedPointEncoding = fixedPoint({ fracBits: 20 });
/** The named presets, for configs. */
export const FIXED_POINT_PRESETS = Object.freeze({ fixed16: FIXED16, fixed20: FIXED20 });

export { FIXED_POINT_BITS, type FixedPointBits } from './fixed-point-bits.js';

/** The preset of a `fixedPointBits` setting: {@link FIXED16} or {@link FIXED20}. */
export function fixedPointEncoding(bits: FixedPointBits): FixedPointEncoding {
  return bits === 16 ? FIXED16 : FIXED20;
}

/** The bounds of `enc`. */
export function encodingBounds(enc: FixedPointEncoding): EncodingBounds {
  const e = 63 - enc.fracBits - enc.guardBits;
  return { maxEncoded: 1n << BigInt(e), maxAbs: 2 ** (e - enc.fracBits), ulp: 2 ** -enc.fracBits };
}

/**
 * Encodes reals as `round(x 2^f)` in two's complement (halves round towards +infinity).
 * @param shape - defaults to `[values.length]`.
 * @throws ProtocolError naming the first offending index, its value and the bound if a value is
 *   not finite or `|round(x 2^f)| >= 2^(63 - f - g)` (it never wraps silently).
 * @throws ShapeError if `shape` does not hold `values.length` elements.
 */
export function encode(enc: FixedPointEncoding, values: Float32Array | Float64Array | readonly number[], shape?: Shape): RingTensor {
  const target = shape ?? [values.length];
  if (sizeOf(target, 'encode') !== values.length) {
    throw new ShapeError('encode', `shape [${target.join(', ')}] does not hold ${values.length} values`);
  }
  const out = new RingTensor(target);
  const scale = 2 ** enc.fracBits;
  const limit = 2 ** (63 - enc.fracBits - enc.guardBits);
  const signed = toSigned(out);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const q = Math.round(x * scale);
    if (!(Math.abs(q) < limit)) throw rangeError(enc, i, x);
    signed[i] = BigInt(q);
  }
  return out;
}

/** Encodes one public real as a ring word (for constants). @throws ProtocolError as {@link encode}. */
export function encodeScalar(enc: FixedPointEncoding, x: number): bigint {
  return encode(enc, [x]).data[0]!;
}

/**
 * Decodes two's complement words to `word / 2^f` (exact while `|word| < 2^53`, otherwise the
 * nearest float64; decoding never fails).
 */
export function decode(enc: FixedPointEncoding, t: RingTensor): Float64Array {
  const signed = toSigned(t);
  const out = new Float64Array(t.size);
  const inv = 2 ** -enc.fracBits;
  for (let i = 0; i < out.length; i++) out[i] = Number(signed[i]!) * inv;
  return out;
}

function rangeError(enc: FixedPointEncoding, index: number, x: number): ProtocolError {
  const { maxAbs } = encodingBounds(enc);
  const e = 63 - 2 * enc.fracBits - enc.guardBits;
  const why = Number.isFinite(x) ? 'is outside the encodable range' : 'is not finite';
  return new ProtocolError(
    'encode',
    `value ${x} at index ${index} ${why}: |x| must stay below 2^${e} = ${maxAbs} ` +
      `(|x| * 2^${enc.fracBits} < 2^${63 - enc.fracBits - enc.guardBits}, fracBits=${enc.fracBits}, guardBits=${enc.guardBits})`,
  );
}
