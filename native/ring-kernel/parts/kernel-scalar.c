/* Micro-kernel: scalar 4 x 4, plain C, for any CPU and compiler.
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

/* ---------------------------------------------------------------- scalar */

#define S_MR 4
#define S_NR 4

RK_INLINE void scalar_body(const int mr, const int nr, size_t kc, const uint64_t *a, size_t lda,
                           const uint64_t *b, uint64_t *c, size_t ldc, int first) {
  uint64_t acc[S_MR][S_NR] = {{0}};
  for (size_t p = 0; p < kc; p++) {
    const uint64_t *bp = b + p * (size_t)nr;
    for (int r = 0; r < mr; r++) {
      const uint64_t x = a[r * lda + p];
      for (int j = 0; j < nr; j++) acc[r][j] += x * bp[j];
    }
  }
  for (int r = 0; r < mr; r++) {
    uint64_t *dst = c + r * ldc;
    for (int j = 0; j < nr; j++) dst[j] = first ? acc[r][j] : dst[j] + acc[r][j];
  }
}

#define SCALAR_CASE(r, j) \
  case (r) * 8 + (j): scalar_body(r, j, kc, a, lda, b, c, ldc, first); break;
#define SCALAR_ROW(r) SCALAR_CASE(r, 1) SCALAR_CASE(r, 2) SCALAR_CASE(r, 3) SCALAR_CASE(r, 4)

static void scalar_kernel(int mr, int nr, size_t kc, const uint64_t *a, size_t lda,
                          const uint64_t *b, uint64_t *c, size_t ldc, int first) {
  switch (mr * 8 + nr) {
    SCALAR_ROW(1) SCALAR_ROW(2) SCALAR_ROW(3) SCALAR_ROW(4)
    default: break;
  }
}
