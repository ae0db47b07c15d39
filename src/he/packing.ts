import { ProtocolError } from '../errors.js';
import { bitLength } from './bigint-math.js';

/**
 * Slot packing: `slots` signed integers in one Paillier plaintext, slot s holding v_s at weight
 * 2^(s * slotBits): P = sum_s v_s 2^(s slotBits) mod n. Adding plaintexts adds slot-wise and
 * multiplying by a scalar w multiplies every slot by w, so one ciphertext-by-weight product serves
 * every slot (here: the same pixel or neuron of `slots` different images).
 *
 * Exactness: a slot may hold any |v| < 2^(slotBits - 1). Then |P| < 2^(slots slotBits - 1)
 * <= n / 2 when slots * slotBits <= bits(n) - 1, so P read as a signed integer in (-n/2, n/2] is
 * the true sum, and peeling slots with signed remainders recovers every v_s exactly. Values
 * outside the range are refused by `pack` and detected by `unpack` (see there).
 */
export interface SlotLayout {
  readonly slotBits: number;
  readonly slots: number;
  /** Bits of the modulus n the layout was made for. */
  readonly modulusBits: number;
}

/**
 * The layout with as many `slotBits`-bit slots as fit under n/2 (at most `maxSlots`). Throws a
 * ProtocolError when not even one slot fits: the plaintext space is too small for the model.
 */
export function slotLayout(n: bigint, slotBits: number, maxSlots = Number.POSITIVE_INFINITY): SlotLayout {
  if (!Number.isInteger(slotBits) || slotBits < 2) throw new RangeError(`slotLayout: slotBits must be an integer >= 2, got ${slotBits}`);
  const modulusBits = bitLength(n);
  const slots = Math.min(maxSlots, Math.floor((modulusBits - 1) / slotBits));
  if (slots < 1) {
    throw new ProtocolError('packing', `overflow: a ${modulusBits}-bit plaintext space cannot hold one ${slotBits}-bit slot (the model's values need ${slotBits} bits); use a larger key`);
  }
  return { slotBits, slots, modulusBits };
}

/** sum_s 2^(s slotBits): multiplying a per-image constant by it puts the constant in every slot. */
export function onesVector(layout: SlotLayout): bigint {
  let ones = 0n;
  for (let s = 0; s < layout.slots; s++) ones |= 1n << BigInt(s * layout.slotBits);
  return ones;
}

/**
 * Packs up to `layout.slots` signed safe integers (missing slots are 0) into a plaintext mod n.
 * Throws a ProtocolError if a value does not fit its slot (it would spill into the next one).
 */
export function pack(layout: SlotLayout, n: bigint, values: ArrayLike<number>, what = 'pack'): bigint {
  if (values.length > layout.slots) throw new ProtocolError(what, `${values.length} values for ${layout.slots} slots`);
  const limit = 2 ** (layout.slotBits - 1);
  const width = BigInt(layout.slotBits);
  let p = 0n;
  for (let s = values.length - 1; s >= 0; s--) {
    const v = values[s]!;
    if (!Number.isSafeInteger(v) || v >= limit || v <= -limit) throw new ProtocolError(what, `overflow: slot value ${v} does not fit a ${layout.slotBits}-bit signed slot`);
    p = (p << width) + BigInt(v);
  }
  return p < 0n ? p + n : p;
}

/**
 * Unpacks the first `count` slots of a decrypted plaintext (in [0, n)) as signed integers,
 * checking that every slot lies within +-`bound` and that nothing is left above the last slot.
 * A value outside the bound means the plaintext space overflowed (or the ciphertext was
 * tampered with): it throws a ProtocolError naming `what`, never wraps silently. With the
 * model's static bounds one bit below the slot's range, an overflow of up to 2^(slotBits - 1)
 * beyond the bound is always caught.
 */
export function unpack(layout: SlotLayout, n: bigint, plaintext: bigint, count: number, bound: number, what = 'unpack'): number[] {
  if (count > layout.slots) throw new ProtocolError(what, `${count} values requested from ${layout.slots} slots`);
  let x = plaintext > n >> 1n ? plaintext - n : plaintext;
  const width = BigInt(layout.slotBits);
  const out = new Array<number>(count);
  for (let s = 0; s < layout.slots; s++) {
    const v = BigInt.asIntN(layout.slotBits, x);
    x = (x - v) >> width;
    const value = Number(v);
    if (value > bound || value < -bound) throw new ProtocolError(what, `overflow: slot ${s} holds ${value}, outside the bound +-${bound}`);
    if (s < count) out[s] = value;
  }
  if (x !== 0n) throw new ProtocolError(what, 'overflow: the plaintext exceeds its slots');
  return out;
}
