import { RingTensor, words } from './ring-tensor.js';

/*
 * Helpers for bits packed into ring words, read through the 32-bit halves of `ring-tensor.ts`
 * `words` (bit p of a packed buffer is bit p % 32 of half p / 32). A "plane" holds one bit per
 * element of an n-element tensor: ceil(n / 64) words, element e at bit e.
 */

/** Words of one plane of `n` bits: ceil(n / 64). */
export function planeWords(n: number): number {
  return Math.ceil(n / 64);
}

/** A zeroed packed buffer of `count` 64-bit words, as a tensor and its 32-bit halves. */
export function packedBuffer(count: number): { tensor: RingTensor; bits: Uint32Array } {
  const tensor = new RingTensor([count]);
  return { tensor, bits: words(tensor.data) };
}

/**
 * Bits [start, start + width) of the 64-bit word `lo + 2^32 hi`, as a number, for
 * `width` in [1, 31] and `start + width <= 64`.
 */
export function bitField(lo: number, hi: number, start: number, width: number): number {
  const mask = -1 >>> (32 - width);
  if (start >= 32) return (hi >>> (start - 32)) & mask;
  if (start + width <= 32) return (lo >>> start) & mask;
  return ((lo >>> start) | (hi << (32 - start))) & mask;
}

/** Bit `pos` of a packed buffer (0 or 1). */
export function getBit(bits: Uint32Array, pos: number): number {
  return (bits[pos >>> 5]! >>> (pos & 31)) & 1;
}

/** Sets bits [pos, pos + length) of a packed buffer to 1. */
export function setRun(bits: Uint32Array, pos: number, length: number): void {
  let p = pos;
  let left = length;
  while (left > 0) {
    const offset = p & 31;
    const take = Math.min(left, 32 - offset);
    const mask = take === 32 ? 0xffffffff : ((1 << take) - 1) << offset;
    const w = p >>> 5;
    bits[w] = bits[w]! | mask;
    p += take;
    left -= take;
  }
}
