import { ShapeError } from '../../errors.js';

/** Dimensions of a tensor, outermost first (row-major). */
export type Shape = readonly number[];

/** Number of elements of `shape`; checks every dimension is a non-negative integer. */
export function sizeOf(shape: Shape, what = 'shape'): number {
  let size = 1;
  for (const [axis, dim] of shape.entries()) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new ShapeError(what, `dimension ${axis} must be a non-negative integer, got ${String(dim)}`);
    }
    size *= dim;
  }
  if (!Number.isSafeInteger(size)) throw new ShapeError(what, `[${shape.join(', ')}] has too many elements`);
  return size;
}

/** Whether two shapes are equal dimension by dimension. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** Throws a {@link ShapeError} naming `what` unless `a` and `b` have the same shape. */
export function assertSameShape(what: string, a: Shape, b: Shape): void {
  if (!sameShape(a, b)) throw new ShapeError(what, `shapes differ: [${a.join(', ')}] vs [${b.join(', ')}]`);
}

/**
 * A tensor over the ring Z_2^64: unsigned 64-bit words in row-major order with a shape.
 *
 * Every function of the ring module returns a new tensor and never writes to its inputs, so a
 * tensor can be treated as immutable; `reshape` (in `layout.ts`) may share `data` with its
 * input. The signed (two's complement) reading of the same words is {@link toSigned}.
 */
export class RingTensor {
  /** Dimensions, frozen. */
  readonly shape: Shape;
  /** Elements, row-major; arithmetic on them is modulo 2^64. */
  readonly data: BigUint64Array;

  /**
   * @param shape - dimensions; their product must equal `data.length`.
   * @param data - the words (kept, not copied); zeros of the right size when omitted.
   * @throws ShapeError if the sizes disagree.
   */
  constructor(shape: Shape, data?: BigUint64Array) {
    const size = sizeOf(shape);
    if (data !== undefined && data.length !== size) {
      throw new ShapeError('RingTensor', `shape [${shape.join(', ')}] needs ${size} elements, got ${data.length}`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = data ?? new BigUint64Array(size);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Bytes on the wire: 8 per element. */
  get byteLength(): number {
    return this.data.length * 8;
  }

  /** A deep copy. */
  clone(): RingTensor {
    return new RingTensor(this.shape, this.data.slice());
  }

  /** All zeros. */
  static zeros(shape: Shape): RingTensor {
    return new RingTensor(shape);
  }

  /**
   * A tensor whose memory is not zero-filled (`Buffer.allocUnsafeSlow`), for outputs that the
   * caller overwrites completely before anything reads them (elementwise results, native
   * products): it saves the memset of every temporary. Anything else must use the constructor.
   */
  static uninitialized(shape: Shape): RingTensor {
    const size = sizeOf(shape);
    const bytes = Buffer.allocUnsafeSlow(size * 8);
    return new RingTensor(shape, new BigUint64Array(bytes.buffer, bytes.byteOffset, size));
  }

  /**
   * From unsigned or signed BigInts, each reduced modulo 2^64 (so `-1n` becomes 2^64 - 1).
   * @param shape - defaults to `[values.length]`.
   */
  static fromBigInts(values: readonly bigint[] | BigUint64Array | BigInt64Array, shape?: Shape): RingTensor {
    const data = new BigUint64Array(values.length);
    for (let i = 0; i < values.length; i++) data[i] = BigInt.asUintN(64, values[i]!);
    return new RingTensor(shape ?? [values.length], data);
  }

  /** The elements as unsigned BigInts in [0, 2^64). */
  toBigInts(): bigint[] {
    return Array.from(this.data);
  }
}

/**
 * Encodes signed integers in two's complement: `v` becomes `v mod 2^64`.
 * Numbers must be safe integers (exact); BigInts outside [-2^63, 2^64) are reduced modulo 2^64.
 * @param shape - defaults to `[values.length]`.
 * @throws ShapeError if a number is not a safe integer (naming its index).
 */
export function fromSigned(values: readonly (number | bigint)[] | BigInt64Array, shape?: Shape): RingTensor {
  const data = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new ShapeError('fromSigned', `element ${i} is ${v}, not a safe integer`);
    }
    data[i] = BigInt.asUintN(64, BigInt(v));
  }
  return new RingTensor(shape ?? [values.length], data);
}

/**
 * The two's complement reading of `t`: words >= 2^63 read as `word - 2^64`.
 * Returns a view on the same memory (no copy); do not write to it.
 */
export function toSigned(t: RingTensor): BigInt64Array {
  return new BigInt64Array(t.data.buffer, t.data.byteOffset, t.data.length);
}

/**
 * The 32-bit halves of `data` on the same memory: element `i` is `lo + 2^32 * hi` with
 * `lo = words[2i]`, `hi = words[2i + 1]`. The fast kernels work on these halves with exact
 * float64/int32 arithmetic instead of allocating one BigInt per element.
 * @throws ShapeError on a big-endian host (not supported by the fast kernels).
 */
export function words(data: BigUint64Array): Uint32Array {
  if (!LITTLE_ENDIAN) throw new ShapeError('ring', 'the Z_2^64 kernels need a little-endian host');
  return new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
