import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { withFileLock } from './file-lock.js';

const { dir, cleanup } = await tempDir('file-lock-');
afterAll(cleanup);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withFileLock', () => {
  it('runs two holders of the same lock one after the other, and removes the lock', async () => {
    const path = join(dir, 'shared.csv');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(path, async () => {
        events.push(`${name} in`);
        await sleep(30);
        events.push(`${name} out`);
        return name;
      }, { pollMs: 5 });
    expect(await Promise.all([holder('a'), holder('b')])).toEqual(['a', 'b']);
    expect([events.slice(0, 2), events.slice(2)].map((pair) => pair[0]!.split(' ')[0] === pair[1]!.split(' ')[0])).toEqual([true, true]);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('takes over the lock of a process that no longer exists', async () => {
    const path = join(dir, 'stale.csv');
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(`${path}.lock`, String(gone));
    expect(await withFileLock(path, async () => 'mine', { timeoutMs: 2000, pollMs: 5 })).toBe('mine');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('waits for a live holder and gives up naming the lock file and its pid', async () => {
    const path = join(dir, 'held.csv');
    writeFileSync(`${path}.lock`, String(process.ppid));
    await expect(withFileLock(path, async () => 'never', { timeoutMs: 100, pollMs: 10 })).rejects.toThrow(new RegExp(`held\\.csv\\.lock.*held by process ${process.ppid} for too long`));
    expect(existsSync(`${path}.lock`)).toBe(true);
  });

  it('removes the lock when the work fails', async () => {
    const path = join(dir, 'failing.csv');
    await expect(withFileLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
