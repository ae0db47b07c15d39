/**
 * Registers the native training kernels as the wasm backend's convolution kernels when the addon
 * is available, keeping the kernels they replace as per-case fallbacks.
 */
import * as tf from '@tensorflow/tfjs';
import { WASM_BACKEND } from '../wasm-kernels/wasm-backend-util.js';
import { nativeConvKernelConfigs } from './conv-kernels.js';
import { trainAddon, trainKernelInfo, type TrainKernelInfo } from './native-addon.js';
import { nativeUpsampleGradConfig } from './upsample-grad-kernel.js';

const NAMES = [tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.ResizeNearestNeighborGrad];

/** The kernels registered before the native ones (per kernel name), restored by {@link unregisterNativeTrainingKernels}. */
let replaced: Record<string, tf.KernelConfig | undefined> | undefined;

/**
 * Replaces the wasm backend's `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput`,
 * `Conv2DBackpropFilter` and `ResizeNearestNeighborGrad` with the native ones, if the addon is available (see
 * {@link trainKernelInfo}); otherwise leaves them alone. Call after the wasm backend is initialised
 * (XNNPACK kernels, the fallbacks, are set up at initialisation) and after
 * `registerWasmTrainingKernels`. Idempotent. Returns which kernels are in use.
 */
export function registerNativeTrainingKernels(): TrainKernelInfo {
  const addon = trainAddon();
  if (addon === undefined || replaced !== undefined) return trainKernelInfo();
  const previous: Record<string, tf.KernelConfig | undefined> = {};
  for (const name of NAMES) previous[name] = tf.getKernel(name, WASM_BACKEND);
  const configs = [...nativeConvKernelConfigs(addon, previous), nativeUpsampleGradConfig(addon, previous[tf.ResizeNearestNeighborGrad])];
  for (const config of configs) {
    if (previous[config.kernelName]) tf.unregisterKernel(config.kernelName, WASM_BACKEND);
    tf.registerKernel(config);
  }
  replaced = previous;
  return trainKernelInfo();
}

/** Puts back the kernels {@link registerNativeTrainingKernels} replaced (for tests and benchmarks). */
export function unregisterNativeTrainingKernels(): void {
  if (replaced === undefined) return;
  for (const name of NAMES) {
    tf.unregisterKernel(name, WASM_BACKEND);
    const previous = replaced[name];
    if (previous) tf.registerKernel(previous);
  }
  replaced = undefined;
}

/** True while the native kernels are registered for the wasm backend. */
export function nativeTrainingKernelsRegistered(): boolean {
  return replaced !== undefined;
}
