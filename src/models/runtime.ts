import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice, type ModuleLoader, type RequestedBackend } from './backend.js';
import { registerWasmTrainingKernels } from './wasm-kernels/register.js';

/**
 * Selects and activates the tfjs backend for this process (or worker) and, on wasm, registers
 * the project's convolution gradient kernels so that models can be trained there.
 */
export async function initTensorflow(requested: RequestedBackend, load?: ModuleLoader): Promise<BackendChoice> {
  const choice = await selectBackend(requested, tf, load);
  if (choice.name === 'wasm') registerWasmTrainingKernels();
  return choice;
}
