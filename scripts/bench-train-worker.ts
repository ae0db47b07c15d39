/**
 * Helpers of `scripts/bench-train.ts` and, when loaded as a worker_thread by it, one simulated
 * user training its own RAN: it initialises tfjs (wasm by default), builds its own reconstructor,
 * discriminator and optimisers, warms up, reports `ready`, waits for `go`, runs `iterations`
 * combined steps (`ranTrainStep` on a 64-image batch) and reports the elapsed time.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { buildDiscriminator, buildReconstructor, type RanShape } from '../src/models/rec-adv/architecture.js';
import { ranOptimizers, ranTrainStep, type RanPair, type RanTrainingSettings } from '../src/models/rec-adv/train-step.js';
import type { RequestedBackend } from '../src/models/backend.js';
import { initTensorflow } from '../src/models/runtime.js';

/** The reference architecture: 32 x 32 x 3, gf 32, df 64. */
export const SHAPE: RanShape = { height: 32, width: 32, channels: 3, gf: 32, df: 64 };
/** The paper's training settings. */
export const SETTINGS: RanTrainingSettings = { learningRate: 2e-4, beta1: 0.5, reconstructionWeight: 0.999, adversarialWeight: 0.001 };

/** A new reconstructor/discriminator pair with its optimisers. */
export function makePair(seed: number): RanPair {
  return { reconstructor: buildReconstructor(SHAPE, seed), discriminator: buildDiscriminator(SHAPE, seed), ...ranOptimizers(SETTINGS) };
}

/** A batch of `n` random images in [-1, 1]. */
export function makeBatch(n: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, SHAPE.height, SHAPE.width, SHAPE.channels], -1, 1, 'float32', seed) as tf.Tensor4D;
}

/** Data the main thread hands a worker. */
export interface WorkerInput {
  readonly backend: RequestedBackend;
  readonly batch: number;
  readonly warmup: number;
  readonly iterations: number;
  readonly seed: number;
}

/** Messages a worker sends back. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'done'; readonly ms: number; readonly iterations: number }
  | { readonly type: 'error'; readonly message: string };

async function runWorker(input: WorkerInput): Promise<void> {
  const port = parentPort!;
  try {
    const choice = await initTensorflow(input.backend);
    const pair = makePair(input.seed);
    const batch = makeBatch(input.batch, input.seed);
    for (let i = 0; i < input.warmup; i++) await ranTrainStep(pair, batch, SETTINGS);
    const go = new Promise<void>((resolve) => port.once('message', () => resolve()));
    port.postMessage({ type: 'ready', backend: choice.name } satisfies WorkerMessage);
    await go;
    const t0 = performance.now();
    for (let i = 0; i < input.iterations; i++) await ranTrainStep(pair, batch, SETTINGS);
    const ms = performance.now() - t0;
    port.postMessage({ type: 'done', ms, iterations: input.iterations } satisfies WorkerMessage);
  } catch (error) {
    port.postMessage({ type: 'error', message: (error as Error).stack ?? String(error) } satisfies WorkerMessage);
  }
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === 'bench-train') {
  await runWorker((workerData as { input: WorkerInput }).input);
}
