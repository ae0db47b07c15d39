/*
 * The three convolution operations of train_kernel.h as products of gemm.c, with the patch
 * matrix generated block by block inside the product.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_kernel_gemm.h"

typedef struct {
  const tk_geom *g;
  const float *x;  /* input image (forward, filter gradient) */
  const float *m;  /* the other operand: W (forward), dY (both gradients) */
  const float *bt; /* backprop input: Wᵀ packed as B micro-panels over all of co */
  size_t rows0;    /* backprop input: first output pixel of the current block */
} conv_ctx;

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Forward A: rows are output pixels, columns (a, b, c) of the kh x kw x ci patch, zero outside x. */
static void pack_patches(const void *vctx, size_t i0, size_t mc, size_t r0, size_t kc, float *dst) {
  const conv_ctx *ctx = vctx;
  const tk_geom *g = ctx->g;
  const size_t plane = g->oh * g->ow;
  for (size_t p = 0; p * TK_MR < mc; p++) {
    float *panel = dst + p * kc * TK_MR;
    for (size_t i = 0; i < TK_MR; i++) {
      const size_t row = p * TK_MR + i;
      if (row >= mc) {
        for (size_t k = 0; k < kc; k++) panel[k * TK_MR + i] = 0.0f;
        continue;
      }
      const size_t pix = i0 + row, img = pix / plane, oy = pix % plane / g->ow, ox = pix % g->ow;
      size_t c = r0 % g->ci, t = r0 / g->ci, b = t % g->kw, a = t / g->kw;
      for (size_t k = 0; k < kc;) {
        const size_t run = min_size(g->ci - c, kc - k);
        const long iy = (long)(oy * g->sh + a) - g->pt, ix = (long)(ox * g->sw + b) - g->pl;
        float *d = panel + k * TK_MR + i;
        if (iy >= 0 && iy < (long)g->h && ix >= 0 && ix < (long)g->w) {
          const float *s = ctx->x + ((img * g->h + (size_t)iy) * g->w + (size_t)ix) * g->ci + c;
          for (size_t u = 0; u < run; u++) d[u * TK_MR] = s[u];
        } else {
          for (size_t u = 0; u < run; u++) d[u * TK_MR] = 0.0f;
        }
        k += run;
        c = 0;
        if (++b == g->kw) b = 0, a++;
      }
    }
  }
}

/* Forward B: W as [kh·kw·ci, co]. */
static const float *pack_filter(const void *vctx, size_t r0, size_t kc, float *buf, size_t *stride) {
  const conv_ctx *ctx = vctx;
  tk_pack_rows(ctx->m, ctx->g->co, r0, kc, ctx->g->co, buf);
  *stride = kc * TK_NR;
  return buf;
}

static float activate(float v, tk_act act, float alpha) {
  switch (act) {
    case TK_RELU: return v > 0.0f ? v : 0.0f;
    case TK_RELU6: return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    case TK_LEAKY: return v < 0.0f ? alpha * v : v;
    case TK_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case TK_ELU: return v > 0.0f ? v : expm1f(v);
    default: return v;
  }
}

int tk_conv_forward(tk_isa isa, const tk_geom *g, const float *x, const float *w, const float *bias,
                    tk_act act, float alpha, float *y) {
  const conv_ctx ctx = {g, x, w, NULL, 0};
  const tk_operands op = {pack_patches, pack_filter, &ctx};
  const size_t m = g->n * g->oh * g->ow;
  if (tk_gemm(isa, m, g->co, g->kh * g->kw * g->ci, &op, y, g->co, 0) != 0) return -1;
  if (bias == NULL && act == TK_LINEAR) return 0;
  for (size_t i = 0; i < m; i++) {
    float *row = y + i * g->co;
    for (size_t j = 0; j < g->co; j++) row[j] = activate(bias ? row[j] + bias[j] : row[j], act, alpha);
  }
  return 0;
}

/* Backprop input A: dY rows (output pixels rows0 + i0 ...), columns co. */
static void pack_dy_rows(const void *vctx, size_t i0, size_t mc, size_t r0, size_t kc, float *dst) {
  const conv_ctx *ctx = vctx;
  const size_t co = ctx->g->co;
  for (size_t p = 0; p * TK_MR < mc; p++) {
    float *panel = dst + p * kc * TK_MR;
    for (size_t i = 0; i < TK_MR; i++) {
      const size_t row = p * TK_MR + i;
      if (row >= mc) {
        for (size_t k = 0; k < kc; k++) panel[k * TK_MR + i] = 0.0f;
        continue;
      }
      const float *s = ctx->m + (ctx->rows0 + i0 + row) * co + r0;
      for (size_t k = 0; k < kc; k++) panel[k * TK_MR + i] = s[k];
    }
  }
}

/* Backprop input B: Wᵀ [co, kh·kw·ci], packed once per call. */
static const float *packed_filter_t(const void *vctx, size_t r0, size_t kc, float *buf, size_t *stride) {
  const conv_ctx *ctx = vctx;
  (void)kc;
  (void)buf;
  *stride = ctx->g->co * TK_NR;
  return ctx->bt + r0 * TK_NR;
}

/* Rows of the dcol block processed at a time (the block is rows x kh·kw·ci floats). */
#define TK_DX_ROWS 96

int tk_conv_backprop_input(tk_isa isa, const tk_geom *g, const float *dy, const float *w, float *dx) {
  const size_t kdim = g->kh * g->kw * g->ci, npanels = (kdim + TK_NR - 1) / TK_NR;
  const size_t m = g->n * g->oh * g->ow, plane = g->oh * g->ow;
  float *bt = malloc(npanels * g->co * TK_NR * sizeof(float));
  float *col = malloc((size_t)TK_DX_ROWS * kdim * sizeof(float));
  if (bt == NULL || col == NULL) {
    free(bt);
    free(col);
    return -1;
  }
  for (size_t p = 0; p < npanels; p++)
    for (size_t r = 0; r < g->co; r++)
      for (size_t jj = 0; jj < TK_NR; jj++) {
        const size_t k = p * TK_NR + jj;
        bt[(p * g->co + r) * TK_NR + jj] = k < kdim ? w[k * g->co + r] : 0.0f;
      }
  memset(dx, 0, g->n * g->h * g->w * g->ci * sizeof(float));
  conv_ctx ctx = {g, NULL, dy, bt, 0};
  const tk_operands op = {pack_dy_rows, packed_filter_t, &ctx};
  int status = 0;
  for (size_t m0 = 0; m0 < m && status == 0; m0 += TK_DX_ROWS) {
    const size_t rows = min_size(TK_DX_ROWS, m - m0);
    ctx.rows0 = m0;
    status = tk_gemm(isa, rows, kdim, g->co, &op, col, kdim, 0);
    /* col2im: add each patch column back to its input position, rows and taps in order. */
    for (size_t i = 0; i < rows && status == 0; i++) {
      const size_t pix = m0 + i, img = pix / plane, oy = pix % plane / g->ow, ox = pix % g->ow;
      const float *s = col + i * kdim;
      for (size_t a = 0; a < g->kh; a++) {
        const long iy = (long)(oy * g->sh + a) - g->pt;
        if (iy < 0 || iy >= (long)g->h) continue;
        for (size_t b = 0; b < g->kw; b++) {
          const long ix = (long)(ox * g->sw + b) - g->pl;
          if (ix < 0 || ix >= (long)g->w) continue;
          float *d = dx + ((img * g->h + (size_t)iy) * g->w + (size_t)ix) * g->ci;
          const float *src = s + (a * g->kw + b) * g->ci;
          for (size_t c = 0; c < g->ci; c++) d[c] += src[c];
        }
      }
    }
  }
  free(bt);
  free(col);
  return status;
}

/* Backprop filter A: patchesᵀ, rows (a, b, c) of the patch, columns output pixels. */
static void pack_patches_t(const void *vctx, size_t i0, size_t mc, size_t r0, size_t kc, float *dst) {
  const conv_ctx *ctx = vctx;
  const tk_geom *g = ctx->g;
  const size_t plane = g->oh * g->ow;
  for (size_t p = 0; p * TK_MR < mc; p++) {
    float *panel = dst + p * kc * TK_MR;
    long ta[TK_MR], tb[TK_MR];
    size_t tc[TK_MR];
    int valid[TK_MR];
    for (size_t i = 0; i < TK_MR; i++) {
      const size_t row = i0 + p * TK_MR + i;
      valid[i] = p * TK_MR + i < mc;
      tc[i] = row % g->ci;
      tb[i] = (long)(row / g->ci % g->kw) - g->pl;
      ta[i] = (long)(row / g->ci / g->kw) - g->pt;
    }
    /* Common case: the panel's rows are TK_MR consecutive channels of one tap. */
    const int run = valid[TK_MR - 1] && ta[0] == ta[TK_MR - 1] && tb[0] == tb[TK_MR - 1];
    size_t pix = r0, img = pix / plane, oy = pix % plane / g->ow, ox = pix % g->ow;
    for (size_t k = 0; k < kc; k++) {
      float *d = panel + k * TK_MR;
      const float *base = ctx->x + img * g->h * g->w * g->ci;
      if (run) {
        const long iy = (long)(oy * g->sh) + ta[0], ix = (long)(ox * g->sw) + tb[0];
        if (iy >= 0 && iy < (long)g->h && ix >= 0 && ix < (long)g->w) {
          memcpy(d, base + ((size_t)iy * g->w + (size_t)ix) * g->ci + tc[0], TK_MR * sizeof(float));
        } else {
          memset(d, 0, TK_MR * sizeof(float));
        }
      } else {
        for (size_t i = 0; i < TK_MR; i++) {
          const long iy = (long)(oy * g->sh) + ta[i], ix = (long)(ox * g->sw) + tb[i];
          d[i] = valid[i] && iy >= 0 && iy < (long)g->h && ix >= 0 && ix < (long)g->w
                     ? base[((size_t)iy * g->w + (size_t)ix) * g->ci + tc[i]]
                     : 0.0f;
        }
      }
      if (++ox == g->ow) {
        ox = 0;
        if (++oy == g->oh) oy = 0, img++;
      }
    }
  }
}

/* Backprop filter B: dY as [pixels, co]. */
static const float *pack_dy(const void *vctx, size_t r0, size_t kc, float *buf, size_t *stride) {
  const conv_ctx *ctx = vctx;
  tk_pack_rows(ctx->m, ctx->g->co, r0, kc, ctx->g->co, buf);
  *stride = kc * TK_NR;
  return buf;
}

int tk_conv_backprop_filter(tk_isa isa, const tk_geom *g, const float *x, const float *dy, float *dw) {
  const conv_ctx ctx = {g, x, dy, NULL, 0};
  const tk_operands op = {pack_patches_t, pack_dy, &ctx};
  return tk_gemm(isa, g->kh * g->kw * g->ci, g->co, g->n * g->oh * g->ow, &op, dw, g->co, 0);
}
