/* Common definitions: Node-API and ISA headers, the ISA enum, block sizes, the micro-kernel type.
 * Part of ring_kernel.c: included there, in order, into one translation unit (every function
 * stays static and the build compiles that one file); not compiled on its own. */

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
