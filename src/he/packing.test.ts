import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { generateKeyPair } from './keys.js';
import { onesVector, pack, slotLayout, unpack } from './packing.js';
import { decryptCrt, encryptWith, scaleCiphertext, addCiphertexts, addPlaintext } from './paillier.js';
import { residueSource } from './randomness.js';

const n = (1n << 255n) - 19n; // any odd 255-bit modulus for the plaintext-only tests

describe('slot packing', () => {
  it('sizes the layout below n / 2 and refuses a slot wider than the plaintext space', () => {
    const layout = slotLayout(n, 25);
    expect(layout).toEqual({ slotBits: 25, slots: 10, modulusBits: 255 });
    expect(slotLayout(n, 25, 4).slots).toBe(4);
    expect(() => slotLayout(n, 300)).toThrow(ProtocolError);
    expect(() => slotLayout(n, 300)).toThrow(/overflow/);
  });

  it('round-trips signed values, including the extremes of a slot', () => {
    const layout = slotLayout(n, 12);
    const edge = 2 ** 11 - 1;
    const values = [0, 1, -1, edge, -edge, 1234, -2047, 7, 0, -5, 3, edge, -1, 2, -edge, 9, 10, -11, 12, 0];
    const packed = pack(layout, n, values);
    expect(packed >= 0n && packed < n).toBe(true);
    expect(unpack(layout, n, packed, values.length, edge)).toEqual(values);
    expect(unpack(layout, n, pack(layout, n, [5, -6]), 2, 6)).toEqual([5, -6]);
  });

  it('refuses a value that would spill into the next slot', () => {
    const layout = slotLayout(n, 12);
    expect(() => pack(layout, n, [2048])).toThrow(/overflow/);
    expect(() => pack(layout, n, [-2048])).toThrow(ProtocolError);
    expect(() => pack(layout, n, [0.5])).toThrow(ProtocolError);
  });

  it('detects overflow on unpacking: a slot beyond its bound, or a plaintext beyond the last slot', () => {
    const layout = slotLayout(n, 12);
    // Slot 1 holds 1,500 but the layer's bound is 1,000: an overflow, reported with the slot.
    expect(() => unpack(layout, n, pack(layout, n, [3, 1500]), 2, 1000, 'fc1 output 7')).toThrow(/fc1 output 7: overflow: slot 1 holds 1500/);
    // The true sum 2,047 + 1 does not fit slot 0: it carries into slot 1 and is caught by the bound.
    const carried = pack(layout, n, [2047]) + 1n;
    expect(() => unpack(layout, n, carried, 1, 1023)).toThrow(/overflow/);
    // Something above the last slot.
    const above = pack(layout, n, [1]) + (1n << BigInt(12 * layout.slots));
    expect(() => unpack(layout, n, above, 1, 1023)).toThrow(/exceeds its slots/);
  });

  it('adds slot-wise and scales every slot under encryption', async () => {
    const { publicKey: pk, privateKey: sk } = await generateKeyPair({ bits: 256, insecureKeySize: true, safePrimes: false });
    const layout = slotLayout(pk.n, 20);
    const source = residueSource(sk, 'crt');
    const a = [100, -200, 300, 0, -1, 5000, 7, -7, 12, 13, 14, 15];
    const b = [-50, 60, -70, 80, 1, -4000, 0, 0, 1, 1, 1, 1];
    const ca = encryptWith(pk, pack(layout, pk.n, a), source.next());
    const cb = encryptWith(pk, pack(layout, pk.n, b), source.next());
    const bound = 2 ** 18;
    expect(unpack(layout, pk.n, decryptCrt(sk, addCiphertexts(pk, ca, cb)), 12, bound)).toEqual(a.map((v, i) => v + b[i]!));
    expect(unpack(layout, pk.n, decryptCrt(sk, scaleCiphertext(pk, ca, -37n)), 12, bound)).toEqual(a.map((v) => v * -37 + 0));
    const withBias = addPlaintext(pk, ca, -9n * onesVector(layout));
    expect(unpack(layout, pk.n, decryptCrt(sk, withBias), 12, bound)).toEqual(a.map((v) => v - 9));
  });
});
