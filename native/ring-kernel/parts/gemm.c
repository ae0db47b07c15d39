/* The micro-kernel of each ISA and the blocked loop nest (GotoBLAS / BLIS) over them, for
 * matrix products and implicit-im2col convolutions; CPU feature detection.
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

static const rk_shape RK_SHAPES[RK_ISA_COUNT] = {
    {S_MR, S_NR, 1, scalar_kernel},
#if RK_X86
    {A2_MR, A2_NR, 4, avx2_kernel},
    {A5_MR, A5_NV * 8, 8, avx512_kernel},
#else
    {1, 1, 1, NULL},
    {1, 1, 1, NULL},
#endif
};


/* ---------------------------------------------------------------- driver */

/* Depth [0, kc) and columns [0, nc) of b (row stride ldb) as p-major micro-panels of nr
 * columns, the last one zero padded to a multiple of vw. */
static void pack_b(const uint64_t *b, size_t ldb, size_t kc, size_t nc, size_t nr, size_t vw,
                   uint64_t *out) {
  for (size_t j0 = 0; j0 < nc; j0 += nr) {
    const size_t cols = nc - j0 < nr ? nc - j0 : nr;
    const size_t width = (cols + vw - 1) / vw * vw;
    for (size_t p = 0; p < kc; p++) {
      uint64_t *dst = out + p * width;
      memcpy(dst, b + p * ldb + j0, cols * sizeof(uint64_t));
      for (size_t j = cols; j < width; j++) dst[j] = 0;
    }
    out += width * kc;
  }
}

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

static size_t min_size(size_t x, size_t y) { return x < y ? x : y; }

/* A convolution's lowering to a matrix product (see convMatmul in the header comment). */
typedef struct {
  size_t in_h, in_w, c, up, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w;
} rk_geom;

/* Rows [row0, row0 + rows) and columns [p0, p0 + kc) of im2col(upsample(x)) into dst (row
 * stride kc). A patch row is the (dy, dx) taps in order, each tap C contiguous channels of one
 * input pixel (or zeros in the padding), so the block is a sequence of memcpy / memset runs. */
static void fill_patches(const rk_geom *g, const uint64_t *x, size_t row0, size_t rows, size_t p0,
                         size_t kc, uint64_t *dst) {
  const size_t src_w = g->in_w / g->up, pend = p0 + kc;
  for (size_t r = 0; r < rows; r++) {
    const size_t pixel = row0 + r, oy = pixel / g->out_w, ox = pixel % g->out_w;
    uint64_t *d = dst + r * kc;
    size_t p = p0;
    while (p < pend) {
      const size_t tap = p / g->c, ch = p % g->c;
      const size_t len = min_size(g->c - ch, pend - p);
      const size_t dy = tap / g->kw, dx = tap % g->kw;
      /* Unsigned wrap-around turns a position in the top / left padding into a huge index. */
      const size_t iy = oy * g->sh + dy - g->pad_top, ix = ox * g->sw + dx - g->pad_left;
      if (iy >= g->in_h || ix >= g->in_w) {
        memset(d + (p - p0), 0, len * sizeof(uint64_t));
      } else {
        memcpy(d + (p - p0), x + ((iy / g->up) * src_w + ix / g->up) * g->c + ch,
               len * sizeof(uint64_t));
      }
      p += len;
    }
  }
}

/* out = lhs @ b modulo 2^64 with the micro-kernel of `isa`, where lhs is `a` [m, k] read in
 * place (geom == NULL) or the patch matrix of the image `a` under `geom`, generated block by
 * block. Returns 0, or -1 if out of memory. */
static int rk_gemm(rk_isa isa, const uint64_t *a, const rk_geom *geom, const uint64_t *b,
                   uint64_t *out, size_t m, size_t k, size_t n) {
  if (m == 0 || n == 0) return 0;
  if (k == 0) {
    memset(out, 0, m * n * sizeof(uint64_t));
    return 0;
  }
  const rk_shape s = RK_SHAPES[isa];
  const size_t mr = (size_t)s.mr, nr = (size_t)s.nr;
  const size_t mc_max = RK_MC / mr * mr, nc_max = RK_NC / nr * nr;
  const size_t panel_bytes = round_up(min_size(n, nc_max), nr) * min_size(k, RK_KC) * 8;
  uint64_t *packed = aligned_alloc(64, round_up(panel_bytes, 64));
  if (packed == NULL) return -1;
  uint64_t *block = NULL;
  if (geom != NULL) {
    block = aligned_alloc(64, round_up(mc_max * min_size(k, RK_KC) * 8, 64));
    if (block == NULL) {
      free(packed);
      return -1;
    }
  }
  for (size_t jc = 0; jc < n; jc += nc_max) {
    const size_t nc = min_size(n - jc, nc_max);
    for (size_t pc = 0; pc < k; pc += RK_KC) {
      const size_t kc = min_size(k - pc, RK_KC);
      pack_b(b + pc * n + jc, n, kc, nc, nr, (size_t)s.vw, packed);
      for (size_t ic = 0; ic < m; ic += mc_max) {
        const size_t mc = min_size(m - ic, mc_max);
        const uint64_t *rows_a = a + ic * k + pc;
        size_t lda = k;
        if (geom != NULL) {
          fill_patches(geom, a, ic, mc, pc, kc, block);
          rows_a = block;
          lda = kc;
        }
        for (size_t jr = 0; jr < nc; jr += nr) {
          const int cols = (int)min_size(nc - jr, nr);
          for (size_t ir = 0; ir < mc; ir += mr) {
            const int rows = (int)min_size(mc - ir, mr);
            s.kernel(rows, cols, kc, rows_a + ir * lda, lda, packed + jr * kc,
                     out + (ic + ir) * n + jc + jr, n, pc == 0);
          }
        }
      }
    }
  }
  free(block);
  free(packed);
  return 0;
}

static unsigned supported_isas(void) {
  unsigned mask = 1u << RK_SCALAR;
#if RK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) mask |= 1u << RK_AVX2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
    mask |= 1u << RK_AVX512;
  }
#endif
  return mask;
}
