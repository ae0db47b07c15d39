/* Micro-kernel: AVX-512 8 x 16 (vpmullq, vpaddq).
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

#if RK_X86
/* ---------------------------------------------------------------- avx512 */

#define RK_TARGET_AVX512 __attribute__((target("avx512f,avx512dq")))
#define A5_MR 8
#define A5_NV 2 /* vectors of 8 words: NR = 16 */

RK_TARGET_AVX512 RK_INLINE void avx512_body(const int mr, const int nv, int nr, size_t kc,
                                            const uint64_t *a, size_t lda, const uint64_t *b,
                                            uint64_t *c, size_t ldc, int first) {
  __m512i acc[A5_MR][A5_NV];
  for (int r = 0; r < mr; r++) {
    for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_si512();
  }
  for (size_t p = 0; p < kc; p++) {
    __m512i y[A5_NV];
    for (int v = 0; v < nv; v++) y[v] = _mm512_loadu_si512(b + (p * nv + v) * 8);
    for (int r = 0; r < mr; r++) {
      const __m512i x = _mm512_set1_epi64((long long)a[r * lda + p]);
      for (int v = 0; v < nv; v++) {
        acc[r][v] = _mm512_add_epi64(acc[r][v], _mm512_mullo_epi64(x, y[v]));
      }
    }
  }
  for (int r = 0; r < mr; r++) {
    for (int v = 0; v < nv; v++) {
      const int lanes = nr - v * 8;
      const __mmask8 mask = lanes >= 8 ? 0xFF : (__mmask8)((1u << lanes) - 1u);
      uint64_t *dst = c + r * ldc + (size_t)v * 8;
      __m512i sum = acc[r][v];
      if (!first) sum = _mm512_add_epi64(sum, _mm512_maskz_loadu_epi64(mask, dst));
      _mm512_mask_storeu_epi64(dst, mask, sum);
    }
  }
}

#define AVX512_CASE(r, v) \
  case (r) * 4 + (v): avx512_body(r, v, nr, kc, a, lda, b, c, ldc, first); break;
#define AVX512_ROW(r) AVX512_CASE(r, 1) AVX512_CASE(r, 2)

RK_TARGET_AVX512 static void avx512_kernel(int mr, int nr, size_t kc, const uint64_t *a,
                                           size_t lda, const uint64_t *b, uint64_t *c, size_t ldc,
                                           int first) {
  switch (mr * 4 + (nr + 7) / 8) {
    AVX512_ROW(1) AVX512_ROW(2) AVX512_ROW(3) AVX512_ROW(4)
    AVX512_ROW(5) AVX512_ROW(6) AVX512_ROW(7) AVX512_ROW(8)
    default: break;
  }
}
#endif /* RK_X86 */
