import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DiskError } from '../errors.js';

/**
 * Writes `data` to `path` atomically: to a temporary sibling first, then renamed over `path`.
 * An interrupted write never leaves a half-written file under the final name.
 * @throws DiskError naming `path` when the file system refuses (full disk, read-only folder, ...).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (typeof (error as NodeJS.ErrnoException).code === 'string') throw new DiskError(path, error as NodeJS.ErrnoException);
    throw error;
  }
}

/**
 * Writes several files as one unit: every file to a temporary sibling first, and only when all
 * of them are written, each renamed over its final name. A failure before the renames leaves
 * every final file as it was (e.g. a chart's `.vl.json`, `.svg` and `.png` stay of one rendering).
 * @throws DiskError naming the file the file system refused.
 */
export async function writeFilesAtomic(files: readonly (readonly [path: string, data: string | Uint8Array])[]): Promise<void> {
  const staged: [tmp: string, path: string][] = [];
  try {
    for (const [path, data] of files) {
      const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      staged.push([tmp, path]);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(tmp, data);
      } catch (error) {
        if (typeof (error as NodeJS.ErrnoException).code === 'string') throw new DiskError(path, error as NodeJS.ErrnoException);
        throw error;
      }
    }
  } catch (error) {
    await Promise.all(staged.map(([tmp]) => rm(tmp, { force: true }).catch(() => undefined)));
    throw error;
  }
  for (const [tmp, path] of staged) await rename(tmp, path);
}
