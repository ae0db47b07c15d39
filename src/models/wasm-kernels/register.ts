/**
 * Registers the kernels the tfjs wasm backend (4.22) lacks, or has only as slow scalar loops, for
 * training convolutional models: `Conv2DBackpropFilter` (missing) and `Conv2DBackpropInput`
 * (replaced).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputWasmConfig } from './conv2d-backprop-input.js';
import { WASM_BACKEND } from './wasm-backend-util.js';

const replacements: readonly tf.KernelConfig[] = [conv2DBackpropFilterWasmConfig, conv2DBackpropInputWasmConfig];

let originalBackpropInput: tf.KernelConfig | undefined;

/**
 * Registers the fast wasm training kernels, replacing any kernel already registered under the
 * same name for the wasm backend. Idempotent; works before or after `tf.setBackend('wasm')` (the
 * kernels need no per-backend setup) and does nothing to other backends.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of replacements) {
    const current = tf.getKernel(config.kernelName, WASM_BACKEND);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current) {
      if (config.kernelName === tf.Conv2DBackpropInput) originalBackpropInput ??= current;
      tf.unregisterKernel(config.kernelName, WASM_BACKEND);
    }
    tf.registerKernel(config);
  }
}

/**
 * The `Conv2DBackpropInput` kernel the wasm backend shipped with (the one
 * {@link registerWasmTrainingKernels} replaces or will replace), for benchmarks and comparisons.
 * Its kernel function works only if the wasm backend was initialised while it was registered.
 */
export function originalWasmConv2DBackpropInput(): tf.KernelConfig | undefined {
  if (originalBackpropInput) return originalBackpropInput;
  const current = tf.getKernel(tf.Conv2DBackpropInput, WASM_BACKEND);
  return current?.kernelFunc === conv2DBackpropInputWasmConfig.kernelFunc ? undefined : current;
}
