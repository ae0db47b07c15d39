/**
 * Worker-thread entry of the HE pool: builds its party's task handler from `workerData`, then
 * answers `{ id, task }` messages with `{ id, result }` or `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createHandler, type Task, type WorkerInit } from './tasks.js';

const port = parentPort;
if (!port) throw new Error('pool-worker.ts must run in a worker thread');
try {
  const handle = createHandler(workerData as WorkerInit);
  port.on('message', ({ id, task }: { id: number; task: Task }) => {
    try {
      port.postMessage({ id, result: handle(task) });
    } catch (error) {
      port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ id: -1, error: error instanceof Error ? error.message : String(error) });
}
