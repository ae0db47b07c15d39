/**
 * The native Z_2^64 kernel (`native/ring-kernel/`, built by `scripts/build-ring-kernel.mjs`) with
 * TypeScript as fallback: matrix products (also convolutions lowered to them without storing the
 * patch matrix), elementwise add / sub / mul, sums and dot products, the two local loops of the comparison protocol,
 * the last two steps of the dealer-assisted truncation, the product of two opened truncations
 * and the packing of a compact opening's top bits.
 * Every native path computes the same words as its TypeScript counterpart (all exact), and the
 * tests compare them.
 *
 * The addon is loaded on first use, never at import time, and a failure to load it only switches
 * to the TypeScript kernel ({@link ringKernelInfo} says why). `PRIVEDGE_RING_KERNEL=ts` forces the
 * TypeScript kernel; `PRIVEDGE_RING_ISA=scalar|avx2|avx512` picks the addon's code path (the addon
 * refuses one the CPU lacks, and the TypeScript kernel is used with a process warning).
 */
import { join } from 'node:path';
import { ShapeError } from '../../errors.js';
import { loadNativeAddon } from '../../util/native-addon.js';
import { assertImage, im2colUpsampled, type ConvGeometry } from './im2col.js';
import { matmulDims, matmulTs } from './matmul-ts.js';
import { RingTensor } from './ring-tensor.js';

/** A code path of the native kernel: AVX-512 (vpmullq), AVX2, or portable C. */
export type RingIsa = 'avx512' | 'avx2' | 'scalar';

/** Which matrix-product kernel is in use. */
export interface RingKernelInfo {
  /** `native` when the addon is loaded, else `typescript`. */
  readonly kind: 'native' | 'typescript';
  /** The addon's default code path (native only). */
  readonly isa?: RingIsa;
  /** Every code path this CPU runs, fastest first (native only). */
  readonly supportedIsas?: readonly RingIsa[];
  /** Why the native kernel is not used (typescript only). */
  readonly reason?: string;
}

/** The addon's exports (see `native/ring-kernel/ring_kernel.c`). */
interface RingAddon {
  matmul(a: BigUint64Array, b: BigUint64Array, m: number, k: number, n: number, out: BigUint64Array, isa?: RingIsa): void;
  matmulAsync(
    a: BigUint64Array,
    b: BigUint64Array,
    m: number,
    k: number,
    n: number,
    out: BigUint64Array,
    isa?: RingIsa,
  ): Promise<void>;
  convMatmul(x: BigUint64Array, geometry: number[], b: BigUint64Array, n: number, out: BigUint64Array, isa?: RingIsa): void;
  convMatmulAsync(x: BigUint64Array, geometry: number[], b: BigUint64Array, n: number, out: BigUint64Array, isa?: RingIsa): Promise<void>;
  elementwise(op: number, a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  reduce(op: number, a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
  /** Absent from addons built before it (then TypeScript runs). */
  shiftRight?(a: BigUint64Array, bits: number, arithmetic: number, out: BigUint64Array): void;
  comparisonFinish(opened: Uint32Array, params: Int32Array, s: BigUint64Array, bit: BigUint64Array, c: BigUint64Array, rs: BigUint64Array, r: BigUint64Array, y: BigUint64Array): void;
  /** Absent from addons built before it (then TypeScript runs). */
  comparisonFinishTruncated?(
    opened: Uint32Array,
    params: Int32Array,
    s: BigUint64Array,
    bit: BigUint64Array,
    c: BigUint64Array,
    rs: BigUint64Array,
    r: BigUint64Array,
    y: BigUint64Array,
    sigma: BigUint64Array,
    rsm: BigUint64Array,
    rm: BigUint64Array,
  ): void;
  truncationFinish(mine: BigUint64Array, other: BigUint64Array, rMsb: BigUint64Array, rHigh: BigUint64Array, first: number, f: number, y: BigUint64Array): void;
  /** Absent from addons built before it (then TypeScript runs). */
  pairedProduct?(
    q: BigUint64Array,
    sigma: BigUint64Array,
    rMsb: BigUint64Array,
    rHigh: BigUint64Array,
    hm: BigUint64Array,
    hh: BigUint64Array,
    mm: BigUint64Array,
    mh: BigUint64Array,
    scalars: BigUint64Array,
    out: BigUint64Array,
  ): void;
  /** Absent from addons built before them (then TypeScript runs). */
  topBitsPack?(c: BigUint64Array, t: number, out: BigUint64Array): void;
  topBitsAdd?(packed: BigUint64Array, t: number, out: BigUint64Array): void;
  comparisonLeaves(c: BigUint64Array, code: Uint32Array, params: Int32Array, g: Uint32Array, eq: Uint32Array, topFlip: Uint32Array): void;
  isa(): RingIsa;
  supportedIsas(): RingIsa[];
}

/** Where the build script puts the addon, relative to the package root. */
export const RING_KERNEL_BINARY = join('native', 'ring-kernel', 'build', 'ring_kernel.node');

/**
 * Products with fewer multiply-accumulates run in TypeScript even when the addon is loaded: below
 * this, the ~0.5 us cost of a native call outweighs its speed (measured on Node 20).
 */
const NATIVE_MIN_MACS = 128;

/**
 * Elementwise operations on fewer words run in TypeScript: below this, the cost of a native call
 * outweighs the loop it replaces.
 */
const NATIVE_MIN_ELEMENTS = 1024;

/** The addon, if it is loaded and a step over `elements` elements is worth a native call. */
function addonFor(elements: number): RingAddon | undefined {
  return elements < NATIVE_MIN_ELEMENTS ? undefined : current().addon;
}

/** An elementwise operation the native kernel runs (`elementwise` in the addon). */
export type ElementwiseOp = 'add' | 'sub' | 'mul';
const OP_CODES: Readonly<Record<ElementwiseOp, number>> = { add: 0, sub: 1, mul: 2 };

/**
 * `out = a op b` modulo 2^64 in native code, `b` of `a`'s length or of length 1 (a scalar), if
 * the addon is loaded and `a` is not tiny; returns false (and writes nothing) otherwise, and the
 * caller runs its TypeScript loop. Lengths are the caller's to check. Exact, like the TypeScript
 * loop, so the results are identical.
 */
export function elementwiseNative(op: ElementwiseOp, a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): boolean {
  const addon = addonFor(a.length);
  if (addon === undefined) return false;
  addon.elementwise(OP_CODES[op], a, b, out);
  return true;
}

/**
 * `out = a >> bits` elementwise in native code (`arithmetic`: each word read as two's complement,
 * else as unsigned), if the addon is loaded, has it and `a` is not tiny; returns false (and writes
 * nothing) otherwise, and the caller runs its TypeScript loop, which computes the same words.
 * `out` may be `a` itself; lengths and the range of `bits` are the caller's to check.
 */
export function shiftRightNative(a: BigUint64Array, bits: number, arithmetic: boolean, out: BigUint64Array): boolean {
  const addon = addonFor(a.length);
  if (addon?.shiftRight === undefined) return false;
  addon.shiftRight(a, bits, arithmetic ? 1 : 0, out);
  return true;
}

/**
 * The sum of `a` (`b` undefined) or of the products `a[i] b[i]` modulo 2^64 in native code, if
 * the addon is loaded and `a` is not tiny; undefined otherwise, and the caller runs its
 * TypeScript loop (exact, so the results are identical). Lengths are the caller's to check.
 */
export function reduceNative(a: BigUint64Array, b?: BigUint64Array): bigint | undefined {
  const addon = addonFor(a.length);
  if (addon === undefined) return undefined;
  const out = new BigUint64Array(1);
  addon.reduce(b === undefined ? 0 : 1, a, b ?? out, out);
  return out[0]!;
}

/**
 * Step 3 of the dealer-assisted comparison (`protocols/drelu.ts`, function `leaves`) in native
 * code, if the addon is loaded and there are at least 1,024 elements; returns false (and writes
 * nothing) otherwise, and the caller runs its TypeScript loop, which computes the same bits.
 * `params` is `[n, codeBits, topBit, one, w2, k, starts[k], widths[k], offsets[k]]`; the addon
 * checks that every index stays inside `c`, `code` and the output planes.
 */
export function comparisonLeavesNative(c: BigUint64Array, code: Uint32Array, params: Int32Array, g: Uint32Array, eq: Uint32Array, topFlip: Uint32Array): boolean {
  const addon = addonFor(params[0] ?? 0);
  if (addon === undefined) return false;
  addon.comparisonLeaves(c, code, params, g, eq, topFlip);
  return true;
}

/** Operands of {@link comparisonFinishNative}; `product` only for ReLU (x times the bit). */
export interface ComparisonFinishOperands {
  /** The opened final planes, bit-packed. */
  readonly opened: Uint32Array;
  /** `[n, fused, first, qAt, aAt]`: element count, 1 if the last AND is fused, 1 for party 0, bit offsets of q and a' in `opened`. */
  readonly params: Int32Array;
  /** The dealer's bit shares s_v, `[V, n]`. */
  readonly s: BigUint64Array;
  /** Output: this party's arithmetic share of the bit. */
  readonly bit: BigUint64Array;
  readonly product?: {
    /** The opened c = x + r. */
    readonly c: BigUint64Array;
    /** Shares of r s_v, `[V, n]`. */
    readonly rs: BigUint64Array;
    /** Shares of r. */
    readonly r: BigUint64Array;
    /** Output: this party's share of x times the bit. */
    readonly y: BigUint64Array;
    /**
     * A comparison that also truncated its input (`drelu.ts`, `truncate`): c, r and rs are then
     * q, rHigh and rHigh s_v, and y gets minus sigma times (0 - rMsb) b, the same step with
     * c = 0, r = rMsb and rs = rMsb s_v: y = (q - rHigh) b + sigma rMsb b.
     */
    readonly truncated?: { readonly sigma: BigUint64Array; readonly rsMsb: BigUint64Array; readonly rMsb: BigUint64Array };
  };
}

/**
 * The last local step of the comparison (`protocols/drelu.ts`, function `finish`) in native
 * code, if the addon is loaded and there are at least 1,024 elements; returns false (and writes
 * nothing) otherwise, and the caller runs its TypeScript loops, which compute the same words.
 */
export function comparisonFinishNative(o: ComparisonFinishOperands): boolean {
  const addon = addonFor(o.params[0] ?? 0);
  if (addon === undefined) return false;
  const none = new BigUint64Array(0);
  const p = o.product;
  const t = p?.truncated;
  if (t !== undefined) {
    // an addon built before this entry point existed runs the TypeScript loops instead
    if (typeof addon.comparisonFinishTruncated !== 'function') return false;
    addon.comparisonFinishTruncated(o.opened, o.params, o.s, o.bit, p!.c, p!.rs, p!.r, p!.y, t.sigma, t.rsMsb, t.rMsb);
    return true;
  }
  addon.comparisonFinish(o.opened, o.params, o.s, o.bit, p?.c ?? none, p?.rs ?? none, p?.r ?? none, p?.y ?? none);
  return true;
}

/**
 * Steps 4 and 5 of the dealer-assisted truncation (`protocols/truncate.ts`) in one native pass
 * over the two opened halves, if the addon is loaded and there are at least 1,024 elements;
 * returns undefined otherwise, and the caller runs its TypeScript steps, which compute the same
 * words. `first` is party 0, `f` the bits dropped (0 to 62); `other`, `rMsb` and `rHigh` have `mine`'s
 * size or size 1 (one word used for every element, e.g. the constants 0 and 1 that turn the pass
 * into the opened q and sigma of `truncationOpening`).
 */
export function truncationFinishNative(mine: RingTensor, other: RingTensor, rMsb: RingTensor, rHigh: RingTensor, first: boolean, f: number): RingTensor | undefined {
  const addon = addonFor(mine.size);
  if (addon === undefined) return undefined;
  // a one-word other came with the top-bits entry points (an older addon runs TypeScript)
  if (other.size === 1 && mine.size !== 1 && typeof addon.topBitsPack !== 'function') return undefined;
  const y = RingTensor.uninitialized(mine.shape); // the kernel writes every word
  addon.truncationFinish(mine.data, other.data, rMsb.data, rHigh.data, first ? 1 : 0, f, y.data);
  return y;
}

/** The opened forms and dealt products that {@link pairedProductNative} combines (`protocols/norm-conv.ts`, `pairedProduct`). */
export interface PairedProductOperands {
  /** The tensor's opened q and sigma. */
  readonly q: BigUint64Array;
  readonly sigma: BigUint64Array;
  /** This party's shares of the tensor pair's rMsb and rHigh and of the dealt products hm, hh, mm, mh. */
  readonly rMsb: BigUint64Array;
  readonly rHigh: BigUint64Array;
  readonly hm: BigUint64Array;
  readonly hh: BigUint64Array;
  readonly mm: BigUint64Array;
  readonly mh: BigUint64Array;
  /** The scalar's opened q and sigma, this party's share u of its mask part, and party 0 or not. */
  readonly kq: bigint;
  readonly ks: bigint;
  readonly u: bigint;
  readonly first: boolean;
}

/**
 * A party's share of the product of two opened truncations in one native pass (the addon's
 * `pairedProduct`): out[e] = kq (sigma rMsb - rHigh) + hh - sigma hm + ks (sigma mm - mh) + q (u +
 * [first] kq), modulo 2^64, elementwise. Undefined (and the caller runs its TypeScript steps,
 * which compute the same words) if the addon is not loaded or lacks it, or there are fewer than
 * 1,024 elements. Lengths are the caller's to check (the addon refuses a mismatch).
 */
export function pairedProductNative(o: PairedProductOperands): BigUint64Array | undefined {
  const n = o.q.length;
  const addon = addonFor(n);
  if (addon?.pairedProduct === undefined) return undefined;
  const out = RingTensor.uninitialized([n]).data; // the kernel writes every word
  addon.pairedProduct(o.q, o.sigma, o.rMsb, o.rHigh, o.hm, o.hh, o.mm, o.mh, BigUint64Array.of(o.kq, o.ks, o.u, o.first ? 1n : 0n), out);
  return out;
}

/**
 * `topBitsPack` / `topBitsAdd` of the addon (`ring/top-bits.ts` says what they compute) if it is
 * loaded, has them and there are at least 1,024 elements; returns false (and writes nothing)
 * otherwise, and the caller runs its TypeScript loop, which computes the same words. Lengths are
 * the caller's to check.
 */
export function topBitsNative(op: 'pack' | 'add', from: BigUint64Array, t: number, out: BigUint64Array, elements: number): boolean {
  const addon = addonFor(elements);
  const run = op === 'pack' ? addon?.topBitsPack : addon?.topBitsAdd;
  if (addon === undefined || run === undefined) return false;
  run.call(addon, from, t, out);
  return true;
}

let loaded: { addon: RingAddon | undefined; info: RingKernelInfo } | undefined;

/**
 * (Re)selects the kernel: the native addon if it is built and loads, else TypeScript. Never throws.
 * Called implicitly on first use; call it again after building the addon, or with
 * `forceTs: true` to compare against the TypeScript kernel in the same process.
 */
export function loadRingKernel(options: { forceTs?: boolean } = {}): RingKernelInfo {
  loaded = load(options.forceTs === true);
  return loaded.info;
}

/** Which kernel {@link matmulFast} and {@link matmulAsync} use, and why not native if not. */
export function ringKernelInfo(): RingKernelInfo {
  return current().info;
}

/**
 * `a [m, k] @ b [k, n]` over Z_2^64 with the native kernel if loaded (and the product is not
 * tiny), else the TypeScript one; both are exact, so the results are identical.
 * @throws ShapeError unless `a` and `b` are matrices with matching inner dimensions.
 */
export function matmulFast(a: RingTensor, b: RingTensor): RingTensor {
  const [m, k, n] = matmulDims(a, b);
  const addon = current().addon;
  return addon === undefined || m * k * n < NATIVE_MIN_MACS ? matmulTs(a, b) : runNative(addon, a, b, [m, k, n]);
}

/**
 * {@link matmulFast} off the main thread: the native kernel runs on the libuv thread pool, so
 * concurrent calls use separate cores (up to `UV_THREADPOOL_SIZE`, 4 by default). `a` and `b`
 * must not be written to or transferred until the promise settles. Without the addon (or for a
 * tiny product) the TypeScript kernel runs synchronously and the promise is already resolved.
 * @throws ShapeError (as a rejection) unless the shapes fit.
 */
export async function matmulAsync(a: RingTensor, b: RingTensor): Promise<RingTensor> {
  const [m, k, n] = matmulDims(a, b);
  const addon = current().addon;
  if (addon === undefined || m * k * n < NATIVE_MIN_MACS) return matmulTs(a, b);
  const out = RingTensor.uninitialized([m, n]); // the kernel writes every word
  await addon.matmulAsync(a.data, b.data, m, k, n, out.data);
  return out;
}

/**
 * The native kernel on one code path (default: the addon's choice), for tests and benchmarks.
 * @throws Error if the addon is not loaded or this CPU lacks `isa`; ShapeError on bad shapes.
 */
export function matmulNative(a: RingTensor, b: RingTensor, isa?: RingIsa): RingTensor {
  const { addon, info } = current();
  if (addon === undefined) throw new Error(`native ring kernel not loaded: ${info.reason ?? ''}`);
  return runNative(addon, a, b, matmulDims(a, b), isa);
}

function runNative(addon: RingAddon, a: RingTensor, b: RingTensor, [m, k, n]: readonly [number, number, number], isa?: RingIsa): RingTensor {
  const out = RingTensor.uninitialized([m, n]); // the kernel writes every word
  addon.matmul(a.data, b.data, m, k, n, out.data, isa);
  return out;
}

/**
 * `im2col(upsample(x), g) @ b` over Z_2^64 (a convolution lowered to a matrix product, see
 * `im2col`): `x` is the image before nearest upsampling by `upsample`, `[g.inHeight / upsample,
 * g.inWidth / upsample, g.inChannels]` (or with a batch of 1), `b` is `[g.cols, n]`, the result
 * `[g.rows, n]`. The native kernel generates the patch matrix block by block inside its loop nest
 * (it is never stored); the TypeScript path builds it and multiplies. Both are exact, so the
 * results are identical.
 * @throws ShapeError unless `x` and `b` fit `g`.
 */
export function convMatmulFast(x: RingTensor, g: ConvGeometry, upsample: number, b: RingTensor, isa?: RingIsa): RingTensor {
  const n = convDims(x, g, upsample, b);
  const addon = current().addon;
  if (addon === undefined || g.rows * g.cols * n < NATIVE_MIN_MACS) return matmulTs(im2colUpsampled(x, g, upsample), b);
  const out = RingTensor.uninitialized([g.rows, n]); // the kernel writes every word
  addon.convMatmul(x.data, geometryArray(g, upsample), b.data, n, out.data, isa);
  return out;
}

/**
 * {@link convMatmulFast} on the libuv thread pool (like {@link matmulAsync}); `x` and `b` must not
 * be written to until the promise settles.
 * @throws ShapeError (as a rejection) unless `x` and `b` fit `g`.
 */
export async function convMatmulAsync(x: RingTensor, g: ConvGeometry, upsample: number, b: RingTensor): Promise<RingTensor> {
  const n = convDims(x, g, upsample, b);
  const addon = current().addon;
  if (addon === undefined || g.rows * g.cols * n < NATIVE_MIN_MACS) return matmulTs(im2colUpsampled(x, g, upsample), b);
  const out = RingTensor.uninitialized([g.rows, n]); // the kernel writes every word
  await addon.convMatmulAsync(x.data, geometryArray(g, upsample), b.data, n, out.data);
  return out;
}

/** Checks the operands of a lowered convolution; returns n. */
function convDims(x: RingTensor, g: ConvGeometry, upsample: number, b: RingTensor): number {
  if (!Number.isSafeInteger(upsample) || upsample < 1 || g.inHeight % upsample !== 0 || g.inWidth % upsample !== 0) {
    throw new ShapeError('convMatmul', `upsampling by ${upsample} cannot produce a ${g.inHeight} x ${g.inWidth} input`);
  }
  assertImage('convMatmul', x, g.inHeight / upsample, g.inWidth / upsample, g.inChannels);
  if (b.shape.length !== 2 || b.shape[0] !== g.cols || (b.shape[1] ?? 0) < 1) {
    throw new ShapeError('convMatmul', `the right factor must be [${g.cols}, n >= 1], got [${b.shape.join(', ')}]`);
  }
  return b.shape[1]!;
}

function geometryArray(g: ConvGeometry, upsample: number): number[] {
  return [g.inHeight, g.inWidth, g.inChannels, upsample, g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.outHeight, g.outWidth];
}

function current(): { addon: RingAddon | undefined; info: RingKernelInfo } {
  loaded ??= load(false);
  return loaded;
}

function load(forceTs: boolean): { addon: RingAddon | undefined; info: RingKernelInfo } {
  const typescript = (reason: string) => ({ addon: undefined, info: { kind: 'typescript', reason } as const });
  if (forceTs) return typescript('forced by loadRingKernel({ forceTs: true })');
  if (process.env['PRIVEDGE_RING_KERNEL'] === 'ts') return typescript('PRIVEDGE_RING_KERNEL=ts');
  const load = loadNativeAddon(RING_KERNEL_BINARY, (addon: RingAddon) => ({ addon, info: { kind: 'native', isa: addon.isa(), supportedIsas: addon.supportedIsas() } as const }), {
    using: 'the TypeScript ring kernel',
    code: 'PRIVEDGE_RING_KERNEL',
  });
  return 'reason' in load ? typescript(load.reason) : load.loaded;
}
