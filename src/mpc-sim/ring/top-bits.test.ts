import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { testRandom } from '../../testing/protocol-support.js';
import { loadRingKernel, ringKernelInfo } from './native-kernel.js';
import { RingTensor } from './ring-tensor.js';
import { addTopBitsInto, packTopBits, topBitsWords } from './top-bits.js';

/** The packed buffer as one little-endian bit string, built with BigInt from its definition. */
function referencePacked(c: BigUint64Array, t: number): bigint {
  const b = BigInt(64 - t);
  let all = 0n;
  c.forEach((w, e) => {
    all |= (w >> BigInt(t)) << (BigInt(e) * b);
  });
  return all;
}

const asBitString = (packed: RingTensor): bigint => packed.data.reduce((acc, w, i) => acc | (w << BigInt(64 * i)), 0n);

function randomWords(name: string, n: number): RingTensor {
  const c = new RingTensor([n]);
  testRandom(name).fill(c.data);
  return c;
}

describe('top bits of ring words, packed (the wire format of v7 truncating openings)', () => {
  it('counts ceil(n (64 - t) / 64) words and refuses t outside [0, 63]', () => {
    expect(topBitsWords(0, 20)).toBe(0);
    expect(topBitsWords(1, 20)).toBe(1);
    expect(topBitsWords(16, 20)).toBe(11); // 16 x 44 = 704 bits
    expect(topBitsWords(17, 20)).toBe(12);
    expect(topBitsWords(8, 24)).toBe(5);
    expect(topBitsWords(5, 0)).toBe(5);
    expect(topBitsWords(64, 63)).toBe(1);
    expect(() => topBitsWords(4, 64)).toThrow(ShapeError);
    expect(() => topBitsWords(4, -1)).toThrow(/\[0, 63\]/);
  });

  // 2,000 elements run natively when the addon is built (CI builds it); the rest in TypeScript.
  for (const t of [0, 1, 20, 24, 36, 63]) {
    it(`t = ${t}: packs bit for bit as the BigInt reference and unpacks to floor(c / 2^t) 2^t, native and TypeScript alike`, () => {
      const sizes = [1, 3, 63, 64, 65, 2000];
      try {
        for (const forceTs of [false, true]) {
          loadRingKernel({ forceTs });
          for (const n of sizes) {
            const c = randomWords(`top-bits-${t}-${n}`, n);
            c.data[0] = ~0n; // all ones: the top value of b bits
            if (n > 1) c.data[1] = 0n;
            const packed = packTopBits(c, t);
            const where = `n = ${n}, ${forceTs ? 'TypeScript' : ringKernelInfo().kind}`;
            expect(packed.size, where).toBe(Math.ceil((n * (64 - t)) / 64));
            expect(asBitString(packed), where).toBe(referencePacked(c.data, t));
            const back = addTopBitsInto(packed, t, new RingTensor([n])); // into zeros: unpacked
            expect(Array.from(back.data), where).toEqual(Array.from(c.data, (w) => (w >> BigInt(t)) << BigInt(t)));
            // the receiver's sum: (floor(a / 2^t) + floor(c / 2^t)) 2^t modulo 2^64, in place in a
            const a = randomWords(`top-bits-acc-${t}-${n}`, n);
            const want = Array.from(a.data, (w, e) => BigInt.asUintN(64, ((w >> BigInt(t)) + (c.data[e]! >> BigInt(t))) << BigInt(t)));
            expect(addTopBitsInto(packed, t, a), where).toBe(a);
            expect(Array.from(a.data), where).toEqual(want);
          }
        }
      } finally {
        loadRingKernel();
      }
    });
  }

  it('keeps the given shape and refuses a buffer that does not hold the values', () => {
    const c = randomWords('top-bits-shape', 12);
    const back = addTopBitsInto(packTopBits(c, 20), 20, new RingTensor([3, 4]));
    expect(back.shape).toEqual([3, 4]);
    expect(() => addTopBitsInto(new RingTensor([8]), 20, new RingTensor([12]))).toThrow(/8 words do not hold 12 values of 44 bits \(9 words\)/);
  });
});
