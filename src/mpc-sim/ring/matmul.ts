import { matmulFast } from './native-kernel.js';
import type { RingTensor } from './ring-tensor.js';

export { matmulDims, matmulTs } from './matmul-ts.js';
export { matmulAsync, ringKernelInfo } from './native-kernel.js';

/**
 * Matrix product over Z_2^64: `a [m, k] @ b [k, n] -> [m, n]`, exact modulo 2^64.
 *
 * Runs the native kernel (`native/ring-kernel/`: AVX-512, AVX2 or portable C, picked for the
 * CPU; 10-45 GMAC/s on one core) when it is built, else the TypeScript kernel `matmulTs`
 * (about 2 GMAC/s); both are exact, so results are identical. `ringKernelInfo()` tells which
 * one runs, `PRIVEDGE_RING_KERNEL=ts` forces TypeScript, and `matmulAsync` runs the product on
 * the libuv thread pool.
 *
 * @throws ShapeError unless `a` and `b` are matrices with matching inner dimensions.
 */
export function matmul(a: RingTensor, b: RingTensor): RingTensor {
  return matmulFast(a, b);
}
