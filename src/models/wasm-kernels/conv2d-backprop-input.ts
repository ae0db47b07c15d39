/**
 * `Conv2DBackpropInput` (the input gradient dX of `tf.conv2d`, i.e. a transposed convolution) for
 * the tfjs wasm backend, replacing its scalar-loop kernel. NHWC, float32, dilation 1, any padding
 * and integer strides.
 */
import * as tf from '@tensorflow/tfjs';
import { allocF32, freeInfos, heapF32, runWasmKernel, WASM_BACKEND, type BackendWasm } from './wasm-backend-util.js';

/** One stride phase of dX along one axis: the input rows (or columns) `i` with `(i + pad) mod s = r`. */
interface Phase {
  /** Residue: input index i has `(i + pad) mod s = r`. */
  readonly r: number;
  /** Filter taps of this phase: `k = r + s·j`, `j < taps`. */
  readonly taps: number;
  /** First `q` with `i = q·s + r − pad` inside the input. */
  readonly qMin: number;
  /** Number of input indices of this phase. */
  readonly count: number;
  /** Padding of dy before / after for the stride-1 sub-convolution. */
  readonly padBefore: number;
  readonly padAfter: number;
  /** Index in the sub-convolution output of the phase's first input index. */
  readonly outOffset: number;
  /** Length of the sub-convolution output. */
  readonly outLength: number;
}

/** The `s` phases of one axis (input size `inSize`, dy size `outSize`, kernel `k`, stride `s`, padding before `pad`). */
function phases(inSize: number, outSize: number, k: number, s: number, pad: number): Phase[] {
  const list: Phase[] = [];
  for (let r = 0; r < s; r++) {
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    const qMin = Math.ceil((pad - r) / s);
    const qMax = Math.floor((inSize - 1 + pad - r) / s);
    const count = Math.max(0, qMax - qMin + 1);
    // dX[q] = Σ_t dy[q − (taps − 1) + t] · F[t] with F[t] = W[r + s·(taps − 1 − t)].
    const off = qMin - (taps - 1);
    const padBefore = Math.max(0, -off);
    const padAfter = Math.max(0, off + count + taps - 1 - outSize);
    list.push({ r, taps, qMin, count, padBefore, padAfter, outOffset: off + padBefore, outLength: outSize + padBefore + padAfter - taps + 1 });
  }
  return list;
}

/**
 * Computes `dX[n, ih, iw, ci] = Σ dy[n, oh, ow, co] · W[kh, kw, ci, co]` over `oh·sh + kh − padTop = ih`,
 * `ow·sw + kw − padLeft = iw`.
 *
 * Split by stride phase (`(ih + padTop) mod sh`, `(iw + padLeft) mod sw`), each phase of dX is a
 * stride-1 correlation of dy with a sub-filter of W (taps `kh ≡ phase (mod sh)`, flipped, in/out
 * channels swapped), run by the wasm backend's XNNPACK `Conv2D`; the phase results are interleaved
 * into dX in JS. With stride 1 there is one phase and its result is dX itself. No multiply by
 * the zeros a dilated dy would contain is ever done.
 */
export function conv2DBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error(`wasm Conv2DBackpropInput supports only NHWC, got ${dataFormat}`);
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') throw new Error('wasm Conv2DBackpropInput supports only float32');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const rowPhases = phases(h, oh, kh, sh, info.padInfo.top);
  const colPhases = phases(w, ow, kw, sw, info.padInfo.left);

  let dx: tf.TensorInfo | null = null;
  try {
    const single = rowPhases.length === 1 && colPhases.length === 1;
    for (const ph of rowPhases) {
      for (const pw of colPhases) {
        if (ph.count === 0 || pw.count === 0) continue;
        if (ph.taps === 0 || pw.taps === 0) {
          dx ??= zeros(backend, info.inShape);
          continue; // no filter tap reaches these positions: dX is 0 there
        }
        const sub = allocF32(backend, [ph.taps, pw.taps, co, ci]);
        let part: tf.TensorInfo;
        try {
          subFilter(heapF32(backend, filter), heapF32(backend, sub), kw, ci, co, sh, sw, ph, pw);
          part = runWasmKernel(
            'Conv2D',
            backend,
            { x: dy, filter: sub },
            {
              strides: [1, 1],
              pad: [
                [0, 0],
                [ph.padBefore, ph.padAfter],
                [pw.padBefore, pw.padAfter],
                [0, 0],
              ],
              dataFormat: 'NHWC',
              dilations: [1, 1],
            },
          ); // [n, ph.outLength, pw.outLength, ci]
        } finally {
          freeInfos(backend, sub);
        }
        if (single && ph.outOffset === 0 && pw.outOffset === 0 && ph.outLength === h && pw.outLength === w) {
          dx = part; // stride 1: the sub-convolution is dX
          continue;
        }
        try {
          dx ??= allocPhased(backend, info.inShape, rowPhases, colPhases);
          scatter(heapF32(backend, part), heapF32(backend, dx), n, h, w, ci, sh, sw, info.padInfo.top, info.padInfo.left, ph, pw);
        } finally {
          freeInfos(backend, part);
        }
      }
    }
  } catch (error) {
    freeInfos(backend, dx);
    throw error;
  }
  return dx ?? zeros(backend, info.inShape);
}

/**
 * The sub-filter of phase (ph, pw), `[th, tw, co, ci]`: `W[ph.r + sh·(ph.taps − 1 − th), pw.r + sw·(pw.taps − 1 − tw), ci, co]`
 * (taps of the phase, flipped, in/out channels swapped).
 */
function subFilter(filter: Float32Array, sub: Float32Array, kw: number, ci: number, co: number, sh: number, sw: number, ph: Phase, pw: Phase): void {
  const block = ci * co;
  let d = 0;
  for (let th = 0; th < ph.taps; th++) {
    const a = ph.r + sh * (ph.taps - 1 - th);
    for (let tw = 0; tw < pw.taps; tw++) {
      const from = (a * kw + pw.r + sw * (pw.taps - 1 - tw)) * block;
      for (let o = 0; o < co; o++) {
        let s = from + o;
        for (let i = 0; i < ci; i++, s += co) sub[d++] = filter[s]!;
      }
    }
  }
}

/** dX storage; zero-filled unless every position is written by some phase. */
function allocPhased(backend: BackendWasm, shape: number[], rows: Phase[], cols: Phase[]): tf.TensorInfo {
  const covered = rows.every((p) => p.count === 0 || p.taps > 0) && cols.every((p) => p.count === 0 || p.taps > 0);
  return covered ? allocF32(backend, shape) : zeros(backend, shape);
}

function zeros(backend: BackendWasm, shape: number[]): tf.TensorInfo {
  const out = allocF32(backend, shape);
  heapF32(backend, out).fill(0);
  return out;
}

/** Writes phase (ph, pw)'s sub-convolution output `part` into its positions of `dx`. */
function scatter(
  part: Float32Array,
  dx: Float32Array,
  n: number,
  h: number,
  w: number,
  ci: number,
  sh: number,
  sw: number,
  padTop: number,
  padLeft: number,
  ph: Phase,
  pw: Phase,
): void {
  const partRow = pw.outLength * ci;
  const partImage = ph.outLength * partRow;
  const ih0 = ph.qMin * sh + ph.r - padTop;
  const iw0 = pw.qMin * sw + pw.r - padLeft;
  const dstStep = sw * ci;
  for (let img = 0; img < n; img++) {
    for (let u = 0; u < ph.count; u++) {
      let s = img * partImage + (ph.outOffset + u) * partRow + pw.outOffset * ci;
      let d = ((img * h + ih0 + u * sh) * w + iw0) * ci;
      if (ci === 1) {
        for (let v = 0; v < pw.count; v++, d += dstStep) dx[d] = part[s++]!;
      } else {
        for (let v = 0; v < pw.count; v++, d += dstStep) {
          for (let c = 0; c < ci; c++) dx[d + c] = part[s++]!;
        }
      }
    }
  }
}

/** Kernel config registering {@link conv2DBackpropInputWasm} for the wasm backend. */
export const conv2DBackpropInputWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: WASM_BACKEND,
  kernelFunc: conv2DBackpropInputWasm as unknown as tf.KernelFunc,
};
