import type * as tf from '@tensorflow/tfjs';
import type { ProgressTask } from '../../progress/reporter.js';
import { reconstructionErrors } from './train-step.js';

/** Dissimilarities of queries to users: row-major `queries x users` MSE between a query and its reconstruction by each user's model. */
export interface DissimilarityMatrix {
  readonly users: readonly string[];
  readonly queries: number;
  readonly values: Float32Array;
}

/**
 * PrivEdge's plaintext prediction input: for every query image (float32 NHWC in [-1, 1]) and
 * every user, the MSE between the image and that user's reconstruction of it. Each model is
 * evaluated on batches of queries (never one image per call). Models come from `load`, one at a
 * time, and are disposed after use (hundreds of paper-size models need not fit in memory at once).
 */
export async function dissimilarityMatrix(
  users: readonly string[],
  load: (user: string) => Promise<tf.LayersModel>,
  queries: Float32Array,
  shape: readonly [number, number, number],
  options: { batchSize?: number; progress?: ProgressTask } = {},
): Promise<DissimilarityMatrix> {
  const n = queries.length / (shape[0] * shape[1] * shape[2]);
  const values = new Float32Array(n * users.length);
  for (const [u, user] of users.entries()) {
    const model = await load(user);
    try {
      const errors = await reconstructionErrors(model, queries, shape, options.batchSize ?? 64);
      for (let q = 0; q < n; q++) values[q * users.length + u] = errors[q]!;
    } finally {
      model.dispose();
    }
    options.progress?.tick();
  }
  return { users: [...users], queries: n, values };
}
