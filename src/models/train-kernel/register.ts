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

/**
 * The native configs and, per kernel name, the kernel each falls back to (the one registered before
 * it), or undefined before the first registration.
 */
let state: { configs: tf.KernelConfig[]; fallbacks: Record<string, tf.KernelConfig | undefined> } | undefined;

/**
 * Makes the native kernels the wasm backend's `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput`,
 * `Conv2DBackpropFilter` and `ResizeNearestNeighborGrad`, if the addon is available (see
 * {@link trainKernelInfo}); otherwise leaves them alone. Call after the wasm backend is initialised
 * (XNNPACK kernels, the fallbacks, are set up at initialisation) and after
 * `registerWasmTrainingKernels`. Idempotent, and it checks the registry rather than remembering:
 * a kernel that something else registered since (for example `registerWasmTrainingKernels` called
 * again by a second `initTensorflow`) becomes that kernel's fallback and the native one is put back,
 * so every training in a process runs the same kernels. Returns which kernels are in use.
 */
export function registerNativeTrainingKernels(): TrainKernelInfo {
  const addon = trainAddon();
  if (addon === undefined) return trainKernelInfo();
  if (state === undefined) {
    const fallbacks: Record<string, tf.KernelConfig | undefined> = {};
    for (const name of NAMES) fallbacks[name] = tf.getKernel(name, WASM_BACKEND);
    state = { fallbacks, configs: [...nativeConvKernelConfigs(addon, fallbacks), nativeUpsampleGradConfig(addon, fallbacks)] };
  }
  for (const config of state.configs) {
    const current = tf.getKernel(config.kernelName, WASM_BACKEND);
    if (current?.kernelFunc === config.kernelFunc) continue;
    state.fallbacks[config.kernelName] = current;
    if (current) tf.unregisterKernel(config.kernelName, WASM_BACKEND);
    tf.registerKernel(config);
  }
  return trainKernelInfo();
}

/** Puts back the kernels {@link registerNativeTrainingKernels} replaced (for tests and benchmarks). */
export function unregisterNativeTrainingKernels(): void {
  if (state === undefined) return;
  for (const config of state.configs) {
    if (tf.getKernel(config.kernelName, WASM_BACKEND)?.kernelFunc !== config.kernelFunc) continue;
    tf.unregisterKernel(config.kernelName, WASM_BACKEND);
    const previous = state.fallbacks[config.kernelName];
    if (previous) tf.registerKernel(previous);
  }
  state = undefined;
}

/** True while the native kernels are registered for the wasm backend. */
export function nativeTrainingKernelsRegistered(): boolean {
  return state !== undefined && state.configs.every((config) => tf.getKernel(config.kernelName, WASM_BACKEND)?.kernelFunc === config.kernelFunc);
}
