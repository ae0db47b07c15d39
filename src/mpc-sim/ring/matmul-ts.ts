import { ShapeError } from '../../errors.js';
import { RingTensor } from './ring-tensor.js';

/** Columns of `b` per tile (tile of `b` is K_TILE x N_TILE words = 256 KB, an L2's worth). */
const N_TILE = 256;
/** Rows of `b` per tile; a multiple of the 4-way k unroll. */
const K_TILE = 128;

/**
 * Matrix product over Z_2^64: `a [m, k] @ b [k, n] -> [m, n]`, exact modulo 2^64.
 *
 * BigInt arithmetic written straight into the typed array: V8's optimising compiler lowers
 * `BigInt.asUintN(64, ...)` of BigInt64-array operands to native 64-bit adds and multiplies with
 * no allocation, and since reduction modulo 2^64 commutes with + and *, a whole
 * `z + u0*b0 + u1*b1 + u2*b2 + u3*b3` can be reduced once. Loop nest: tiles of
 * 128 (k) x 256 (n) of `b` stay in L2; inside a tile, two rows of `a` times four k-steps are held
 * in registers and stream along contiguous rows of `b` and `z` (8 multiply-adds per 4 loaded `b`
 * words). An odd last row and k remainders take a 1 x 1 path. About 2 GMAC/s on one core
 * (see `bench-ring.ts`). The fallback of `matmul` (in `matmul.ts`) when the native kernel
 * is not built, and the reference it is tested against.
 *
 * @throws ShapeError unless `a` and `b` are matrices with matching inner dimensions.
 */
export function matmulTs(a: RingTensor, b: RingTensor): RingTensor {
  const [m, k, n] = matmulDims(a, b);
  const out = new RingTensor([m, n]);
  const x = a.data;
  const y = b.data;
  const z = out.data;
  for (let j0 = 0; j0 < n; j0 += N_TILE) {
    const j1 = Math.min(n, j0 + N_TILE);
    for (let k0 = 0; k0 < k; k0 += K_TILE) {
      const k1 = Math.min(k, k0 + K_TILE);
      const k4 = k0 + ((k1 - k0) & ~3);
      let i = 0;
      for (; i + 1 < m; i += 2) {
        const zr = i * n;
        const zs = zr + n;
        for (let p = k0; p < k4; p += 4) {
          const ar = i * k + p;
          const as = ar + k;
          const u0 = x[ar]!, u1 = x[ar + 1]!, u2 = x[ar + 2]!, u3 = x[ar + 3]!;
          const v0 = x[as]!, v1 = x[as + 1]!, v2 = x[as + 2]!, v3 = x[as + 3]!;
          const q0 = p * n, q1 = q0 + n, q2 = q1 + n, q3 = q2 + n;
          for (let j = j0; j < j1; j++) {
            const b0 = y[q0 + j]!, b1 = y[q1 + j]!, b2 = y[q2 + j]!, b3 = y[q3 + j]!;
            z[zr + j] = BigInt.asUintN(64, z[zr + j]! + u0 * b0 + u1 * b1 + u2 * b2 + u3 * b3);
            z[zs + j] = BigInt.asUintN(64, z[zs + j]! + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3);
          }
        }
        for (let p = k4; p < k1; p++) {
          accumulateRow(z, zr, x[i * k + p]!, y, p * n, j0, j1);
          accumulateRow(z, zs, x[(i + 1) * k + p]!, y, p * n, j0, j1);
        }
      }
      if (i < m) {
        for (let p = k0; p < k1; p++) accumulateRow(z, i * n, x[i * k + p]!, y, p * n, j0, j1);
      }
    }
  }
  return out;
}

/** `z[zr + j] += u * y[yr + j]` for j in [j0, j1), modulo 2^64. */
function accumulateRow(z: BigUint64Array, zr: number, u: bigint, y: BigUint64Array, yr: number, j0: number, j1: number): void {
  for (let j = j0; j < j1; j++) z[zr + j] = BigInt.asUintN(64, z[zr + j]! + u * y[yr + j]!);
}

/** `[m, k, n]` of `a [m, k] @ b [k, n]`. @throws ShapeError naming `what` otherwise. */
export function matmulDims(a: RingTensor, b: RingTensor, what = 'matmul'): [number, number, number] {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new ShapeError(what, `needs two matrices, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const [m, k] = a.shape as [number, number];
  const [k2, n] = b.shape as [number, number];
  if (k !== k2) throw new ShapeError(what, `inner dimensions differ: [${m}, ${k}] @ [${k2}, ${n}]`);
  return [m, k, n];
}
