import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running an ES module. A compiled `.js` module starts directly; a `.ts`
 * source (under tsx or vitest) starts through a small bootstrap that registers tsx's loader in the
 * worker first — `execArgv: ['--import', 'tsx']` does not reach workers on Node 20
 * (ERR_UNKNOWN_FILE_EXTENSION).
 */
export function startModuleWorker(module: URL, workerData: unknown): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, { workerData });
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
