/**
 * Worker-thread entry: selects its own tfjs backend (wasm is single-threaded in Node, so users
 * train in parallel one per worker), then trains the users it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initTensorflow } from '../runtime.js';
import type { UserTrainingJob, WorkerInit, WorkerMessage } from './job.js';
import { runTrainingJob } from './run-job.js';

const port = parentPort;
if (!port) throw new Error('train-worker.ts must run in a worker thread');
const post = (m: WorkerMessage): void => port.postMessage(m);
const init = workerData as WorkerInit;

try {
  const choice = await initTensorflow(init.backend);
  port.on('message', (job: UserTrainingJob) => {
    runTrainingJob(job, choice.name, (n) => post({ type: 'tick', user: job.user, iterations: n }), choice.kernels)
      .then((saved) => post({ type: 'done', user: job.user, saved }))
      .catch((error: unknown) => post({ type: 'error', user: job.user, message: error instanceof Error ? error.message : String(error) }));
  });
  post({ type: 'ready', backend: choice.name });
} catch (error) {
  post({ type: 'error', user: null, message: error instanceof Error ? error.message : String(error) });
}
