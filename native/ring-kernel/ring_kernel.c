/*
 * Matrix products over the ring Z_2^64 for the two-party-computation simulator (src/mpc-sim/).
 *
 * out[m, n] = a[m, k] @ b[k, n] modulo 2^64, all row-major uint64 words. Unsigned 64-bit
 * arithmetic wraps, so every product and sum is exact in the ring.
 *
 * Loop nest (after GotoBLAS / BLIS): columns in blocks of NC; depth in blocks of KC, whose block of
 * `b` is packed into micro-panels NR columns wide (p-major, zero padded to the vector width), each
 * of which stays in L1 while every row of the current MC-row block of `a` (in L2) passes over it.
 * `a` is read in place: MR rows stream forward side by side, which the hardware prefetchers follow,
 * and packing it cost more than it saved for the narrow `b` of conv layers (n = 64). A micro-kernel
 * keeps an MR x NR tile of `out` in registers over KC steps, then stores it (first depth block) or
 * adds it to `out`. Remainders run kernels of the exact size, so a 1-row product does no padded
 * work (only b's last panel is padded, to a whole vector).
 *
 * Three micro-kernels, one chosen at load time with __builtin_cpu_supports (overridden by
 * PRIVEDGE_RING_ISA=scalar|avx2|avx512, or per call for tests):
 *   avx512  8 x 16: vpmullq (AVX-512DQ: low 64 bits of a 64 x 64 product) and vpaddq.
 *   avx2    4 x 4: low 64 bits of a*b = lo(a)lo(b) + 2^32 (lo(a)hi(b) + hi(a)lo(b)). The cross
 *           term only matters modulo 2^32, so one vpmulld of a by b with its 32-bit halves swapped
 *           gives both cross products; they are summed with 32-bit adds in a second accumulator
 *           and folded in once per tile: 2 multiplies per 4 lanes instead of 3.
 *   scalar  4 x 4 plain C, for any CPU and compiler.
 * Shapes and blocks were tuned on an AMD EPYC (Zen 4) core; see scripts/bench-ring-kernel.ts.
 *
 * Convolutions use the same loop nest with an implicit patch matrix: instead of reading `a` in
 * place, each MC x KC block of im2col(upsample(x)) is generated into an L2-sized buffer just before
 * the micro-kernels pass over it, so the M x K patch matrix (k^2 u^2 / s^2 times the input) is
 * never stored and the copying runs off the JavaScript thread.
 *
 * Exports (N-API 8, node_api.h only):
 *   matmul(a, b, m, k, n, out[, isa])       synchronous
 *   matmulAsync(a, b, m, k, n, out[, isa])  Promise<void>, on the libuv thread pool; the three
 *                                           arrays are referenced until it settles
 *   convMatmul(x, geometry, b, n, out[, isa])
 *                                           out [outH outW, n] = im2col(upsample(x)) @ b [K, n],
 *                                           geometry = [inH, inW, C, up, kh, kw, sh, sw, padTop,
 *                                           padLeft, outH, outW] (inH, inW after upsampling; x is
 *                                           [inH / up, inW / up, C]; K = kh kw C; patch columns
 *                                           ordered (dy, dx, c); zeros outside the input)
 *   convMatmulAsync(x, geometry, b, n, out[, isa])  the same on the thread pool
 *   elementwise(op, a, b, out)              out = a op b elementwise, op 0 add, 1 sub, 2 mul;
 *                                           b has a's length or length 1 (a public scalar);
 *                                           synchronous (memory-bound; out may be a itself)
 *   shiftRight(a, bits, arithmetic, out)    out = a >> bits elementwise, bits in [0, 63], each
 *                                           word read as unsigned (arithmetic 0) or as two's
 *                                           complement (1); out may be a itself; synchronous
 *   reduce(op, a, b, out)                   out[0] = sum of a (op 0; b unused) or of a[i] b[i]
 *                                           (op 1; b of a's length), modulo 2^64; synchronous
 *   comparisonLeaves(c, code, params, g, eq, topFlip)
 *                                           step 3 of src/mpc-sim/protocols/drelu.ts (the
 *                                           per-chunk leaves read from the thermometer code),
 *                                           bit for bit like its TypeScript loop; params =
 *                                           Int32Array [n, codeBits, topBit, one, w2, k,
 *                                           starts[k], widths[k], offsets[k][, period]]
 *                                           (element e reads the code of e mod period;
 *                                           default n); synchronous
 *   comparisonFinish(opened, params, s, bit, c, rs, r, y)
 *                                           the last local step of drelu.ts (`finish`): with
 *                                           params = Int32Array [n, fused, first, qAt, aAt],
 *                                           v = fused ? 2 p_e + q_e : 0 (p_e bit e, q_e bit
 *                                           qAt + e, a_e bit aAt + e of `opened`),
 *                                           bit[e] = a_e ? first - s[v n + e] : s[v n + e] and,
 *                                           if y is not empty, y[e] = a_e ? first c[e] - c[e] s
 *                                           - r[e] + rs : c[e] s - rs (s, rs at v n + e)
 *   comparisonFinishTruncated(opened, params, s, bit, c, rs, r, y, sigma, rsm, rm)
 *                                           the same, then y[e] -= sigma[e] (a_e ? rsm - rm[e]
 *                                           : -rsm) (rsm at v n + e): ReLU of a comparison that
 *                                           also truncated its input (drelu.ts, `truncate`)
 *   truncationFinish(mine, other, rMsb, rHigh, first, f, y)
 *                                           steps 4 and 5 of truncateWithDealer
 *                                           (src/mpc-sim/protocols/truncate.ts) in one pass:
 *                                           c = mine + other, c63 = c >> 63, w = rMsb (1 - 2 c63)
 *                                           + first c63, y = w 2^(63 - f) - rHigh + first
 *                                           ((c mod 2^63) >> f - 2^(62 - f)); rMsb and rHigh
 *                                           have c's length or length 1 (one public word for
 *                                           every element; so may other)
 *   pairedProduct(q, sigma, rMsb, rHigh, hm, hh, mm, mh, scalars, out)
 *                                           a party's share of the product of two opened
 *                                           truncations (src/mpc-sim/protocols/norm-conv.ts,
 *                                           pairedProduct) in one pass: scalars = [kq, ks, u,
 *                                           first], out[e] = kq (sigma[e] rMsb[e] - rHigh[e]) +
 *                                           hh[e] - sigma[e] hm[e] + ks (sigma[e] mm[e] - mh[e])
 *                                           + q[e] (u + first kq); every array of out's length
 *   topBitsPack(c, t, out)                  out = the words c[e] >> t, 64 - t bits each,
 *                                           packed densely (element e at bits [e b, e b + b)
 *                                           of out, b = 64 - t); out has ceil(n b / 64) words
 *   topBitsAdd(packed, t, out)              out[e] = (floor(out[e] / 2^t) + value e of packed)
 *                                           2^t: a party's own half plus the other's packed
 *                                           one; synchronous
 *   isa()                                   "avx512" | "avx2" | "scalar": the default path
 *   supportedIsas()                         the paths this CPU runs, fastest first
 * a, b, out are BigUint64Array (or BigInt64Array); out must not overlap a or b.
 */
/*
 * The code is split along these banners into parts/, all included here into one translation unit
 * (the build compiles this file only):
 */
#include "parts/common.h"
#include "parts/kernel-scalar.c"
#include "parts/kernel-avx2.c"
#include "parts/kernel-avx512.c"
#include "parts/gemm.c"
#include "parts/napi-glue.c"
#include "parts/protocol-loops.c"
#include "parts/exports.c"
