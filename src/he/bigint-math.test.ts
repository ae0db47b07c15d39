import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { batchInvert, bitLength, fromBytes, mod, modInv, modPow, randomBelow, toBytes } from './bigint-math.js';

const rng = Rng.fromSeed('he-bigint');
/** A seeded random bigint of `bits` bits (test data only). */
function big(bits: number): bigint {
  let x = 0n;
  for (let i = 0; i < bits; i += 32) x = (x << 32n) | BigInt(rng.nextUint32());
  return x & ((1n << BigInt(bits)) - 1n);
}
/** Right-to-left binary exponentiation, the textbook reference. */
function slowPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r % m;
}

describe('bigint arithmetic', () => {
  it('modPow equals textbook square-and-multiply for every window size', () => {
    const m = big(512) | 1n;
    for (const bits of [1, 5, 24, 25, 97, 385, 1537, 2048]) {
      const b = big(600);
      const e = big(bits) | (1n << BigInt(bits - 1));
      expect(modPow(b, e, m)).toBe(slowPow(b, e, m));
    }
    expect(modPow(5n, 0n, 7n)).toBe(1n);
    expect(modPow(5n, 3n, 1n)).toBe(0n);
    expect(modPow(-3n, 3n, 7n)).toBe(mod(-27n, 7n));
  });

  it('modPow with a negative exponent inverts; modInv and batchInvert give inverses', () => {
    const m = (1n << 127n) - 1n; // prime
    const a = big(120) + 2n;
    expect((modPow(a, -5n, m) * modPow(a, 5n, m)) % m).toBe(1n);
    expect((modInv(a, m) * a) % m).toBe(1n);
    expect(() => modInv(6n, 9n)).toThrow(RangeError);
    const values = [a, 1n, a + 1n, 1n, a * 3n];
    const inv = batchInvert(values, m);
    values.forEach((v, i) => expect((v * inv[i]!) % m).toBe(1n));
    expect(batchInvert([1n, 1n], m)).toEqual([1n, 1n]);
  });

  it('converts to and from fixed-width bytes and refuses values that do not fit', () => {
    const x = big(1000);
    const bytes = toBytes(x, 128);
    expect(bytes.length).toBe(128);
    expect(fromBytes(bytes)).toBe(x);
    expect(toBytes(0n, 4)).toEqual(new Uint8Array(4));
    expect(() => toBytes(1n << 32n, 4)).toThrow(RangeError);
    expect(bitLength(0n)).toBe(0);
    expect(bitLength(255n)).toBe(8);
  });

  it('draws random values below the bound', () => {
    for (const max of [1n, 2n, 255n, 256n, 1n << 100n]) {
      for (let i = 0; i < 50; i++) {
        const r = randomBelow(max);
        expect(r >= 0n && r < max).toBe(true);
      }
    }
  });
});
