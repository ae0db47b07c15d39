import { open, readFile, rm } from 'node:fs/promises';
import { RunError } from '../errors.js';
import { processAlive } from './process-alive.js';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up after this long (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Poll interval while another process holds the lock (default 100 ms). */
  readonly pollMs?: number;
}

/**
 * Runs `work` while holding `<path>.lock`, a file created exclusively that holds this process's
 * pid, so that processes updating the same file (read, merge, write) take turns. A lock whose
 * process no longer exists (a crashed holder) is taken over; the lock is removed when `work`
 * settles.
 * @throws RunError naming the lock file if another live process holds it past the timeout.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunError(lock, `cannot create the lock file: ${(error as Error).message}`);
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new RunError(lock, `held by process ${Number.isInteger(holder) && holder > 0 ? holder : '(unknown)'} for too long; remove the file if that process is gone`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}
