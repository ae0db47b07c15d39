import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice, type ModuleLoader, type RequestedBackend } from './backend.js';
import { trainKernelLabel } from './train-kernel/native-addon.js';
import { registerNativeTrainingKernels } from './train-kernel/register.js';
import { registerWasmTrainingKernels } from './wasm-kernels/register.js';

/**
 * Selects and activates the tfjs backend for this process (or worker) and, on wasm, registers
 * the project's convolution gradient kernels so that models can be trained there, and the native
 * training kernels over them when the addon is available (`kernels` in the result says which).
 */
export async function initTensorflow(requested: RequestedBackend, load?: ModuleLoader): Promise<BackendChoice> {
  const choice = await selectBackend(requested, tf, load);
  if (choice.name !== 'wasm') return { ...choice, kernels: choice.name };
  registerWasmTrainingKernels();
  return { ...choice, kernels: trainKernelLabel(registerNativeTrainingKernels()) };
}
