import { ShapeError } from '../../errors.js';
import { topBitsNative } from './native-kernel.js';
import { RingTensor } from './ring-tensor.js';

/*
 * The wire format of an opening whose receiver reads only bits [t, 64) of each word (a truncating
 * opening, `protocols/truncate.ts`): the b = 64 - t top bits of every word, packed densely into
 * ring words (element e at bits [e b, e b + b) of the packed buffer, little end first), so the
 * message is ceil(n b / 64) words instead of n.
 */

/** Words of the packed top bits of `n` words that drop `t` bits: ceil(n (64 - t) / 64). */
export function topBitsWords(n: number, t: number): number {
  checkT(t);
  return Math.ceil((n * (64 - t)) / 64);
}

/** The top 64 - t bits of every word of `c` (its values floor(c / 2^t)), packed densely. */
export function packTopBits(c: RingTensor, t: number): RingTensor {
  const out = new RingTensor([topBitsWords(c.size, t)]);
  if (!topBitsNative('pack', c.data, t, out.data, c.size)) packTs(c.data, t, out.data);
  return out;
}

/**
 * Adds the values packed by {@link packTopBits} into the top bits of `into`, in place:
 * into[e] = (floor(into[e] / 2^t) + v_e) 2^t modulo 2^64. With `into` a party's own masked words,
 * this is the sum of both parties' packed halves, as the receiver of a compact opening reads it
 * (into zeros, it unpacks: v_e 2^t).
 * @throws ShapeError if `packed` does not hold into.size values of 64 - t bits.
 */
export function addTopBitsInto(packed: RingTensor, t: number, into: RingTensor): RingTensor {
  if (packed.size !== topBitsWords(into.size, t)) {
    throw new ShapeError('packed top bits', `${packed.size} words do not hold ${into.size} values of ${64 - t} bits (${topBitsWords(into.size, t)} words)`);
  }
  if (!topBitsNative('add', packed.data, t, into.data, into.size)) addTs(packed.data, t, into.data);
  return into;
}

function checkT(t: number): void {
  if (!Number.isInteger(t) || t < 0 || t > 63) throw new ShapeError('packed top bits', `t must be an integer in [0, 63], got ${t}`);
}

/** The native `topBitsPack` in TypeScript (the same words). */
function packTs(c: BigUint64Array, t: number, out: BigUint64Array): void {
  const b = 64 - t;
  const shift = BigInt(t);
  for (let e = 0, p = 0; e < c.length; e++, p += b) {
    const h = c[e]! >> shift;
    const w = Math.floor(p / 64);
    const off = p % 64;
    out[w] = out[w]! | BigInt.asUintN(64, h << BigInt(off));
    if (off + b > 64) out[w + 1] = out[w + 1]! | (h >> BigInt(64 - off));
  }
}

/** The native `topBitsAdd` in TypeScript (the same words). */
function addTs(packed: BigUint64Array, t: number, out: BigUint64Array): void {
  const b = 64 - t;
  const shift = BigInt(t);
  const mask = (1n << BigInt(b)) - 1n;
  for (let e = 0, p = 0; e < out.length; e++, p += b) {
    const w = Math.floor(p / 64);
    const off = p % 64;
    let h = packed[w]! >> BigInt(off);
    if (off + b > 64) h |= packed[w + 1]! << BigInt(64 - off);
    out[e] = BigInt.asUintN(64, ((out[e]! >> shift) + (h & mask)) << shift);
  }
}
