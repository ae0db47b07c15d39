import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import type { RunManifest } from './run-folder.js';

/**
 * A simulated disk of `capacity` bytes under the test's folder: node:fs/promises `writeFile`
 * fails with ENOSPC once the files written there would exceed it; `rm` and `rename` keep the
 * count. Everything else is the real file system.
 */
const disk = vi.hoisted(() => ({ root: '', capacity: Number.POSITIVE_INFINITY, sizes: new Map<string, number>() }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const inside = (p: unknown): boolean => disk.root !== '' && String(p).startsWith(disk.root);
  const used = (): number => [...disk.sizes.values()].reduce((a, b) => a + b, 0);
  const writeFile = async (path: unknown, data: string | Uint8Array, ...rest: unknown[]): Promise<void> => {
    if (inside(path)) {
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      if (used() - (disk.sizes.get(String(path)) ?? 0) + bytes > disk.capacity) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      }
      disk.sizes.set(String(path), bytes);
    }
    return (real.writeFile as (...a: unknown[]) => Promise<void>)(path, data, ...rest);
  };
  const rm = async (path: unknown, options?: object): Promise<void> => {
    for (const p of [...disk.sizes.keys()]) if (p === String(path) || p.startsWith(`${String(path)}/`)) disk.sizes.delete(p);
    return real.rm(path as string, options);
  };
  const rename = async (from: unknown, to: unknown): Promise<void> => {
    const size = disk.sizes.get(String(from));
    if (size !== undefined) {
      disk.sizes.delete(String(from));
      disk.sizes.set(String(to), size);
    }
    return real.rename(from as string, to as string);
  };
  return { ...real, default: { ...real, writeFile, rm, rename }, writeFile, rm, rename };
});
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeFileSync = (path: unknown, data: string | Uint8Array, ...rest: unknown[]): void => {
    if (disk.root !== '' && String(path).startsWith(disk.root)) disk.sizes.set(String(path), typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
    (real.writeFileSync as (...a: unknown[]) => void)(path, data, ...rest);
  };
  return { ...real, default: { ...real, writeFileSync }, writeFileSync };
});

const { runState, reserveManifestSpace, writeFinalManifest, RESERVE_BYTES, RESERVE_FILE } = await import('./run-state.js');
const { listenForInterrupts, signalExitCode } = await import('./signals.js');
const { writeManifest } = await import('./run-folder.js');
const { writeFileAtomic } = await import('../util/atomic-write.js');

function manifest(extra: Partial<RunManifest> = {}): RunManifest {
  return {
    experiment: 'x', runId: 'r', configName: 'c', configFile: 'c.yaml', overrides: [], seed: 1, status: 'running', startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: null, durationSeconds: null, error: null, git: { commit: null, dirty: null }, versions: {}, backend: { requested: 'cpu', name: null }, host: { hostname: 'here' }, files: [], facts: {},
    ...extra,
  };
}

afterEach(() => {
  disk.root = '';
  disk.capacity = Number.POSITIVE_INFINITY;
  disk.sizes.clear();
});

describe('run state', () => {
  const probe = (alive: boolean) => ({ host: 'here', alive: () => alive });
  it('is stale when run.json says running but its process on this host is gone', () => {
    expect(runState(manifest({ pid: 123 }), probe(false))).toBe('stale');
    expect(runState(manifest({ pid: 123 }), probe(true))).toBe('running');
  });
  it('takes runs of another host, older manifests and finished runs at their word', () => {
    expect(runState(manifest({ pid: 123, host: { hostname: 'elsewhere' } }), probe(false))).toBe('running');
    expect(runState(manifest(), probe(false))).toBe('running');
    expect(runState(manifest({ pid: 123, status: 'interrupted' }), probe(false))).toBe('interrupted');
    expect(runState(manifest({ pid: 123, status: 'completed' }), probe(false))).toBe('completed');
  });
  it('probes real processes: this one is alive, an exited one is not', async () => {
    expect(runState(manifest({ pid: process.pid, host: { hostname: hostname() } }))).toBe('running');
    const { spawnSync } = await import('node:child_process');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    expect(runState(manifest({ pid: Number(gone), host: { hostname: hostname() } }))).toBe('stale');
  });
});

describe('signals', () => {
  it('runs the handlers (latest first), prints their lines and exits 130 for SIGINT, 143 for SIGTERM', () => {
    expect([signalExitCode('SIGINT'), signalExitCode('SIGTERM')]).toEqual([130, 143]);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const listeners = new Map<string, () => void>();
      const exits: number[] = [];
      let err = '';
      const host = { on: (s: string, l: () => void) => listeners.set(s, l), off: (s: string) => listeners.delete(s), exit: (c: number) => void exits.push(c) };
      const interrupts = listenForInterrupts({ write: (t: string) => (err += t) }, host);
      const seen: string[] = [];
      interrupts.onInterrupt((s) => (seen.push(`a:${s}`), 'line a'));
      const remove = interrupts.onInterrupt(() => (seen.push('removed'), 'never'));
      interrupts.onInterrupt((s) => (seen.push(`b:${s}`), undefined));
      remove();
      listeners.get(signal)!();
      expect(seen).toEqual([`b:${signal}`, `a:${signal}`]);
      expect(err).toBe('\nline a\n');
      expect(exits).toEqual([signal === 'SIGINT' ? 130 : 143]);
      interrupts.dispose();
      expect(listeners.size).toBe(0);
    }
  });
});

describe('a full disk', () => {
  it('names the file it could not write, and the last manifest still says failed (the reserve is released for it)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      disk.root = dir;
      const m = manifest();
      await writeManifest(dir, m);
      reserveManifestSpace(dir);
      expect(disk.sizes.get(join(dir, RESERVE_FILE))).toBe(RESERVE_BYTES);
      // The disk fills up: nothing more fits than what is already there.
      disk.capacity = [...disk.sizes.values()].reduce((a, b) => a + b, 0) + 100;
      const csv = join(dir, 'results.csv');
      await expect(writeFileAtomic(csv, 'x'.repeat(10_000))).rejects.toThrow(`${csv}: cannot write: no space left on device (ENOSPC)`);
      m.status = 'failed';
      m.error = 'disk full';
      m.endedAt = '2026-01-01T00:01:00.000Z';
      await writeFinalManifest(dir, m);
      expect(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'))).toMatchObject({ status: 'failed', error: 'disk full', endedAt: '2026-01-01T00:01:00.000Z' });
      expect(disk.sizes.has(join(dir, RESERVE_FILE))).toBe(false);
      expect(RESERVE_BYTES).toBeGreaterThan(Buffer.byteLength(JSON.stringify(m, null, 2)) * 10);
    } finally {
      await cleanup();
    }
  });
});
