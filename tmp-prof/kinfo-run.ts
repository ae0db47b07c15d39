import { startModuleWorker } from '../src/util/module-worker.js';
await import('./kinfo.ts');
const ws = [0, 1].map(() => startModuleWorker(new URL('./kinfo.ts', import.meta.url), undefined));
await Promise.all(ws.map((w) => new Promise<void>((r) => w.once('message', (m) => { console.log(m); r(); }))));
await Promise.all(ws.map((w) => w.terminate()));
