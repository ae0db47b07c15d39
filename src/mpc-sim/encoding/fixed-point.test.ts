import { describe, expect, it } from 'vitest';
import { ProtocolError, ShapeError } from '../../errors.js';
import { toSigned } from '../ring/ring-tensor.js';
import { FIXED16, FIXED20, FIXED_POINT_BITS, FIXED_POINT_PRESETS, decode, encode, encodeScalar, encodingBounds, fixedPoint, fixedPointEncoding } from './fixed-point.js';

describe('fixed-point encoding', () => {
  it('states its bounds: |x| < 2^(63 - 2f - g), encoded below 2^(63 - f - g)', () => {
    expect(encodingBounds(FIXED16)).toEqual({ maxEncoded: 1n << 31n, maxAbs: 2 ** 15, ulp: 2 ** -16 });
    expect(encodingBounds(FIXED20)).toEqual({ maxEncoded: 1n << 31n, maxAbs: 2 ** 11, ulp: 2 ** -20 });
    expect(FIXED_POINT_PRESETS.fixed16).toBe(FIXED16);
    expect(fixedPoint({ fracBits: 12, guardBits: 24 })).toEqual({ fracBits: 12, guardBits: 24 });
  });

  it('maps the fixedPointBits setting to its preset (f = the setting, g = 32 - f)', () => {
    expect(FIXED_POINT_BITS).toEqual([16, 20]);
    for (const bits of FIXED_POINT_BITS) expect(fixedPointEncoding(bits)).toEqual({ fracBits: bits, guardBits: 32 - bits });
    expect(fixedPointEncoding(16)).toBe(FIXED16);
    expect(fixedPointEncoding(20)).toBe(FIXED20);
  });

  it('round-trips within half an ulp and exactly on the grid, including negative values', () => {
    for (const enc of [FIXED16, FIXED20]) {
      const { ulp, maxAbs } = encodingBounds(enc);
      const values = [0, -0, 1, -1, 0.5, -0.5, Math.PI, -Math.E, ulp, -ulp, 1e-9, maxAbs - ulp, -(maxAbs - ulp), 123.456];
      const back = decode(enc, encode(enc, values));
      values.forEach((x, i) => expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(ulp / 2));
      expect(decode(enc, encode(enc, [ulp * 3, -ulp * 7]))).toEqual(new Float64Array([ulp * 3, -ulp * 7]));
    }
    expect(toSigned(encode(FIXED16, new Float32Array([-1.5])))[0]).toBe(-98304n);
    expect(encodeScalar(FIXED16, 2)).toBe(131072n);
  });

  it('throws naming the index, the value and the bound instead of wrapping', () => {
    const values = new Float64Array([0, 1, -2, 40000, 5]);
    expect(() => encode(FIXED16, values)).toThrow(ProtocolError);
    expect(() => encode(FIXED16, values)).toThrow(/value 40000 at index 3 .*2\^15 = 32768/);
    expect(() => encode(FIXED20, [2048])).toThrow(/index 0/);
    expect(() => encode(FIXED20, [-2048])).toThrow(/index 0/);
    expect(() => encode(FIXED20, [1, Number.NaN])).toThrow(/NaN at index 1 is not finite/);
    expect(() => encode(FIXED20, [Infinity])).toThrow(/not finite/);
    // The largest magnitude that rounds below the bound is accepted; one that rounds onto it is not.
    const { maxAbs, ulp } = encodingBounds(FIXED20);
    expect(() => encode(FIXED20, [maxAbs - ulp, -(maxAbs - ulp)])).not.toThrow();
    expect(() => encode(FIXED20, [maxAbs - ulp / 4])).toThrow(ProtocolError);
  });

  it('rejects encodings without product headroom and mismatched shapes', () => {
    expect(() => fixedPoint({ fracBits: 16, guardBits: 8 })).toThrow(/headroom/);
    expect(() => fixedPoint({ fracBits: 0 })).toThrow(ProtocolError);
    expect(() => fixedPoint({ fracBits: 31, guardBits: 2 })).toThrow(/no encodable range/);
    expect(() => encode(FIXED16, [1, 2, 3], [2, 2])).toThrow(ShapeError);
    expect(encode(FIXED16, [1, 2, 3, 4], [2, 2]).shape).toEqual([2, 2]);
  });
});
