import type { Worker } from 'node:worker_threads';
import { PrivedgeError } from '../errors.js';
import { startModuleWorker } from '../util/module-worker.js';
import { createHandler, type Task, type TaskHandler, type TaskResult, type WorkerInit } from './tasks.js';

interface Pending {
  readonly resolve: (r: TaskResult) => void;
  readonly reject: (e: Error) => void;
}

/**
 * A pool of worker threads for one party's heavy arithmetic (`tasks.ts`). `size` 1 runs tasks
 * inline on the calling thread (same code, no copies); larger sizes start that many workers and
 * hand tasks to whichever is free. Results come back in task order.
 */
export class HePool {
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private constructor(
    /** Threads working in parallel (1: inline). */
    readonly size: number,
    private readonly inline: TaskHandler | undefined,
    private readonly workers: readonly Worker[],
  ) {
    this.idle.push(...workers);
  }

  /** Starts a pool of `size` threads for a party (inline for size <= 1). */
  static async start(init: WorkerInit, size: number): Promise<HePool> {
    if (size <= 1) return new HePool(1, createHandler(init), []);
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const workers = Array.from({ length: size }, () => startModuleWorker(new URL(`./pool-worker.${ext}`, import.meta.url), init));
    const pool = new HePool(size, undefined, workers);
    try {
      await Promise.all(workers.map((w) => pool.listen(w)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private listen(worker: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      worker.on('message', (m: { ready?: boolean; id?: number; result?: TaskResult; error?: string }) => {
        if (m.ready) return resolve();
        if (m.id === -1) return reject(new PrivedgeError('HE_WORKER', `HE worker failed to start: ${m.error}`));
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        this.release(worker);
        if (m.error !== undefined) p.reject(new PrivedgeError('HE_WORKER', `HE worker task failed: ${m.error}`));
        else p.resolve(m.result!);
      });
      worker.on('error', (error) => {
        const e = new PrivedgeError('HE_WORKER', `HE worker crashed: ${error.message}`, { cause: error });
        reject(e);
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
    });
  }

  private release(worker: Worker): void {
    this.idle.push(worker);
    this.waiting.shift()?.();
  }

  private async acquire(): Promise<Worker> {
    while (this.idle.length === 0) await new Promise<void>((r) => this.waiting.push(r));
    return this.idle.shift()!;
  }

  private async runOne(task: Task): Promise<TaskResult> {
    if (this.inline) return this.inline(task);
    const worker = await this.acquire();
    const id = this.nextId++;
    return new Promise<TaskResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, task });
    });
  }

  /** Runs the tasks (in parallel on the pool's threads) and returns their results in order. */
  run<R extends TaskResult>(tasks: readonly Task[]): Promise<R[]> {
    return Promise.all(tasks.map((t) => this.runOne(t))) as Promise<R[]>;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Splits `items` into at most `parts` contiguous chunks of near-equal length. */
export function chunks<T>(items: readonly T[], parts: number): { from: number; items: T[] }[] {
  const out: { from: number; items: T[] }[] = [];
  const k = Math.max(1, Math.min(parts, items.length));
  for (let c = 0; c < k; c++) {
    const from = Math.floor((items.length * c) / k);
    const to = Math.floor((items.length * (c + 1)) / k);
    if (to > from) out.push({ from, items: items.slice(from, to) });
  }
  return out;
}
