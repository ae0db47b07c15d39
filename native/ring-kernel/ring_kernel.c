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
 *   comparisonLeaves(c, code, params, g, eq, topFlip)
 *                                           step 3 of src/mpc-sim/protocols/drelu.ts (the
 *                                           per-chunk leaves read from the thermometer code),
 *                                           bit for bit like its TypeScript loop; params =
 *                                           Int32Array [n, codeBits, topBit, one, w2, k,
 *                                           starts[k], widths[k], offsets[k]]; synchronous
 *   comparisonFinish(opened, params, s, bit, c, rs, r, y)
 *                                           the last local step of drelu.ts (`finish`): with
 *                                           params = Int32Array [n, fused, first, qAt, aAt],
 *                                           v = fused ? 2 p_e + q_e : 0 (p_e bit e, q_e bit
 *                                           qAt + e, a_e bit aAt + e of `opened`),
 *                                           bit[e] = a_e ? first - s[v n + e] : s[v n + e] and,
 *                                           if y is not empty, y[e] = a_e ? first c[e] - c[e] s
 *                                           - r[e] + rs : c[e] s - rs (s, rs at v n + e)
 *   truncationFinish(mine, other, rMsb, rHigh, first, f, y)
 *                                           steps 4 and 5 of truncateWithDealer
 *                                           (src/mpc-sim/protocols/truncate.ts) in one pass:
 *                                           c = mine + other, c63 = c >> 63, w = rMsb (1 - 2 c63)
 *                                           + first c63, y = w 2^(63 - f) - rHigh + first
 *                                           ((c mod 2^63) >> f - 2^(62 - f))
 *   isa()                                   "avx512" | "avx2" | "scalar": the default path
 *   supportedIsas()                         the paths this CPU runs, fastest first
 * a, b, out are BigUint64Array (or BigInt64Array); out must not overlap a or b.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -DRK_PORTABLE builds the scalar path only (what non-x86 targets get). */
#if !defined(RK_PORTABLE) && (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define RK_X86 1
#include <immintrin.h>
#else
#define RK_X86 0
#endif

#define RK_INLINE static inline __attribute__((always_inline))

typedef enum { RK_SCALAR = 0, RK_AVX2 = 1, RK_AVX512 = 2, RK_ISA_COUNT = 3 } rk_isa;
static const char *const RK_ISA_NAMES[RK_ISA_COUNT] = {"scalar", "avx2", "avx512"};

/* Depth of a block: a KC x NR micro-panel of `b` stays in L1 (KC * 16 * 8 = 32 KB for avx512). */
#define RK_KC 256
/* Rows of a block of `a` re-read from L2 for each micro-panel of `b` (MC * KC * 8 = 192 KB). */
#define RK_MC 96
/* Columns of a packed block of `b` (KC * NC * 8 = 1 MB). */
#define RK_NC 512

/*
 * A micro-kernel: tile[r][j] = sum over p < kc of a[r * lda + p] * b[p * w + j] for r < mr,
 * j < nr, where w is nr rounded up to the vector width; stores the tile into c (row stride ldc)
 * when `first`, else adds it to c.
 */
typedef void (*rk_kernel)(int mr, int nr, size_t kc, const uint64_t *a, size_t lda,
                          const uint64_t *b, uint64_t *c, size_t ldc, int first);

typedef struct {
  int mr;           /* rows of a full tile */
  int nr;           /* columns of a full tile (a micro-panel of b) */
  int vw;           /* vector width in words; b's last panel is padded to a multiple */
  rk_kernel kernel; /* NULL if not compiled for this target */
} rk_shape;

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

/* ---------------------------------------------------------------- N-API */

typedef struct {
  rk_isa isa;         /* default path */
  unsigned supported; /* bit per rk_isa */
} rk_instance;

#define RK_CHECK(env, call)                                               \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error((env), NULL, "ring_kernel: N-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

/* Parses an ISA name into *isa; 0 on success. */
static int parse_isa(const char *name, rk_isa *isa) {
  for (int i = 0; i < RK_ISA_COUNT; i++) {
    if (strcmp(name, RK_ISA_NAMES[i]) == 0) {
      *isa = (rk_isa)i;
      return 0;
    }
  }
  return -1;
}

static void supported_list(unsigned mask, char *buf, size_t size) {
  buf[0] = '\0';
  for (int i = 0; i < RK_ISA_COUNT; i++) {
    if (!(mask & (1u << i))) continue;
    if (buf[0] != '\0') strncat(buf, ", ", size - strlen(buf) - 1);
    strncat(buf, RK_ISA_NAMES[i], size - strlen(buf) - 1);
  }
}

/* Throws unless `name` is an ISA this CPU supports; `source` names where it came from. */
static int check_isa(napi_env env, const rk_instance *inst, const char *name, const char *source,
                     rk_isa *isa) {
  char msg[256], list[64];
  supported_list(inst->supported, list, sizeof list);
  if (parse_isa(name, isa) != 0) {
    snprintf(msg, sizeof msg, "ring_kernel: %s must be scalar, avx2 or avx512, got '%.40s'", source,
             name);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  if (!(inst->supported & (1u << *isa))) {
    snprintf(msg, sizeof msg, "ring_kernel: %s=%s is not supported by this CPU (supported: %s)",
             source, name, list);
    napi_throw_error(env, NULL, msg);
    return -1;
  }
  return 0;
}

typedef struct {
  const uint64_t *a, *b;
  uint64_t *out;
  size_t m, k, n;
  rk_isa isa;
  int has_geom; /* convMatmul: `a` is the image, lowered by `geom` */
  rk_geom geom;
} rk_args;

/* A typed-array argument of type `want` (or `also`): its data and element count. Otherwise throws
 * a TypeError saying that `name` must be `what` (e.g. "a BigUint64Array"). */
static int get_typed(napi_env env, napi_value value, const char *name, napi_typedarray_type want,
                     napi_typedarray_type also, const char *what, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  char msg[128];
  if (napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
      napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) == napi_ok &&
      (type == want || type == also)) {
    *data = ptr;
    return 0;
  }
  snprintf(msg, sizeof msg, "ring_kernel: %s must be %s", name, what);
  napi_throw_type_error(env, NULL, msg);
  return -1;
}

/* A BigUint64Array or BigInt64Array argument: its words and their count. */
static int get_words(napi_env env, napi_value value, const char *name, uint64_t **data,
                     size_t *length) {
  return get_typed(env, value, name, napi_biguint64_array, napi_bigint64_array,
                   "a BigUint64Array", (void **)data, length);
}

/* A Uint32Array (`want` napi_uint32_array) or Int32Array (napi_int32_array) argument. */
static int get_u32(napi_env env, napi_value value, const char *name, uint32_t **data,
                   size_t *length, napi_typedarray_type want) {
  return get_typed(env, value, name, want, want,
                   want == napi_uint32_array ? "a Uint32Array" : "an Int32Array", (void **)data,
                   length);
}

/* A dimension argument: a non-negative safe integer. */
static int get_dim(napi_env env, napi_value value, const char *name, size_t *dim) {
  double x = -1;
  char msg[128];
  napi_valuetype t;
  if (napi_typeof(env, value, &t) == napi_ok && t == napi_number &&
      napi_get_value_double(env, value, &x) == napi_ok && x >= 0 && x <= 9007199254740991.0 &&
      x == (double)(uint64_t)x) {
    *dim = (size_t)x;
    return 0;
  }
  snprintf(msg, sizeof msg, "ring_kernel: %s must be a non-negative integer", name);
  napi_throw_type_error(env, NULL, msg);
  return -1;
}

static int overlaps(const uint64_t *x, size_t nx, const uint64_t *y, size_t ny) {
  return nx != 0 && ny != 0 && x < y + ny && y < x + nx;
}

/* The optional isa argument (NULL or undefined: the default path) into *isa; 0 on success. */
static int get_isa_arg(napi_env env, const rk_instance *inst, napi_value value, rk_isa *isa) {
  napi_valuetype t = napi_undefined;
  char name[16];
  size_t len = 0;
  *isa = inst->isa;
  if (value == NULL) return 0;
  napi_typeof(env, value, &t);
  if (t == napi_string &&
      napi_get_value_string_utf8(env, value, name, sizeof name, &len) == napi_ok) {
    return check_isa(env, inst, name, "isa", isa);
  }
  if (t != napi_undefined) {
    napi_throw_type_error(env, NULL, "ring_kernel: isa must be a string");
    return -1;
  }
  return 0;
}

/* Reads (a, b, m, k, n, out[, isa]) from argv into *args, throwing on any mismatch. */
static int parse_args(napi_env env, const rk_instance *inst, size_t argc, napi_value *argv,
                      rk_args *args) {
  uint64_t *a, *b, *out;
  size_t na, nb, nout, m, k, n;
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (a, b, m, k, n, out[, isa])");
    return -1;
  }
  if (get_words(env, argv[0], "a", &a, &na) || get_words(env, argv[1], "b", &b, &nb) ||
      get_dim(env, argv[2], "m", &m) || get_dim(env, argv[3], "k", &k) ||
      get_dim(env, argv[4], "n", &n) || get_words(env, argv[5], "out", &out, &nout)) {
    return -1;
  }
  /* Each length is below 2^53 (a typed array), so dividing avoids overflowing m * k. */
  const int ok_a = k == 0 ? na == 0 : (na % k == 0 && na / k == m);
  const int ok_b = n == 0 ? nb == 0 : (nb % n == 0 && nb / n == k);
  const int ok_out = n == 0 ? nout == 0 : (nout % n == 0 && nout / n == m);
  if (!ok_a || !ok_b || !ok_out) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "ring_kernel: lengths a=%zu, b=%zu, out=%zu do not fit [%zu x %zu] @ [%zu x %zu]", na,
             nb, nout, m, k, k, n);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  if (overlaps(out, nout, a, na) || overlaps(out, nout, b, nb)) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must not overlap a or b");
    return -1;
  }
  if (get_isa_arg(env, inst, argc > 6 ? argv[6] : NULL, &args->isa) != 0) return -1;
  args->has_geom = 0;
  args->a = a;
  args->b = b;
  args->out = out;
  args->m = m;
  args->k = k;
  args->n = n;
  return 0;
}


/* Largest geometry entry accepted: keeps every index product of fill_patches far from 2^64. */
#define RK_GEOM_MAX 1048576.0

/* Reads (x, geometry, b, n, out[, isa]) from argv into *args, throwing on any mismatch. */
static int parse_conv_args(napi_env env, const rk_instance *inst, size_t argc, napi_value *argv,
                           rk_args *args) {
  static const char *const names[12] = {"inH",    "inW",     "C",    "up",  "kh",   "kw",
                                        "sh",     "sw",      "padTop", "padLeft", "outH", "outW"};
  uint64_t *x, *b, *out;
  size_t nx, nb, nout, n, v[12];
  bool is_array = false;
  uint32_t length = 0;
  char msg[200];
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (x, geometry, b, n, out[, isa])");
    return -1;
  }
  if (get_words(env, argv[0], "x", &x, &nx)) return -1;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &length) != napi_ok || length != 12) {
    napi_throw_type_error(env, NULL, "ring_kernel: geometry must be an array of 12 integers");
    return -1;
  }
  for (uint32_t i = 0; i < 12; i++) {
    napi_value item;
    if (napi_get_element(env, argv[1], i, &item) != napi_ok ||
        get_dim(env, item, names[i], &v[i]) != 0) {
      return -1;
    }
    if ((double)v[i] > RK_GEOM_MAX) {
      snprintf(msg, sizeof msg, "ring_kernel: geometry %s = %zu is too large", names[i], v[i]);
      napi_throw_range_error(env, NULL, msg);
      return -1;
    }
  }
  if (get_words(env, argv[2], "b", &b, &nb) || get_dim(env, argv[3], "n", &n) ||
      get_words(env, argv[4], "out", &out, &nout)) {
    return -1;
  }
  rk_geom g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  for (int i = 0; i < 12; i++) {
    if (i != 8 && i != 9 && v[i] == 0) {
      snprintf(msg, sizeof msg, "ring_kernel: geometry %s must be positive", names[i]);
      napi_throw_range_error(env, NULL, msg);
      return -1;
    }
  }
  if (g.in_h % g.up != 0 || g.in_w % g.up != 0) {
    napi_throw_range_error(env, NULL, "ring_kernel: geometry up must divide inH and inW");
    return -1;
  }
  const size_t k = g.kh * g.kw * g.c, m = g.out_h * g.out_w;
  const size_t image = (g.in_h / g.up) * (g.in_w / g.up) * g.c;
  if (nx != image || n == 0 || nb % n != 0 || nb / n != k || nout % n != 0 || nout / n != m) {
    snprintf(msg, sizeof msg,
             "ring_kernel: lengths x=%zu, b=%zu, out=%zu do not fit image %zu, [%zu x %zu] @ "
             "[%zu x %zu]",
             nx, nb, nout, image, m, k, k, n);
    napi_throw_range_error(env, NULL, msg);
    return -1;
  }
  if (overlaps(out, nout, x, nx) || overlaps(out, nout, b, nb)) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must not overlap x or b");
    return -1;
  }
  if (get_isa_arg(env, inst, argc > 5 ? argv[5] : NULL, &args->isa) != 0) return -1;
  args->a = x;
  args->b = b;
  args->out = out;
  args->m = m;
  args->k = k;
  args->n = n;
  args->has_geom = 1;
  args->geom = g;
  return 0;
}

static int run_args(const rk_args *x) {
  return rk_gemm(x->isa, x->a, x->has_geom ? &x->geom : NULL, x->b, x->out, x->m, x->k, x->n);
}

/* Parses a product's arguments from argv into *args (parse_args or parse_conv_args). */
typedef int (*rk_parser)(napi_env, const rk_instance *, size_t, napi_value *, rk_args *);

/* Runs the product described by the call's arguments (parsed by `parse`) on this thread. */
static napi_value run_sync(napi_env env, napi_callback_info info, rk_parser parse) {
  size_t argc = 7;
  napi_value argv[7];
  rk_instance *inst;
  rk_args args;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  if (parse(env, inst, argc, argv, &args) != 0) return NULL;
  if (run_args(&args) != 0) napi_throw_error(env, NULL, "ring_kernel: out of memory for packing buffers");
  return NULL;
}

static napi_value js_matmul(napi_env env, napi_callback_info info) {
  return run_sync(env, info, parse_args);
}

static napi_value js_conv_matmul(napi_env env, napi_callback_info info) {
  return run_sync(env, info, parse_conv_args);
}

typedef struct {
  rk_args args;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3]; /* a, b, out: alive until the work completes */
  int status;
} rk_job;

static void job_execute(napi_env env, void *data) {
  (void)env;
  rk_job *job = data;
  job->status = run_args(&job->args);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  rk_job *job = data;
  napi_value result = NULL, message;
  for (int i = 0; i < 3; i++) napi_delete_reference(env, job->refs[i]);
  if (status == napi_ok && job->status == 0) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    const char *text = status == napi_cancelled ? "ring_kernel: matmulAsync was cancelled"
                                                : "ring_kernel: out of memory for packing buffers";
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

/* Queues the product described by argv (parsed by `parse`; its typed arrays at argv[typed[i]])
 * on the thread pool and returns its promise. */
static napi_value queue_job(napi_env env, napi_callback_info info, rk_parser parse,
                            const int typed[3]) {
  size_t argc = 7;
  napi_value argv[7], promise, name;
  rk_instance *inst;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  rk_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "ring_kernel: out of memory");
    return NULL;
  }
  RK_CHECK(env, napi_create_promise(env, &job->deferred, &promise));
  if (parse(env, inst, argc, argv, &job->args) != 0) {
    /* A bad argument rejects the promise rather than throwing. */
    napi_value error;
    napi_deferred deferred = job->deferred;
    free(job);
    RK_CHECK(env, napi_get_and_clear_last_exception(env, &error));
    RK_CHECK(env, napi_reject_deferred(env, deferred, error));
    return promise;
  }
  for (int i = 0; i < 3; i++) {
    RK_CHECK(env, napi_create_reference(env, argv[typed[i]], 1, &job->refs[i]));
  }
  RK_CHECK(env, napi_create_string_utf8(env, "ringKernelMatmul", NAPI_AUTO_LENGTH, &name));
  RK_CHECK(env, napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work));
  RK_CHECK(env, napi_queue_async_work(env, job->work));
  return promise;
}

static napi_value js_matmul_async(napi_env env, napi_callback_info info) {
  static const int typed[3] = {0, 1, 5}; /* a, b, out */
  return queue_job(env, info, parse_args, typed);
}

static napi_value js_conv_matmul_async(napi_env env, napi_callback_info info) {
  static const int typed[3] = {0, 2, 4}; /* x, b, out */
  return queue_job(env, info, parse_conv_args, typed);
}


/* elementwise(op, a, b, out): see the header comment. */
static napi_value js_elementwise(napi_env env, napi_callback_info info) {
  size_t argc = 4, na, nb, nout, op;
  napi_value argv[4];
  uint64_t *a, *b, *out;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (op, a, b, out)");
    return NULL;
  }
  if (get_dim(env, argv[0], "op", &op) || get_words(env, argv[1], "a", &a, &na) ||
      get_words(env, argv[2], "b", &b, &nb) || get_words(env, argv[3], "out", &out, &nout)) {
    return NULL;
  }
  if (op > 2) {
    napi_throw_range_error(env, NULL, "ring_kernel: op must be 0 (add), 1 (sub) or 2 (mul)");
    return NULL;
  }
  if (nout != na || (nb != na && nb != 1)) {
    napi_throw_range_error(env, NULL, "ring_kernel: elementwise needs out and b of a's length (b may have length 1)");
    return NULL;
  }
  if ((out != a && overlaps(out, nout, a, na)) || (out != b && overlaps(out, nout, b, nb))) {
    napi_throw_range_error(env, NULL, "ring_kernel: out must be a or b itself or not overlap them");
    return NULL;
  }
  if (nb == 1 && na > 0) {
    const uint64_t s = b[0];
    if (op == 0) for (size_t i = 0; i < na; i++) out[i] = a[i] + s;
    else if (op == 1) for (size_t i = 0; i < na; i++) out[i] = a[i] - s;
    else for (size_t i = 0; i < na; i++) out[i] = a[i] * s;
  } else {
    if (op == 0) for (size_t i = 0; i < na; i++) out[i] = a[i] + b[i];
    else if (op == 1) for (size_t i = 0; i < na; i++) out[i] = a[i] - b[i];
    else for (size_t i = 0; i < na; i++) out[i] = a[i] * b[i];
  }
  return NULL;
}


/* comparisonLeaves(c, code, params, g, eq, topFlip): see the header comment. For element e and
 * chunk j with value v = bits [start_j, start_j + width_j) of c[e] and at = e codeBits + offset_j:
 * greater = v = 2^width_j - 1 ? 0 : code bit at + v; below = v = 0 ? one : code bit at + v - 1;
 * bit e of plane j of g is greater, of eq is below XOR greater; bit e of topFlip is 1 XOR bit
 * topBit of c[e]. The output planes are overwritten. */
static napi_value js_comparison_leaves(napi_env env, napi_callback_info info) {
  size_t argc = 6, nc, ncode, nparams, ng, neq, nflip;
  napi_value argv[6];
  uint64_t *c;
  uint32_t *code, *g, *eq, *flip, *raw;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (c, code, params, g, eq, topFlip)");
    return NULL;
  }
  if (get_words(env, argv[0], "c", &c, &nc) ||
      get_u32(env, argv[1], "code", &code, &ncode, napi_uint32_array) ||
      get_u32(env, argv[2], "params", &raw, &nparams, napi_int32_array) ||
      get_u32(env, argv[3], "g", &g, &ng, napi_uint32_array) ||
      get_u32(env, argv[4], "eq", &eq, &neq, napi_uint32_array) ||
      get_u32(env, argv[5], "topFlip", &flip, &nflip, napi_uint32_array)) {
    return NULL;
  }
  const int32_t *params = (const int32_t *)raw;
  if (nparams < 6) goto bad;
  const int32_t n = params[0], code_bits = params[1], top_bit = params[2], one = params[3],
                w2 = params[4], k = params[5];
  if (n < 0 || code_bits < 1 || top_bit < 0 || top_bit > 63 || (one != 0 && one != 1) || w2 < 0 ||
      k < 1 || k > 64 || nparams != 6 + 3 * (size_t)k || (size_t)n > nc ||
      (size_t)w2 * 32 < (size_t)n || ng < (size_t)k * w2 || neq < (size_t)k * w2 ||
      nflip < (size_t)w2 || (size_t)ncode * 32 < (size_t)n * (size_t)code_bits) {
    goto bad;
  }
  const int32_t *starts = params + 6, *widths = starts + k, *offsets = widths + k;
  for (int32_t j = 0; j < k; j++) {
    if (widths[j] < 1 || widths[j] > 16 || starts[j] < 0 || starts[j] + widths[j] > 64 ||
        offsets[j] < 0 || offsets[j] + (1 << widths[j]) - 1 > code_bits) {
      goto bad;
    }
  }
  memset(g, 0, (size_t)k * w2 * sizeof(uint32_t));
  memset(eq, 0, (size_t)k * w2 * sizeof(uint32_t));
  memset(flip, 0, (size_t)w2 * sizeof(uint32_t));
  /* 32 elements at a time: each output word of every plane is built in registers, stored once. */
  for (int32_t e0 = 0; e0 < n; e0 += 32) {
    const int32_t e1 = n - e0 < 32 ? n : e0 + 32;
    const size_t word = (size_t)e0 >> 5;
    uint32_t top = 0;
    for (int32_t j = 0; j < k; j++) {
      const uint32_t max = (1u << widths[j]) - 1u;
      const unsigned start = (unsigned)starts[j];
      uint32_t gw = 0, ew = 0;
      for (int32_t e = e0; e < e1; e++) {
        const uint32_t v = (uint32_t)(c[e] >> start) & max;
        const size_t at = (size_t)e * (size_t)code_bits + (size_t)offsets[j] + v;
        const uint32_t greater = v == max ? 0u : (code[at >> 5] >> (at & 31u)) & 1u;
        const uint32_t below = v == 0 ? (uint32_t)one : (code[(at - 1) >> 5] >> ((at - 1) & 31u)) & 1u;
        const unsigned shift = (unsigned)(e - e0);
        gw |= greater << shift;
        ew |= (below ^ greater) << shift;
      }
      g[(size_t)j * (size_t)w2 + word] = gw;
      eq[(size_t)j * (size_t)w2 + word] = ew;
    }
    for (int32_t e = e0; e < e1; e++) {
      top |= (1u ^ (uint32_t)((c[e] >> top_bit) & 1u)) << (unsigned)(e - e0);
    }
    flip[word] = top;
  }
  return NULL;
bad:
  napi_throw_range_error(env, NULL, "ring_kernel: comparisonLeaves arguments do not fit together");
  return NULL;
}


/* comparisonFinish(opened, params, s, bit, c, rs, r, y): see the header comment. */
static napi_value js_comparison_finish(napi_env env, napi_callback_info info) {
  size_t argc = 8, nopened, nparams, ns, nbit, nc, nrs, nr, ny;
  napi_value argv[8];
  uint32_t *opened, *raw;
  uint64_t *s, *bit, *c, *rs, *r, *y;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (opened, params, s, bit, c, rs, r, y)");
    return NULL;
  }
  if (get_u32(env, argv[0], "opened", &opened, &nopened, napi_uint32_array) ||
      get_u32(env, argv[1], "params", &raw, &nparams, napi_int32_array) ||
      get_words(env, argv[2], "s", &s, &ns) || get_words(env, argv[3], "bit", &bit, &nbit) ||
      get_words(env, argv[4], "c", &c, &nc) || get_words(env, argv[5], "rs", &rs, &nrs) ||
      get_words(env, argv[6], "r", &r, &nr) || get_words(env, argv[7], "y", &y, &ny)) {
    return NULL;
  }
  const int32_t *params = (const int32_t *)raw;
  if (nparams != 5) goto bad;
  const int32_t n = params[0], fused = params[1], first = params[2], q_at = params[3],
                a_at = params[4];
  const size_t values = fused ? 4 : 1, bits = nopened * 32;
  const int product = ny != 0;
  if (n < 0 || (fused != 0 && fused != 1) || (first != 0 && first != 1) || q_at < 0 ||
      a_at < 0 || nbit != (size_t)n || ns < values * n || (size_t)a_at + n > bits ||
      (fused && (size_t)q_at + n > bits) ||
      (product && (ny != (size_t)n || nc < (size_t)n || nr < (size_t)n || nrs < values * n))) {
    goto bad;
  }
  if ((product && overlaps(y, ny, bit, nbit)) || overlaps(bit, nbit, s, ns)) goto bad;
  const uint64_t one = (uint64_t)first;
#define RK_BIT(pos) ((opened[(size_t)(pos) >> 5] >> ((size_t)(pos) & 31u)) & 1u)
  for (int32_t e = 0; e < n; e++) {
    const size_t v = fused ? 2u * RK_BIT(e) + RK_BIT((size_t)q_at + e) : 0u;
    const size_t at = v * (size_t)n + (size_t)e;
    const uint32_t a = RK_BIT((size_t)a_at + e);
    const uint64_t si = s[at];
    bit[e] = a ? one - si : si;
    if (product) {
      const uint64_t ce = c[e], cs = ce * si;
      y[e] = a ? (first ? ce : 0u) - cs - r[e] + rs[at] : cs - rs[at];
    }
  }
#undef RK_BIT
  return NULL;
bad:
  napi_throw_range_error(env, NULL, "ring_kernel: comparisonFinish arguments do not fit together");
  return NULL;
}


/* truncationFinish(mine, other, rMsb, rHigh, first, f, y): see the header comment. */
static napi_value js_truncation_finish(napi_env env, napi_callback_info info) {
  size_t argc = 7, n, no, nm, nh, ny, first, f;
  napi_value argv[7];
  uint64_t *mine, *other, *msb, *high, *y;
  RK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "ring_kernel: expected (mine, other, rMsb, rHigh, first, f, y)");
    return NULL;
  }
  if (get_words(env, argv[0], "mine", &mine, &n) || get_words(env, argv[1], "other", &other, &no) ||
      get_words(env, argv[2], "rMsb", &msb, &nm) || get_words(env, argv[3], "rHigh", &high, &nh) ||
      get_dim(env, argv[4], "first", &first) || get_dim(env, argv[5], "f", &f) ||
      get_words(env, argv[6], "y", &y, &ny)) {
    return NULL;
  }
  if (no != n || nm != n || nh != n || ny != n || first > 1 || f > 62) {
    napi_throw_range_error(env, NULL, "ring_kernel: truncationFinish arguments do not fit together");
    return NULL;
  }
  if (overlaps(y, ny, mine, n) || overlaps(y, ny, other, n) || overlaps(y, ny, msb, n) ||
      overlaps(y, ny, high, n)) {
    napi_throw_range_error(env, NULL, "ring_kernel: y must not overlap the inputs");
    return NULL;
  }
  const uint64_t offset = (uint64_t)1 << (62 - f), low = ~((uint64_t)1 << 63);
  for (size_t e = 0; e < n; e++) {
    const uint64_t c = mine[e] + other[e], c63 = c >> 63;
    const uint64_t w = msb[e] * (1 - 2 * c63) + (first ? c63 : 0);
    uint64_t out = (w << (63 - f)) - high[e];
    if (first) out += ((c & low) >> f) - offset;
    y[e] = out;
  }
  return NULL;
}

static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  rk_instance *inst;
  napi_value result;
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  RK_CHECK(env, napi_create_string_utf8(env, RK_ISA_NAMES[inst->isa], NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value js_supported_isas(napi_env env, napi_callback_info info) {
  (void)info;
  rk_instance *inst;
  napi_value result, item;
  uint32_t count = 0;
  RK_CHECK(env, napi_get_instance_data(env, (void **)&inst));
  RK_CHECK(env, napi_create_array(env, &result));
  for (int i = RK_ISA_COUNT - 1; i >= 0; i--) {
    if (!(inst->supported & (1u << i))) continue;
    RK_CHECK(env, napi_create_string_utf8(env, RK_ISA_NAMES[i], NAPI_AUTO_LENGTH, &item));
    RK_CHECK(env, napi_set_element(env, result, count++, item));
  }
  return result;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  rk_instance *inst = malloc(sizeof *inst);
  if (inst == NULL) {
    napi_throw_error(env, NULL, "ring_kernel: out of memory");
    return NULL;
  }
  inst->supported = supported_isas();
  inst->isa = RK_SCALAR;
  for (int i = RK_ISA_COUNT - 1; i >= 0; i--) {
    if (inst->supported & (1u << i)) {
      inst->isa = (rk_isa)i;
      break;
    }
  }
  const char *env_isa = getenv("PRIVEDGE_RING_ISA");
  if (env_isa != NULL && env_isa[0] != '\0' &&
      check_isa(env, inst, env_isa, "PRIVEDGE_RING_ISA", &inst->isa) != 0) {
    free(inst);
    return NULL;
  }
  if (napi_set_instance_data(env, inst, free_instance, NULL) != napi_ok) {
    free(inst);
    napi_throw_error(env, NULL, "ring_kernel: napi_set_instance_data failed");
    return NULL;
  }
  const napi_property_descriptor props[] = {
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"matmulAsync", NULL, js_matmul_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convMatmul", NULL, js_conv_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convMatmulAsync", NULL, js_conv_matmul_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"elementwise", NULL, js_elementwise, NULL, NULL, NULL, napi_enumerable, NULL},
      {"comparisonLeaves", NULL, js_comparison_leaves, NULL, NULL, NULL, napi_enumerable, NULL},
      {"comparisonFinish", NULL, js_comparison_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"truncationFinish", NULL, js_truncation_finish, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isa", NULL, js_isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"supportedIsas", NULL, js_supported_isas, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  RK_CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
