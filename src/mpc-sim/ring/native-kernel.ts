/**
 * The native Z_2^64 matrix-product kernel (`native/ring-kernel/`, built by
 * `scripts/build-ring-kernel.mjs`) with the TypeScript kernel as fallback.
 *
 * The addon is loaded on first use, never at import time, and a failure to load it only switches
 * to the TypeScript kernel ({@link ringKernelInfo} says why). `PRIVEDGE_RING_KERNEL=ts` forces the
 * TypeScript kernel; `PRIVEDGE_RING_ISA=scalar|avx2|avx512` picks the addon's code path (the addon
 * refuses one the CPU lacks, and the TypeScript kernel is used with a process warning).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  const out = new RingTensor([m, n]);
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
  const out = new RingTensor([m, n]);
  addon.matmul(a.data, b.data, m, k, n, out.data, isa);
  return out;
}

function current(): { addon: RingAddon | undefined; info: RingKernelInfo } {
  loaded ??= load(false);
  return loaded;
}

function load(forceTs: boolean): { addon: RingAddon | undefined; info: RingKernelInfo } {
  const typescript = (reason: string) => ({ addon: undefined, info: { kind: 'typescript', reason } as const });
  if (forceTs) return typescript('forced by loadRingKernel({ forceTs: true })');
  if (process.env['PRIVEDGE_RING_KERNEL'] === 'ts') return typescript('PRIVEDGE_RING_KERNEL=ts');
  const root = packageRoot();
  if (root === undefined) return typescript('package root (package.json) not found');
  const file = join(root, RING_KERNEL_BINARY);
  if (!existsSync(file)) return typescript(`${RING_KERNEL_BINARY} not built (npm run build:native)`);
  try {
    const addon = createRequire(import.meta.url)(file) as RingAddon;
    return { addon, info: { kind: 'native', isa: addon.isa(), supportedIsas: addon.supportedIsas() } };
  } catch (error) {
    const reason = `loading ${RING_KERNEL_BINARY} failed: ${error instanceof Error ? error.message : String(error)}`;
    process.emitWarning(`${reason}; using the TypeScript ring kernel`, { code: 'PRIVEDGE_RING_KERNEL' });
    return typescript(reason);
  }
}

/** The nearest folder above this module holding a package.json (works from src/ and dist/src/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
