import { ShapeError } from '../../errors.js';
import { RingTensor, sameShape, type Shape } from './ring-tensor.js';
import { upsampleNearest } from './upsample.js';

/** TF padding modes: `same` pads so that out = ceil(in / stride); `valid` does not pad. */
export type Padding = 'same' | 'valid';

/** Options of {@link convGeometry}. */
export interface ConvGeometryOptions {
  /** Input height, width and channels (NHWC, batch 1). */
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  /** Kernel size, square or `[height, width]`. */
  readonly kernel: number | readonly [number, number];
  /** Stride, equal on both axes or `[height, width]`; default 1. */
  readonly stride?: number | readonly [number, number];
  /** Default `same`. */
  readonly padding?: Padding;
}

/**
 * Everything about a 2-D convolution that does not depend on the values: sizes, padding, and
 * the shape of its lowering to a matrix product `patches [rows, cols] @ kernel [cols, cout]`.
 */
export interface ConvGeometry {
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padding: Padding;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Zero rows above / columns left of the input; the rest of the padding goes below / right. */
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  /** M = outHeight * outWidth: one patch per output pixel. */
  readonly rows: number;
  /** K = kernelHeight * kernelWidth * inChannels: one patch's length, ordered (dy, dx, c). */
  readonly cols: number;
}

/**
 * Output size and padding of one axis. `same` (TF): out = ceil(in / stride),
 * padTotal = max((out - 1) stride + k - in, 0), before = floor(padTotal / 2), after = the rest.
 * `valid`: out = ceil((in - k + 1) / stride), no padding.
 * @throws ShapeError if a `valid` kernel is larger than the input.
 */
export function axisPadding(size: number, kernel: number, stride: number, padding: Padding): { out: number; before: number; after: number } {
  if (padding === 'valid') {
    if (kernel > size) throw new ShapeError('conv geometry', `a valid convolution needs kernel ${kernel} <= input ${size}`);
    return { out: Math.ceil((size - kernel + 1) / stride), before: 0, after: 0 };
  }
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/**
 * Validates and freezes the geometry of a convolution.
 * @throws ShapeError unless all sizes, the kernel and the stride are positive integers.
 */
export function convGeometry(options: ConvGeometryOptions): ConvGeometry {
  const [kh, kw] = pair(options.kernel);
  const [sh, sw] = pair(options.stride ?? 1);
  const padding = options.padding ?? 'same';
  const { inHeight, inWidth, inChannels } = options;
  for (const [name, v] of Object.entries({ inHeight, inWidth, inChannels, kh, kw, sh, sw })) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ShapeError('conv geometry', `${name} must be a positive integer, got ${v}`);
  }
  const y = axisPadding(inHeight, kh, sh, padding);
  const x = axisPadding(inWidth, kw, sw, padding);
  return Object.freeze({
    inHeight,
    inWidth,
    inChannels,
    kernelHeight: kh,
    kernelWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    padding,
    outHeight: y.out,
    outWidth: x.out,
    padTop: y.before,
    padBottom: y.after,
    padLeft: x.before,
    padRight: x.after,
    rows: y.out * x.out,
    cols: kh * kw * inChannels,
  });
}

function pair(v: number | readonly [number, number]): readonly [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** A short description, e.g. `32x32x3 k4x4 s2x2 same`. */
export function geometryKey(g: ConvGeometry): string {
  return `${g.inHeight}x${g.inWidth}x${g.inChannels} k${g.kernelHeight}x${g.kernelWidth} s${g.strideHeight}x${g.strideWidth} ${g.padding}`;
}

/**
 * Checks that `t` is an image `[H, W, C]` or `[1, H, W, C]` with the given sizes.
 * @throws ShapeError naming `what` otherwise.
 */
export function assertImage(what: string, t: { readonly shape: Shape }, height: number, width: number, channels: number): void {
  const s = t.shape.length === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  if (!sameShape(s, [height, width, channels])) {
    throw new ShapeError(what, `expected an image [${height}, ${width}, ${channels}] (or with a batch of 1), got [${t.shape.join(', ')}]`);
  }
}

/**
 * The patch matrix of a convolution (exact: a copy of ring words, zeros for the padding): row
 * `oy * outWidth + ox` holds the input window of output pixel (oy, ox), ordered (dy, dx, c) like
 * a TF kernel `[kh, kw, cin, cout]` reshaped to `[kh kw cin, cout]`. So the convolution is
 * `im2col(x, g) @ reshape(kernel, [g.cols, cout])`, output pixel-major `[outH outW, cout]`.
 * Linear: `im2col(x + y) = im2col(x) + im2col(y)`.
 * @param x - `[H, W, C]` or `[1, H, W, C]` matching `g`.
 * @throws ShapeError if `x` does not match `g`.
 */
export function im2col(x: RingTensor, g: ConvGeometry): RingTensor {
  assertImage('im2col', x, g.inHeight, g.inWidth, g.inChannels);
  const out = new RingTensor([g.rows, g.cols]);
  const src = x.data;
  const dst = out.data;
  const c = g.inChannels;
  const w = g.inWidth;
  const kw = g.kernelWidth;
  for (let oy = 0; oy < g.outHeight; oy++) {
    for (let ox = 0; ox < g.outWidth; ox++) {
      const row = (oy * g.outWidth + ox) * g.cols;
      const ix0 = ox * g.strideWidth - g.padLeft;
      const dxLo = Math.max(0, -ix0);
      const dxHi = Math.min(kw, w - ix0);
      if (dxHi <= dxLo) continue;
      for (let dy = 0; dy < g.kernelHeight; dy++) {
        const iy = oy * g.strideHeight + dy - g.padTop;
        if (iy < 0 || iy >= g.inHeight) continue;
        // The window's valid columns of input row iy are contiguous (all channels): one copy.
        const from = (iy * w + ix0 + dxLo) * c;
        dst.set(src.subarray(from, from + (dxHi - dxLo) * c), row + (dy * kw + dxLo) * c);
      }
    }
  }
  return out;
}

/**
 * im2col(upsample(x), g): the patch matrix of a convolution with nearest upsampling by `upsample`
 * fused in front (1 for none); `x` is the image before upsampling.
 * @throws ShapeError if `x` (upsampled) does not match `g`.
 */
export function im2colUpsampled(x: RingTensor, g: ConvGeometry, upsample: number): RingTensor {
  return im2col(upsample === 1 ? x : upsampleNearest(x, upsample), g);
}
