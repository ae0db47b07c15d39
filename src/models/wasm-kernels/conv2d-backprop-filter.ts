/**
 * `Conv2DBackpropFilter` (the weight gradient dW of `tf.conv2d`) for the tfjs wasm backend, which
 * does not ship one. NHWC, float32, dilation 1, any padding and integer strides.
 */
import * as tf from '@tensorflow/tfjs';
import { allocF32, freeInfos, heapF32, runWasmKernel, WASM_BACKEND, type BackendWasm } from './wasm-backend-util.js';

/**
 * Computes `dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · dy[n, oh, ow, co]`.
 *
 * This sum is itself a stride-1 convolution, run by the wasm backend's XNNPACK `Conv2D`: the input
 * is x laid out `[ci, h, w, n]` (ci as batch, n as channels), the filter is dy laid out
 * `[oh, ow, n, co]` with dilation (sh, sw), the padding is the forward padding, and the output
 * `[ci, kh, kw, co]` is transposed to the filter layout. Besides the transposes of x, dy and the
 * small result, the work is that one convolution, with the multiply-adds of the forward pass.
 */
export function conv2DBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error(`wasm Conv2DBackpropFilter supports only NHWC, got ${dataFormat}`);
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('wasm Conv2DBackpropFilter supports only float32');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  // Padding after, so that the dilated dy taps give exactly kh × kw outputs; rows (columns) of x that
  // no output reads (valid padding with a remainder) make it negative: those are cropped instead.
  const padBottom = kh + (oh - 1) * sh - h - padTop;
  const padRight = kw + (ow - 1) * sw - w - padLeft;
  const hUsed = h + Math.min(0, padBottom);
  const wUsed = w + Math.min(0, padRight);

  const temps: tf.TensorInfo[] = [];
  try {
    const xT = allocF32(backend, [ci, hUsed, wUsed, n]);
    temps.push(xT);
    transposeNhwcToCHWN(heapF32(backend, x), heapF32(backend, xT), n, h, w, ci, hUsed, wUsed);
    const dyT = runWasmKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, n, co]
    temps.push(dyT);
    const dwT = runWasmKernel(
      'Conv2D',
      backend,
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [padTop, Math.max(0, padBottom)],
          [padLeft, Math.max(0, padRight)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [sh, sw],
      },
    ); // [ci, kh, kw, co]
    temps.push(dwT);
    return runWasmKernel('Transpose', backend, { x: dwT }, { perm: [1, 2, 0, 3] });
  } finally {
    freeInfos(backend, ...temps);
  }
}

/**
 * `dst[c, i, j, b] = src[b, i, j, c]` for `i < hUsed`, `j < wUsed` (src is `[n, h, w, ci]`).
 * Per pixel, the `n` runs of `ci` floats read stay in cache while they are written out along `n`
 * (several times faster than the wasm backend's generic Transpose for this permutation).
 */
function transposeNhwcToCHWN(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, ci: number, hUsed: number, wUsed: number): void {
  const imageStride = h * w * ci;
  const plane = hUsed * wUsed * n;
  for (let i = 0; i < hUsed; i++) {
    for (let j = 0; j < wUsed; j++) {
      const from = (i * w + j) * ci;
      const to = (i * wUsed + j) * n;
      for (let c = 0; c < ci; c++) {
        let s = from + c;
        let d = c * plane + to;
        for (let b = 0; b < n; b++, s += imageStride) dst[d++] = src[s]!;
      }
    }
  }
}

/** Kernel config registering {@link conv2DBackpropFilterWasm} for the wasm backend. */
export const conv2DBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: WASM_BACKEND,
  kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
};
