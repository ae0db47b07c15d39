/**
 * Small helpers for writing kernels of the tfjs wasm backend in TypeScript: allocating float32
 * tensors on the wasm heap, viewing them as `Float32Array`s, running other registered wasm kernels
 * (XNNPACK conv2d, transpose) on intermediate `TensorInfo`s, and freeing those.
 *
 * Intermediates made here are plain backend data (not engine tensors): they never show up in
 * `tf.memory().numTensors`, so every one of them must be released with {@link freeInfos}.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

/** Name under which `@tensorflow/tfjs-backend-wasm` registers its backend and kernels. */
export const WASM_BACKEND = 'wasm';

/**
 * A `Float32Array` over the wasm-heap storage of `info`.
 *
 * The view is invalidated whenever the wasm memory grows, which any allocation can cause
 * ({@link allocF32}, running a kernel): take views only after the last allocation of a step.
 */
export function heapF32(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** Allocates an uninitialised float32 tensor of `shape` on the wasm heap. */
export function allocF32(backend: BackendWasm, shape: number[]): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/** Releases intermediates made by {@link allocF32} or {@link runWasmKernel} (nulls are skipped). */
export function freeInfos(backend: BackendWasm, ...infos: (tf.TensorInfo | null | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}

/**
 * Runs the kernel `kernelName` registered for the wasm backend directly on `TensorInfo`s (no engine
 * bookkeeping, no gradient tape) and returns its single output, which the caller owns.
 */
export function runWasmKernel(
  kernelName: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const config = tf.getKernel(kernelName, WASM_BACKEND);
  if (!config) throw new Error(`kernel ${kernelName} is not registered for the wasm backend`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned ${out.length} outputs, expected 1`);
  return out;
}
