/*
 * The blocked float32 matrix product under every convolution of this addon:
 *   C[M, N] (+)= A[M, R] · B[R, N]
 * with A and B never materialised: callbacks pack one block at a time (A: MC x KC rows into
 * MR-row micro-panels, B: KC x N into NR-column micro-panels), BLIS-style loop order
 * (reduction block -> row block -> column panel -> row panel). The micro-kernel keeps an
 * MR x NR tile of C in registers (6 x 16 floats: twelve AVX2 accumulators).
 *
 * Determinism: each element of C is c = fma(a[r], b[r], c) for r ascending, starting from 0
 * (or from C's value when accumulating), on every path: the scalar path calls fmaf, which is
 * exactly rounded, so it produces the same bits as the AVX2 path.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_kernel_gemm.h"

#if TK_X86
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------- scalar */

static void scalar_tile(size_t kc, const float *a, const float *b, float *c, size_t ldc, int first) {
  float acc[TK_MR][TK_NR];
  for (int i = 0; i < TK_MR; i++)
    for (int j = 0; j < TK_NR; j++) acc[i][j] = first ? 0.0f : c[i * ldc + j];
  for (size_t k = 0; k < kc; k++, a += TK_MR, b += TK_NR)
    for (int i = 0; i < TK_MR; i++)
      for (int j = 0; j < TK_NR; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
  for (int i = 0; i < TK_MR; i++)
    for (int j = 0; j < TK_NR; j++) c[i * ldc + j] = acc[i][j];
}

/* ---------------------------------------------------------------- avx2 + fma */

#if TK_X86
#define TK_TARGET_AVX2 __attribute__((target("avx2,fma")))

#define ROW_INIT(i)                                                                  \
  __m256 c##i##0 = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + (i) * ldc);     \
  __m256 c##i##1 = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + (i) * ldc + 8);
#define ROW_FMA(i)                                    \
  {                                                   \
    const __m256 ai = _mm256_broadcast_ss(a + (i));   \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);       \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);       \
  }
#define ROW_STORE(i)                             \
  _mm256_storeu_ps(c + (i) * ldc, c##i##0);      \
  _mm256_storeu_ps(c + (i) * ldc + 8, c##i##1);

TK_TARGET_AVX2 static void avx2_tile(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                                     int first) {
  ROW_INIT(0) ROW_INIT(1) ROW_INIT(2) ROW_INIT(3) ROW_INIT(4) ROW_INIT(5)
  for (size_t k = 0; k < kc; k++, a += TK_MR, b += TK_NR) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3) ROW_FMA(4) ROW_FMA(5)
  }
  ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5)
}
#endif

typedef void (*tile_fn)(size_t kc, const float *a, const float *b, float *c, size_t ldc, int first);

static tile_fn tile_for(tk_isa isa) {
#if TK_X86
  if (isa == TK_AVX2) return avx2_tile;
#endif
  (void)isa;
  return scalar_tile;
}

/*
 * One mr x nr tile (mr <= MR, nr <= NR) of C, element (i, j) at c[i·rs + j·cs]: full tiles with
 * unit column stride in place, others through a buffer (same arithmetic, same bits).
 */
static void tile(tile_fn fn, size_t kc, const float *a, const float *b, float *c, size_t rs, size_t cs,
                 int mr, int nr, int first) {
  if (mr == TK_MR && nr == TK_NR && cs == 1) {
    fn(kc, a, b, c, rs, first);
    return;
  }
  float buf[TK_MR * TK_NR];
  memset(buf, 0, sizeof buf);
  if (!first)
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) buf[i * TK_NR + j] = c[i * rs + j * cs];
  fn(kc, a, b, buf, TK_NR, 0); /* fma(a, b, +0) rounds like the product alone: same bits as first */
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * rs + j * cs] = buf[i * TK_NR + j];
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

int tk_gemm(tk_isa isa, size_t m, size_t n, size_t r, const tk_operands *op, float *c, size_t rs,
            size_t cs, int accumulate) {
  const size_t ncmax = min_size(n, TK_NC), bpanels = (ncmax + TK_NR - 1) / TK_NR;
  float *abuf = aligned_alloc(64, (size_t)TK_MC * TK_KC * sizeof(float));
  float *bbuf = aligned_alloc(64, bpanels * TK_NR * TK_KC * sizeof(float));
  if (abuf == NULL || bbuf == NULL) {
    free(abuf);
    free(bbuf);
    return -1;
  }
  if (r == 0 && !accumulate)
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < n; j++) c[i * rs + j * cs] = 0.0f;
  const tile_fn fn = tile_for(isa);
  for (size_t j0 = 0; j0 < n; j0 += TK_NC) {
    const size_t nc = min_size(TK_NC, n - j0), npanels = (nc + TK_NR - 1) / TK_NR;
    for (size_t r0 = 0; r0 < r; r0 += TK_KC) {
      const size_t kc = min_size(TK_KC, r - r0);
      const int first = r0 == 0 && !accumulate;
      size_t bstride = 0;
      const float *bp = op->pack_b(op->ctx, r0, kc, j0, nc, bbuf, &bstride);
      for (size_t i0 = 0; i0 < m; i0 += TK_MC) {
        const size_t mc = min_size(TK_MC, m - i0);
        op->pack_a(op->ctx, i0, mc, r0, kc, abuf);
        for (size_t j = 0; j < npanels; j++) {
          const int nr = (int)min_size(TK_NR, nc - j * TK_NR);
          for (size_t ip = 0; ip * TK_MR < mc; ip++) {
            const int mr = (int)min_size(TK_MR, mc - ip * TK_MR);
            tile(fn, kc, abuf + ip * kc * TK_MR, bp + j * bstride,
                 c + (i0 + ip * TK_MR) * rs + (j0 + j * TK_NR) * cs, rs, cs, mr, nr, first);
          }
        }
      }
    }
  }
  free(abuf);
  free(bbuf);
  return 0;
}

void tk_pack_rows(const float *src, size_t ld, size_t r0, size_t kc, size_t j0, size_t nc, float *dst) {
  const size_t npanels = (nc + TK_NR - 1) / TK_NR;
  for (size_t j = 0; j < npanels; j++) {
    const size_t jj0 = j0 + j * TK_NR, nr = min_size(TK_NR, j0 + nc - jj0);
    float *d = dst + j * kc * TK_NR;
    for (size_t k = 0; k < kc; k++, d += TK_NR) {
      memcpy(d, src + (r0 + k) * ld + jj0, nr * sizeof(float));
      for (size_t t = nr; t < TK_NR; t++) d[t] = 0.0f;
    }
  }
}

unsigned tk_supported_isas(void) {
  unsigned mask = 1u << TK_SCALAR;
#if TK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) mask |= 1u << TK_AVX2;
#endif
  return mask;
}
