import { ShapeError } from '../../errors.js';
import { elementwiseNative, reduceNative, shiftRightNative } from './native-kernel.js';
import { RingTensor, assertSameShape, words } from './ring-tensor.js';

/*
 * Elementwise Z_2^64 arithmetic. Add, sub, neg and mul are BigInt expressions reduced with
 * `BigInt.asUintN(64, ...)` and written straight into a BigUint64Array, which V8 compiles to
 * native 64-bit instructions (no BigInt allocated per element). Shifts work on the 32-bit halves,
 * which is faster than BigInt shifts. Add, sub and mul (also by a scalar) of 1,024 words or more
 * run in the native kernel when it is loaded (`elementwiseNative`; about 10 times faster, and
 * identical: both are exact modulo 2^64).
 */

/**
 * `a + b mod 2^64`, elementwise, into a new tensor or `into`: `a` or `b` itself, or a tensor of
 * their shape that overlaps neither; then nothing is allocated.
 * @throws ShapeError if the shapes differ or `into` partly overlaps an operand.
 */
export function add(a: RingTensor, b: RingTensor, into?: RingTensor): RingTensor {
  assertSameShape('ring add', a.shape, b.shape);
  const out = target('ring add', a, into, [a, b]);
  const x = a.data;
  const y = b.data;
  const z = out.data;
  if (elementwiseNative('add', x, y, z)) return out;
  for (let i = 0; i < z.length; i++) z[i] = BigInt.asUintN(64, x[i]! + y[i]!);
  return out;
}

/** `a - b mod 2^64`, elementwise, into a new tensor or `into` (as {@link add}). @throws ShapeError if the shapes differ. */
export function sub(a: RingTensor, b: RingTensor, into?: RingTensor): RingTensor {
  assertSameShape('ring sub', a.shape, b.shape);
  const out = target('ring sub', a, into, [a, b]);
  const x = a.data;
  const y = b.data;
  const z = out.data;
  if (elementwiseNative('sub', x, y, z)) return out;
  for (let i = 0; i < z.length; i++) z[i] = BigInt.asUintN(64, x[i]! - y[i]!);
  return out;
}

/** `-a mod 2^64` (`2^64 - a`, and `0` for `0`), elementwise, into a new tensor or `into` (as {@link add}). */
export function neg(a: RingTensor, into?: RingTensor): RingTensor {
  const out = target('ring neg', a, into, [a]);
  const x = a.data;
  const z = out.data;
  if (elementwiseNative('mul', x, BigUint64Array.of(0xffffffffffffffffn), z)) return out; // a (2^64 - 1) = -a mod 2^64
  for (let i = 0; i < z.length; i++) z[i] = BigInt.asUintN(64, -x[i]!);
  return out;
}

/** `a * b mod 2^64`, elementwise, into a new tensor or `into` (as {@link add}). @throws ShapeError if the shapes differ. */
export function mul(a: RingTensor, b: RingTensor, into?: RingTensor): RingTensor {
  assertSameShape('ring mul', a.shape, b.shape);
  const out = target('ring mul', a, into, [a, b]);
  const x = a.data;
  const y = b.data;
  const z = out.data;
  if (elementwiseNative('mul', x, y, z)) return out;
  for (let i = 0; i < z.length; i++) z[i] = BigInt.asUintN(64, x[i]! * y[i]!);
  return out;
}

/**
 * The output of an elementwise step: a new uninitialized tensor of `a`'s shape, or `into` after
 * checking its shape and that it is each of `operands` itself or overlaps none (as the native
 * kernel refuses; the TypeScript loops would otherwise read words they already wrote).
 */
function target(op: string, a: RingTensor, into: RingTensor | undefined, operands: readonly RingTensor[]): RingTensor {
  if (into === undefined) return RingTensor.uninitialized(a.shape);
  assertSameShape(op, a.shape, into.shape);
  for (const x of operands) {
    if (partlyOverlaps(x.data, into.data)) throw new ShapeError(op, 'into must be an operand itself or overlap none of them');
  }
  return into;
}

/** Whether two views share memory without being the same words. */
function partlyOverlaps(x: BigUint64Array, y: BigUint64Array): boolean {
  if (x.buffer !== y.buffer || x.length === 0 || y.length === 0) return false;
  if (x.byteOffset === y.byteOffset && x.length === y.length) return false;
  return x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

/** The sum of all words of `a` modulo 2^64 (native for 1,024 words or more: no BigInt per element). */
export function sumWords(a: RingTensor): bigint {
  const native = reduceNative(a.data);
  if (native !== undefined) return native;
  let s = 0n;
  for (const w of a.data) s += w;
  return BigInt.asUintN(64, s);
}

/** The sum of `a[i] * b[i]` modulo 2^64, without the elementwise product's tensor. @throws ShapeError if the shapes differ. */
export function dotWords(a: RingTensor, b: RingTensor): bigint {
  assertSameShape('ring dot', a.shape, b.shape);
  const native = reduceNative(a.data, b.data);
  if (native !== undefined) return native;
  const x = a.data;
  const y = b.data;
  let s = 0n;
  for (let i = 0; i < x.length; i++) s += BigInt.asUintN(64, x[i]! * y[i]!);
  return BigInt.asUintN(64, s);
}

/** `s * a mod 2^64` for a public scalar `s` (any BigInt, reduced modulo 2^64), into a new tensor or `into` (as {@link add}). */
export function mulScalar(a: RingTensor, s: bigint, into?: RingTensor): RingTensor {
  const c = BigInt.asUintN(64, s);
  const out = target('ring mulScalar', a, into, [a]);
  const x = a.data;
  const z = out.data;
  if (elementwiseNative('mul', x, BigUint64Array.of(c), z)) return out;
  for (let i = 0; i < z.length; i++) z[i] = BigInt.asUintN(64, x[i]! * c);
  return out;
}

/** `a + s mod 2^64` for a public scalar `s` (any BigInt, reduced modulo 2^64), elementwise, into a new tensor or `into` (as {@link add}). */
export function addScalar(a: RingTensor, s: bigint, into?: RingTensor): RingTensor {
  const c = BigInt.asUintN(64, s);
  const out = target('ring addScalar', a, into, [a]);
  const x = a.data;
  const z = out.data;
  if (elementwiseNative('add', x, BigUint64Array.of(c), z)) return out;
  for (let i = 0; i < z.length; i++) z[i] = BigInt.asUintN(64, x[i]! + c);
  return out;
}

/**
 * `floor(a / 2^bits)` reading each word as unsigned (logical shift right), for `bits` in [0, 63],
 * into a new tensor or `into` (as {@link add}).
 * @throws ShapeError if `bits` is out of range.
 */
export function shiftRightLogical(a: RingTensor, bits: number, into?: RingTensor): RingTensor {
  return shiftRight(a, bits, false, into);
}

/**
 * `floor(a / 2^bits)` reading each word as signed two's complement (arithmetic shift right), for
 * `bits` in [0, 63]: the result is again a two's complement word. Into a new tensor or `into`
 * (as {@link add}).
 * @throws ShapeError if `bits` is out of range.
 */
export function shiftRightArithmetic(a: RingTensor, bits: number, into?: RingTensor): RingTensor {
  return shiftRight(a, bits, true, into);
}

function shiftRight(a: RingTensor, bits: number, signed: boolean, into: RingTensor | undefined): RingTensor {
  if (!Number.isInteger(bits) || bits < 0 || bits > 63) {
    throw new ShapeError('ring shift', `shift must be an integer in [0, 63], got ${bits}`);
  }
  const out = target('ring shift', a, into, [a]);
  if (bits === 0) {
    if (out !== a) out.data.set(a.data);
    return out;
  }
  if (shiftRightNative(a.data, bits, signed, out.data)) return out;
  const x = words(a.data);
  const z = words(out.data);
  // Element i is lo = x[2i] + 2^32 hi = x[2i + 1]; stores into Uint32Array reduce modulo 2^32.
  for (let i = 0; i < x.length; i += 2) {
    const lo = x[i]!;
    const hi = x[i + 1]!;
    if (bits < 32) {
      z[i] = (lo >>> bits) | (hi << (32 - bits));
      z[i + 1] = signed ? (hi | 0) >> bits : hi >>> bits;
    } else {
      z[i] = signed ? (hi | 0) >> (bits - 32) : hi >>> (bits - 32);
      z[i + 1] = signed && hi >= 0x80000000 ? 0xffffffff : 0;
    }
  }
  return out;
}
