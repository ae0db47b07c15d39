/*
 * Native float32 convolution kernels for training (NHWC, dilation 1), shared declarations.
 *
 * Every operation is one matrix product C[M, N] (+)= A[M, R] · B[R, N] whose operands are
 * gathered into small cache-resident blocks while the product runs (no stored im2col matrix):
 *   forward            Y[pixels, co]  = patches(x)[pixels, kh·kw·ci] · W[kh·kw·ci, co], then bias + activation
 *   backprop input     dcol[pixels, kh·kw·ci] = dY[pixels, co] · Wᵀ, block by block, each block
 *                      scatter-added into dX (col2im) in a fixed order
 *   backprop filter    dW[kh·kw·ci, co] = patches(x)ᵀ · dY
 * Every output element is accumulated in one fixed order (reduction index ascending, fused
 * multiply-add), whatever the code path, so results are bit-identical across runs, threads and
 * the scalar and AVX2 paths (the scalar path uses fmaf, which is exactly rounded).
 */
#ifndef TRAIN_KERNEL_H
#define TRAIN_KERNEL_H

#include <stddef.h>

#if defined(__x86_64__) || defined(_M_X64)
#define TK_X86 1
#else
#define TK_X86 0
#endif

/* Code paths, slowest first. AVX-512 is deliberately absent: it could not be tested here. */
typedef enum { TK_SCALAR = 0, TK_AVX2 = 1, TK_ISA_COUNT = 2 } tk_isa;

/* Convolution geometry (tfjs Conv2DInfo, channels last, dilation 1). */
typedef struct {
  size_t n, h, w, ci;  /* input */
  size_t oh, ow, co;   /* output */
  size_t kh, kw;       /* filter */
  size_t sh, sw;       /* strides */
  long pt, pl;         /* padding before (top, left); after is implied by the sizes */
} tk_geom;

/* Fused activations of tfjs FusedConv2D this kernel runs (prelu is left to the fallback). */
typedef enum { TK_LINEAR = 0, TK_RELU = 1, TK_RELU6 = 2, TK_LEAKY = 3, TK_SIGMOID = 4, TK_ELU = 5 } tk_act;

/* y = act(conv(x, w) + bias); bias may be NULL. Returns 0, or -1 when out of memory. */
int tk_conv_forward(tk_isa isa, const tk_geom *g, const float *x, const float *w, const float *bias,
                    tk_act act, float alpha, float *y);
/* dx = Conv2DBackpropInput(dy, w). */
int tk_conv_backprop_input(tk_isa isa, const tk_geom *g, const float *dy, const float *w, float *dx);
/* dw = Conv2DBackpropFilter(x, dy). */
int tk_conv_backprop_filter(tk_isa isa, const tk_geom *g, const float *x, const float *dy, float *dw);

/*
 * Gradient of nearest-neighbour upsampling by integer factors (fh, fw) (UpSampling2D):
 * dx[n, i, j, c] = sum over a < fh, b < fw of dy[n, i·fh + a, j·fw + b, c], in that order.
 * x is [n, h, w, c], dy [n, h·fh, w·fw, c].
 */
void tk_upsample_grad(size_t n, size_t h, size_t w, size_t c, size_t fh, size_t fw, const float *dy, float *dx);

/* Bit mask of the code paths this CPU runs (bit per tk_isa). */
unsigned tk_supported_isas(void);

#endif
