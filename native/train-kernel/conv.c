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

/*
 * Patch rows of output pixels [pix0, pix0 + count) (columns (a, b, c) of the kh x kw x ci patch,
 * zero outside x), reduction columns [r0, r0 + kc), as panels of `width` pixels, each kc x width.
 */
static void pack_patch_panels(const conv_ctx *ctx, size_t pix0, size_t count, size_t r0, size_t kc, float *dst,
                              size_t width) {
  const tk_geom *g = ctx->g;
  const size_t plane = g->oh * g->ow;
  for (size_t p = 0; p * width < count; p++) {
    float *panel = dst + p * kc * width;
    for (size_t i = 0; i < width; i++) {
      const size_t row = p * width + i;
      if (row >= count) {
        for (size_t k = 0; k < kc; k++) panel[k * width + i] = 0.0f;
        continue;
      }
      const size_t pix = pix0 + row, img = pix / plane, oy = pix % plane / g->ow, ox = pix % g->ow;
      size_t c = r0 % g->ci, t = r0 / g->ci, b = t % g->kw, a = t / g->kw;
      for (size_t k = 0; k < kc;) {
        const size_t run = min_size(g->ci - c, kc - k);
        const long iy = (long)(oy * g->sh + a) - g->pt, ix = (long)(ox * g->sw + b) - g->pl;
        float *d = panel + k * width + i;
        if (iy >= 0 && iy < (long)g->h && ix >= 0 && ix < (long)g->w) {
          const float *s = ctx->x + ((img * g->h + (size_t)iy) * g->w + (size_t)ix) * g->ci + c;
          for (size_t u = 0; u < run; u++) d[u * width] = s[u];
        } else {
          for (size_t u = 0; u < run; u++) d[u * width] = 0.0f;
        }
        k += run;
        c = 0;
        if (++b == g->kw) b = 0, a++;
      }
    }
  }
}

/* Forward A: the patch matrix, rows output pixels. */
static void pack_patches(const void *vctx, size_t i0, size_t mc, size_t r0, size_t kc, float *dst) {
  pack_patch_panels(vctx, i0, mc, r0, kc, dst, TK_MR);
}

/* Forward B: W as [kh·kw·ci, co]. */
static const float *pack_filter(const void *vctx, size_t r0, size_t kc, size_t j0, size_t nc, float *buf,
                                size_t *stride) {
  const conv_ctx *ctx = vctx;
  tk_pack_rows(ctx->m, ctx->g->co, r0, kc, j0, nc, buf);
  *stride = kc * TK_NR;
  return buf;
}

/* A as the transpose of a row-major [R, ld] matrix: A[i][k] = m[(r0 + k)·ld + i0 + i]. */
static void pack_transposed(const void *vctx, size_t i0, size_t mc, size_t r0, size_t kc, float *dst) {
  const conv_ctx *ctx = vctx;
  const size_t ld = ctx->g->co;
  for (size_t p = 0; p * TK_MR < mc; p++) {
    float *panel = dst + p * kc * TK_MR;
    for (size_t k = 0; k < kc; k++)
      for (size_t i = 0; i < TK_MR; i++) {
        const size_t row = p * TK_MR + i;
        panel[k * TK_MR + i] = row < mc ? ctx->m[(r0 + k) * ld + i0 + row] : 0.0f;
      }
  }
}

/* Forward B when the product is transposed (few output channels): patchesᵀ, columns output pixels. */
static const float *pack_patches_cols(const void *vctx, size_t r0, size_t kc, size_t j0, size_t nc, float *buf,
                                      size_t *stride) {
  pack_patch_panels(vctx, j0, nc, r0, kc, buf, TK_NR);
  *stride = kc * TK_NR;
  return buf;
}

/* Output channels below which products run transposed (channels as the short side of the tile). */
#define TK_FEW_CHANNELS 8

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
  const size_t m = g->n * g->oh * g->ow, kdim = g->kh * g->kw * g->ci;
  if (g->co < TK_FEW_CHANNELS) {
    /* Yᵀ[co, pixels] = Wᵀ · patchesᵀ: the channels fill the 6-row side of the tile. */
    const tk_operands op = {pack_transposed, pack_patches_cols, &ctx};
    if (tk_gemm(isa, g->co, m, kdim, &op, y, 1, g->co, 0) != 0) return -1;
  } else {
    const tk_operands op = {pack_patches, pack_filter, &ctx};
    if (tk_gemm(isa, m, g->co, kdim, &op, y, g->co, 1, 0) != 0) return -1;
  }
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
static const float *packed_filter_t(const void *vctx, size_t r0, size_t kc, size_t j0, size_t nc, float *buf,
                                    size_t *stride) {
  const conv_ctx *ctx = vctx;
  (void)kc;
  (void)nc;
  (void)buf;
  *stride = ctx->g->co * TK_NR;
  return ctx->bt + (j0 / TK_NR) * ctx->g->co * TK_NR + r0 * TK_NR;
}

/* Rows of the dcol block processed at a time (the block is rows x kh·kw·ci floats). */
#define TK_DX_ROWS 96

/*
 * Stride 1: dX is the forward convolution of dY with W flipped in space and its channel axes
 * swapped, W'[a, b, o, c] = W[kh-1-a, kw-1-b, c, o], padding kh-1-pt before.
 */
static int backprop_input_stride1(tk_isa isa, const tk_geom *g, const float *dy, const float *w, float *dx) {
  float *wf = malloc(g->kh * g->kw * g->ci * g->co * sizeof(float));
  if (wf == NULL) return -1;
  for (size_t a = 0; a < g->kh; a++)
    for (size_t b = 0; b < g->kw; b++) {
      const float *s = w + ((g->kh - 1 - a) * g->kw + (g->kw - 1 - b)) * g->ci * g->co;
      float *d = wf + (a * g->kw + b) * g->co * g->ci;
      for (size_t o = 0; o < g->co; o++)
        for (size_t c = 0; c < g->ci; c++) d[o * g->ci + c] = s[c * g->co + o];
    }
  const tk_geom t = {g->n, g->oh, g->ow, g->co, g->h, g->w, g->ci, g->kh, g->kw, 1, 1,
                     (long)g->kh - 1 - g->pt, (long)g->kw - 1 - g->pl};
  const int status = tk_conv_forward(isa, &t, dy, wf, NULL, TK_LINEAR, 0.0f, dx);
  free(wf);
  return status;
}

int tk_conv_backprop_input(tk_isa isa, const tk_geom *g, const float *dy, const float *w, float *dx) {
  if (g->sh == 1 && g->sw == 1) return backprop_input_stride1(isa, g, dy, w, dx);
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
    status = tk_gemm(isa, rows, kdim, g->co, &op, col, kdim, 1, 0);
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
static const float *pack_dy(const void *vctx, size_t r0, size_t kc, size_t j0, size_t nc, float *buf, size_t *stride) {
  const conv_ctx *ctx = vctx;
  tk_pack_rows(ctx->m, ctx->g->co, r0, kc, j0, nc, buf);
  *stride = kc * TK_NR;
  return buf;
}

/* Backprop filter B when transposed (few output channels): patch rows [r0, r0 + kc) x columns [j0, j0 + nc). */
static const float *pack_patch_rows(const void *vctx, size_t r0, size_t kc, size_t j0, size_t nc, float *buf,
                                    size_t *stride) {
  const conv_ctx *ctx = vctx;
  const tk_geom *g = ctx->g;
  const size_t plane = g->oh * g->ow, npanels = (nc + TK_NR - 1) / TK_NR;
  for (size_t k = 0; k < kc; k++) {
    const size_t pix = r0 + k, img = pix / plane, oy = pix % plane / g->ow, ox = pix % g->ow;
    size_t c = j0 % g->ci, t = j0 / g->ci, b = t % g->kw, a = t / g->kw;
    /* Runs of channels of one tap, cut at panel boundaries. */
    for (size_t q = 0; q < nc;) {
      size_t run = min_size(g->ci - c, nc - q);
      const long iy = (long)(oy * g->sh + a) - g->pt, ix = (long)(ox * g->sw + b) - g->pl;
      const float *src = iy >= 0 && iy < (long)g->h && ix >= 0 && ix < (long)g->w
                             ? ctx->x + ((img * g->h + (size_t)iy) * g->w + (size_t)ix) * g->ci + c
                             : NULL;
      while (run > 0) {
        const size_t off = q % TK_NR, len = min_size(TK_NR - off, run);
        float *d = buf + (q / TK_NR) * kc * TK_NR + k * TK_NR + off;
        if (src != NULL) {
          memcpy(d, src, len * sizeof(float));
          src += len;
        } else {
          memset(d, 0, len * sizeof(float));
        }
        q += len;
        run -= len;
      }
      c = 0;
      if (++b == g->kw) b = 0, a++;
    }
    for (size_t q = nc; q < npanels * TK_NR; q++) buf[(q / TK_NR) * kc * TK_NR + k * TK_NR + q % TK_NR] = 0.0f;
  }
  *stride = kc * TK_NR;
  return buf;
}

int tk_conv_backprop_filter(tk_isa isa, const tk_geom *g, const float *x, const float *dy, float *dw) {
  const conv_ctx ctx = {g, x, dy, NULL, 0};
  const size_t kdim = g->kh * g->kw * g->ci, m = g->n * g->oh * g->ow;
  if (g->co < TK_FEW_CHANNELS) {
    /* dWᵀ[co, kh·kw·ci] = dYᵀ · patches. */
    const tk_operands op = {pack_transposed, pack_patch_rows, &ctx};
    return tk_gemm(isa, g->co, kdim, m, &op, dw, 1, g->co, 0);
  }
  const tk_operands op = {pack_patches_t, pack_dy, &ctx};
  return tk_gemm(isa, kdim, g->co, m, &op, dw, g->co, 1, 0);
}

void tk_upsample_grad(size_t n, size_t h, size_t w, size_t c, size_t fh, size_t fw, const float *dy, float *dx) {
  const size_t ow = w * fw;
  for (size_t img = 0; img < n; img++)
    for (size_t i = 0; i < h; i++)
      for (size_t j = 0; j < w; j++) {
        float *d = dx + ((img * h + i) * w + j) * c;
        for (size_t ch = 0; ch < c; ch++) d[ch] = 0.0f;
        for (size_t a = 0; a < fh; a++)
          for (size_t b = 0; b < fw; b++) {
            const float *s = dy + ((img * h * fh + i * fh + a) * ow + j * fw + b) * c;
            for (size_t ch = 0; ch < c; ch++) d[ch] += s[ch];
          }
      }
}
