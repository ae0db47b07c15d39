/* Micro-kernel: AVX2 4 x 4 (two multiplies per four lanes, see the header of ring_kernel.c).
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

#if RK_X86
/* ---------------------------------------------------------------- avx2 */

#define RK_TARGET_AVX2 __attribute__((target("avx2")))
#define A2_MR 4
#define A2_NR 4 /* one vector */

RK_TARGET_AVX2 RK_INLINE void avx2_body(const int mr, int nr, size_t kc, const uint64_t *a,
                                        size_t lda, const uint64_t *b, uint64_t *c, size_t ldc,
                                        int first) {
  __m256i lo[A2_MR], cross[A2_MR];
  for (int r = 0; r < mr; r++) lo[r] = cross[r] = _mm256_setzero_si256();
  for (size_t p = 0; p < kc; p++) {
    const __m256i y = _mm256_loadu_si256((const __m256i *)(b + p * 4));
    const __m256i swapped = _mm256_shuffle_epi32(y, 0xB1); /* 32-bit halves of each word */
    for (int r = 0; r < mr; r++) {
      const __m256i x = _mm256_set1_epi64x((long long)a[r * lda + p]);
      lo[r] = _mm256_add_epi64(lo[r], _mm256_mul_epu32(x, y));
      cross[r] = _mm256_add_epi32(cross[r], _mm256_mullo_epi32(x, swapped));
    }
  }
  const __m256i high = _mm256_set1_epi64x((long long)0xFFFFFFFF00000000ULL);
  const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(nr), _mm256_setr_epi64x(0, 1, 2, 3));
  for (int r = 0; r < mr; r++) {
    /* (cross_lo + cross_hi) << 32 is the high half of cross + (cross << 32). */
    const __m256i x = cross[r];
    const __m256i folded = _mm256_and_si256(_mm256_add_epi32(x, _mm256_slli_epi64(x, 32)), high);
    __m256i sum = _mm256_add_epi64(lo[r], folded);
    long long *dst = (long long *)(c + r * ldc);
    if (nr == 4) {
      if (!first) sum = _mm256_add_epi64(sum, _mm256_loadu_si256((const __m256i *)dst));
      _mm256_storeu_si256((__m256i *)dst, sum);
    } else {
      if (!first) sum = _mm256_add_epi64(sum, _mm256_maskload_epi64(dst, mask));
      _mm256_maskstore_epi64(dst, mask, sum);
    }
  }
}

#define AVX2_CASE(r) \
  case r: avx2_body(r, nr, kc, a, lda, b, c, ldc, first); break;

RK_TARGET_AVX2 static void avx2_kernel(int mr, int nr, size_t kc, const uint64_t *a, size_t lda,
                                       const uint64_t *b, uint64_t *c, size_t ldc, int first) {
  switch (mr) {
    AVX2_CASE(1) AVX2_CASE(2) AVX2_CASE(3) AVX2_CASE(4)
    default: break;
  }
}
#endif /* RK_X86 */
