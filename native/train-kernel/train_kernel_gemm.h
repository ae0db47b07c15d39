/* The blocked product of gemm.c, used by conv.c (see train_kernel.h for the design). */
#ifndef TRAIN_KERNEL_GEMM_H
#define TRAIN_KERNEL_GEMM_H

#include "train_kernel.h"

#define TK_MR 6    /* rows of a register tile */
#define TK_NR 16   /* columns of a register tile (two AVX2 vectors) */
#define TK_KC 256  /* reduction block: an A micro-panel (6 KiB) and a B micro-panel (16 KiB) stay in L1 */
#define TK_MC 120  /* row block: the packed A block (120 KiB) stays in L2 */
#define TK_NC 1024 /* column block: the packed B block (1 MiB) stays in L2/L3 */

typedef struct {
  /* Packs rows [i0, i0 + mc) x reduction [r0, r0 + kc) of A into dst: ceil(mc / MR) micro-panels,
   * each kc x MR (k-major), rows past mc zero. */
  void (*pack_a)(const void *ctx, size_t i0, size_t mc, size_t r0, size_t kc, float *dst);
  /* Returns reduction rows [r0, r0 + kc) x columns [j0, j0 + nc) of B as ceil(nc / NR) micro-panels
   * of kc x NR (columns past nc zero), *stride floats apart; may pack into buf (room for KC x NC)
   * or point elsewhere. */
  const float *(*pack_b)(const void *ctx, size_t r0, size_t kc, size_t j0, size_t nc, float *buf, size_t *stride);
  const void *ctx;
} tk_operands;

/* C[m, n] = A · B (accumulate = 0) or C += A · B, element (i, j) of C at c[i·rs + j·cs].
 * -1 when out of memory. */
int tk_gemm(tk_isa isa, size_t m, size_t n, size_t r, const tk_operands *op, float *c, size_t rs,
            size_t cs, int accumulate);

/* Packs rows [r0, r0 + kc) x columns [j0, j0 + nc) of the row-major matrix src (row stride ld) as
 * B micro-panels. */
void tk_pack_rows(const float *src, size_t ld, size_t r0, size_t kc, size_t j0, size_t nc, float *dst);

#endif
